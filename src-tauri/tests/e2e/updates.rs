//! Issue 14 in the cashier app, against a real back office (`till-host` over PostgreSQL): the
//! till enrolled in a shop whose channel offers a package altered after signing finds it at
//! start and refuses it — the status bar and Settings say why, in the operator's language, and
//! nothing is kept. The merchant moves the shop to the channel with the good package; the
//! manager's "Check for updates" downloads and verifies it; the cashier opens it from the
//! status bar (notes shown, 繁體中文) and installs: the app closes, the updater it left behind
//! waits for it to be gone, verifies the package again and runs the installer. The package
//! here is one no system installs (so this machine is never changed; the real installers run
//! in installers/tests), so the updater records the failure, and the next start says so while
//! the installed version keeps running.

use crate::flows_support::*;
use crate::support::*;
use base64::Engine;
use std::path::Path;
use std::time::{Duration, Instant};
use till_testkit::office::{Office, serve_files};

const OWNER: &str = "owner@noodles.example";

/// The next patch version after this build's.
fn next_version() -> String {
    let v = env!("CARGO_PKG_VERSION");
    let mut parts: Vec<u64> = v
        .split(['.', '-', '+'])
        .take(3)
        .filter_map(|p| p.parse().ok())
        .collect();
    parts.resize(3, 0);
    format!("{}.{}.{}", parts[0], parts[1], parts[2] + 1)
}

/// `till-host` said yes, or the test stops with what it said.
fn host_ok(office: &Office, args: &[&str]) -> TestResult {
    let out = office.till_host(args)?;
    if !out.status.success() {
        return Err(format!(
            "till-host {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

fn wait_file(path: &Path) -> Result<String, Error> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err(format!("{} never appeared", path.display()).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_app_refuses_an_altered_update_then_installs_the_good_one_through_the_updater() -> TestResult {
    let office = Office::start(&app_binary().with_file_name("till-host"), "Noodle Bar Ltd", OWNER)?;
    let owner = office.owner_session()?;
    let shop = office.create_shop(&owner, "麵檔 Noodle Bar", "香港灣仔軒尼詩道 1 號")?;
    let code = office.pos_code(&owner, &shop)?;

    // A release N+1: its package signed with the release key (a throwaway pair), and a copy
    // altered after signing on another channel.
    let keys = minisign::KeyPair::generate_unencrypted_keypair()?;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let public = b64(keys.pk.to_box()?.into_string());
    let package = b"OpenTill next: not a package any system installs".repeat(2000);
    let mut altered = package.clone();
    altered[5000] ^= 0x01;
    let signature = minisign::sign(None, &keys.sk, std::io::Cursor::new(&package), Some("next"), None)?.into_string();
    let work = temp_dir("updates-app")?;
    let sig_file = work.join("next.pkg.sig");
    std::fs::write(&sig_file, b64(signature))?;
    let sig_file = sig_file.display().to_string();
    let pkg = serve_files(vec![
        ("next.pkg".into(), package.clone()),
        ("altered.pkg".into(), altered),
    ])?;
    let next = next_version();
    let platform = format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH);
    for (channel, file) in [("stable", "next.pkg"), ("tampered", "altered.pkg")] {
        host_ok(
            &office,
            &[
                "publish-release",
                "--channel",
                channel,
                "--version",
                &next,
                "--notes",
                "Receipts print faster.",
                "--package",
                &format!("{platform}={pkg}/{file}={sig_file}"),
            ],
        )?;
    }
    // The fresh cluster's one merchant.
    host_ok(
        &office,
        &[
            "shop-updates",
            "--merchant",
            "1",
            "--shop",
            &shop,
            "--channel",
            "tampered",
        ],
    )?;

    // The till, enrolled with the portal's code before the app starts.
    let data = work.join("till");
    let enrolled = std::process::Command::new(app_binary().with_file_name("till"))
        .arg("--data-dir")
        .arg(&data)
        .args(["enrol", "--host", &office.url(), "--code", &code])
        .output()?;
    assert!(
        enrolled.status.success(),
        "till enrol: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );

    let mut app = logged_in(
        Launch::new(Size::XGA)
            .data_dir(&data)
            .env("OPENTILL_UPDATE_PUBKEY", &public)
            .env("OPENTILL_RELAUNCH", "0"),
    )?;
    // At start: the altered package is refused, said in the status bar and in Settings.
    app.wait_for("[data-testid=update-refused]")?;
    app.click("[data-testid=tab-settings]")?;
    app.wait_attribute("[data-testid=settings-updates]", "data-state", "refused")?;
    let said = app.text("[data-testid=settings-updates-state]")?;
    assert!(
        said.contains(&next) && said.contains("signature does not match"),
        "why the update was refused: {said}"
    );
    let kept = data.join("updates");
    assert!(
        std::fs::read_dir(&kept).map_or(true, |d| d.count() == 0),
        "nothing of the altered package is kept"
    );
    app.execute(
        "document.querySelector('[data-testid=settings-updates]').scrollIntoView({block: 'center'})",
        vec![],
    )?;
    painted(&app)?;
    app.screenshot("update-refused-en")?;

    // The merchant moves the shop to the good channel; the manager checks now.
    host_ok(
        &office,
        &[
            "shop-updates",
            "--merchant",
            "1",
            "--shop",
            &shop,
            "--channel",
            "stable",
        ],
    )?;
    app.click("[data-testid=settings-updates-check]")?;
    app.wait_attribute("[data-testid=settings-updates]", "data-state", "ready")?;
    app.wait_attribute("[data-testid=update-bar]", "data-version", &next)?;
    let pkg_path = kept.join(format!("opentill-{next}.pkg"));
    assert_eq!(std::fs::read(&pkg_path)?, package, "downloaded whole and verified");

    // The cashier opens it in 繁體中文: the notes, Later, then Install.
    app.click("[data-testid=lang-zh-Hant]")?;
    app.click("[data-testid=update-ready]")?;
    app.wait_for("[data-testid=update-dialog]")?;
    assert_eq!(app.text("[data-testid=update-notes]")?, "Receipts print faster.");
    let title = app.text("[data-testid=update-dialog] h2")?;
    assert!(title.contains("安裝") && title.contains(&next), "{title}");
    app.screenshot("update-dialog-zh-Hant")?;
    app.click("[data-testid=update-later]")?;
    app.wait_gone("[data-testid=update-dialog]")?;
    app.click("[data-testid=update-ready]")?;
    // The app closes as it answers this click: what the click returns does not matter.
    let _ = app.click("[data-testid=update-install]");

    // The app closed; the updater verified the package and ran the installer, which no
    // system has for it, and wrote down what happened.
    let outcome = wait_file(&kept.join("outcome.json"))?;
    let outcome: serde_json::Value = serde_json::from_str(&outcome)?;
    assert_eq!(outcome["installed"], false, "{outcome}");
    assert_eq!(outcome["kind"], "package", "{outcome}");
    let reason = outcome["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not an installer"), "{outcome}");
    assert!(pkg_path.exists(), "a package not installed is kept for the next try");

    // The next start says so, and the version installed runs on.
    app.restart()?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=update-last]", "data-installed", "false")?;
    let said = app.text("[data-testid=update-last]")?;
    assert!(said.contains("更新未安裝") && said.contains("安裝檔並非"), "{said}");
    app.screenshot("update-failed-zh-Hant")?;
    Ok(())
}

//! Issue 14's updates at the host: releases published with the real `till-host` binary, a
//! shop's channel and pin, the manifest a till is offered, and a package downloaded and checked
//! against the till's key (a throwaway minisign key pair made here).

use base64::Engine;
use std::path::Path;
use std::process::Command;
use till_sync::update::UpdateKey;
use till_sync::{HttpHost, SyncError, paths};

use crate::exactly_once::device_with_code;
use crate::support::*;

struct Signer(minisign::KeyPair);

impl Signer {
    fn new() -> Signer {
        Signer(minisign::KeyPair::generate_unencrypted_keypair().expect("key pair"))
    }
    fn key(&self) -> UpdateKey {
        let text = self.0.pk.to_box().expect("public key").into_string();
        UpdateKey::from_tauri(&base64::engine::general_purpose::STANDARD.encode(text)).expect("key")
    }
    /// Tauri's form of the signature of `data`, written to `dir/name.sig`.
    fn sign_to(&self, dir: &Path, name: &str, data: &[u8]) -> Result<String, Error> {
        let sig = minisign::sign(None, &self.0.sk, std::io::Cursor::new(data), Some(name), None)?.into_string();
        let path = dir.join(format!("{name}.sig"));
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.encode(sig))?;
        Ok(path.display().to_string())
    }
}

/// `till-host` run as an operator would; its exit status and what it said.
fn till_host(db_url: &str, args: &[&str]) -> Result<(bool, String), Error> {
    let out = Command::new(env!("CARGO_BIN_EXE_till-host"))
        .arg("--database-url")
        .arg(db_url)
        .args(args)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

/// A package server of the test's own (the host only lists packages; they live anywhere).
async fn package_server(files: Vec<(&'static str, Vec<u8>)>) -> Result<(String, tokio::task::JoinHandle<()>), Error> {
    let mut app = axum::Router::new();
    for (name, bytes) in files {
        app = app.route(
            &format!("/pkg/{name}"),
            axum::routing::get(move || async move { bytes }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/pkg", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_is_offered_its_shops_channel_or_pin_and_only_a_signed_package_installs() -> TestResult {
    let db_url = fresh_db().await?;
    let host = Host::start_on(&db_url).await?;
    let seed = seed(&host.state).await?;
    let (_, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;
    let link = HttpHost::new(&host.url, &token, None)?;
    let linux = "linux-x86_64";

    let signer = Signer::new();
    let dir = temp_dir("updates")?;
    let v2 = b"opentill 0.2.0 package".repeat(4096);
    let v3 = b"opentill 0.3.0 package".repeat(4096);
    let mut altered = v3.clone();
    altered[1000] ^= 0x20;
    let (pkg, _server) = package_server(vec![
        ("0.2.0.deb", v2.clone()),
        ("0.3.0.deb", v3.clone()),
        ("altered.deb", altered),
    ])
    .await?;
    let sig2 = signer.sign_to(&dir, "0.2.0", &v2)?;
    let sig3 = signer.sign_to(&dir, "0.3.0", &v3)?;
    let foreign = Signer::new().sign_to(&dir, "foreign", &v3)?;

    // Nothing published yet: nothing offered.
    assert!(link.check_update(linux, "0.1.0").await?.is_none());

    // Published newest first, so "newest" below is by version, not by time.
    for (channel, version, package) in [
        ("stable", "0.3.0", format!("{linux}={pkg}/0.3.0.deb={sig3}")),
        ("stable", "0.2.0", format!("{linux}={pkg}/0.2.0.deb={sig2}")),
        ("beta", "0.4.0-beta.1", format!("{linux}={pkg}/0.3.0.deb={sig3}")),
        ("tampered", "0.5.0", format!("{linux}={pkg}/altered.deb={sig3}")),
        ("foreign", "0.6.0", format!("{linux}={pkg}/0.3.0.deb={foreign}")),
    ] {
        let (ok, out) = till_host(
            &db_url,
            &[
                "publish-release",
                "--channel",
                channel,
                "--version",
                version,
                "--notes",
                "Faster receipts",
                "--package",
                &package,
            ],
        )?;
        assert!(ok, "publish {version}: {out}");
    }
    // A release that is not a version is refused, and nothing is added.
    let (ok, out) = till_host(
        &db_url,
        &[
            "publish-release",
            "--version",
            "latest",
            "--package",
            &format!("{linux}={pkg}/0.3.0.deb={sig3}"),
        ],
    )?;
    assert!(!ok && out.contains("not a version"), "{out}");

    // The shop follows stable: 0.3.0, with its notes, for Linux only.
    let offer = link.check_update(linux, "0.1.0").await?.ok_or("no offer on stable")?;
    assert_eq!(
        (offer.version.as_str(), offer.notes.as_str()),
        ("0.3.0", "Faster receipts")
    );
    assert!(
        link.check_update("windows-x86_64", "0.1.0").await?.is_none(),
        "no Windows package published"
    );
    assert!(link.check_update(linux, "0.3.0").await?.is_none(), "up to date");
    assert!(
        link.check_update(linux, "0.10.0").await?.is_none(),
        "newer than the channel"
    );

    // The package downloads and verifies against the till's key.
    let got = link
        .download_update(&offer.platforms[linux], &signer.key(), 1 << 20)
        .await?;
    assert_eq!(got, v3);
    // Fetched into the till's folder under its file name, whole.
    let updates = dir.join("updates");
    let fetched = link
        .fetch_update(linux, "0.1.0", &signer.key(), &updates)
        .await?
        .ok_or("nothing fetched")?;
    assert_eq!(
        (fetched.version.as_str(), fetched.path.file_name()),
        ("0.3.0", Some("0.3.0.deb".as_ref()))
    );
    assert_eq!(std::fs::read(&fetched.path)?, v3);
    // Its signature is kept beside it, and verifies it afresh (what the updater does).
    till_sync::update::verify_kept(&fetched.path, &signer.key())?;
    std::fs::write(&fetched.path, &v2)?;
    assert!(
        till_sync::update::verify_kept(&fetched.path, &signer.key()).is_err(),
        "a package swapped after download is refused before it installs"
    );
    std::fs::remove_file(&fetched.path)?;
    std::fs::remove_file(till_sync::update::signature_path(&fetched.path))?;
    // A size limit below the package's size refuses it.
    assert!(matches!(
        link.download_update(&offer.platforms[linux], &signer.key(), 1000).await,
        Err(SyncError::Protocol(_))
    ));
    // Another till's key (another build) does not accept it.
    assert!(matches!(
        link.download_update(&offer.platforms[linux], &Signer::new().key(), 1 << 20)
            .await,
        Err(SyncError::Update(till_sync::update::UpdateError::Mismatch))
    ));

    // Pinned to 0.2.0 (staged roll-out): offered 0.2.0, and never a downgrade.
    let shop = seed.shop_a.to_string();
    let merchant = seed.merchant.to_string();
    let set = |channel: &str, pin: Option<&str>| {
        let mut args = vec![
            "shop-updates",
            "--merchant",
            &merchant,
            "--shop",
            &shop,
            "--channel",
            channel,
        ];
        args.extend(pin.iter().flat_map(|p| ["--pin", *p]));
        till_host(&db_url, &args)
    };
    let (ok, out) = set("stable", Some("0.2.0"))?;
    assert!(ok, "{out}");
    assert_eq!(
        link.check_update(linux, "0.1.0")
            .await?
            .ok_or("no pinned offer")?
            .version,
        "0.2.0"
    );
    assert!(
        link.check_update(linux, "0.2.5").await?.is_none(),
        "a pin is never a downgrade"
    );
    // A pin to a version never published is refused and the pin stays.
    let (ok, out) = set("stable", Some("9.9.9"))?;
    assert!(!ok && out.contains("no release 9.9.9"), "{out}");
    assert_eq!(
        link.check_update(linux, "0.1.0").await?.ok_or("pin lost")?.version,
        "0.2.0"
    );
    // Another merchant's shop cannot be set.
    let (ok, _) = till_host(
        &db_url,
        &[
            "shop-updates",
            "--merchant",
            "999999",
            "--shop",
            &shop,
            "--channel",
            "beta",
        ],
    )?;
    assert!(!ok);

    // The beta channel offers its pre-release.
    assert!(set("beta", None)?.0);
    assert_eq!(
        link.check_update(linux, "0.3.0").await?.ok_or("no beta")?.version,
        "0.4.0-beta.1"
    );

    // A package altered after signing, or signed with another key, is refused.
    for (channel, version) in [("tampered", "0.5.0"), ("foreign", "0.6.0")] {
        assert!(set(channel, None)?.0);
        let offer = link.check_update(linux, "0.3.0").await?.ok_or("no offer")?;
        assert_eq!(offer.version, version);
        let refused = link
            .download_update(&offer.platforms[linux], &signer.key(), 1 << 20)
            .await;
        assert!(
            matches!(
                refused,
                Err(SyncError::Update(till_sync::update::UpdateError::Mismatch))
            ),
            "{channel}: {refused:?}"
        );
        let fetched = link.fetch_update(linux, "0.3.0", &signer.key(), &updates).await;
        assert!(matches!(fetched, Err(SyncError::Update(_))), "{channel}: {fetched:?}");
        assert_eq!(std::fs::read_dir(&updates)?.count(), 0, "{channel}: nothing is kept");
    }

    // Only an enrolled till is answered.
    let resp = client()?
        .get(format!("{}{}?platform={linux}&current=0.1.0", host.url, paths::UPDATE))
        .bearer_auth("not-a-token")
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 401);
    let resp = client()?
        .get(format!("{}{}", host.url, paths::UPDATE))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 400, "platform and current are required");
    Ok(())
}

/// How many files the till keeps in its updates folder (none when it was never made).
fn kept_files(data: &Path) -> usize {
    std::fs::read_dir(data.join("updates")).map_or(0, |d| d.count())
}

/// The `till` program of this build: beside `till-host` (`cargo test --workspace` builds both),
/// or in `OPENTILL_DIST_BIN`.
fn till_program() -> Result<std::path::PathBuf, Error> {
    let dir = std::env::var_os("OPENTILL_DIST_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_BIN_EXE_till-host")).with_file_name(""));
    let till = dir.join(format!("till{}", std::env::consts::EXE_SUFFIX));
    if till.exists() {
        Ok(till)
    } else {
        Err(format!("{} is not built: cargo build -p till-cli --bin till", till.display()).into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn till_update_downloads_only_what_the_tills_key_verifies_and_refuses_otherwise() -> TestResult {
    let till = till_program()?;
    let db_url = fresh_db().await?;
    let host = Host::start_on(&db_url).await?;
    let seed = seed(&host.state).await?;
    let (_, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let signer = Signer::new();
    let key = {
        let text = signer.0.pk.to_box()?.into_string();
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    let dir = temp_dir("till-update")?;
    let data = dir.join("data");
    let run = |lang: &str, pin: &str, args: &[&str], key: Option<&str>| -> Result<(i32, String), Error> {
        let mut cmd = Command::new(&till);
        cmd.arg("--data-dir")
            .arg(&data)
            .args(["--lang", lang, "--operator", "1", "--pin", pin])
            .args(args)
            .env_remove("TILL_OPERATOR")
            .env_remove("TILL_PIN")
            .env_remove("OPENTILL_UPDATE_PUBKEY");
        if let Some(k) = key {
            cmd.env("OPENTILL_UPDATE_PUBKEY", k);
        }
        let out = cmd.output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ))
    };
    let (rc, out) = run("en", "0001", &["operator", "change-pin", "--new-pin", "246802"], None)?;
    assert_eq!(rc, 0, "{out}");
    let (rc, out) = run("en", "246802", &["enrol", "--host", &host.url, "--code", &code], None)?;
    assert_eq!(rc, 0, "{out}");

    let (rc, out) = run("en", "246802", &["update"], None)?;
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("No update"), "{out}");

    // A release newer than this build, for this machine's platform.
    let current = semver::Version::parse(env!("CARGO_PKG_VERSION"))?;
    let next = semver::Version::new(current.major, current.minor + 1, 0).to_string();
    let package = b"the next release".repeat(2048);
    let mut altered = package.clone();
    altered[7] ^= 1;
    let (pkg, _server) = package_server(vec![
        ("opentill_next_amd64.deb", package.clone()),
        ("altered.deb", altered),
    ])
    .await?;
    let sig = signer.sign_to(&dir, "next", &package)?;
    let platform = till_sync::update::platform();
    let (ok, out) = till_host(
        &db_url,
        &[
            "publish-release",
            "--version",
            &next,
            "--notes",
            "Faster receipts.",
            "--package",
            &format!("{platform}={pkg}/opentill_next_amd64.deb={sig}"),
        ],
    )?;
    assert!(ok, "{out}");

    let (rc, out) = run("zh-Hant", "246802", &["update"], None)?;
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains(&format!("有可用更新：{next}")), "{out}");

    // Without a key (a build made without one), nothing is downloaded.
    let (rc, out) = run("en", "246802", &["update", "--download-only"], None)?;
    assert_eq!(rc, 7, "{out}");
    assert!(out.contains("no update key"), "{out}");
    assert_eq!(kept_files(&data), 0, "nothing downloaded without a key");
    // With another key, the package is refused and nothing is kept.
    let other = {
        let s = Signer::new();
        base64::engine::general_purpose::STANDARD.encode(s.0.pk.to_box()?.into_string())
    };
    let (rc, out) = run("en", "246802", &["update", "--download-only"], Some(&other))?;
    assert_eq!(rc, 6, "{out}");
    assert!(
        out.contains("was not installed") && out.contains(env!("CARGO_PKG_VERSION")),
        "{out}"
    );
    assert_eq!(kept_files(&data), 0);
    // With the till's key: downloaded whole, verified, kept under its name.
    let (rc, out) = run("en", "246802", &["update", "--download-only"], Some(&key))?;
    assert_eq!(rc, 0, "{out}");
    let kept = data.join("updates/opentill_next_amd64.deb");
    assert!(out.contains("downloaded and verified"), "{out}");
    assert_eq!(std::fs::read(&kept)?, package);

    // A package altered after signing is refused.
    let (ok, out) = till_host(
        &db_url,
        &[
            "publish-release",
            "--version",
            &next,
            "--package",
            &format!("{platform}={pkg}/altered.deb={sig}"),
        ],
    )?;
    assert!(ok, "{out}");
    std::fs::remove_file(&kept)?;
    std::fs::remove_file(till_sync::update::signature_path(&kept))?;
    let (rc, out) = run("zh-Hans", "246802", &["update", "--install"], Some(&key))?;
    assert_eq!(rc, 6, "{out}");
    assert!(out.contains("更新未安装"), "{out}");
    assert_eq!(kept_files(&data), 0);

    // A cashier may not install software.
    let (rc, out) = run(
        "en",
        "246802",
        &[
            "operator",
            "add",
            "7",
            "--name",
            "Ada",
            "--role",
            "cashier",
            "--new-pin",
            "135791",
        ],
        None,
    )?;
    assert_eq!(rc, 0, "{out}");
    let cashier = |args: &[&str], pin: &str| {
        Command::new(&till)
            .arg("--data-dir")
            .arg(&data)
            .args(["--lang", "en", "--operator", "7", "--pin", pin])
            .args(args)
            .env("OPENTILL_UPDATE_PUBKEY", &key)
            .output()
    };
    let o = cashier(&["operator", "change-pin", "--new-pin", "135792"], "135791")?;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The cashier's own check is fine; the download is a manager's.
    assert!(cashier(&["update"], "135792")?.status.success());
    let o = cashier(&["update", "--download-only"], "135792")?;
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(3), "a cashier fetched an update: {said}");
    assert_eq!(kept_files(&data), 0);
    Ok(())
}

//! The Windows installer under Wine: signed throughout, installed silently into Program Files,
//! `till.exe` run from there, and uninstalled leaving the shop's data.

use crate::support::*;
use opentill_installers::linux::Compression;
use opentill_installers::windows::{installer, verify};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use till_testkit::office::{Office, serve_files};

/// The Windows build the tests have (`till.exe` and the terminal simulator, dev profile) and the
/// Wine prefix `cargo xtask test` made.
fn wine() -> Option<(PathBuf, PathBuf)> {
    let bin = std::env::var_os("OPENTILL_WINE_BIN").map(PathBuf::from);
    let prefix = std::env::var_os("WINEPREFIX").map(PathBuf::from);
    if bin.is_none() || prefix.is_none() {
        eprintln!("skipped: no Windows build (OPENTILL_WINE_BIN, WINEPREFIX); `cargo xtask test` provides it");
    }
    Some((bin?, prefix?))
}

fn wine_command(prefix: &Path) -> Command {
    let mut cmd = Command::new("/usr/lib/wine/wine64");
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("DISPLAY");
    cmd
}

/// Waits until `done` holds, up to `limit` (Wine starts slowly on a busy machine).
fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return Err(format!("{what}: not after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

const PIN: &str = "246810";

/// `till.exe ARGS` as installed, on the shop's data folder, with the update key this build was
/// made to trust: its exit code and what it said.
fn till_exe(prefix: &Path, key: &str, args: &[&str]) -> Result<(i32, String), String> {
    let out = wine_command(prefix)
        .args([
            "C:\\Program Files\\OpenTill\\till.exe",
            "--data-dir",
            "C:\\ProgramData\\OpenTill\\till",
            "--lang",
            "en",
        ])
        .args(args)
        .env("OPENTILL_UPDATE_PUBKEY", key)
        .output()
        .map_err(|e| e.to_string())?;
    Ok((
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// Issue 14 on Windows: the installed till.exe, enrolled in a real till-host, is offered N+1
/// (an installer that also puts down till-soak.exe), downloads and verifies it, and hands it to
/// its updater — a copy of itself outside Program Files, which waits for till.exe to exit, since
/// a running .exe cannot be replaced — which runs the installer silently. The journal is intact.
fn updated_from_the_back_office(
    bin: &Path,
    prefix: &Path,
    work: &Path,
    signing: &CodeSigning,
) -> Result<(), till_testkit::pg::Error> {
    use base64::Engine;
    let Some(linux) = linux_bin() else { return Ok(()) };
    let office = Office::start(&linux.join("till-host"), "Bakery Ltd", "owner@bakery.example")?;
    let owner = office.owner_session()?;
    let shop = office.create_shop(&owner, "餅店 Bakery", "香港銅鑼灣軒尼詩道 500 號")?;
    let code = office.pos_code(&owner, &shop)?;
    // A new till each run (the Wine prefix is kept between runs).
    let data = prefix.join("drive_c/ProgramData/OpenTill/till");
    let _ = std::fs::remove_dir_all(&data);
    let next = installer(
        bin,
        &["till.exe", "till-terminal-sim.exe", "till-soak.exe"],
        &work.join("next"),
        Some(&signing.identity),
        Compression::Fast,
    )?;
    let keys = minisign::KeyPair::generate_unencrypted_keypair()?;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let public = b64(keys.pk.to_box()?.into_string());
    let package = std::fs::read(&next)?;
    let name = "OpenTill-Setup-next.exe";
    let signature = minisign::sign(None, &keys.sk, std::io::Cursor::new(&package), Some(name), None)?.into_string();
    let sig_file = work.join("next.exe.sig");
    std::fs::write(&sig_file, b64(signature))?;
    let base = serve_files(vec![(name.to_owned(), package)])?;
    let mut parts: Vec<u64> = opentill_installers::VERSION
        .split(['.', '-', '+'])
        .take(3)
        .filter_map(|p| p.parse().ok())
        .collect();
    parts.resize(3, 0);
    let release = format!("{}.{}.{}", parts[0], parts[1], parts[2] + 1);
    let published = office.till_host(&[
        "publish-release",
        "--version",
        &release,
        "--package",
        &format!("windows-x86_64={base}/{name}={}", sig_file.display()),
    ])?;
    assert!(published.status.success(), "{published:?}");

    // The till: enrolled, its first PIN changed, a sale in its journal.
    let (rc, said) = till_exe(prefix, &public, &["enrol", "--host", &office.url(), "--code", &code])?;
    assert_eq!(rc, 0, "{said}");
    let (rc, said) = till_exe(
        prefix,
        &public,
        &[
            "--operator",
            "1",
            "--pin",
            "0001",
            "operator",
            "change-pin",
            "--new-pin",
            PIN,
        ],
    )?;
    assert_eq!(rc, 0, "{said}");
    let manager = ["--operator", "1", "--pin", PIN];
    let (rc, said) = till_exe(
        prefix,
        &public,
        &[&manager[..], &["sale", "8.80", "--means", "cash"]].concat(),
    )?;
    assert_eq!(rc, 0, "{said}");

    let (rc, said) = till_exe(prefix, &public, &[&manager[..], &["update", "--install"]].concat())?;
    assert_eq!(rc, 0, "{said}");
    assert!(said.contains(&format!("Installing update {release}")), "{said}");
    let outcome = data.join("updates/outcome.json");
    wait_until("the updater's outcome", Duration::from_secs(300), || outcome.exists())?;
    let text = std::fs::read_to_string(&outcome)?;
    assert!(text.contains("\"installed\":true"), "{text}");
    let program_dir = prefix.join("drive_c/Program Files/OpenTill");
    verify(&program_dir.join("till-soak.exe"), &signing.ca)?;
    let (rc, said) = till_exe(prefix, &public, &[&manager[..], &["journal", "verify"]].concat())?;
    assert_eq!(rc, 0, "{said}");
    assert!(said.contains("hash chain intact"), "{said}");
    Ok(())
}

#[test]
fn the_signed_installer_installs_runs_and_uninstalls_leaving_the_data() -> TestResult {
    let Some((bin, prefix)) = wine() else { return Ok(()) };
    let dir = till_testkit::TempDir::new("dist-nsis");
    let signing = code_signing(dir.path())?;
    let files = ["till.exe", "till-terminal-sim.exe"];
    let setup = installer(
        &bin,
        &files,
        &dir.path().join("out"),
        Some(&signing.identity),
        Compression::Fast,
    )?;

    // Signed: the installer, and (below) every program and the uninstaller it put down.
    verify(&setup, &signing.ca)?;
    let bad = flipped(&setup, 5000)?;
    assert!(
        verify(&bad, &signing.ca).is_err(),
        "a flipped byte must fail verification"
    );
    let other = till_testkit::TempDir::new("dist-nsis-other-ca");
    let stranger = code_signing(other.path())?;
    assert!(verify(&setup, &stranger.ca).is_err(), "another root is not trusted");

    // Wine 8 lacks bcryptprimitives.dll (Rust's std imports ProcessPrng): the test fixture
    // `cargo xtask test` builds goes into this test prefix's system folder, never an installer.
    let system = prefix.join("drive_c/windows/system32/bcryptprimitives.dll");
    if !system.exists() {
        std::fs::copy(bin.join("bcryptprimitives.dll"), &system)?;
    }
    let program_dir = prefix.join("drive_c/Program Files/OpenTill");
    let _ = std::fs::remove_dir_all(&program_dir);
    let data = prefix.join("drive_c/ProgramData/OpenTill");
    std::fs::create_dir_all(&data)?;
    std::fs::write(data.join("kept-by-the-shop.txt"), "the journal lives here")?;

    let installed = wine_command(&prefix).arg(&setup).arg("/S").output()?;
    assert!(installed.status.success(), "installer /S: {installed:?}");
    wait_until("till.exe in Program Files", Duration::from_secs(300), || {
        program_dir.join("till.exe").exists() && program_dir.join("Uninstall.exe").exists()
    })?;
    for name in ["till.exe", "till-terminal-sim.exe", "Uninstall.exe"] {
        verify(&program_dir.join(name), &signing.ca).map_err(|e| format!("{name}: {e}"))?;
    }
    let version = wine_command(&prefix)
        .args(["C:\\Program Files\\OpenTill\\till.exe", "--version"])
        .output()?;
    let said = String::from_utf8_lossy(&version.stdout);
    assert!(version.status.success(), "till.exe --version: {version:?}");
    assert!(said.contains(opentill_installers::VERSION), "{said}");
    let menu = prefix.join("drive_c/ProgramData/Microsoft/Windows/Start Menu/Programs/OpenTill");
    assert!(
        menu.join("OpenTill.lnk").exists(),
        "a Start-menu entry in {}",
        menu.display()
    );

    updated_from_the_back_office(&bin, &prefix, dir.path(), &signing).map_err(|e| e.to_string())?;

    let removed = wine_command(&prefix)
        .args(["C:\\Program Files\\OpenTill\\Uninstall.exe", "/S"])
        .output()?;
    assert!(removed.status.success(), "uninstaller /S: {removed:?}");
    // The uninstaller runs from a copy in %TEMP%: wait for it to finish its work.
    wait_until("the program removed", Duration::from_secs(300), || {
        !program_dir.join("till.exe").exists() && !program_dir.join("Uninstall.exe").exists()
    })?;
    assert!(!menu.join("OpenTill.lnk").exists(), "the Start-menu entry is gone");
    assert_eq!(
        std::fs::read_to_string(data.join("kept-by-the-shop.txt"))?,
        "the journal lives here",
        "the shop's data stays"
    );
    Ok(())
}

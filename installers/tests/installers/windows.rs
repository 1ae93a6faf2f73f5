//! The Windows installer under Wine: signed throughout, installed silently into Program Files,
//! `till.exe` run from there, and uninstalled leaving the shop's data.

use crate::support::*;
use opentill_installers::windows::{installer, verify};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

#[test]
fn the_signed_installer_installs_runs_and_uninstalls_leaving_the_data() -> TestResult {
    let Some((bin, prefix)) = wine() else { return Ok(()) };
    let dir = till_testkit::TempDir::new("dist-nsis");
    let signing = code_signing(dir.path())?;
    let files = ["till.exe", "till-terminal-sim.exe"];
    let setup = installer(&bin, &files, &dir.path().join("out"), Some(&signing.identity))?;

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

//! The .deb as a shop installs it: into a clean Debian 12 root (made once by `cargo xtask test`
//! with debootstrap, `OPENTILL_DEBIAN_ROOT`; copied afresh for the test), from the signed apt
//! repository, by apt inside the root, which verifies the signature and resolves the
//! dependencies from Debian. The installed `till` keeps a journal across an upgrade from version
//! N to N+1, and removing the package leaves the data.

use crate::support::*;
use opentill_installers::linux::{self, Compression};
use opentill_installers::{VERSION, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway copy of the clean root, removed on drop (after its /proc is unmounted; if that
/// fails the copy is left on disk rather than removed through a mount).
struct Root {
    path: PathBuf,
    proc_mounted: bool,
    dir: Option<till_testkit::TempDir>,
}

impl Root {
    fn copy_of(base: &Path) -> Result<Root, String> {
        let dir = till_testkit::TempDir::new("debian-root");
        let path = dir.path().join("root");
        run(
            Command::new("cp").arg("-a").arg(base).arg(&path),
            "copying the clean root",
        )?;
        Ok(Root {
            path,
            proc_mounted: false,
            dir: Some(dir),
        })
    }

    /// A fresh procfs at /proc, as a desktop session has (WebKit reads it).
    fn mount_proc(&mut self) -> Result<(), String> {
        run(
            Command::new("mount")
                .args(["-t", "proc", "proc"])
                .arg(self.path.join("proc")),
            "mount proc in the root",
        )?;
        self.proc_mounted = true;
        Ok(())
    }

    /// `args` run inside the root as root, with a plain environment.
    fn run(&self, args: &[&str]) -> Result<Output, String> {
        Command::new("chroot")
            .arg(&self.path)
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "HOME=/root",
            ])
            .args(args)
            .output()
            .map_err(|e| e.to_string())
    }

    fn ok(&self, args: &[&str]) -> Result<String, String> {
        let out = self.run(args)?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(said)
        } else {
            Err(format!("{args:?} in the root failed ({}): {said}", out.status))
        }
    }

    /// `till` inside the root on the data folder /srv/till-data.
    fn till(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec![
            "till",
            "--data-dir",
            "/srv/till-data",
            "--lang",
            "en",
            "--operator",
            "1",
            "--pin",
            PIN,
        ];
        all.extend(args);
        self.ok(&all)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        if self.proc_mounted {
            let unmounted = Command::new("umount")
                .arg("-l")
                .arg(self.path.join("proc"))
                .status()
                .is_ok_and(|s| s.success());
            if !unmounted && let Some(dir) = self.dir.take() {
                eprintln!("left {} on disk: its /proc would not unmount", dir.path().display());
                std::mem::forget(dir);
            }
        }
    }
}

const PIN: &str = "246810";

/// A private Xvfb, stopped on drop. Programs in the root reach it through its abstract socket
/// (`@/tmp/.X11-unix/X<n>`), which a chroot does not hide: nothing of the host is mounted in.
struct Xvfb {
    number: u32,
    child: std::process::Child,
}

impl Xvfb {
    fn start() -> Result<Xvfb, String> {
        for n in (200 + std::process::id() % 300)..600 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1024x768x24", "-nolisten", "tcp", "-dpi", "96"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .map_err(|e| format!("Xvfb: {e}"))?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                if std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{n}")).is_ok() {
                    return Ok(Xvfb { number: n, child });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
        }
        Err("no X display could be started".to_owned())
    }

    fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (up to `limit`) until `check` gives a value.
fn wait_for<T>(what: &str, limit: std::time::Duration, mut check: impl FnMut() -> Option<T>) -> Result<T, String> {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check() {
            return Ok(v);
        }
        if start.elapsed() > limit {
            return Err(format!("{what}: not within {limit:?}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The installed cashier app, started inside the root on a private X display: its window
/// appears, titled OpenTill, and draws (the screenshot is kept in target/screenshots).
fn the_installed_app_opens(root: &mut Root) -> Result<(), String> {
    root.mount_proc()?;
    let x = Xvfb::start()?;
    let mut app = Command::new("chroot")
        .arg(&root.path)
        .args(["/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"])
        .arg(format!("DISPLAY={}", x.name()))
        .args([
            "GDK_BACKEND=x11",
            "NO_AT_BRIDGE=1",
            "TILL_DATA_DIR=/srv/app-data",
            "opentill",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("opentill: {e}"))?;
    let shown = wait_for("the OpenTill window", std::time::Duration::from_secs(120), || {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^OpenTill$"])
            .env("DISPLAY", x.name())
            .output()
            .ok()?;
        (found.status.success() && !found.stdout.is_empty()).then_some(())
    });
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots/installed-app-login.png");
    let drawn = shown.and_then(|()| {
        // Drawn: the screen holds more than the window's blank background.
        wait_for("the login screen drawn", std::time::Duration::from_secs(120), || {
            let colours = Command::new("import")
                .args(["-display", &x.name(), "-window", "root"])
                .arg(&shot)
                .status()
                .ok()
                .filter(|s| s.success())
                .and_then(|_| {
                    Command::new("identify")
                        .args(["-format", "%k"])
                        .arg(&shot)
                        .output()
                        .ok()
                })
                .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u32>().ok())?;
            (colours > 64).then_some(colours)
        })
    });
    let _ = app.kill();
    let output = app.wait_with_output().map_err(|e| e.to_string())?;
    drawn
        .map(|_| ())
        .map_err(|e| format!("{e}; the app said: {}", String::from_utf8_lossy(&output.stderr)))
}

fn debian_root() -> Option<PathBuf> {
    let root = std::env::var_os("OPENTILL_DEBIAN_ROOT").map(PathBuf::from);
    if root.is_none() {
        eprintln!("skipped: no clean Debian root (OPENTILL_DEBIAN_ROOT); `cargo xtask test` makes it");
    }
    root
}

/// The signed repository of `debs` at /srv/opentill-apt inside `root`, and apt told to use it.
fn publish(root: &Root, debs: &[PathBuf], key: &ThrowawayGpg) -> Result<(), String> {
    let repo = root.path.join("srv/opentill-apt");
    linux::apt_repository(debs, &repo, &key.gpg)?;
    std::fs::write(
        root.path.join("etc/apt/sources.list.d/opentill.sources"),
        "Types: deb\nURIs: file:/srv/opentill-apt\nSuites: stable\nComponents: main\n\
         Signed-By: /srv/opentill-apt/opentill-archive-keyring.gpg\n",
    )
    .map_err(|e| e.to_string())?;
    // Only OpenTill's index is fetched: Debian's came with the clean root.
    root.ok(&[
        "apt-get",
        "-q",
        "-o",
        "Dir::Etc::sourcelist=/etc/apt/sources.list.d/opentill.sources",
        "-o",
        "Dir::Etc::sourceparts=-",
        "-o",
        "APT::Get::List-Cleanup=0",
        "update",
    ])
    .map(|_| ())
}

#[test]
fn apt_installs_into_a_clean_debian_root_upgrades_keeping_the_journal_and_removes_leaving_data() -> TestResult {
    let (Some(bin), Some(base)) = (linux_bin(), debian_root()) else {
        return Ok(());
    };
    let work = till_testkit::TempDir::new("dist-debian");
    let key = ThrowawayGpg::new("debian-root")?;
    let stage = work.path().join("stage");
    linux::stage(&bin, &stage, Some(&key.gpg.export(false)?), None)?;
    let next = format!("{VERSION}+next1");
    let deb_n = linux::deb(&stage, &work.path().join("n"), Compression::Fast)?;
    let deb_next = linux::deb_version(&stage, &work.path().join("next"), &next, Compression::Fast)?;

    let mut root = Root::copy_of(&base)?;
    assert!(
        root.run(&["sh", "-c", "command -v till"])?.stdout.is_empty(),
        "a clean root has no till"
    );
    publish(&root, std::slice::from_ref(&deb_n), &key)?;
    let installed = root.ok(&["apt-get", "-q", "-y", "--no-install-recommends", "install", "opentill"])?;
    assert!(installed.contains("Setting up opentill"), "{installed}");
    let policy = root.ok(&["apt-cache", "policy", "opentill"])?;
    assert!(policy.contains(&format!("Installed: {VERSION}")), "{policy}");
    let version = root.ok(&["/usr/bin/till", "--version"])?;
    assert!(version.contains(VERSION), "{version}");
    for path in [
        "usr/bin/opentill",
        "usr/bin/till-display",
        "usr/share/applications/opentill.desktop",
        "usr/lib/udev/rules.d/70-opentill.rules",
    ] {
        assert!(root.path.join(path).exists(), "{path} installed");
    }
    // The installed programs find every library they link in the root apt made.
    for program in ["opentill", "till", "till-display"] {
        let linked = root.ok(&["ldd", &format!("/usr/bin/{program}")])?;
        assert!(!linked.contains("not found"), "{program}: {linked}");
    }

    the_installed_app_opens(&mut root)?;

    // A day's journal on version N.
    root.ok(&[
        "till",
        "--data-dir",
        "/srv/till-data",
        "--operator",
        "1",
        "--pin",
        "0001",
        "operator",
        "change-pin",
        "--new-pin",
        PIN,
    ])?;
    root.till(&["sale", "12.50", "--means", "cash"])?;
    root.till(&["sale", "30.00", "--means", "card"])?;
    let before = root.till(&["journal", "verify"])?;
    assert!(before.contains("hash chain intact"), "{before}");

    // N+1 published; apt upgrades; the journal is the same and still verifies.
    publish(&root, &[deb_n.clone(), deb_next], &key)?;
    let upgraded = root.ok(&["apt-get", "-q", "-y", "--no-install-recommends", "install", "opentill"])?;
    assert!(upgraded.contains(&format!("Unpacking opentill ({next})")), "{upgraded}");
    let policy = root.ok(&["apt-cache", "policy", "opentill"])?;
    assert!(policy.contains(&format!("Installed: {next}")), "{policy}");
    let after = root.till(&["journal", "verify"])?;
    assert!(after.contains("hash chain intact"), "{after}");
    let history = root.till(&["--json", "history"])?;
    assert!(
        history.contains("1250") && history.contains("3000"),
        "both sales after the upgrade: {history}"
    );

    // Removed: the programs go, the till's data stays.
    root.ok(&["apt-get", "-q", "-y", "remove", "opentill"])?;
    assert!(!root.path.join("usr/bin/till").exists(), "till removed");
    assert!(
        root.path.join("srv/till-data/journal.sqlite").exists(),
        "the journal stays"
    );
    Ok(())
}

//! The .deb as a shop installs it: into a clean Debian 12 root (made once by `cargo xtask test`
//! with debootstrap, `OPENTILL_DEBIAN_ROOT`; copied afresh for the test), from the signed apt
//! repository, by apt inside the root, which verifies the signature and resolves the
//! dependencies from Debian. The installed `till`, enrolled in a real back office, finds N+1 for
//! its shop, refuses a package altered after signing and anything while the app holds the
//! journal, and installs the good one through its updater; apt then upgrades it to N+2 from the
//! repository. The journal and its hash chain come through both, and removing the package
//! leaves the data.

use crate::support::*;
use opentill_installers::linux::{self, Compression};
use opentill_installers::{VERSION, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use till_testkit::office::{Office, serve_files};

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
        self.run_env(&[], args)
    }

    /// `args` run inside the root as root, with a plain environment and `env` (`KEY=VALUE`).
    fn run_env(&self, env: &[&str], args: &[&str]) -> Result<Output, String> {
        Command::new("chroot")
            .arg(&self.path)
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "HOME=/root",
            ])
            .args(env)
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

    /// `till ARGS` on the data folder /srv/till-data, in English, operator 1 logged in.
    fn till_line<'a>(args: &[&'a str]) -> Vec<&'a str> {
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
        all
    }

    /// `till` inside the root on the data folder /srv/till-data.
    fn till(&self, args: &[&str]) -> Result<String, String> {
        self.ok(&Self::till_line(args))
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

/// The installed version's next patch release, as the back office publishes it.
fn next_release() -> String {
    let mut parts: Vec<u64> = VERSION
        .split(['.', '-', '+'])
        .take(3)
        .filter_map(|p| p.parse().ok())
        .collect();
    parts.resize(3, 0);
    format!("{}.{}.{}", parts[0], parts[1], parts[2] + 1)
}

/// `till ARGS` in the root, with the update key this till was built to trust: its exit code
/// and what it said.
fn till_with_key(root: &Root, key: &str, args: &[&str]) -> Result<(i32, String), String> {
    let env = format!("OPENTILL_UPDATE_PUBKEY={key}");
    let out = root.run_env(&[&env], &Root::till_line(args))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.code().unwrap_or(-1), said))
}

fn installed_version(root: &Root) -> Result<String, String> {
    root.ok(&["dpkg-query", "-W", "-f=${Version}", "opentill"])
}

/// Issue 14 end to end: the installed till (version N) enrolled in a real till-host finds N+1
/// for its shop. A package altered after signing, or signed with another key, is refused and N
/// runs on; while the app holds the journal nothing installs; then the good package is
/// downloaded, verified, and installed by the updater the app leaves behind (`till update
/// --apply`), which restarts the app.
fn updated_from_the_back_office(root: &Root, deb_next: &Path, next: &str) -> Result<(), String> {
    use base64::Engine;
    let err = |e: till_testkit::pg::Error| e.to_string();
    let bin = linux_bin().ok_or("no OPENTILL_DIST_BIN")?;
    let office = Office::start(&bin.join("till-host"), "Dim Sum Ltd", "owner@dimsum.example").map_err(err)?;
    let owner = office.owner_session().map_err(err)?;
    let shop = office
        .create_shop(&owner, "點心 Dim Sum", "香港旺角彌敦道 600 號")
        .map_err(err)?;
    let code = office.pos_code(&owner, &shop).map_err(err)?;
    let enrolled = root.till(&["enrol", "--host", &office.url(), "--code", &code])?;
    assert!(enrolled.contains("Dim Sum"), "{enrolled}");

    // The release key (a throwaway pair): N+1's .deb signed with it, and a copy altered after.
    let keys = minisign::KeyPair::generate_unencrypted_keypair().map_err(|e| e.to_string())?;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let public = b64(keys.pk.to_box().map_err(|e| e.to_string())?.into_string());
    let package = std::fs::read(deb_next).map_err(|e| e.to_string())?;
    let name = deb_next
        .file_name()
        .ok_or("the package has no name")?
        .to_string_lossy()
        .into_owned();
    let mut altered = package.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x01;
    let signature = minisign::sign(None, &keys.sk, std::io::Cursor::new(&package), Some(&name), None)
        .map_err(|e| e.to_string())?
        .into_string();
    let sig_file = root.path.join("../next.sig");
    std::fs::write(&sig_file, b64(signature)).map_err(|e| e.to_string())?;
    let sig_file = sig_file.display().to_string();
    // A manifest whose signature is another key's, over the very same package.
    let stranger = minisign::KeyPair::generate_unencrypted_keypair().map_err(|e| e.to_string())?;
    let foreign = minisign::sign(None, &stranger.sk, std::io::Cursor::new(&package), Some(&name), None)
        .map_err(|e| e.to_string())?
        .into_string();
    let foreign_file = root.path.join("../foreign.sig");
    std::fs::write(&foreign_file, b64(foreign)).map_err(|e| e.to_string())?;
    let foreign_file = foreign_file.display().to_string();
    let base = serve_files(vec![(name.clone(), package), (format!("altered-{name}"), altered)]).map_err(err)?;
    let release = next_release();
    let platform = till_sync::update::platform();
    for (channel, file, sig) in [
        ("stable", name.clone(), &sig_file),
        ("tampered", format!("altered-{name}"), &sig_file),
        ("foreign", name.clone(), &foreign_file),
    ] {
        let out = office
            .till_host(&[
                "publish-release",
                "--channel",
                channel,
                "--version",
                &release,
                "--notes",
                "Faster receipts",
                "--package",
                &format!("{platform}={base}/{file}={sig}"),
            ])
            .map_err(err)?;
        assert!(
            out.status.success(),
            "publish: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let follow = |channel: &str| -> Result<(), String> {
        // The fresh cluster's one merchant.
        let out = office
            .till_host(&["shop-updates", "--merchant", "1", "--shop", &shop, "--channel", channel])
            .map_err(err)?;
        assert!(
            out.status.success(),
            "shop-updates: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    };
    follow("tampered")?;

    // Found, then refused: the package does not match its signature. N runs on, nothing kept.
    let (rc, said) = till_with_key(root, &public, &["update"])?;
    assert_eq!(rc, 0, "{said}");
    assert!(said.contains(&format!("Update available: {release}")), "{said}");
    let (rc, said) = till_with_key(root, &public, &["update", "--install"])?;
    assert_eq!(rc, 6, "{said}");
    assert!(said.contains("does not match its signature"), "{said}");
    assert_eq!(installed_version(root)?, VERSION);
    let kept = root.path.join("srv/till-data/updates");
    assert!(
        std::fs::read_dir(&kept).map_or(0, |d| d.count()) == 0,
        "nothing of the altered package is kept"
    );

    // A manifest signed with another key: refused the same way.
    follow("foreign")?;
    let (rc, said) = till_with_key(root, &public, &["update", "--install"])?;
    assert_eq!(rc, 6, "{said}");
    assert!(said.contains("does not match its signature"), "{said}");
    assert_eq!(installed_version(root)?, VERSION);
    assert!(
        std::fs::read_dir(&kept).map_or(0, |d| d.count()) == 0,
        "nothing of the foreign-signed package is kept"
    );

    // The good package, while the app holds the journal (as while it sells): not installed.
    follow("stable")?;
    let env = format!("OPENTILL_UPDATE_PUBKEY={public}");
    let held = root.run_env(
        &[&env],
        &[
            &["flock", "/srv/till-data/journal.sqlite.lock"][..],
            &Root::till_line(&["update", "--install"]),
        ]
        .concat(),
    )?;
    assert_eq!(held.status.code(), Some(7), "installed beside a running app");
    assert!(
        String::from_utf8_lossy(&held.stderr).contains("already using this till's data"),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    assert_eq!(installed_version(root)?, VERSION);

    // Downloaded and verified, then installed by the updater as the app runs it (its standard
    // input at end: the app has exited), which starts the app again.
    let (rc, said) = till_with_key(root, &public, &["update", "--download-only"])?;
    assert_eq!(rc, 0, "{said}");
    let in_root = format!("/srv/till-data/updates/{name}");
    assert!(kept.join(&name).exists(), "{said}");
    let (rc, said) = till_with_key(
        root,
        &public,
        &[
            "update",
            "--apply",
            &in_root,
            "--relaunch",
            "/bin/sh",
            "--relaunch-arg=-c",
            "--relaunch-arg=till --version > /srv/relaunched",
        ],
    )?;
    assert_eq!(rc, 0, "{said}");
    assert_eq!(installed_version(root)?, next, "N+1 installed by apt");
    let outcome = std::fs::read_to_string(kept.join("outcome.json")).map_err(|e| e.to_string())?;
    assert!(outcome.contains("\"installed\":true"), "{outcome}");
    assert!(!kept.join(&name).exists(), "an installed package is not kept");
    let relaunched = wait_for("the relaunched program", std::time::Duration::from_secs(60), || {
        std::fs::read_to_string(root.path.join("srv/relaunched"))
            .ok()
            .filter(|t| t.contains(VERSION))
    })?;
    assert!(relaunched.contains("till"), "{relaunched}");
    Ok(())
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
    let next2 = format!("{VERSION}+next2");
    let deb_next2 = linux::deb_version(&stage, &work.path().join("next2"), &next2, Compression::Fast)?;

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

    // N+1 from the shop's back office, through the till's own updater.
    updated_from_the_back_office(&root, &deb_next, &next)?;

    // N+2 published in the apt repository; apt upgrades; the journal is the same and still
    // verifies.
    publish(&root, &[deb_n.clone(), deb_next, deb_next2], &key)?;
    let upgraded = root.ok(&["apt-get", "-q", "-y", "--no-install-recommends", "install", "opentill"])?;
    assert!(
        upgraded.contains(&format!("Unpacking opentill ({next2})")),
        "{upgraded}"
    );
    let policy = root.ok(&["apt-cache", "policy", "opentill"])?;
    assert!(policy.contains(&format!("Installed: {next2}")), "{policy}");
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

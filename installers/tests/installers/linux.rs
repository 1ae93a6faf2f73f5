//! The .deb through a signed apt repository, checked by apt itself; the .rpm checked by rpm.

use crate::support::*;
use opentill_installers::linux::{self, Compression};
use opentill_installers::{VERSION, sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An apt of its own: `-o Dir=<root>` reads its sources, keeps its lists and cache under
/// `root`, and leaves the machine's apt alone.
struct Apt {
    root: PathBuf,
}

impl Apt {
    fn new(root: &Path, repo: &Path, keyring: &Path) -> Result<Apt, String> {
        for d in [
            "etc/apt/sources.list.d",
            "etc/apt/apt.conf.d",
            "etc/apt/preferences.d",
            "etc/apt/trusted.gpg.d",
            "var/lib/apt/lists/partial",
            "var/cache/apt/archives/partial",
            "var/lib/dpkg",
        ] {
            std::fs::create_dir_all(root.join(d)).map_err(|e| e.to_string())?;
        }
        std::fs::write(root.join("var/lib/dpkg/status"), "").map_err(|e| e.to_string())?;
        let sources = format!(
            "Types: deb\nURIs: file:{}\nSuites: stable\nComponents: main\nSigned-By: {}\n",
            repo.display(),
            keyring.display()
        );
        std::fs::write(root.join("etc/apt/sources.list.d/opentill.sources"), sources).map_err(|e| e.to_string())?;
        Ok(Apt {
            root: root.to_path_buf(),
        })
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.arg("-o")
            .arg(format!("Dir={}", self.root.display()))
            .arg("-o")
            .arg(format!(
                "Dir::State::status={}",
                self.root.join("var/lib/dpkg/status").display()
            ))
            .args(["-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-q"])
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    }

    fn update(&self) -> Result<Output, String> {
        let _ = std::fs::remove_dir_all(self.root.join("var/lib/apt/lists"));
        std::fs::create_dir_all(self.root.join("var/lib/apt/lists/partial")).map_err(|e| e.to_string())?;
        self.command("apt-get")
            .arg("update")
            .output()
            .map_err(|e| e.to_string())
    }

    /// The version apt would install, if it offers one.
    fn candidate(&self) -> Result<Option<String>, String> {
        let policy = text(
            self.command("apt-cache").args(["policy", "opentill"]),
            "apt-cache policy",
        )?;
        Ok(policy
            .lines()
            .find_map(|l| l.trim().strip_prefix("Candidate:"))
            .map(|v| v.trim().to_owned())
            .filter(|v| v != "(none)"))
    }
}

/// The packages' files laid out under `dir/stage`, with `key` as the repository's and an apt
/// source naming a repository URL.
fn staged(bin: &Path, dir: &Path, key: &ThrowawayGpg) -> Result<PathBuf, String> {
    let stage = dir.join("stage");
    linux::stage(
        bin,
        &stage,
        Some(&key.gpg.export(false)?),
        Some("https://apt.opentill.invalid"),
    )?;
    Ok(stage)
}

fn both(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The .deb holds what a till needs, apt verifies the repository's signature and serves the
/// exact .deb, and a Release file changed after signing is refused (as InRelease, and as
/// Release beside Release.gpg).
#[test]
fn apt_verifies_the_signed_repository_and_refuses_an_altered_release() -> TestResult {
    let Some(bin) = linux_bin() else { return Ok(()) };
    let dir = till_testkit::TempDir::new("dist-apt");
    let key = ThrowawayGpg::new("apt")?;
    let stage = staged(&bin, dir.path(), &key)?;
    let deb = linux::deb(&stage, &dir.path().join("out"), Compression::Fast)?;
    assert!(
        !stage.join("DEBIAN").exists(),
        "the control folder is not left in the stage"
    );

    let info = text(Command::new("dpkg-deb").arg("--field").arg(&deb), "dpkg-deb --field")?;
    assert!(info.contains(&format!("Version: {VERSION}")), "{info}");
    assert!(info.contains("Depends: libwebkit2gtk-4.1-0"), "{info}");
    let contents = text(
        Command::new("dpkg-deb").arg("--contents").arg(&deb),
        "dpkg-deb --contents",
    )?;
    for path in [
        "./usr/bin/opentill",
        "./usr/bin/till",
        "./usr/bin/till-display",
        "./usr/bin/till-terminal-sim",
        "./usr/share/applications/opentill.desktop",
        "./usr/share/icons/hicolor/128x128/apps/opentill.png",
        "./usr/lib/udev/rules.d/70-opentill.rules",
        "./usr/share/keyrings/opentill-archive-keyring.gpg",
        "./etc/apt/sources.list.d/opentill.sources",
    ] {
        assert!(contents.contains(path), "{path} in the .deb:\n{contents}");
    }
    assert!(
        contents
            .lines()
            .filter(|l| l.contains("./usr/bin/") && !l.starts_with('d'))
            .all(|l| l.starts_with("-rwxr-xr-x root/root")),
        "programs are root's and executable:\n{contents}"
    );

    let repo = linux::apt_repository(std::slice::from_ref(&deb), &dir.path().join("repo"), &key.gpg)?;
    let keyring = repo.join("opentill-archive-keyring.gpg");
    assert!(
        std::fs::read_to_string(repo.join("opentill-release.asc"))?.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "the armoured key for rpm beside the keyring"
    );
    let apt = Apt::new(&dir.path().join("apt"), &repo, &keyring)?;
    let updated = apt.update()?;
    assert!(updated.status.success(), "apt-get update: {}", both(&updated));
    assert_eq!(apt.candidate()?.as_deref(), Some(VERSION), "apt offers the package");
    let download = dir.path().join("download");
    std::fs::create_dir_all(&download)?;
    let fetched = apt
        .command("apt-get")
        .args(["download", "opentill"])
        .current_dir(&download)
        .output()?;
    assert!(fetched.status.success(), "apt-get download: {}", both(&fetched));
    let got = std::fs::read_dir(&download)?.next().ok_or("a downloaded .deb")??.path();
    assert_eq!(sha256(&got)?, sha256(&deb)?, "apt fetched the very .deb that was built");

    // Altered after signing: the signed text of InRelease says another label.
    let in_release = repo.join("dists/stable/InRelease");
    let signed = std::fs::read_to_string(&in_release)?;
    std::fs::write(&in_release, signed.replace("Label: OpenTill", "Label: 0penTill"))?;
    let refused = apt.update()?;
    let said = both(&refused);
    assert!(
        said.contains("BADSIG") || said.contains("invalid"),
        "apt names the bad signature: {said}"
    );
    assert_eq!(apt.candidate()?, None, "nothing is offered from an altered index");

    // Without InRelease, apt reads Release and Release.gpg: an altered Release is refused too.
    std::fs::remove_file(&in_release)?;
    let release = repo.join("dists/stable/Release");
    let text_before = std::fs::read_to_string(&release)?;
    std::fs::write(&release, text_before.replace("Suite: stable", "Suite: stable "))?;
    let refused = apt.update()?;
    let said = both(&refused);
    assert!(said.contains("BADSIG") || said.contains("invalid"), "{said}");
    assert_eq!(apt.candidate()?, None);
    std::fs::write(&release, text_before)?;
    let restored = apt.update()?;
    assert!(
        restored.status.success(),
        "Release as signed, beside Release.gpg: {}",
        both(&restored)
    );
    assert_eq!(apt.candidate()?.as_deref(), Some(VERSION));
    Ok(())
}

/// `rpm -K` verifies the signed .rpm against the signer's public key and refuses it after one
/// flipped byte; the package lists the same programs as the .deb, without apt's files.
#[test]
fn rpm_verifies_the_signed_rpm_and_refuses_a_flipped_byte() -> TestResult {
    let Some(bin) = linux_bin() else { return Ok(()) };
    let dir = till_testkit::TempDir::new("dist-rpm");
    let key = ThrowawayGpg::new("rpm")?;
    let stage = staged(&bin, dir.path(), &key)?;
    let rpm = linux::rpm(&stage, &dir.path().join("out"), Some(&key.gpg), Compression::Fast)?;
    let db = dir.path().join("rpmdb");
    std::fs::create_dir_all(&db)?;
    let public = dir.path().join("key.asc");
    std::fs::write(&public, key.gpg.export(true)?)?;
    let rpm_cmd = || {
        let mut c = Command::new("rpm");
        c.arg("--dbpath").arg(&db);
        c
    };
    opentill_installers::run(rpm_cmd().arg("--import").arg(&public), "rpm --import")?;
    let checked = rpm_cmd().arg("-K").arg(&rpm).output()?;
    let said = both(&checked);
    assert!(checked.status.success(), "{said}");
    assert!(said.contains("signatures OK"), "{said}");
    let listed = text(rpm_cmd().arg("-qpl").arg(&rpm), "rpm -qpl")?;
    for path in [
        "/usr/bin/opentill",
        "/usr/bin/till",
        "/usr/lib/udev/rules.d/70-opentill.rules",
    ] {
        assert!(listed.lines().any(|l| l == path), "{path} in the .rpm:\n{listed}");
    }
    assert!(!listed.contains("/etc/apt"), "no apt files in the .rpm:\n{listed}");

    let bad = flipped(&rpm, 200)?;
    let checked = rpm_cmd().arg("-K").arg(&bad).output()?;
    assert!(
        !checked.status.success(),
        "a flipped byte must fail: {}",
        both(&checked)
    );

    // Without the signer's key, the signature cannot be trusted.
    let other_db = dir.path().join("empty-rpmdb");
    std::fs::create_dir_all(&other_db)?;
    let unknown = Command::new("rpm")
        .arg("--dbpath")
        .arg(&other_db)
        .arg("-K")
        .arg(&rpm)
        .output()?;
    assert!(!unknown.status.success(), "an unknown signer: {}", both(&unknown));
    Ok(())
}

//! The Linux packages: one staged tree of files, packed as a `.deb` and as a `.rpm`, and the
//! signed apt repository that serves the `.deb`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Gpg, Result, VERSION, install_file, output, run, templates, write_file};

/// The programs a package holds, from the build folder: the cashier app, the command line,
/// the customer screen, and the terminal simulator the demo till talks to.
pub const PROGRAMS: [&str; 4] = ["opentill", "till", "till-display", "till-terminal-sim"];

/// Where apt finds the repository's key (`signed-by`).
pub const KEYRING: &str = "usr/share/keyrings/opentill-archive-keyring.gpg";

/// Lays out the packages' files under `stage` from the programs in `bin` (debug information
/// stripped): programs in /usr/bin, the desktop entry and icon, the udev rules; with `keyring`,
/// the repository's public key for apt, and with `apt_url` too, the apt source that names it.
pub fn stage(bin: &Path, stage: &Path, keyring: Option<&[u8]>, apt_url: Option<&str>) -> Result<()> {
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    }
    for program in PROGRAMS {
        let to = stage.join("usr/bin").join(program);
        install_file(&bin.join(program), &to, 0o755)?;
        run(
            Command::new("strip").arg("--strip-debug").arg(&to),
            &format!("strip {program}"),
        )?;
    }
    let t = templates();
    install_file(
        &t.join("debian/opentill.desktop"),
        &stage.join("usr/share/applications/opentill.desktop"),
        0o644,
    )?;
    install_file(
        &t.join("../src-tauri/icons/icon.png"),
        &stage.join("usr/share/icons/hicolor/128x128/apps/opentill.png"),
        0o644,
    )?;
    install_file(
        &t.join("debian/70-opentill.rules"),
        &stage.join("usr/lib/udev/rules.d/70-opentill.rules"),
        0o644,
    )?;
    install_file(
        &t.join("../LICENSE"),
        &stage.join("usr/share/doc/opentill/copyright"),
        0o644,
    )
    .or_else(|_| {
        write_file(
            &stage.join("usr/share/doc/opentill/copyright"),
            b"OpenTill, Apache-2.0\n",
            0o644,
        )
    })?;
    if let Some(key) = keyring {
        write_file(&stage.join(KEYRING), key, 0o644)?;
        if let Some(url) = apt_url {
            let sources = std::fs::read_to_string(t.join("debian/opentill.sources"))
                .map_err(|e| format!("opentill.sources: {e}"))?
                .replace("@APT_URL@", url);
            write_file(
                &stage.join("etc/apt/sources.list.d/opentill.sources"),
                sources.as_bytes(),
                0o644,
            )?;
        }
    }
    Ok(())
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

fn size_kib(dir: &Path) -> Result<u64> {
    let mut bytes = 0;
    for f in files(dir)? {
        bytes += std::fs::metadata(dir.join(&f)).map_err(|e| e.to_string())?.len();
    }
    Ok(bytes.div_ceil(1024))
}

/// How hard dpkg-deb, rpmbuild and makensis compress: releases as small as they get, tests fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Release,
    Fast,
}

/// The `.deb` of `stage`, written into `out`.
pub fn deb(stage: &Path, out: &Path, compression: Compression) -> Result<PathBuf> {
    deb_version(stage, out, VERSION, compression)
}

/// The packages `opentill` depends on (its control file's `Depends`), for a root that must have
/// them at hand.
pub fn depends() -> Result<Vec<String>> {
    let control =
        std::fs::read_to_string(templates().join("debian/control")).map_err(|e| format!("debian/control: {e}"))?;
    let line = control
        .lines()
        .find_map(|l| l.strip_prefix("Depends:"))
        .ok_or("debian/control has no Depends")?;
    Ok(line
        .split(',')
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect())
}

/// [`deb`] carrying another package version (an upgrade's N+1 in the tests).
pub fn deb_version(stage: &Path, out: &Path, version: &str, compression: Compression) -> Result<PathBuf> {
    let t = templates();
    let control = std::fs::read_to_string(t.join("debian/control"))
        .map_err(|e| format!("debian/control: {e}"))?
        .replace("@VERSION@", version)
        .replace("@INSTALLED_KB@", &size_kib(stage)?.to_string());
    let meta = stage.join("DEBIAN");
    write_file(&meta.join("control"), control.as_bytes(), 0o644)?;
    install_file(&t.join("debian/postinst"), &meta.join("postinst"), 0o755)?;
    if stage.join("etc/apt/sources.list.d/opentill.sources").exists() {
        write_file(
            &meta.join("conffiles"),
            b"/etc/apt/sources.list.d/opentill.sources\n",
            0o644,
        )?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let file = out.join(format!("opentill_{version}_amd64.deb"));
    let level: &[&str] = match compression {
        Compression::Release => &["-Zxz", "-z9"],
        Compression::Fast => &["-Zgzip", "-z1"],
    };
    let built = run(
        Command::new("dpkg-deb")
            .arg("--root-owner-group")
            .args(level)
            .arg("--build")
            .arg(stage)
            .arg(&file),
        "dpkg-deb --build",
    );
    let _ = std::fs::remove_dir_all(&meta);
    built.map(|()| file)
}

/// A signed apt repository in `out` serving `debs` as suite `stable`, component `main`:
/// `pool/`, `dists/stable/{Release,InRelease,Release.gpg}` and the Packages index, and the
/// public key as `opentill-archive-keyring.gpg` for `signed-by` (and armoured, as
/// `opentill-release.asc`, for rpm).
pub fn apt_repository(debs: &[PathBuf], out: &Path, gpg: &Gpg) -> Result<PathBuf> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let pool = out.join("pool/main/o/opentill");
    for deb in debs {
        let name = deb.file_name().ok_or("a .deb without a name")?;
        install_file(deb, &pool.join(name), 0o644)?;
    }
    let dist = out.join("dists/stable");
    let index = dist.join("main/binary-amd64");
    std::fs::create_dir_all(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    let packages = output(
        Command::new("apt-ftparchive")
            .args(["packages", "pool"])
            .current_dir(out),
        "apt-ftparchive packages",
    )?;
    write_file(&index.join("Packages"), &packages, 0o644)?;
    run(
        Command::new("gzip")
            .args(["-9", "-k", "-f", "-n"])
            .arg(index.join("Packages")),
        "gzip Packages",
    )?;
    let release = output(
        Command::new("apt-ftparchive")
            .args([
                "-o",
                "APT::FTPArchive::Release::Origin=OpenTill",
                "-o",
                "APT::FTPArchive::Release::Label=OpenTill",
                "-o",
                "APT::FTPArchive::Release::Suite=stable",
                "-o",
                "APT::FTPArchive::Release::Codename=stable",
                "-o",
                "APT::FTPArchive::Release::Components=main",
                "-o",
                "APT::FTPArchive::Release::Architectures=amd64",
                "release",
                ".",
            ])
            .current_dir(&dist),
        "apt-ftparchive release",
    )?;
    write_file(&dist.join("Release"), &release, 0o644)?;
    // InRelease (the Release text clear-signed) and Release.gpg (a detached signature), as
    // apt reads one or the other.
    for (name, mode) in [
        ("InRelease", &["--clearsign"][..]),
        ("Release.gpg", &["--armor", "--detach-sign"][..]),
    ] {
        run(
            gpg.command()
                .args(["--local-user", &gpg.key, "--digest-algo", "SHA512"])
                .args(mode)
                .arg("--output")
                .arg(dist.join(name))
                .arg(dist.join("Release")),
            &format!("gpg: signing {name}"),
        )?;
    }
    write_file(&out.join("opentill-archive-keyring.gpg"), &gpg.export(false)?, 0o644)?;
    // The same key armoured, for `rpm --import` and for people who check by hand.
    write_file(&out.join("opentill-release.asc"), &gpg.export(true)?, 0o644)?;
    Ok(out.to_path_buf())
}

/// The `.rpm` of `stage` (without apt's files), written into `out`, signed with `gpg` if given.
pub fn rpm(stage: &Path, out: &Path, gpg: Option<&Gpg>, compression: Compression) -> Result<PathBuf> {
    let work = out.join("rpmbuild");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let listed: Vec<String> = files(stage)?
        .into_iter()
        .filter(|f| !f.starts_with("etc/apt") && !f.starts_with("usr/share/keyrings"))
        .map(|f| format!("/{}", f.display()))
        .collect();
    let kept = work.join("stage");
    for f in &listed {
        let rel = f.trim_start_matches('/');
        let mode = if rel.starts_with("usr/bin/") { 0o755 } else { 0o644 };
        install_file(&stage.join(rel), &kept.join(rel), mode)?;
    }
    let spec = std::fs::read_to_string(templates().join("rpm/opentill.spec"))
        .map_err(|e| format!("rpm/opentill.spec: {e}"))?
        .replace("@VERSION@", VERSION)
        .replace("@STAGE@", &kept.to_string_lossy())
        .replace("@FILES@", &listed.join("\n"));
    let spec_file = work.join("opentill.spec");
    write_file(&spec_file, spec.as_bytes(), 0o644)?;
    let payload = match compression {
        Compression::Release => "w9.xzdio",
        Compression::Fast => "w1.gzdio",
    };
    let define = |k: &str, v: &str| ["--define".to_owned(), format!("{k} {v}")];
    let mut cmd = Command::new("rpmbuild");
    cmd.arg("-bb")
        .args(define("_topdir", &work.to_string_lossy()))
        .args(define("_rpmdir", &out.to_string_lossy()))
        .args(define("_build_name_fmt", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm"))
        .args(define("_binary_payload", payload))
        // Debian's rpm has no debuginfo/brp scripts to run over the staged programs.
        .args(define("__os_install_post", "%{nil}"))
        .args(define("debug_package", "%{nil}"))
        .arg(&spec_file);
    run(&mut cmd, "rpmbuild -bb")?;
    let _ = std::fs::remove_dir_all(&work);
    let file = out.join(format!("opentill-{VERSION}-1.x86_64.rpm"));
    if let Some(gpg) = gpg {
        let mut sign = Command::new("rpmsign");
        sign.arg("--addsign")
            .args(define("_gpg_name", &gpg.key))
            // Debian's rpm looks for gpg2; gpg is GnuPG 2 everywhere now.
            .args(define("__gpg", "/usr/bin/gpg"))
            .arg(&file);
        if let Some(home) = &gpg.home {
            sign.args(define("_gpg_path", &home.to_string_lossy()));
            sign.env("GNUPGHOME", home);
        }
        run(&mut sign, "rpmsign --addsign")?;
    }
    Ok(file)
}

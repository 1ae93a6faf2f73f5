//! `cargo xtask dist [--unsigned] [--linux|--windows]`: the release packages in `target/dist`,
//! with a `SHA256SUMS` over them. The release builds, then (opentill-installers):
//!
//! - `opentill_<v>_amd64.deb`, and `apt/` — a signed apt repository serving it (publish the
//!   folder as it is; its `opentill-archive-keyring.gpg` is the key shops install);
//! - `opentill-<v>-1.x86_64.rpm`, signed with rpmsign;
//! - `OpenTill-Setup-<v>.exe`, the NSIS installer, every program in it and itself
//!   Authenticode-signed.
//!
//! Keys come from the environment of whoever signs, never from the repository:
//!
//! | variable | what |
//! |---|---|
//! | `OPENTILL_GPG_KEY` | the GnuPG key (id, fingerprint or user id) that signs the apt repository and the .rpm; `GNUPGHOME` as gpg reads it |
//! | `OPENTILL_APT_URL` | where the apt repository will be published: the .deb then ships the apt source naming it, so apt updates the till |
//! | `OPENTILL_SIGN_CERTS` | the Authenticode certificate chain (PEM or SPC) |
//! | `OPENTILL_SIGN_KEY` | its private key file — or, with `OPENTILL_SIGN_PKCS11_MODULE`, the key's `pkcs11:` URI on a token |
//! | `OPENTILL_SIGN_PASSWORD_FILE` | a file holding the key file's passphrase, if it has one |
//!
//! `--unsigned` makes the same packages without any signature (to try them out; never publish).

use opentill_installers::linux::{self, Compression};
use opentill_installers::{Authenticode, Gpg, checksums, windows as nsis};
use std::path::{Path, PathBuf};

/// Debian packages the packaging tools come from.
pub const PACKAGES: &[&str] = &["nsis", "rpm", "apt-utils", "osslsigncode", "gnupg", "binutils"];

/// What the release app's webcam support (`opentill-app/camera`: nokhwa's V4L2 bindings, made
/// by bindgen) needs at build time on Linux; nothing of it is needed where the app runs.
const CAMERA_PACKAGES: &[&str] = &["libclang-dev"];

/// The repository's root (xtask's parent folder).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The GnuPG key to sign with, if any; `required` makes its absence an error.
fn gpg(required: bool) -> Result<Option<Gpg>, String> {
    match env("OPENTILL_GPG_KEY") {
        Some(key) => Ok(Some(Gpg {
            home: env("GNUPGHOME").map(PathBuf::from),
            key,
        })),
        None if required => Err("set OPENTILL_GPG_KEY to the release GnuPG key (or pass --unsigned)".to_owned()),
        None => Ok(None),
    }
}

/// The Authenticode identity, if any; `required` makes its absence an error.
fn authenticode(required: bool) -> Result<Option<Authenticode>, String> {
    let certs = env("OPENTILL_SIGN_CERTS").map(PathBuf::from);
    let key = env("OPENTILL_SIGN_KEY");
    Ok(match (certs, key, env("OPENTILL_SIGN_PKCS11_MODULE")) {
        (Some(certs), Some(key_uri), Some(module)) => Some(Authenticode::Pkcs11 {
            module: module.into(),
            key_uri,
            certs,
        }),
        (Some(certs), Some(key), None) => Some(Authenticode::Files {
            certs,
            key: key.into(),
            password_file: env("OPENTILL_SIGN_PASSWORD_FILE").map(PathBuf::from),
        }),
        _ if required => {
            return Err(
                "set OPENTILL_SIGN_CERTS and OPENTILL_SIGN_KEY (a key file, or a pkcs11: URI with \
                 OPENTILL_SIGN_PKCS11_MODULE) for Authenticode (or pass --unsigned)"
                    .to_owned(),
            );
        }
        _ => None,
    })
}

/// The minisign key that signs the packages for the tills' updater, and its password; the
/// public half must be built into the programs (`OPENTILL_UPDATE_PUBKEY`, read when they
/// compile), or no till could verify what it is sent.
fn update_key(required: bool) -> Result<Option<(PathBuf, Option<String>)>, String> {
    let key = env("OPENTILL_UPDATE_KEY").map(PathBuf::from);
    let public = env("OPENTILL_UPDATE_PUBKEY");
    match (key, public) {
        (Some(key), Some(_)) => {
            let password = match env("OPENTILL_UPDATE_PASSWORD_FILE") {
                Some(f) => Some(
                    std::fs::read_to_string(&f)
                        .map_err(|e| format!("{f}: {e}"))?
                        .trim_end_matches(['\r', '\n'])
                        .to_owned(),
                ),
                None => None,
            };
            Ok(Some((key, password)))
        }
        (Some(_), None) => {
            Err("OPENTILL_UPDATE_KEY needs OPENTILL_UPDATE_PUBKEY, the public key the tills check with".to_owned())
        }
        (None, _) if required => Err(
            "set OPENTILL_UPDATE_KEY (a minisign secret key file; OPENTILL_UPDATE_PASSWORD_FILE for its password) and \
             OPENTILL_UPDATE_PUBKEY (its public key, built into the tills) to sign updates (or pass --unsigned)"
                .to_owned(),
        ),
        (None, _) => Ok(None),
    }
}

pub fn dist(args: &[String]) -> Result<(), String> {
    let unsigned = args.iter().any(|a| a == "--unsigned");
    let only_linux = args.iter().any(|a| a == "--linux");
    let only_windows = args.iter().any(|a| a == "--windows");
    crate::ensure(PACKAGES)?;
    // Keys first: a missing one fails in a second, not after the builds.
    let gpg = gpg(!unsigned && !only_windows)?;
    let sign = authenticode(!unsigned && !only_linux)?;
    let update_key = update_key(!unsigned)?;
    let out = root().join("target/dist");
    if only_linux || only_windows {
        // One platform's packages are made again; the other's stay for `bench --dist`.
        let windows = |name: &str| name.ends_with(".exe") || name.ends_with(".exe.sig");
        for entry in std::fs::read_dir(&out).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if windows(&name) == only_windows || name == "SHA256SUMS" {
                let path = entry.path();
                let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
            }
        }
    } else {
        let _ = std::fs::remove_dir_all(&out);
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut made = Vec::new();
    if !only_windows {
        crate::ensure_packages()?;
        crate::ensure(CAMERA_PACKAGES)?;
        crate::build_ui()?;
        crate::cargo(
            &[
                "build",
                "--profile",
                "release-lto",
                "-p",
                "opentill-app",
                "--features",
                "opentill-app/camera",
                "--bin",
                "opentill",
                "-p",
                "till-cli",
                "--bin",
                "till",
                "-p",
                "till-display",
                "--bin",
                "till-display",
                "-p",
                "till-terminal",
                "--bin",
                "till-terminal-sim",
            ],
            &[],
        )?;
        let bin = root().join("target/release-lto");
        let stage = out.join("stage");
        let keyring = gpg.as_ref().map(|g| g.export(false)).transpose()?;
        let url = env("OPENTILL_APT_URL");
        linux::stage(&bin, &stage, keyring.as_deref(), url.as_deref())?;
        let deb = linux::deb(&stage, &out, Compression::Release)?;
        made.push(linux::rpm(&stage, &out, gpg.as_ref(), Compression::Release)?);
        if let Some(g) = &gpg {
            let repo = linux::apt_repository(std::slice::from_ref(&deb), &out.join("apt"), g)?;
            made.push(repo.join("dists/stable/InRelease"));
            made.push(repo.join("opentill-archive-keyring.gpg"));
        }
        made.push(deb);
        let _ = std::fs::remove_dir_all(&stage);
    }
    if !only_linux {
        let bin = crate::windows::build_profile(true, true)?;
        made.push(nsis::installer(
            &bin,
            &nsis::FILES,
            &out,
            sign.as_ref(),
            Compression::Release,
        )?);
    }
    if let Some((key, password)) = &update_key {
        // The updater's signatures, for `till-host publish-release --package PLATFORM=URL=SIG`.
        let packages: Vec<PathBuf> = made
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "deb" || e == "rpm" || e == "exe"))
            .cloned()
            .collect();
        for p in packages {
            made.push(opentill_installers::update::sign_update(&p, key, password.as_deref())?);
        }
    }
    let sums = checksums(&out, &made)?;
    for f in made.iter().chain([&sums]) {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        eprintln!("xtask: {:>12} bytes  {}", size, f.display());
    }
    if unsigned {
        eprintln!("xtask: UNSIGNED packages, to try out only: never publish them");
    }
    Ok(())
}

/// A clean Debian 12 root for the install tests, made once and kept in
/// `target/debian-root/base`: `debootstrap --variant=minbase` from Debian's mirror, its package
/// lists, and the packages `opentill` depends on downloaded (not installed) into its apt
/// cache, so the tests install from it without the network. Remade when the dependencies in
/// `installers/debian/control` change. Costs about a minute and 350 MB the first time.
pub fn debian_root() -> Result<PathBuf, String> {
    crate::ensure(&["debootstrap"])?;
    let dir = root().join("target/debian-root");
    let base = dir.join("base");
    let marker = base.join(".opentill-ready");
    let depends = linux::depends()?.join(" ");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == depends) {
        return Ok(base);
    }
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    eprintln!("xtask: making a clean Debian 12 root in {} (once)", base.display());
    let run = |cmd: &mut std::process::Command, what: &str| opentill_installers::run(cmd, what);
    run(
        std::process::Command::new("debootstrap")
            .args(["--variant=minbase", "bookworm"])
            .arg(&base)
            .arg("http://deb.debian.org/debian"),
        "debootstrap",
    )?;
    std::fs::copy("/etc/resolv.conf", base.join("etc/resolv.conf")).map_err(|e| format!("resolv.conf: {e}"))?;
    let chroot = |args: &[&str]| {
        let mut cmd = std::process::Command::new("chroot");
        cmd.arg(&base)
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
            ])
            .args(args);
        cmd
    };
    run(&mut chroot(&["apt-get", "-q", "update"]), "apt-get update in the root")?;
    let mut download = vec![
        "apt-get",
        "-q",
        "-y",
        "--no-install-recommends",
        "--download-only",
        "install",
    ];
    download.extend(depends.split(' '));
    run(
        &mut chroot(&download),
        "downloading opentill's dependencies into the root",
    )?;
    std::fs::write(&marker, &depends).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(base)
}

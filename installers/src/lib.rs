//! OpenTill's release packages, made from built binaries by the system's own packaging tools:
//!
//! - [`linux::deb`]: a `.deb` (dpkg-deb) of the cashier app, `till`, the customer screen and the
//!   terminal simulator, with a desktop entry, icons and udev rules that let the cashier's
//!   session open PIN pads and printers; [`linux::apt_repository`]: a signed apt repository
//!   (apt-ftparchive; `InRelease` and `Release.gpg` signed with GPG) and its keyring;
//! - [`linux::rpm`]: the same files as a `.rpm` (rpmbuild), signed with `rpmsign`;
//! - [`windows::installer`]: an NSIS installer (makensis) whose every `.exe`, the uninstaller
//!   and the installer itself are Authenticode-signed with `osslsigncode`;
//! - [`update::sign_update`]: each package's minisign signature for the tills' updater.
//!
//! Keys never live in the repository: [`Gpg`] names a key in a GnuPG home, [`Authenticode`] a
//! certificate and a key file or a PKCS#11 token, both from the environment of whoever signs
//! (`cargo xtask dist`), or made up by the tests.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod linux;
pub mod update;
pub mod windows;

/// What went wrong making a package: the step and what the tool said.
pub type Result<T> = std::result::Result<T, String>;

/// The version the packages carry (the workspace's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The folder of the packaging templates (`installers/` in the checkout).
pub fn templates() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A GnuPG key to sign with: its id or fingerprint, in `home` (else gpg's default home).
#[derive(Debug, Clone)]
pub struct Gpg {
    pub home: Option<PathBuf>,
    pub key: String,
}

impl Gpg {
    /// `gpg` with this key's home, in batch mode.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("gpg");
        if let Some(home) = &self.home {
            cmd.env("GNUPGHOME", home);
        }
        cmd.args(["--batch", "--yes", "--quiet"]);
        cmd
    }

    /// The public key, binary (a keyring for apt's `signed-by`) or armoured (for `rpm --import`).
    pub fn export(&self, armored: bool) -> Result<Vec<u8>> {
        let mut cmd = self.command();
        if armored {
            cmd.arg("--armor");
        }
        cmd.args(["--export", &self.key]);
        let out = output(&mut cmd, "gpg --export")?;
        if out.is_empty() {
            return Err(format!("gpg: no public key {:?}", self.key));
        }
        Ok(out)
    }
}

/// An Authenticode signing identity for osslsigncode.
#[derive(Debug, Clone)]
pub enum Authenticode {
    /// A certificate chain (PEM or SPC) and its private key in files; `password_file` holds the
    /// key's passphrase when it has one (never given on a command line).
    Files {
        certs: PathBuf,
        key: PathBuf,
        password_file: Option<PathBuf>,
    },
    /// A key on a PKCS#11 token (a smart card or HSM): the module, the key's `pkcs11:` URI,
    /// and the certificate chain in a file.
    Pkcs11 {
        module: PathBuf,
        key_uri: String,
        certs: PathBuf,
    },
}

impl Authenticode {
    /// The osslsigncode arguments that name the identity.
    fn args(&self) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        match self {
            Authenticode::Files {
                certs,
                key,
                password_file,
            } => {
                let mut a = vec!["-certs".into(), s(certs), "-key".into(), s(key)];
                if let Some(p) = password_file {
                    a.extend(["-readpass".into(), s(p)]);
                }
                a
            }
            Authenticode::Pkcs11 { module, key_uri, certs } => vec![
                "-pkcs11module".into(),
                s(module),
                "-key".into(),
                key_uri.clone(),
                "-certs".into(),
                s(certs),
            ],
        }
    }

    /// Signs `file` in place (SHA-256, named OpenTill).
    pub fn sign(&self, file: &Path) -> Result<()> {
        let signed = file.with_extension("signed");
        let mut cmd = Command::new("osslsigncode");
        cmd.arg("sign")
            .args(self.args())
            .args(["-h", "sha256", "-n", "OpenTill", "-i", "https://opentill.invalid"])
            .arg("-in")
            .arg(file)
            .arg("-out")
            .arg(&signed);
        run(&mut cmd, &format!("osslsigncode sign {}", file.display()))?;
        std::fs::rename(&signed, file).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// A shell command line that signs the file given after it (NSIS's `!finalize`): the same
    /// arguments as [`Authenticode::sign`].
    pub fn shell_command(&self, script: &Path) -> Result<String> {
        let args: Vec<String> = self.args().iter().map(|a| quote(a)).collect();
        let body = format!(
            "#!/bin/sh\n# Signs \"$1\" in place (written by opentill-installers; no secret in it).\nset -e\n\
             osslsigncode sign {} -h sha256 -n OpenTill -i https://opentill.invalid -in \"$1\" -out \"$1.signed\"\n\
             mv \"$1.signed\" \"$1\"\n",
            args.join(" ")
        );
        std::fs::write(script, body).map_err(|e| format!("{}: {e}", script.display()))?;
        Ok(format!("sh {}", quote(&script.to_string_lossy())))
    }
}

/// `text` quoted for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Runs `cmd`; its failure names `what` and carries the tool's stderr.
pub fn run(cmd: &mut Command, what: &str) -> Result<()> {
    output(cmd, what).map(|_| ())
}

/// Runs `cmd` and returns its stdout.
pub fn output(cmd: &mut Command, what: &str) -> Result<Vec<u8>> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

/// The SHA-256 of a file, hex.
pub fn sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Writes `SHA256SUMS` in `dir` for `files` (names relative to `dir`), as `sha256sum -c` reads.
pub fn checksums(dir: &Path, files: &[PathBuf]) -> Result<PathBuf> {
    let mut text = String::new();
    for f in files {
        let name = f.strip_prefix(dir).unwrap_or(f);
        text.push_str(&format!("{}  {}\n", sha256(f)?, name.display()));
    }
    let path = dir.join("SHA256SUMS");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Copies `from` to `to`, making `to`'s folder, with `mode` (Unix permissions).
pub fn install_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::copy(from, to).map_err(|e| format!("{} -> {}: {e}", from.display(), to.display()))?;
    set_mode(to, mode)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// Writes `text` to `to` (making its folder) with `mode`.
pub fn write_file(to: &Path, text: &[u8], mode: u32) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(to, text).map_err(|e| format!("{}: {e}", to.display()))?;
    set_mode(to, mode)
}

//! Throwaway signing keys (never a real one): a GnuPG key in a home of its own, and a
//! code-signing CA with a publisher certificate under it.

use opentill_installers::{Authenticode, Gpg, output, run};
use std::path::{Path, PathBuf};
use std::process::Command;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The Linux programs the packages hold, when `cargo xtask test` built them.
pub fn linux_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("OPENTILL_DIST_BIN").map(PathBuf::from);
    if bin.is_none() {
        eprintln!("skipped: no OPENTILL_DIST_BIN (the built programs); `cargo xtask test` provides it");
    }
    bin
}

/// A GnuPG home with one signing key (ed25519, no passphrase), its agent stopped on drop.
pub struct ThrowawayGpg {
    pub gpg: Gpg,
    _dir: till_testkit::TempDir,
}

impl ThrowawayGpg {
    pub fn new(tag: &str) -> Result<ThrowawayGpg, String> {
        let dir = till_testkit::TempDir::new(tag);
        let home = dir.path().join("g");
        std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        }
        let uid = format!("OpenTill test releases ({tag}) <releases@opentill.invalid>");
        let gpg = Gpg {
            home: Some(home),
            key: uid.clone(),
        };
        run(
            gpg.command()
                .args(["--passphrase", "", "--quick-gen-key", &uid, "ed25519", "sign", "1d"]),
            "gpg --quick-gen-key",
        )?;
        Ok(ThrowawayGpg { gpg, _dir: dir })
    }
}

impl Drop for ThrowawayGpg {
    fn drop(&mut self) {
        if let Some(home) = &self.gpg.home {
            let _ = Command::new("gpgconf")
                .args(["--kill", "gpg-agent"])
                .env("GNUPGHOME", home)
                .output();
        }
    }
}

/// A code-signing root and a publisher certificate issued under it (openssl), in `dir`.
pub struct CodeSigning {
    pub identity: Authenticode,
    /// The root, for `osslsigncode verify -CAfile`.
    pub ca: PathBuf,
}

pub fn code_signing(dir: &Path) -> Result<CodeSigning, String> {
    let f = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir), "openssl");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=OpenTill test code-signing root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "publisher.key",
        "-out",
        "publisher.csr",
        "-subj",
        "/CN=OpenTill test publisher",
    ])?;
    std::fs::write(
        f("ext.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
    )
    .map_err(|e| e.to_string())?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "publisher.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "publisher.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ])?;
    let chain = [
        std::fs::read(f("publisher.pem")).map_err(|e| e.to_string())?,
        std::fs::read(f("ca.pem")).map_err(|e| e.to_string())?,
    ]
    .concat();
    std::fs::write(f("chain.pem"), chain).map_err(|e| e.to_string())?;
    Ok(CodeSigning {
        identity: Authenticode::Files {
            certs: f("chain.pem"),
            key: f("publisher.key"),
            password_file: None,
        },
        ca: f("ca.pem"),
    })
}

/// A copy of `file` with one byte flipped at `at` bytes from its end.
pub fn flipped(file: &Path, at_from_end: usize) -> Result<PathBuf, String> {
    let mut bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let i = bytes.len().saturating_sub(at_from_end);
    bytes[i] ^= 0x55;
    let copy = file.with_extension(format!(
        "flipped.{}",
        file.extension().and_then(|e| e.to_str()).unwrap_or("bin")
    ));
    std::fs::write(&copy, bytes).map_err(|e| e.to_string())?;
    Ok(copy)
}

/// stdout of `cmd` as text, or its failure.
pub fn text(cmd: &mut Command, what: &str) -> Result<String, String> {
    output(cmd, what).map(|o| String::from_utf8_lossy(&o).into_owned())
}

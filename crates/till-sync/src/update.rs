//! Signed updates (issue 14): the manifest a host serves a till for its channel, and the check of
//! a downloaded package against the public key built into the till.
//!
//! The manifest is the Tauri updater's JSON (`version`, `notes`, `pub_date`, and per platform a
//! package `url` and its `signature`), and the signature is Tauri's: the base64 of a minisign
//! signature file (Ed25519 over the package's BLAKE2b-512 hash, with a trusted comment signed
//! too). So the packages of a release are signed with `tauri signer sign` or `minisign -S`, and
//! the key is the base64 of a minisign public-key file. Verification is `minisign-verify`, a small
//! crate by minisign's author with no dependencies, not hand-written.
//!
//! Only a version newer than the running one is ever offered: a journal written by a newer till
//! is refused by an older one, so a downgrade could leave a till that cannot open its journal.
//! A shop that pins a version older than a till's simply gets no offer there.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The public key (base64 of a minisign `.pub` file, as Tauri's `pubkey`) the release build was
/// made with (`cargo xtask dist` passes `OPENTILL_UPDATE_PUBKEY`). A build without one installs
/// no update and says why.
pub const BUILT_IN_KEY: Option<&str> = option_env!("OPENTILL_UPDATE_PUBKEY");

/// The largest package a till downloads (today's installers are 10-30 MB).
pub const MAX_PACKAGE_BYTES: u64 = 512 << 20;

/// A downloaded package that verified, ready to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedUpdate {
    pub version: String,
    pub notes: String,
    pub path: std::path::PathBuf,
}

/// Where the signature of a kept package is written: `<package>.sig`, as `cargo xtask dist`
/// writes it beside a release's packages.
pub fn signature_path(package: &std::path::Path) -> std::path::PathBuf {
    let mut name = package.as_os_str().to_owned();
    name.push(".sig");
    std::path::PathBuf::from(name)
}

/// Verifies a kept package against its `<package>.sig` and `key`, reading it afresh: what an
/// installer is about to run is what was signed.
pub fn verify_kept(package: &std::path::Path, key: &UpdateKey) -> Result<(), UpdateError> {
    let read =
        |p: &std::path::Path| std::fs::read(p).map_err(|e| UpdateError::Unreadable(format!("{}: {e}", p.display())));
    let signature = String::from_utf8(read(&signature_path(package))?)
        .map_err(|_| UpdateError::Unreadable("the signature is not text".to_owned()))?;
    key.verify(&read(package)?, signature.trim())
}

/// The file name a package is kept under: the URL's last segment when it is a plain file name
/// with a known installer extension, else `opentill-VERSION.pkg`.
pub fn package_file_name(url: &str, version: &str) -> String {
    let last = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("");
    let plain = !last.is_empty()
        && !last.starts_with('.')
        && last
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'~'));
    let known = [".deb", ".rpm", ".exe", ".msi"].iter().any(|e| last.ends_with(e));
    if plain && known {
        last.to_owned()
    } else {
        let safe: String = version
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
            .collect();
        format!("opentill-{safe}.pkg")
    }
}

/// How a verified package is installed on this system: the NSIS installer silently (it waits
/// for the app to close and restarts nothing on its own), a .deb by apt (resolving
/// dependencies), an .rpm by rpm. `as_root` is false when the till does not run as root: the
/// Linux commands then go through `pkexec`, which asks for an administrator's password.
pub fn install_command(package: &std::path::Path, as_root: bool) -> Option<Vec<std::ffi::OsString>> {
    let name = package.file_name()?.to_string_lossy().to_lowercase();
    let path = package.as_os_str().to_owned();
    let mut argv: Vec<std::ffi::OsString> = if name.ends_with(".exe") {
        return Some(vec![path, "/S".into()]);
    } else if name.ends_with(".deb") {
        // apt wants a path, not a bare file name, to take it as a file.
        let mut local = std::ffi::OsString::new();
        if package.is_relative() {
            local.push("./");
        }
        local.push(&path);
        vec!["apt-get".into(), "install".into(), "-y".into(), local]
    } else if name.ends_with(".rpm") {
        vec!["rpm".into(), "-U".into(), path]
    } else {
        return None;
    };
    if !as_root {
        argv.insert(0, "pkexec".into());
    }
    Some(argv)
}

/// What the host answers `GET /api/v1/update/{platform}?current=…` with when there is an update
/// for the till's channel (or the version its shop is pinned to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_date: Option<String>,
    pub platforms: BTreeMap<String, Package>,
}

/// One platform's package in a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Tauri's form: the base64 of the minisign signature file's text.
    pub signature: String,
    pub url: String,
}

/// Why an update is not offered or not installed. Each keeps the installed version running.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("not a version: {0:?}")]
    BadVersion(String),
    #[error("the update has no package for {0}")]
    NoPackage(String),
    #[error("this build has no update key; updates cannot be verified")]
    NoKey,
    #[error("the update key is not a minisign public key: {0}")]
    BadKey(String),
    #[error("the package's signature is malformed: {0}")]
    BadSignature(String),
    #[error("the package does not match its signature (altered, or signed with another key)")]
    Mismatch,
    #[error("the package cannot be read: {0}")]
    Unreadable(String),
}

/// The updater's name for the platform this till runs on: `linux-x86_64`, `windows-x86_64`, …
/// (Tauri's names, so a manifest made for Tauri's updater serves these tills too).
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        os => os,
    };
    format!("{os}-{}", std::env::consts::ARCH)
}

fn version(v: &str) -> Result<semver::Version, UpdateError> {
    semver::Version::parse(v.trim().trim_start_matches('v')).map_err(|_| UpdateError::BadVersion(v.to_owned()))
}

impl Manifest {
    /// The package to install on `platform` when the manifest's version is newer than
    /// `current`; `None` when the till is up to date (or newer).
    pub fn offer(&self, current: &str, platform: &str) -> Result<Option<&Package>, UpdateError> {
        if version(&self.version)? <= version(current)? {
            return Ok(None);
        }
        self.platforms
            .get(platform)
            .map(Some)
            .ok_or_else(|| UpdateError::NoPackage(platform.to_owned()))
    }
}

/// A minisign public key to check packages against.
#[derive(Debug, Clone)]
pub struct UpdateKey(minisign_verify::PublicKey);

impl UpdateKey {
    /// The key packages must be signed with: the one built in ([`BUILT_IN_KEY`]). A debug build
    /// also takes it from `OPENTILL_UPDATE_PUBKEY` at run time, so the tests can sign with a
    /// throwaway key; a release build never does.
    pub fn for_this_build() -> Result<UpdateKey, UpdateError> {
        #[cfg(debug_assertions)]
        if let Some(k) = std::env::var("OPENTILL_UPDATE_PUBKEY").ok().filter(|k| !k.is_empty()) {
            return UpdateKey::from_tauri(&k);
        }
        UpdateKey::from_tauri(BUILT_IN_KEY.ok_or(UpdateError::NoKey)?)
    }

    /// A key in Tauri's form (the base64 of a minisign `.pub` file), or the file's text itself,
    /// or the bare key line.
    pub fn from_tauri(key: &str) -> Result<UpdateKey, UpdateError> {
        let key = key.trim();
        let text = decode_text(key).unwrap_or_else(|| key.to_owned());
        let parsed = if text.contains('\n') {
            minisign_verify::PublicKey::decode(&text)
        } else {
            minisign_verify::PublicKey::from_base64(text.trim())
        };
        parsed.map(UpdateKey).map_err(|e| UpdateError::BadKey(e.to_string()))
    }

    /// Checks `package` against `signature` (Tauri's form, or a `.minisig` file's text).
    pub fn verify(&self, package: &[u8], signature: &str) -> Result<(), UpdateError> {
        let signature = signature.trim();
        let text = decode_text(signature).unwrap_or_else(|| signature.to_owned());
        let sig = minisign_verify::Signature::decode(&text).map_err(|e| UpdateError::BadSignature(e.to_string()))?;
        self.0.verify(package, &sig, false).map_err(|_| UpdateError::Mismatch)
    }
}

/// The text behind Tauri's base64 wrapping, when `s` is that.
fn decode_text(s: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.starts_with("untrusted comment:").then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// A throwaway key pair, and a signer in Tauri's form.
    struct Signer(minisign::KeyPair);

    impl Signer {
        fn new() -> Signer {
            Signer(minisign::KeyPair::generate_unencrypted_keypair().expect("test step"))
        }
        fn public(&self) -> String {
            let text = self.0.pk.to_box().expect("test step").into_string();
            base64::engine::general_purpose::STANDARD.encode(text)
        }
        fn sign(&self, data: &[u8]) -> String {
            let sig = minisign::sign(
                None,
                &self.0.sk,
                std::io::Cursor::new(data),
                Some("opentill 0.2.0"),
                None,
            )
            .expect("test step")
            .into_string();
            base64::engine::general_purpose::STANDARD.encode(sig)
        }
    }

    fn manifest(version: &str, signature: &str) -> Manifest {
        serde_json::from_value(serde_json::json!({
            "version": version,
            "notes": "Faster receipts",
            "pub_date": "2026-12-06T00:00:00Z",
            "platforms": {
                "linux-x86_64": { "signature": signature, "url": "https://host/pkg/opentill_0.2.0_amd64.deb" },
                "windows-x86_64": { "signature": signature, "url": "https://host/pkg/OpenTill-0.2.0-setup.exe" }
            }
        }))
        .expect("test step")
    }

    #[test]
    fn a_package_signed_with_the_key_verifies_and_an_altered_one_does_not() {
        let signer = Signer::new();
        let key = UpdateKey::from_tauri(&signer.public()).expect("test step");
        let package = b"the installer's bytes".repeat(1000);
        let signature = signer.sign(&package);
        key.verify(&package, &signature).expect("test step");

        let mut altered = package.clone();
        altered[500] ^= 1;
        assert_eq!(key.verify(&altered, &signature), Err(UpdateError::Mismatch));
        let truncated = &package[..package.len() - 1];
        assert_eq!(key.verify(truncated, &signature), Err(UpdateError::Mismatch));
    }

    #[test]
    fn a_package_signed_with_another_key_is_refused() {
        let ours = UpdateKey::from_tauri(&Signer::new().public()).expect("test step");
        let package = b"package";
        let theirs = Signer::new().sign(package);
        assert_eq!(ours.verify(package, &theirs), Err(UpdateError::Mismatch));
    }

    #[test]
    fn a_garbled_signature_or_key_is_told_apart_from_a_mismatch() {
        let signer = Signer::new();
        let key = UpdateKey::from_tauri(&signer.public()).expect("test step");
        assert!(matches!(
            key.verify(b"x", "not a signature"),
            Err(UpdateError::BadSignature(_))
        ));
        assert!(matches!(key.verify(b"x", ""), Err(UpdateError::BadSignature(_))));
        assert!(matches!(UpdateKey::from_tauri("RWQnope"), Err(UpdateError::BadKey(_))));
    }

    #[test]
    fn the_key_is_read_in_each_of_its_forms() {
        let signer = Signer::new();
        let text = signer.0.pk.to_box().expect("test step").into_string();
        let bare = signer.0.pk.to_base64();
        let signature = signer.sign(b"data");
        for form in [signer.public(), text, bare] {
            UpdateKey::from_tauri(&form)
                .expect("test step")
                .verify(b"data", &signature)
                .expect("test step");
        }
    }

    #[test]
    fn only_a_newer_version_is_offered_and_only_for_a_listed_platform() {
        let m = manifest("0.2.0", "sig");
        assert_eq!(
            m.offer("0.1.0", "linux-x86_64")
                .expect("test step")
                .expect("test step")
                .url,
            "https://host/pkg/opentill_0.2.0_amd64.deb"
        );
        assert_eq!(m.offer("0.2.0", "linux-x86_64").expect("test step"), None);
        assert_eq!(
            m.offer("0.10.0", "linux-x86_64").expect("test step"),
            None,
            "semver, not string order"
        );
        assert_eq!(
            m.offer("0.2.0-rc.1", "windows-x86_64")
                .expect("test step")
                .expect("test step")
                .url,
            "https://host/pkg/OpenTill-0.2.0-setup.exe"
        );
        assert_eq!(
            m.offer("0.1.0", "linux-aarch64"),
            Err(UpdateError::NoPackage("linux-aarch64".into()))
        );
        assert!(matches!(
            manifest("latest", "s").offer("0.1.0", "linux-x86_64"),
            Err(UpdateError::BadVersion(_))
        ));
    }

    #[test]
    fn a_package_is_kept_under_a_safe_name_and_installed_by_its_kind() {
        use std::path::Path;
        assert_eq!(
            package_file_name("https://h/pkg/opentill_0.2.0_amd64.deb?x=1", "0.2.0"),
            "opentill_0.2.0_amd64.deb"
        );
        assert_eq!(
            package_file_name("https://h/pkg/../../etc/passwd", "0.2.0"),
            "opentill-0.2.0.pkg"
        );
        assert_eq!(
            package_file_name("https://h/download", "1.0/../x"),
            "opentill-1.0..x.pkg"
        );
        let argv = |p: &str, root| {
            install_command(Path::new(p), root).map(|a| {
                a.iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        };
        assert_eq!(
            argv("/var/lib/opentill/updates/o.deb", true).expect("test step"),
            "apt-get install -y /var/lib/opentill/updates/o.deb"
        );
        assert_eq!(
            argv("o.deb", false).expect("test step"),
            "pkexec apt-get install -y ./o.deb"
        );
        assert_eq!(
            argv("/u/opentill.rpm", true).expect("test step"),
            "rpm -U /u/opentill.rpm"
        );
        assert_eq!(
            argv("C:/u/OpenTill-0.2.0-setup.exe", false).expect("test step"),
            "C:/u/OpenTill-0.2.0-setup.exe /S"
        );
        assert_eq!(argv("/u/opentill-0.2.0.pkg", true), None);
    }

    #[test]
    fn the_manifest_is_tauris_json() {
        let m = manifest("v1.0.0", "c2ln");
        let json = serde_json::to_value(&m).expect("test step");
        assert_eq!(json["platforms"]["linux-x86_64"]["signature"], "c2ln");
        assert_eq!(serde_json::from_value::<Manifest>(json).expect("test step"), m);
        assert!(
            m.offer("0.9.9", "windows-x86_64").expect("test step").is_some(),
            "a leading v is read"
        );
        assert!(platform().contains('-'));
    }
}

//! The signatures that let a till install a package from its back office (issue 14): minisign
//! (Ed25519) signatures in the Tauri updater's form — the base64 of the `.minisig` text — written
//! beside each package as `<package>.sig`, for `till-host publish-release --package`. The
//! secret key is a minisign key file (`minisign -G`, or `tauri signer generate`), usually
//! protected by a password; the matching public key is built into the till
//! (`OPENTILL_UPDATE_PUBKEY`).

use std::path::{Path, PathBuf};

use crate::Result;

/// Signs `package` with the minisign secret key in `secret_key` (decrypted with `password` when
/// it has one) and writes `<package>.sig`.
pub fn sign_update(package: &Path, secret_key: &Path, password: Option<&str>) -> Result<PathBuf> {
    let text = std::fs::read_to_string(secret_key).map_err(|e| format!("{}: {e}", secret_key.display()))?;
    let sk = minisign::SecretKeyBox::from_string(&text)
        .and_then(|b| b.into_secret_key(password.map(str::to_owned)))
        .map_err(|e| format!("{}: not a usable minisign secret key: {e}", secret_key.display()))?;
    let name = package
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = std::fs::File::open(package).map_err(|e| format!("{}: {e}", package.display()))?;
    let comment = format!("file:{name}\topentill {}", crate::VERSION);
    let sig = minisign::sign(None, &sk, file, Some(&comment), None).map_err(|e| format!("signing {name}: {e}"))?;
    use base64::Engine;
    let tauri = base64::engine::general_purpose::STANDARD.encode(sig.into_string());
    let out = PathBuf::from(format!("{}.sig", package.display()));
    std::fs::write(&out, tauri).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_sync::update::{UpdateError, UpdateKey};

    #[test]
    fn a_signed_package_verifies_with_the_public_key_and_not_once_altered() {
        let dir = till_testkit::TempDir::new("sign-update");
        let (mut public, mut secret) = (Vec::new(), Vec::new());
        minisign::KeyPair::generate_and_write_encrypted_keypair(
            &mut public,
            &mut secret,
            None,
            Some("throwaway pass".to_owned()),
        )
        .expect("test step");
        let key_file = dir.path().join("release.key");
        std::fs::write(&key_file, &secret).expect("test step");
        let package = dir.path().join("opentill_0.2.0_amd64.deb");
        std::fs::write(&package, b"a package".repeat(999)).expect("test step");

        let sig = sign_update(&package, &key_file, Some("throwaway pass")).expect("test step");
        assert_eq!(sig.file_name().expect("test step"), "opentill_0.2.0_amd64.deb.sig");
        let key = UpdateKey::from_tauri(&String::from_utf8(public).expect("test step")).expect("test step");
        let signature = std::fs::read_to_string(&sig).expect("test step");
        key.verify(&std::fs::read(&package).expect("test step"), &signature)
            .expect("test step");
        assert_eq!(key.verify(b"a package", &signature), Err(UpdateError::Mismatch));

        // A wrong password is refused before anything is written.
        std::fs::remove_file(&sig).expect("test step");
        let err = sign_update(&package, &key_file, Some("wrong")).expect_err("a wrong password");
        assert!(err.contains("not a usable minisign secret key"), "{err}");
        assert!(!sig.exists());
    }
}

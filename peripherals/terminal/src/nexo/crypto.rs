//! The local Terminal API's encryption: a `SaleToPOIRequest`/`Response` whose body is a
//! `NexoBlob` and a `SecurityTrailer`, as Adyen's libraries build it (read from
//! `@adyen/api-library` 32.1.0, `security/nexoCrypto.js` and `nexoDerivedKeyGenerator.js`):
//!
//! - key material = PBKDF2-HMAC-SHA1(passphrase, salt `"AdyenNexoV1Salt"`, 4000 rounds), 80
//!   bytes: HMAC key = bytes 0..32, AES key = 32..64, IV base = 64..80;
//! - `Nonce` = 16 random bytes; the CBC IV is IV base XOR nonce;
//! - `NexoBlob` = base64(AES-256-CBC, PKCS#7, of the whole plain JSON message
//!   `{"SaleToPOIRequest": {...}}`);
//! - `Hmac` = base64(HMAC-SHA256 over the *plain* JSON), so it is checked after decryption.
//!
//! The three failures users meet most are told apart ([`CryptoError`]): a key identifier or
//! version the other side does not hold (read from the trailer before anything is decrypted);
//! a passphrase that does not decrypt (bad padding, or a plaintext that is not JSON); and an
//! HMAC that does not match a plaintext that did decrypt (the message or its trailer altered).

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

const SALT: &[u8] = b"AdyenNexoV1Salt";
const ROUNDS: u32 = 4000;

/// The shared secret configured on the terminal (Adyen: Customer Area, terminal settings,
/// Integrations, encryption key) and in the till. Never stored in the repository.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityKey {
    pub passphrase: String,
    pub key_identifier: String,
    pub key_version: u32,
    /// `AdyenCryptoVersion`: 1 for every terminal so far.
    #[serde(default = "crypto_version_one")]
    pub crypto_version: u32,
}

fn crypto_version_one() -> u32 {
    1
}

impl std::fmt::Debug for SecurityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityKey")
            .field("passphrase", &"<hidden>")
            .field("key_identifier", &self.key_identifier)
            .field("key_version", &self.key_version)
            .field("crypto_version", &self.crypto_version)
            .finish()
    }
}

/// The `SecurityTrailer` of an encrypted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityTrailer {
    pub adyen_crypto_version: u32,
    pub hmac: String,
    pub key_identifier: String,
    pub key_version: u32,
    pub nonce: String,
}

/// Why an encrypted message could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The trailer names a key identifier or version other than the configured one: the key
    /// is not on the terminal (or the till has an old one).
    #[error("key {got_id} version {got_version} is not the configured key {want_id} version {want_version}")]
    WrongKey {
        got_id: String,
        got_version: u32,
        want_id: String,
        want_version: u32,
    },
    /// An `AdyenCryptoVersion` this code does not speak.
    #[error("crypto version {0} is not supported (only 1)")]
    CryptoVersion(u32),
    /// The blob does not decrypt to a message with this passphrase: the passphrase differs
    /// from the one on the other side (or the blob was cut).
    #[error("the message does not decrypt with the configured passphrase")]
    WrongPassphrase,
    /// The message decrypted but its HMAC does not match: the message or the trailer was
    /// altered on the way.
    #[error("HMAC mismatch: the message was altered")]
    HmacMismatch,
    /// `NexoBlob`, `Nonce` or `Hmac` is not base64 of the right length.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// The keys derived from a passphrase (derived once: PBKDF2 is deliberately slow).
#[derive(Clone)]
pub struct DerivedKey {
    hmac_key: [u8; 32],
    cipher_key: [u8; 32],
    iv: [u8; 16],
    key: SecurityKey,
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DerivedKey").field("key", &self.key).finish()
    }
}

impl DerivedKey {
    pub fn derive(key: &SecurityKey) -> DerivedKey {
        let mut material = [0u8; 80];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(key.passphrase.as_bytes(), SALT, ROUNDS, &mut material);
        let mut hmac_key = [0u8; 32];
        let mut cipher_key = [0u8; 32];
        let mut iv = [0u8; 16];
        hmac_key.copy_from_slice(&material[..32]);
        cipher_key.copy_from_slice(&material[32..64]);
        iv.copy_from_slice(&material[64..80]);
        DerivedKey {
            hmac_key,
            cipher_key,
            iv,
            key: key.clone(),
        }
    }

    pub fn key(&self) -> &SecurityKey {
        &self.key
    }

    fn mac(&self, plain: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hmac_key).unwrap_or_else(|_| {
            // HMAC takes keys of any length; this branch cannot run.
            <Hmac<Sha256> as Mac>::new_from_slice(&[0]).unwrap_or_else(|_| unreachable!())
        });
        mac.update(plain);
        mac
    }

    fn iv_for(&self, nonce: &[u8; 16]) -> [u8; 16] {
        let mut iv = self.iv;
        iv.iter_mut().zip(nonce).for_each(|(a, b)| *a ^= b);
        iv
    }

    /// Encrypts a plain JSON message with a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> (String, SecurityTrailer) {
        let nonce: [u8; 16] = rand::random();
        self.seal_with_nonce(plain, nonce)
    }

    /// Encrypts with a given nonce (tests, fuzzing).
    pub fn seal_with_nonce(&self, plain: &[u8], nonce: [u8; 16]) -> (String, SecurityTrailer) {
        let blob = Aes256CbcEnc::new(&self.cipher_key.into(), &self.iv_for(&nonce).into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain);
        let trailer = SecurityTrailer {
            adyen_crypto_version: self.key.crypto_version,
            hmac: B64.encode(self.mac(plain).finalize().into_bytes()),
            key_identifier: self.key.key_identifier.clone(),
            key_version: self.key.key_version,
            nonce: B64.encode(nonce),
        };
        (B64.encode(blob), trailer)
    }

    /// Decrypts and authenticates a blob; returns the plain JSON bytes.
    pub fn open(&self, blob: &str, trailer: &SecurityTrailer) -> Result<Vec<u8>, CryptoError> {
        if trailer.key_identifier != self.key.key_identifier || trailer.key_version != self.key.key_version {
            return Err(CryptoError::WrongKey {
                got_id: trailer.key_identifier.clone(),
                got_version: trailer.key_version,
                want_id: self.key.key_identifier.clone(),
                want_version: self.key.key_version,
            });
        }
        if trailer.adyen_crypto_version != 1 {
            return Err(CryptoError::CryptoVersion(trailer.adyen_crypto_version));
        }
        let nonce: [u8; 16] = B64
            .decode(&trailer.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Malformed("Nonce"))?;
        let received = B64.decode(&trailer.hmac).map_err(|_| CryptoError::Malformed("Hmac"))?;
        let cipher = B64.decode(blob).map_err(|_| CryptoError::Malformed("NexoBlob"))?;
        if cipher.is_empty() || cipher.len() % 16 != 0 {
            return Err(CryptoError::Malformed("NexoBlob"));
        }
        let plain = Aes256CbcDec::new(&self.cipher_key.into(), &self.iv_for(&nonce).into())
            .decrypt_padded_vec_mut::<Pkcs7>(&cipher)
            .map_err(|_| CryptoError::WrongPassphrase)?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&plain).is_err() {
            return Err(CryptoError::WrongPassphrase);
        }
        self.mac(&plain)
            .verify_slice(&received)
            .map_err(|_| CryptoError::HmacMismatch)?;
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pass: &str) -> SecurityKey {
        SecurityKey {
            passphrase: pass.to_owned(),
            key_identifier: "till".to_owned(),
            key_version: 1,
            crypto_version: 1,
        }
    }

    #[test]
    fn seals_and_opens() -> Result<(), CryptoError> {
        let k = DerivedKey::derive(&key("throwaway test passphrase"));
        let plain = br#"{"SaleToPOIRequest":{}}"#;
        let (blob, trailer) = k.seal(plain);
        assert_eq!(
            k.open(&blob, &trailer)?,
            plain.to_vec(),
            "a round trip gives the message back"
        );
        Ok(())
    }

    #[test]
    fn tells_the_three_failures_apart() {
        let k = DerivedKey::derive(&key("throwaway test passphrase"));
        let plain = br#"{"SaleToPOIRequest":{"MessageHeader":{}}}"#;
        let (blob, trailer) = k.seal(plain);
        let other = DerivedKey::derive(&key("another passphrase"));
        assert_eq!(other.open(&blob, &trailer), Err(CryptoError::WrongPassphrase));
        let mut v2 = trailer.clone();
        v2.key_version = 2;
        assert!(matches!(
            k.open(&blob, &v2),
            Err(CryptoError::WrongKey { got_version: 2, .. })
        ));
        let mut tampered = trailer.clone();
        let mut mac = B64.decode(&tampered.hmac).unwrap_or_default();
        mac[0] ^= 1;
        tampered.hmac = B64.encode(mac);
        assert_eq!(k.open(&blob, &tampered), Err(CryptoError::HmacMismatch));
        assert_eq!(k.open("not base64!", &trailer), Err(CryptoError::Malformed("NexoBlob")));
    }
}

//! NexoBlob crypto: sealing any plaintext opens back to it (or, when it is not JSON, to the
//! "does not decrypt" error); arbitrary blobs, nonces and HMACs never panic, and a sealed
//! message whose blob is altered never opens.
#![no_main]
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use till_terminal::nexo::crypto::{CryptoError, DerivedKey, SecurityKey};

fn key() -> &'static DerivedKey {
    static KEY: OnceLock<DerivedKey> = OnceLock::new();
    KEY.get_or_init(|| {
        DerivedKey::derive(&SecurityKey {
            passphrase: "fuzzing throwaway passphrase".to_owned(),
            key_identifier: "fuzz".to_owned(),
            key_version: 1,
            crypto_version: 1,
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let k = key();
    let mut nonce = [0u8; 16];
    nonce.iter_mut().zip(data).for_each(|(n, d)| *n = *d);
    let (blob, trailer) = k.seal_with_nonce(data, nonce);
    let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok();
    match k.open(&blob, &trailer) {
        Ok(plain) => assert!(is_json && plain == data, "opens to what was sealed"),
        Err(e) => assert!(!is_json && e == CryptoError::WrongPassphrase, "{e:?}"),
    }
    // The input as a blob and a trailer: any bytes, never a panic.
    let (head, rest) = data.split_at(data.len().min(48));
    let mut forged = trailer.clone();
    forged.nonce = B64.encode(&head[..head.len().min(16)]);
    forged.hmac = B64.encode(head);
    let _ = k.open(&B64.encode(rest), &forged);
    let _ = till_terminal::nexo::decode(data, Some(k));
    // A sealed JSON message with one blob byte flipped does not open.
    if is_json && !data.is_empty() {
        let mut bytes = B64.decode(&blob).unwrap_or_default();
        let i = usize::from(data[0]) % bytes.len();
        bytes[i] ^= 0x01;
        assert!(
            k.open(&B64.encode(&bytes), &trailer).is_err(),
            "an altered blob never opens"
        );
    }
});

//! `till zvt decode`, `till nexo decode`, `till emv decode`, `till terminal status|end-of-day`, and the PIN pad the
//! till.toml `[terminal]` section configures.

use till::{Till, TillError};

/// `till zvt decode HEX`: JSON of every APDU (a serial frame is accepted too).
pub fn zvt_decode(hex: &str) -> Result<u8, TillError> {
    let v = till_terminal::view::decode_hex(hex).map_err(|e| TillError::Input {
        what: "hex",
        input: format!("{hex}: {e}"),
    })?;
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(0)
}

/// `till nexo decode FILE|-`: the Terminal API message as typed, pretty JSON (field names as
/// on the wire, card numbers masked), opened with the key when it is encrypted. Malformed
/// input, a missing or wrong key, or a tampered HMAC is refused input (exit code 2) with a
/// message saying which.
pub fn nexo_decode(
    file: &str,
    passphrase: Option<String>,
    key_id: Option<String>,
    key_version: Option<u32>,
) -> Result<u8, TillError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(file).map(|b| bytes = b)
    };
    read.map_err(|e| TillError::Input {
        what: "file",
        input: format!("{file}: {e}"),
    })?;
    // Without --key-id / --key-version, the key the message names is the one tried.
    let trailer = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| {
        v.as_object()
            .and_then(|o| o.values().next())
            .map(|i| i["SecurityTrailer"].clone())
    });
    let named_id = trailer
        .as_ref()
        .and_then(|t| t["KeyIdentifier"].as_str().map(str::to_owned));
    let named_version = trailer
        .as_ref()
        .and_then(|t| t["KeyVersion"].as_u64())
        .and_then(|v| u32::try_from(v).ok());
    let key = passphrase.map(|passphrase| {
        till_terminal::nexo::DerivedKey::derive(&till_terminal::nexo::SecurityKey {
            passphrase,
            key_identifier: key_id.or(named_id).unwrap_or_default(),
            key_version: key_version.or(named_version).unwrap_or(1),
            crypto_version: 1,
        })
    });
    let decoded = till_terminal::nexo::decode(&bytes, key.as_ref()).map_err(|e| TillError::Input {
        what: e.message_id().strip_prefix("error-bad-").unwrap_or("nexo"),
        input: e.to_string(),
    })?;
    let message = decoded.message.masked();
    println!("{}", serde_json::to_string_pretty(&message).unwrap_or_default());
    Ok(0)
}

/// `till emv decode HEX`: JSON of the BER-TLV with tag names and decoded bits.
pub fn emv_decode(hex: &str) -> Result<u8, TillError> {
    let tlv = till_emv::parse_hex(hex).map_err(|e| TillError::Input {
        what: "hex",
        input: format!("{hex}: {e}"),
    })?;
    println!(
        "{}",
        serde_json::to_string_pretty(&till_emv::view(&tlv)).unwrap_or_default()
    );
    Ok(0)
}

/// `till terminal status`.
pub async fn status(till: &Till, json: bool) -> Result<u8, TillError> {
    let s = till.terminal_status().await?;
    if json {
        println!("{}", serde_json::json!({"ok": true, "data": s}));
    } else {
        println!("{} — {}", if s.ready { "READY" } else { "NOT READY" }, s.detail);
    }
    Ok(if s.ready { 0 } else { 6 })
}

/// `till terminal end-of-day`: the terminal's own end-of-day, outside a till settlement.
pub async fn end_of_day(till: &Till, json: bool) -> Result<u8, TillError> {
    let t = till.terminal_end_of_day().await?;
    if json {
        println!("{}", serde_json::json!({"ok": true, "data": t}));
    } else {
        let m = |minor| till_domain::Money::new(minor, till.config().currency);
        println!(
            "sales {} {}  refunds {} {}",
            t.sales.count,
            m(t.sales.minor),
            t.refunds.count,
            m(t.refunds.minor)
        );
    }
    Ok(0)
}

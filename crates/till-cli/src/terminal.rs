//! `till zvt decode`, `till emv decode`, `till terminal status|end-of-day`, and the PIN pad the
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

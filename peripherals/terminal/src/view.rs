//! A JSON explanation of ZVT bytes for `till zvt decode`: the APDU, its packet, every BMP with
//! its name and decoded value, and the TLV container decoded as EMV data. Card numbers show
//! masked; track data never shows.

use serde_json::{Value, json};

use crate::apdu::Apdu;
use crate::bmp::{self, Field};
use crate::error::ZvtError;
use crate::packet::Packet;

/// The name of a BMP [P15 §13].
pub fn bmp_name(n: u8) -> &'static str {
    match n {
        0x01 => "timeout",
        0x02 => "max status infos",
        0x03 => "service byte",
        0x04 => "amount",
        0x05 => "pump number",
        0x06 => "TLV container",
        0x0B => "trace number",
        0x0C => "time",
        0x0D => "date",
        0x0E => "expiry date",
        0x17 => "card sequence number",
        0x19 => "status / payment type",
        0x22 => "PAN",
        0x23 => "track 2",
        0x24 => "track 3",
        0x27 => "result code",
        0x29 => "terminal ID",
        0x2A => "VU number",
        0x2D => "track 1",
        0x2E => "chip data",
        0x37 => "original trace number",
        0x3A => "CVV",
        0x3B => "authorisation code",
        0x3C => "additional text",
        0x3D => "password",
        0x49 => "currency code",
        0x60 => "single totals",
        0x87 => "receipt number",
        0x88 => "turnover number",
        0x8A => "card type",
        0x8B => "card name",
        0x8C => "card type ID",
        0xA0 => "result code AS",
        0xAA => "date YYMMDD",
        0xBA => "AID parameter",
        _ => "other",
    }
}

fn field_view(f: &Field) -> Value {
    let mut v = json!({ "bmp": format!("{:02X}", f.bmp), "name": bmp_name(f.bmp), "length": f.value.len() });
    match f.bmp {
        0x22 => v["value"] = json!(bmp::masked_pan(&f.value)),
        0x23 | 0x24 | 0x2D | 0x3A => v["value"] = json!("<not shown>"),
        0x06 => {
            v["value"] = json!(hex::encode_upper(&f.value));
            if let Ok(tlv) = till_emv::parse(&f.value) {
                v["tlv"] = serde_json::to_value(till_emv::view(&tlv)).unwrap_or(Value::Null);
            }
        }
        0x04 | 0x0B | 0x37 | 0x87 | 0x88 | 0x49 | 0x29 | 0x17 => {
            v["value"] = json!(hex::encode_upper(&f.value));
            v["decoded"] = json!(f.as_bcd());
        }
        0x0C | 0x0D | 0x0E | 0xAA => v["value"] = json!(hex::encode_upper(&f.value)),
        0x2A | 0x3B | 0x3C | 0x8B => {
            v["value"] = json!(hex::encode_upper(&f.value));
            v["text"] = json!(f.as_text());
        }
        _ => v["value"] = json!(hex::encode_upper(&f.value)),
    }
    v
}

/// Decodes hex (spaces allowed) into the JSON view of every APDU it holds.
pub fn decode_hex(text: &str) -> Result<Value, ZvtError> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut bytes = hex::decode(&cleaned).map_err(|e| ZvtError::Hex(e.to_string()))?;
    // A whole serial frame is accepted too.
    if bytes.starts_with(&[crate::serial::DLE, crate::serial::STX]) {
        bytes = crate::serial::unframe(&bytes)?;
    }
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (apdu, used) = Apdu::decode_prefix(rest)?;
        let packet = Packet::from_apdu(&apdu)?;
        let mut v = json!({
            "class": format!("{:02X}", apdu.class),
            "instr": format!("{:02X}", apdu.instr),
            "packet": packet.name(),
            "length": apdu.data.len(),
            "extended_length": apdu.extended,
            "fields": packet.fields().iter().map(field_view).collect::<Vec<_>>(),
        });
        match &packet {
            Packet::Registration {
                password,
                config,
                currency,
                ..
            } => {
                v["password"] = json!(format!("{password:06}"));
                v["config_byte"] = json!(format!("{config:02X}"));
                v["currency"] = json!(currency);
            }
            Packet::IntermediateStatus { status, .. } => v["status"] = json!(format!("{status:02X}")),
            Packet::PtAbort { code, .. } | Packet::Nack { code, .. } => v["result_code"] = json!(format!("{code:02X}")),
            Packet::Completion { data } | Packet::PrintTextBlock { data } => v["data"] = json!(hex::encode_upper(data)),
            Packet::PrintLine { attribute, text } => {
                v["attribute"] = json!(format!("{attribute:02X}"));
                v["text"] = json!(text.iter().map(|b| bmp::cp437(*b)).collect::<String>());
            }
            _ => {}
        }
        out.push(v);
        rest = &rest[used..];
    }
    Ok(if out.len() == 1 {
        out.remove(0)
    } else {
        Value::Array(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_information_decodes_with_masked_pan() -> Result<(), ZvtError> {
        let v = decode_hex("040F 17 27 00 04 000000002500 22 F0F8 EEEEEEEEEEEE4771 87 0231")?;
        assert_eq!(v["packet"], "status-information");
        let fields = v["fields"].as_array().ok_or(ZvtError::Unexpected("fields".into()))?;
        assert_eq!(fields[1]["decoded"], 2500);
        assert_eq!(fields[2]["value"], "************4771");
        assert_eq!(fields[3]["decoded"], 231);
        Ok(())
    }
}

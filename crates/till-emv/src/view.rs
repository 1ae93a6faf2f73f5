//! A serialisable explanation of a TLV list, for `till emv decode HEX` and diagnostics: every
//! object with its name, length, value, readable text and decoded bits, nested as in the data.
//!
//! Sensitive values (see [`crate::Masking`]) never appear: the PAN and track data show only the
//! masked PAN, other secrets nothing. Constructed objects carry their children but no value hex,
//! since that hex would contain their children's secrets.

use crate::bits::{BitFlag, CryptogramInformation, CryptogramType, CvmResults, TerminalCapabilities, Tsi, Tvr};
use crate::dictionary::{Format, Masking, tag_info, tag_name};
use crate::error::EmvError;
use crate::summary::{PanDigits, printable_text};
use crate::tlv::{Tag, Tlv, Value};

/// One data object, explained.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TlvView {
    /// The tag, hex.
    pub tag: String,
    /// The dictionary name, or a description of the tag's class.
    pub name: String,
    /// The EMV format code (`b`, `n`, `ans`, ...), when the dictionary knows the tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    /// Whether the object is constructed (holds `children`).
    pub constructed: bool,
    /// The value length in bytes, as encoded.
    pub length: usize,
    /// The value, hex; absent for constructed and masked objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value as text: for text formats, BCD numbers, unknown tags whose bytes are all
    /// printable, and the masked PAN of PAN-bearing tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the value was withheld because it is sensitive.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
    /// The objects inside a constructed object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TlvView>,
    /// The value decoded bit by bit, for the elements this crate understands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Decoded>,
}

/// A value decoded into meanings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    /// A bitmap (TVR, TSI, Terminal Capabilities): the set bits.
    Bits {
        /// Each set bit with its meaning.
        flags: Vec<BitFlag>,
    },
    /// CVM Results.
    CvmResults {
        /// The method code, hex.
        method_code: String,
        /// The method, in EMV words.
        method: &'static str,
        /// Whether the next rule applies if this one fails.
        apply_succeeding_rule_if_unsuccessful: bool,
        /// The condition code, hex.
        condition_code: String,
        /// The condition, in EMV words.
        condition: &'static str,
        /// The result byte, hex.
        result_code: String,
        /// The result: Unknown, Failed, Successful.
        result: &'static str,
    },
    /// Cryptogram Information Data.
    CryptogramInformation {
        /// `AAC`, `TC` or `ARQC`.
        cryptogram_type: CryptogramType,
        /// The cryptogram type in words.
        description: &'static str,
        /// Whether an advice is required.
        advice_required: bool,
        /// The reason/advice code in words.
        reason: &'static str,
    },
    /// The element could not be decoded (wrong length).
    Invalid {
        /// Why.
        error: String,
    },
}

/// Explains every object of `list`.
pub fn view(list: &[Tlv]) -> Vec<TlvView> {
    list.iter().map(view_one).collect()
}

fn view_one(tlv: &Tlv) -> TlvView {
    let tag = tlv.tag();
    let info = tag_info(tag);
    let mut view = TlvView {
        tag: tag.to_string(),
        name: tag_name(tag).into_owned(),
        format: info.map(|i| i.format.code()),
        constructed: tag.is_constructed(),
        length: tlv.value_len(),
        value: None,
        text: None,
        masked: false,
        children: Vec::new(),
        decoded: None,
    };
    match tlv.value() {
        Value::Constructed(children) => view.children = children.iter().map(view_one).collect(),
        Value::Primitive(bytes) => {
            let masking = info.map_or(Masking::Clear, |i| i.masking);
            if masking == Masking::Clear {
                view.value = Some(hex::encode_upper(bytes));
                view.text = text_of(bytes, info.map(|i| i.format));
                view.decoded = decode(tag, bytes);
            } else {
                view.masked = true;
                view.text = masked_pan(bytes, masking);
            }
        }
    }
    view
}

fn masked_pan(bytes: &[u8], masking: Masking) -> Option<String> {
    let pan = match masking {
        Masking::Pan => PanDigits::compressed(bytes),
        Masking::Track2 => PanDigits::track2(bytes),
        Masking::Track1 => PanDigits::track1(bytes),
        Masking::Clear | Masking::Hidden => None,
    };
    pan.map(|p| p.masked())
}

fn text_of(bytes: &[u8], format: Option<Format>) -> Option<String> {
    match format {
        Some(f) if f.is_text() => printable_text(bytes, false),
        Some(Format::Numeric) => bcd_digits(bytes, false),
        Some(Format::CompressedNumeric) => bcd_digits(bytes, true),
        Some(_) => None,
        // Unknown (often proprietary) tags: show text only when every byte is printable.
        None if bytes.iter().all(|b| (0x20..=0x7E).contains(b)) => printable_text(bytes, false),
        None => None,
    }
}

/// BCD digits; compressed numeric stops at the `F` padding. `None` if a nibble is not a digit.
fn bcd_digits(bytes: &[u8], compressed: bool) -> Option<String> {
    let mut digits = String::with_capacity(bytes.len() * 2);
    for nibble in bytes.iter().flat_map(|b| [b >> 4, b & 0x0F]) {
        match nibble {
            0..=9 => digits.push(char::from(b'0' + nibble)),
            0x0F if compressed => break,
            _ => return None,
        }
    }
    (!digits.is_empty()).then_some(digits)
}

fn decode(tag: Tag, bytes: &[u8]) -> Option<Decoded> {
    let decoded: Result<Decoded, EmvError> = match tag {
        Tag::TVR => Tvr::from_bytes(bytes).map(|v| Decoded::Bits { flags: v.flags() }),
        Tag::TSI => Tsi::from_bytes(bytes).map(|v| Decoded::Bits { flags: v.flags() }),
        Tag::TERMINAL_CAPABILITIES => {
            TerminalCapabilities::from_bytes(bytes).map(|v| Decoded::Bits { flags: v.flags() })
        }
        Tag::CVM_RESULTS => CvmResults::from_bytes(bytes).map(|cvm| Decoded::CvmResults {
            method_code: format!("{:02X}", cvm.method.code()),
            method: cvm.method.description(),
            apply_succeeding_rule_if_unsuccessful: cvm.apply_succeeding_rule_if_unsuccessful,
            condition_code: format!("{:02X}", cvm.condition_code),
            condition: cvm.condition.description(),
            result_code: format!("{:02X}", cvm.outcome_code),
            result: cvm.outcome.description(),
        }),
        Tag::CRYPTOGRAM_INFORMATION_DATA => {
            CryptogramInformation::from_bytes(bytes).map(|cid| Decoded::CryptogramInformation {
                cryptogram_type: cid.cryptogram_type,
                description: cid.cryptogram_type.description(),
                advice_required: cid.advice_required,
                reason: cid.reason.description(),
            })
        }
        _ => return None,
    };
    Some(decoded.unwrap_or_else(|e| Decoded::Invalid { error: e.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::parse_hex;

    type TestResult = Result<(), EmvError>;

    #[test]
    fn sensitive_values_never_reach_the_view() -> TestResult {
        let pan = "1000023100000033";
        let list = parse_hex(&format!("70235710{pan}D44122011003400F5A08{pan}9F200412345678"))?;
        let views = view(&list);
        let debug = format!("{views:?}");
        assert!(!debug.contains(pan), "the view leaked a PAN: {debug}");
        assert!(
            !debug.contains("12345678"),
            "the view leaked discretionary data: {debug}"
        );
        let record = &views[0];
        assert_eq!(record.value, None, "a template's hex would carry its children's PAN");
        assert!(record.children.iter().all(|c| c.masked && c.value.is_none()));
        assert_eq!(record.children[0].text.as_deref(), Some("************0033"));
        assert_eq!(record.children[1].text.as_deref(), Some("************0033"));
        assert_eq!(record.children[2].text, None);
        Ok(())
    }

    #[test]
    fn decodes_bits_and_text() -> TestResult {
        let list = parse_hex("950540800080009F2701809F02060000000301045004564953419F3303FFFFFF")?;
        let views = view(&list);
        assert!(
            matches!(&views[0].decoded, Some(Decoded::Bits { flags }) if flags.len() == 3),
            "TVR 4080008000 has three bits set"
        );
        assert!(matches!(
            views[1].decoded,
            Some(Decoded::CryptogramInformation {
                cryptogram_type: CryptogramType::Arqc,
                ..
            })
        ));
        assert_eq!(views[2].text.as_deref(), Some("000000030104"));
        assert_eq!(views[3].text.as_deref(), Some("VISA"));
        assert!(matches!(&views[4].decoded, Some(Decoded::Bits { flags }) if flags.len() == 24));
        Ok(())
    }

    #[test]
    fn wrong_length_is_reported_not_hidden() -> TestResult {
        let views = view(&parse_hex("9504FFFFFFFF")?);
        assert!(matches!(views[0].decoded, Some(Decoded::Invalid { .. })));
        Ok(())
    }
}

//! What a receipt prints about the card, pulled out of the EMV data a terminal hands back.
//!
//! The PAN is masked while it is read, nibble by nibble: no full PAN is ever collected into a
//! value of this module, so nothing here can leak one through a log, a Debug print or the journal.

use crate::bits::{CryptogramInformation, CryptogramType, CvmMethod, CvmOutcome, CvmResults};
use crate::tlv::{Tag, Tlv, find};

/// The cardholder verification line of a receipt, from CVM Results (`9F34`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CvmLine {
    /// Offline PIN accepted by the card, or PIN enciphered for online verification: the issuer
    /// checks an online PIN, so an approval is the proof (the outcome byte stays "unknown").
    PinVerified,
    /// Offline PIN accepted by the card, and a paper signature is also required.
    PinVerifiedAndSignature,
    /// The cardholder signs the merchant copy.
    Signature,
    /// The card's rules required no verification (e.g. small contactless payments).
    NoCvmRequired,
    /// The terminal performed no CVM (no CVM List, or no rule applied).
    NoCvmPerformed,
    /// Cardholder verification failed.
    Failed,
    /// A method this till does not print a line for (payment-system or issuer specific, RFU),
    /// or an offline PIN whose outcome is not "successful".
    Other {
        /// The six-bit method code.
        method_code: u8,
    },
}

impl CvmLine {
    /// The receipt line for a CVM Results value.
    pub fn from_results(results: &CvmResults) -> CvmLine {
        use CvmMethod as M;
        use CvmOutcome as O;
        match (results.method, results.outcome) {
            (M::FailCvm, _) | (_, O::Failed) => CvmLine::Failed,
            (M::PlaintextPinByIcc | M::EncipheredPinByIcc, O::Successful) => CvmLine::PinVerified,
            (M::EncipheredPinOnline, O::Successful | O::Unknown) => CvmLine::PinVerified,
            (M::PlaintextPinByIccAndSignature | M::EncipheredPinByIccAndSignature, O::Successful | O::Unknown) => {
                CvmLine::PinVerifiedAndSignature
            }
            (M::Signature, _) => CvmLine::Signature,
            (M::NoCvmRequired, _) => CvmLine::NoCvmRequired,
            (M::NoCvmPerformed, _) => CvmLine::NoCvmPerformed,
            (method, _) => CvmLine::Other {
                method_code: method.code(),
            },
        }
    }
}

/// The card facts a receipt prints. Holds no full PAN: only the masked form and its last four
/// digits, which PCI DSS allows on a receipt and which the cashier searches by.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CardSummary {
    /// The application identifier, hex: `4F` from the card, else `84` (DF Name), else `9F06`.
    pub aid: Option<String>,
    /// The application label (`50`), else the Application Preferred Name (`9F12`).
    pub application_label: Option<String>,
    /// The PAN with all but the last four digits replaced by `*`, e.g. `************0033`.
    pub masked_pan: Option<String>,
    /// The last four PAN digits.
    pub pan_last_four: Option<String>,
    /// The application cryptogram (`9F26`), hex.
    pub cryptogram: Option<String>,
    /// The kind of cryptogram, from Cryptogram Information Data (`9F27`).
    pub cryptogram_type: Option<CryptogramType>,
    /// The cardholder verification line, from CVM Results (`9F34`).
    pub cvm: Option<CvmLine>,
}

impl CardSummary {
    /// Pulls the receipt facts out of a parsed TLV list (objects are found at any depth).
    ///
    /// Malformed elements are left out rather than reported: a receipt prints what it can.
    pub fn from_tlvs(list: &[Tlv]) -> CardSummary {
        let bytes_of = |tag: Tag| find(list, tag).and_then(Tlv::bytes);

        let aid = [Tag::AID, Tag::DF_NAME, Tag::TERMINAL_AID]
            .into_iter()
            .find_map(|tag| bytes_of(tag).filter(|b| !b.is_empty()))
            .map(hex::encode_upper);

        // The label is always in the common character set. The preferred name may be in an
        // ISO/IEC 8859 part named by 9F11 that the printer may lack (Book 4, 11.2.1), so it is
        // the fallback, read as Latin-1 only when 9F11 says part 1.
        let latin1 = bytes_of(Tag::ISSUER_CODE_TABLE_INDEX) == Some(&[0x01]);
        let application_label = bytes_of(Tag::APPLICATION_LABEL)
            .and_then(|b| printable_text(b, false))
            .or_else(|| bytes_of(Tag::APPLICATION_PREFERRED_NAME).and_then(|b| printable_text(b, latin1)));

        let pan = pan_digits(list);
        let masked_pan = pan.as_ref().map(|p| p.masked());
        let pan_last_four = pan.as_ref().and_then(|p| p.last_four());

        let cryptogram = bytes_of(Tag::APPLICATION_CRYPTOGRAM)
            .filter(|b| !b.is_empty())
            .map(hex::encode_upper);
        let cryptogram_type = bytes_of(Tag::CRYPTOGRAM_INFORMATION_DATA)
            .and_then(|b| CryptogramInformation::from_bytes(b).ok())
            .map(|cid| cid.cryptogram_type);
        let cvm = bytes_of(Tag::CVM_RESULTS)
            .and_then(|b| CvmResults::from_bytes(b).ok())
            .map(|results| CvmLine::from_results(&results));

        CardSummary {
            aid,
            application_label,
            masked_pan,
            pan_last_four,
            cryptogram,
            cryptogram_type,
            cvm,
        }
    }
}

/// The digits of a PAN, borrowed from the TLV data and never copied whole. Deliberately not
/// `Debug`: there is nothing to print that would not be the PAN.
pub(crate) struct PanDigits<'a> {
    source: &'a [u8],
    layout: PanLayout,
    count: usize,
}

#[derive(Clone, Copy)]
enum PanLayout {
    /// BCD nibbles ending at the end of data or at an `F` pad (tag 5A).
    Compressed,
    /// BCD nibbles ending at the `D` field separator (tags 57, 9F6B).
    Track2,
    /// ASCII digits after the format code `B`, ending at `^` (tag 56).
    Track1,
}

/// A PAN needs at least this many digits (ISO/IEC 7812-1) before its last four are shown;
/// anything shorter is masked whole.
const MIN_PAN_DIGITS_TO_REVEAL: usize = 8;

impl<'a> PanDigits<'a> {
    pub(crate) fn compressed(source: &'a [u8]) -> Option<PanDigits<'a>> {
        PanDigits::new(source, PanLayout::Compressed)
    }

    pub(crate) fn track2(source: &'a [u8]) -> Option<PanDigits<'a>> {
        PanDigits::new(source, PanLayout::Track2)
    }

    pub(crate) fn track1(source: &'a [u8]) -> Option<PanDigits<'a>> {
        PanDigits::new(source, PanLayout::Track1)
    }

    /// Counts the digits; `None` if the layout is broken or there are none.
    fn new(source: &'a [u8], layout: PanLayout) -> Option<PanDigits<'a>> {
        let mut count = 0;
        let well_formed = for_each_digit(source, layout, |_| count += 1);
        (well_formed && count > 0).then_some(PanDigits { source, layout, count })
    }

    /// Calls `visit` with each digit, in order.
    fn visit(&self, mut visit: impl FnMut(usize, u8)) {
        let mut index = 0;
        for_each_digit(self.source, self.layout, |digit| {
            visit(index, digit);
            index += 1;
        });
    }

    /// The PAN with every digit but the last four replaced by `*`.
    pub(crate) fn masked(&self) -> String {
        let reveal_from = if self.count >= MIN_PAN_DIGITS_TO_REVEAL {
            self.count - 4
        } else {
            self.count
        };
        let mut masked = String::with_capacity(self.count);
        self.visit(|i, digit| {
            masked.push(if i < reveal_from { '*' } else { char::from(b'0' + digit) });
        });
        masked
    }

    /// The last four digits, if the PAN is long enough to show them.
    pub(crate) fn last_four(&self) -> Option<String> {
        (self.count >= MIN_PAN_DIGITS_TO_REVEAL).then(|| {
            let mut last_four = String::with_capacity(4);
            self.visit(|i, digit| {
                if i >= self.count - 4 {
                    last_four.push(char::from(b'0' + digit));
                }
            });
            last_four
        })
    }
}

/// Calls `visit` with each PAN digit of `source`, in order, stopping at the layout's end marker
/// or the end of the data. Returns `false` if a symbol cannot be part of a PAN.
fn for_each_digit(source: &[u8], layout: PanLayout, mut visit: impl FnMut(u8)) -> bool {
    if let PanLayout::Track1 = layout {
        let body = source.strip_prefix(b"B").unwrap_or(source);
        for &symbol in body {
            match symbol {
                b'0'..=b'9' => visit(symbol - b'0'),
                b'^' => return true,
                _ => return false,
            }
        }
        return true;
    }
    for nibble in source.iter().flat_map(|b| [b >> 4, b & 0x0F]) {
        match (layout, nibble) {
            (_, 0..=9) => visit(nibble),
            (PanLayout::Compressed, 0x0F) | (PanLayout::Track2, 0x0D) => return true,
            _ => return false,
        }
    }
    true
}

/// The PAN from `5A`, else from the track data (`57`, `9F6B`, `56`).
fn pan_digits(list: &[Tlv]) -> Option<PanDigits<'_>> {
    let bytes_of = |tag: Tag| find(list, tag).and_then(Tlv::bytes);
    bytes_of(Tag::PAN)
        .and_then(PanDigits::compressed)
        .or_else(|| bytes_of(Tag::TRACK2_EQUIVALENT_DATA).and_then(PanDigits::track2))
        .or_else(|| bytes_of(Tag::TRACK2_DATA).and_then(PanDigits::track2))
        .or_else(|| bytes_of(Tag::TRACK1_DATA).and_then(PanDigits::track1))
}

/// Text from `a`/`an`/`ans` bytes with trailing padding spaces trimmed; `None` if empty or if a
/// byte is not printable (in ASCII, or in Latin-1 when `latin1`).
pub(crate) fn printable_text(bytes: &[u8], latin1: bool) -> Option<String> {
    let text: Option<String> = bytes
        .iter()
        .map(|&b| match b {
            0x20..=0x7E => Some(char::from(b)),
            0xA0..=0xFF if latin1 => Some(char::from(b)),
            _ => None,
        })
        .collect();
    let text = text?;
    let trimmed = text.trim_end();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EmvError;
    use crate::tlv::parse_hex;

    type TestResult = Result<(), EmvError>;

    #[test]
    fn masks_pan_from_5a_keeping_the_last_four() -> TestResult {
        let list = parse_hex("5A081000023100000033")?;
        let summary = CardSummary::from_tlvs(&list);
        assert_eq!(summary.masked_pan.as_deref(), Some("************0033"));
        assert_eq!(summary.pan_last_four.as_deref(), Some("0033"));
        Ok(())
    }

    #[test]
    fn odd_length_pan_stops_at_the_f_pad() -> TestResult {
        // 19-digit PAN padded to 10 bytes with F.
        let list = parse_hex("5A0A6212345678901234567F")?;
        let summary = CardSummary::from_tlvs(&list);
        assert_eq!(summary.masked_pan.as_deref(), Some("***************4567"));
        Ok(())
    }

    #[test]
    fn falls_back_to_track2_and_track1() -> TestResult {
        let track2 = parse_hex("57131000023100000033D44122011003400000481F")?;
        assert_eq!(
            CardSummary::from_tlvs(&track2).masked_pan.as_deref(),
            Some("************0033")
        );
        let track1 = b"B4761739001010010^DOE/JOHN^2512201";
        let list = vec![Tlv::primitive(Tag::TRACK1_DATA, track1.to_vec())?];
        assert_eq!(
            CardSummary::from_tlvs(&list).masked_pan.as_deref(),
            Some("************0010")
        );
        Ok(())
    }

    #[test]
    fn garbage_pan_is_left_out_not_printed() -> TestResult {
        let list = parse_hex("5A04ABCDEF12")?;
        assert_eq!(CardSummary::from_tlvs(&list).masked_pan, None);
        let short = parse_hex("5A021234")?;
        assert_eq!(
            CardSummary::from_tlvs(&short).masked_pan.as_deref(),
            Some("****"),
            "too short to reveal anything"
        );
        Ok(())
    }

    #[test]
    fn aid_label_cryptogram_and_cvm() -> TestResult {
        let list = parse_hex(concat!(
            "6F1D8407A0000000038002A5125008424152434C4159538701005F2D02656E",
            "9F2608CBFC767977111F159F2701809F34035E0300"
        ))?;
        let summary = CardSummary::from_tlvs(&list);
        assert_eq!(summary.aid.as_deref(), Some("A0000000038002"), "84 when 4F is absent");
        assert_eq!(summary.application_label.as_deref(), Some("BARCLAYS"));
        assert_eq!(summary.cryptogram.as_deref(), Some("CBFC767977111F15"));
        assert_eq!(summary.cryptogram_type, Some(CryptogramType::Arqc));
        assert_eq!(summary.cvm, Some(CvmLine::Signature));
        Ok(())
    }

    #[test]
    fn cvm_lines() -> TestResult {
        let line = |bytes: [u8; 3]| CvmResults::from_bytes(&bytes).map(|r| CvmLine::from_results(&r));
        assert_eq!(line([0x42, 0x03, 0x00])?, CvmLine::PinVerified, "online PIN");
        assert_eq!(
            line([0x41, 0x03, 0x02])?,
            CvmLine::PinVerified,
            "offline PIN, successful"
        );
        assert_eq!(line([0x41, 0x03, 0x01])?, CvmLine::Failed, "offline PIN, failed");
        assert_eq!(line([0x01, 0x03, 0x00])?, CvmLine::Other { method_code: 1 });
        assert_eq!(line([0x1F, 0x03, 0x00])?, CvmLine::NoCvmRequired);
        assert_eq!(line([0x3F, 0x00, 0x00])?, CvmLine::NoCvmPerformed);
        assert_eq!(line([0x03, 0x00, 0x00])?, CvmLine::PinVerifiedAndSignature);
        assert_eq!(line([0x00, 0x00, 0x01])?, CvmLine::Failed, "fail CVM");
        Ok(())
    }

    #[test]
    fn preferred_name_is_the_fallback_label() -> TestResult {
        let list = parse_hex("9F1101019F1204C9434F52")?;
        assert_eq!(
            CardSummary::from_tlvs(&list).application_label.as_deref(),
            Some("ÉCOR"),
            "9F11 = 01 selects ISO/IEC 8859-1"
        );
        Ok(())
    }
}

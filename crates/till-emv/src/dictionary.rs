//! The EMV tag dictionary: name, format and sensitivity of the data elements a till meets.
//!
//! Names and formats follow EMV 4.3 Book 3, Annex A1 ("Data Elements Dictionary") and Book 4,
//! Annex A (terminal data). Tags outside Book 3 say whose they are in the name (Visa,
//! Mastercard). Proprietary tags (private class: `DFxx`, `E1`, `EF`, ...) are not listed; they get
//! a name from their class via [`tag_name`].

use std::borrow::Cow;

use crate::tlv::{Tag, TagClass};

/// The format of a data element (Book 3, section 4.3 "Data Element Format Conventions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `a`: letters only.
    Alphabetic,
    /// `an`: letters and digits.
    Alphanumeric,
    /// `ans`: letters, digits and special characters (the common character set).
    AlphanumericSpecial,
    /// `b`: binary, bits or numbers.
    Binary,
    /// `cn`: compressed numeric, BCD digits left-aligned and padded with `F`.
    CompressedNumeric,
    /// `n`: numeric, BCD digits right-aligned and padded with leading zeros.
    Numeric,
    /// A constructed template holding further data objects.
    Template,
    /// `var.`: a structure of its own (e.g. the Application File Locator).
    Variable,
}

impl Format {
    /// The short code the EMV books use: `a`, `an`, `ans`, `b`, `cn`, `n`, `var.`, or `template`.
    pub fn code(self) -> &'static str {
        match self {
            Format::Alphabetic => "a",
            Format::Alphanumeric => "an",
            Format::AlphanumericSpecial => "ans",
            Format::Binary => "b",
            Format::CompressedNumeric => "cn",
            Format::Numeric => "n",
            Format::Template => "template",
            Format::Variable => "var.",
        }
    }

    /// Whether values of this format are text a person can read as it stands.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Format::Alphabetic | Format::Alphanumeric | Format::AlphanumericSpecial
        )
    }
}

/// How a data element must be hidden whenever it leaves the codec (logs, JSON, Debug, receipts).
///
/// PCI DSS lets a till show at most the last four PAN digits on a receipt; track data and PIN
/// blocks must never be shown at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Masking {
    /// Not sensitive: shown as it is.
    Clear,
    /// A PAN in compressed numeric (`5A`): shown as `************1234`.
    Pan,
    /// Track 2 layout (`57`, `9F6B`): PAN, separator `D`, expiry, service code, discretionary
    /// data. Only the masked PAN is shown.
    Track2,
    /// Track 1 layout (`56`): `B` PAN `^` name `^` expiry ... in ASCII. Only the masked PAN is
    /// shown.
    Track1,
    /// Nothing of the value is shown (discretionary track data, PIN data).
    Hidden,
}

/// What the dictionary knows about one tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub tag: Tag,
    /// The EMV name.
    pub name: &'static str,
    /// The format.
    pub format: Format,
    /// How the value must be hidden.
    pub masking: Masking,
}

/// The dictionary entry for `tag`, if it has one.
pub fn tag_info(tag: Tag) -> Option<&'static TagInfo> {
    DICTIONARY.iter().find(|info| info.tag == tag)
}

/// A name for any tag: the dictionary name, else a description of its class (`DF0D` is a
/// "Proprietary data element (private class)").
pub fn tag_name(tag: Tag) -> Cow<'static, str> {
    if let Some(info) = tag_info(tag) {
        return Cow::Borrowed(info.name);
    }
    let kind = if tag.is_constructed() {
        "template"
    } else {
        "data element"
    };
    Cow::Owned(match tag.class() {
        TagClass::Private => format!("Proprietary {kind} (private class)"),
        TagClass::Application => format!("Unknown {kind} (application class)"),
        TagClass::ContextSpecific => format!("Unknown {kind} (context-specific class)"),
        TagClass::Universal => format!("Unknown {kind} (universal class)"),
    })
}

/// Whether a tag's value must never be shown as it is (see [`Masking`]).
pub fn is_sensitive(tag: Tag) -> bool {
    tag_info(tag).is_some_and(|info| info.masking != Masking::Clear)
}

/// Well-known tags, for code that looks data elements up by meaning.
impl Tag {
    /// `4F` Application Identifier (ADF Name), from the card.
    pub const AID: Tag = Tag::from_raw(0x4F);
    /// `50` Application Label.
    pub const APPLICATION_LABEL: Tag = Tag::from_raw(0x50);
    /// `56` Track 1 Data (Mastercard contactless). Sensitive.
    pub const TRACK1_DATA: Tag = Tag::from_raw(0x56);
    /// `57` Track 2 Equivalent Data. Sensitive.
    pub const TRACK2_EQUIVALENT_DATA: Tag = Tag::from_raw(0x57);
    /// `5A` Application Primary Account Number (PAN). Sensitive.
    pub const PAN: Tag = Tag::from_raw(0x5A);
    /// `5F34` Application PAN Sequence Number.
    pub const PAN_SEQUENCE_NUMBER: Tag = Tag::from_raw(0x5F34);
    /// `84` Dedicated File (DF) Name: the AID as selected.
    pub const DF_NAME: Tag = Tag::from_raw(0x84);
    /// `8A` Authorisation Response Code.
    pub const AUTHORISATION_RESPONSE_CODE: Tag = Tag::from_raw(0x8A);
    /// `95` Terminal Verification Results.
    pub const TVR: Tag = Tag::from_raw(0x95);
    /// `9B` Transaction Status Information.
    pub const TSI: Tag = Tag::from_raw(0x9B);
    /// `9F06` Application Identifier (AID), terminal.
    pub const TERMINAL_AID: Tag = Tag::from_raw(0x9F06);
    /// `9F11` Issuer Code Table Index: which ISO/IEC 8859 part `9F12` is written in.
    pub const ISSUER_CODE_TABLE_INDEX: Tag = Tag::from_raw(0x9F11);
    /// `9F12` Application Preferred Name.
    pub const APPLICATION_PREFERRED_NAME: Tag = Tag::from_raw(0x9F12);
    /// `9F1F` Track 1 Discretionary Data. Sensitive.
    pub const TRACK1_DISCRETIONARY_DATA: Tag = Tag::from_raw(0x9F1F);
    /// `9F20` Track 2 Discretionary Data. Sensitive.
    pub const TRACK2_DISCRETIONARY_DATA: Tag = Tag::from_raw(0x9F20);
    /// `9F26` Application Cryptogram.
    pub const APPLICATION_CRYPTOGRAM: Tag = Tag::from_raw(0x9F26);
    /// `9F27` Cryptogram Information Data.
    pub const CRYPTOGRAM_INFORMATION_DATA: Tag = Tag::from_raw(0x9F27);
    /// `9F33` Terminal Capabilities.
    pub const TERMINAL_CAPABILITIES: Tag = Tag::from_raw(0x9F33);
    /// `9F34` Cardholder Verification Method (CVM) Results.
    pub const CVM_RESULTS: Tag = Tag::from_raw(0x9F34);
    /// `9F6B` Track 2 Data (Mastercard contactless). Sensitive.
    pub const TRACK2_DATA: Tag = Tag::from_raw(0x9F6B);
}

const fn entry(tag: u32, name: &'static str, format: Format) -> TagInfo {
    TagInfo {
        tag: Tag::from_raw(tag),
        name,
        format,
        masking: Masking::Clear,
    }
}

const fn secret(tag: u32, name: &'static str, format: Format, masking: Masking) -> TagInfo {
    TagInfo {
        tag: Tag::from_raw(tag),
        name,
        format,
        masking,
    }
}

use Format::{
    Alphabetic as A, Alphanumeric as AN, AlphanumericSpecial as ANS, Binary as B, CompressedNumeric as CN,
    Numeric as N, Template as T, Variable as VAR,
};

/// The entries, ordered by tag. A unit test checks the order and that every tag is well formed.
static DICTIONARY: &[TagInfo] = &[
    entry(0x42, "Issuer Identification Number (IIN)", N),
    entry(0x4F, "Application Identifier (AID) - card", B),
    entry(0x50, "Application Label", ANS),
    secret(0x56, "Track 1 Data (Mastercard)", ANS, Masking::Track1),
    secret(0x57, "Track 2 Equivalent Data", B, Masking::Track2),
    secret(0x5A, "Application Primary Account Number (PAN)", CN, Masking::Pan),
    entry(0x5F20, "Cardholder Name", ANS),
    entry(0x5F24, "Application Expiration Date", N),
    entry(0x5F25, "Application Effective Date", N),
    entry(0x5F28, "Issuer Country Code", N),
    entry(0x5F2A, "Transaction Currency Code", N),
    entry(0x5F2D, "Language Preference", AN),
    entry(0x5F30, "Service Code", N),
    entry(0x5F34, "Application Primary Account Number (PAN) Sequence Number", N),
    entry(0x5F36, "Transaction Currency Exponent", N),
    entry(0x5F50, "Issuer URL", ANS),
    entry(0x5F53, "International Bank Account Number (IBAN)", B),
    entry(0x5F54, "Bank Identifier Code (BIC)", B),
    entry(0x5F55, "Issuer Country Code (alpha2 format)", A),
    entry(0x5F56, "Issuer Country Code (alpha3 format)", A),
    entry(0x61, "Application Template", T),
    entry(0x6F, "File Control Information (FCI) Template", T),
    entry(0x70, "READ RECORD Response Message Template", T),
    entry(0x71, "Issuer Script Template 1", T),
    entry(0x72, "Issuer Script Template 2", T),
    entry(0x73, "Directory Discretionary Template", T),
    entry(0x77, "Response Message Template Format 2", T),
    entry(0x80, "Response Message Template Format 1", B),
    entry(0x81, "Amount, Authorised (Binary)", B),
    entry(0x82, "Application Interchange Profile", B),
    entry(0x83, "Command Template", B),
    entry(0x84, "Dedicated File (DF) Name", B),
    entry(0x86, "Issuer Script Command", B),
    entry(0x87, "Application Priority Indicator", B),
    entry(0x88, "Short File Identifier (SFI)", B),
    entry(0x89, "Authorisation Code", ANS),
    entry(0x8A, "Authorisation Response Code", AN),
    entry(0x8C, "Card Risk Management Data Object List 1 (CDOL1)", B),
    entry(0x8D, "Card Risk Management Data Object List 2 (CDOL2)", B),
    entry(0x8E, "Cardholder Verification Method (CVM) List", B),
    entry(0x8F, "Certification Authority Public Key Index - card", B),
    entry(0x90, "Issuer Public Key Certificate", B),
    entry(0x91, "Issuer Authentication Data", B),
    entry(0x92, "Issuer Public Key Remainder", B),
    entry(0x93, "Signed Static Application Data", B),
    entry(0x94, "Application File Locator (AFL)", VAR),
    entry(0x95, "Terminal Verification Results (TVR)", B),
    entry(0x97, "Transaction Certificate Data Object List (TDOL)", B),
    entry(0x98, "Transaction Certificate (TC) Hash Value", B),
    secret(
        0x99,
        "Transaction Personal Identification Number (PIN) Data",
        B,
        Masking::Hidden,
    ),
    entry(0x9A, "Transaction Date", N),
    entry(0x9B, "Transaction Status Information (TSI)", B),
    entry(0x9C, "Transaction Type", N),
    entry(0x9D, "Directory Definition File (DDF) Name", B),
    entry(0x9F01, "Acquirer Identifier", N),
    entry(0x9F02, "Amount, Authorised (Numeric)", N),
    entry(0x9F03, "Amount, Other (Numeric)", N),
    entry(0x9F04, "Amount, Other (Binary)", B),
    entry(0x9F05, "Application Discretionary Data", B),
    entry(0x9F06, "Application Identifier (AID) - terminal", B),
    entry(0x9F07, "Application Usage Control", B),
    entry(0x9F08, "Application Version Number - card", B),
    entry(0x9F09, "Application Version Number - terminal", B),
    entry(0x9F0B, "Cardholder Name Extended", ANS),
    entry(0x9F0D, "Issuer Action Code - Default", B),
    entry(0x9F0E, "Issuer Action Code - Denial", B),
    entry(0x9F0F, "Issuer Action Code - Online", B),
    entry(0x9F10, "Issuer Application Data", B),
    entry(0x9F11, "Issuer Code Table Index", N),
    entry(0x9F12, "Application Preferred Name", ANS),
    entry(0x9F13, "Last Online Application Transaction Counter (ATC) Register", B),
    entry(0x9F14, "Lower Consecutive Offline Limit", B),
    entry(0x9F15, "Merchant Category Code", N),
    entry(0x9F16, "Merchant Identifier", ANS),
    entry(0x9F17, "Personal Identification Number (PIN) Try Counter", B),
    entry(0x9F18, "Issuer Script Identifier", B),
    entry(0x9F1A, "Terminal Country Code", N),
    entry(0x9F1B, "Terminal Floor Limit", B),
    entry(0x9F1C, "Terminal Identification", AN),
    entry(0x9F1D, "Terminal Risk Management Data", B),
    entry(0x9F1E, "Interface Device (IFD) Serial Number", AN),
    secret(0x9F1F, "Track 1 Discretionary Data", ANS, Masking::Hidden),
    secret(0x9F20, "Track 2 Discretionary Data", CN, Masking::Hidden),
    entry(0x9F21, "Transaction Time", N),
    entry(0x9F22, "Certification Authority Public Key Index - terminal", B),
    entry(0x9F23, "Upper Consecutive Offline Limit", B),
    entry(0x9F26, "Application Cryptogram", B),
    entry(0x9F27, "Cryptogram Information Data", B),
    entry(0x9F2D, "ICC PIN Encipherment Public Key Certificate", B),
    entry(0x9F2E, "ICC PIN Encipherment Public Key Exponent", B),
    entry(0x9F2F, "ICC PIN Encipherment Public Key Remainder", B),
    entry(0x9F32, "Issuer Public Key Exponent", B),
    entry(0x9F33, "Terminal Capabilities", B),
    entry(0x9F34, "Cardholder Verification Method (CVM) Results", B),
    entry(0x9F35, "Terminal Type", N),
    entry(0x9F36, "Application Transaction Counter (ATC)", B),
    entry(0x9F37, "Unpredictable Number", B),
    entry(0x9F38, "Processing Options Data Object List (PDOL)", B),
    entry(0x9F39, "Point-of-Service (POS) Entry Mode", N),
    entry(0x9F3A, "Amount, Reference Currency", B),
    entry(0x9F3B, "Application Reference Currency", N),
    entry(0x9F3C, "Transaction Reference Currency Code", N),
    entry(0x9F3D, "Transaction Reference Currency Exponent", N),
    entry(0x9F40, "Additional Terminal Capabilities", B),
    entry(0x9F41, "Transaction Sequence Counter", N),
    entry(0x9F42, "Application Currency Code", N),
    entry(0x9F43, "Application Reference Currency Exponent", N),
    entry(0x9F44, "Application Currency Exponent", N),
    entry(0x9F45, "Data Authentication Code", B),
    entry(0x9F46, "ICC Public Key Certificate", B),
    entry(0x9F47, "ICC Public Key Exponent", B),
    entry(0x9F48, "ICC Public Key Remainder", B),
    entry(0x9F49, "Dynamic Data Authentication Data Object List (DDOL)", B),
    entry(0x9F4A, "Static Data Authentication Tag List", VAR),
    entry(0x9F4B, "Signed Dynamic Application Data", B),
    entry(0x9F4C, "ICC Dynamic Number", B),
    entry(0x9F4D, "Log Entry", B),
    entry(0x9F4E, "Merchant Name and Location", ANS),
    entry(0x9F4F, "Log Format", B),
    entry(0x9F53, "Transaction Category Code (Mastercard)", AN),
    entry(0x9F5B, "Issuer Script Results", B),
    entry(0x9F66, "Terminal Transaction Qualifiers (Visa)", B),
    secret(0x9F6B, "Track 2 Data (Mastercard)", B, Masking::Track2),
    entry(0x9F6C, "Card Transaction Qualifiers (Visa)", B),
    entry(
        0x9F6E,
        "Form Factor Indicator (Visa) / Third Party Data (Mastercard)",
        B,
    ),
    entry(0x9F7C, "Customer Exclusive Data (Visa)", B),
    entry(0xA5, "File Control Information (FCI) Proprietary Template", T),
    entry(0xBF0C, "File Control Information (FCI) Issuer Discretionary Data", T),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EmvError;

    #[test]
    fn dictionary_is_ordered_well_formed_and_kind_consistent() -> Result<(), EmvError> {
        for pair in DICTIONARY.windows(2) {
            assert!(
                pair[0].tag < pair[1].tag,
                "{} must come before {}",
                pair[0].tag,
                pair[1].tag
            );
        }
        for info in DICTIONARY {
            let checked = Tag::from_u32(info.tag.as_u32())?;
            assert_eq!(checked, info.tag, "{} must be a well-formed tag", info.tag);
            assert_eq!(
                info.tag.is_constructed(),
                info.format == Format::Template,
                "{}: templates and only templates are constructed",
                info.tag
            );
        }
        Ok(())
    }

    #[test]
    fn covers_the_common_tags_of_book_3_and_book_4() -> Result<(), EmvError> {
        let common = "4F 50 57 5A 5F20 5F24 5F25 5F28 5F2A 5F2D 5F30 5F34 82 84 87 8A 8C 8D 8E 8F \
            94 95 9A 9B 9C 9F02 9F03 9F06 9F07 9F09 9F0D 9F0E 9F0F 9F10 9F12 9F1A 9F1C 9F1E 9F21 \
            9F26 9F27 9F33 9F34 9F35 9F36 9F37 9F39 9F40 9F41 9F53 9F6E 6F A5 70 77 80 BF0C";
        for hex in common.split_whitespace() {
            assert!(
                tag_info(Tag::from_hex(hex)?).is_some(),
                "{hex} is missing from the dictionary"
            );
        }
        Ok(())
    }

    #[test]
    fn pan_track_and_discretionary_data_are_masked() -> Result<(), EmvError> {
        for hex in ["5A", "57", "9F6B", "56", "9F1F", "9F20"] {
            assert!(is_sensitive(Tag::from_hex(hex)?), "{hex} must be masked");
        }
        assert!(!is_sensitive(Tag::from_hex("50")?));
        Ok(())
    }

    #[test]
    fn unknown_tags_are_named_by_class() -> Result<(), EmvError> {
        assert_eq!(
            tag_name(Tag::from_hex("DF0D")?),
            "Proprietary data element (private class)"
        );
        assert_eq!(tag_name(Tag::from_hex("E1")?), "Proprietary template (private class)");
        assert_eq!(tag_name(Tag::from_hex("9F26")?), "Application Cryptogram");
        Ok(())
    }
}

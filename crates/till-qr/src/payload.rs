//! EMVCo merchant-presented payloads: fields, parsing with CRC check, exact encoding.
//!
//! Source: EMVCo QR Code Specification for Payment Systems, Merchant-Presented Mode, v1.0
//! (cited as "MPM §x"). A payload is a list of data objects `ID LEN VALUE`, ID and LEN two
//! decimal digits each, LEN counting characters; some IDs hold templates written the same way.

use std::fmt;

use crate::amount::Amount;
use crate::crc::crc_field_value;
use crate::error::QrError;

/// The most characters a value can have: its length is two digits.
pub const MAX_VALUE_LEN: usize = 99;

/// The longest payload EMVCo allows (MPM §4.1). Longer payloads are read, with a warning.
pub const MAX_PAYLOAD_LEN: usize = 512;

/// Field IDs with a meaning of their own (MPM §4.2, Table 3.x).
pub mod ids {
    /// Payload format indicator, `01` (MPM §4.7.1).
    pub const PAYLOAD_FORMAT_INDICATOR: u8 = 0;
    /// Point of initiation method: `11` static, `12` dynamic (MPM §4.7.2).
    pub const POINT_OF_INITIATION: u8 = 1;
    /// Merchant category code, ISO 18245.
    pub const MERCHANT_CATEGORY_CODE: u8 = 52;
    /// Transaction currency, ISO 4217 numeric.
    pub const CURRENCY: u8 = 53;
    /// Transaction amount.
    pub const AMOUNT: u8 = 54;
    /// Tip or convenience indicator.
    pub const TIP_INDICATOR: u8 = 55;
    /// Convenience fee, fixed.
    pub const FEE_FIXED: u8 = 56;
    /// Convenience fee, percentage.
    pub const FEE_PERCENTAGE: u8 = 57;
    /// Country code, ISO 3166-1 alpha-2.
    pub const COUNTRY: u8 = 58;
    /// Merchant name.
    pub const MERCHANT_NAME: u8 = 59;
    /// Merchant city.
    pub const MERCHANT_CITY: u8 = 60;
    /// Postal code.
    pub const POSTAL_CODE: u8 = 61;
    /// Additional data field template.
    pub const ADDITIONAL_DATA: u8 = 62;
    /// CRC.
    pub const CRC: u8 = 63;
    /// Merchant information, language template.
    pub const LANGUAGE_TEMPLATE: u8 = 64;
    /// Sub-field of a merchant account or unreserved template: globally unique identifier.
    pub const GUID: u8 = 0;
}

/// Whether a top-level field holds a template: merchant account templates 26–51, additional data
/// 62, language template 64, unreserved templates 80–99 (MPM §4.7.11, §4.8, §4.9, §4.11).
pub fn is_template_id(id: u8) -> bool {
    matches!(id, 26..=51 | 62 | 64 | 80..=99)
}

/// A field's value: text, or the fields of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A primitive value.
    Text(String),
    /// The sub-fields of a template, in order.
    Template(Vec<Field>),
}

/// One data object. Its encoded length always fits the two-digit length field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    id: u8,
    value: FieldValue,
}

impl Field {
    /// A primitive field.
    ///
    /// # Errors
    /// [`QrError::IdOutOfRange`] for an ID above 99; [`QrError::ValueTooLong`] for a value of
    /// more than 99 characters.
    pub fn text(id: u8, value: impl Into<String>) -> Result<Field, QrError> {
        let value = value.into();
        check_id(id)?;
        check_len(&format!("{id:02}"), value.chars().count(), MAX_VALUE_LEN)?;
        Ok(Field {
            id,
            value: FieldValue::Text(value),
        })
    }

    /// A template field holding `children`.
    ///
    /// # Errors
    /// [`QrError::IdOutOfRange`] for an ID above 99; [`QrError::ValueTooLong`] if the encoded
    /// children take more than 99 characters.
    pub fn template(id: u8, children: Vec<Field>) -> Result<Field, QrError> {
        check_id(id)?;
        let len = children.iter().map(Field::encoded_len).sum();
        check_len(&format!("{id:02}"), len, MAX_VALUE_LEN)?;
        Ok(Field {
            id,
            value: FieldValue::Template(children),
        })
    }

    /// The ID.
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The value.
    pub fn value(&self) -> &FieldValue {
        &self.value
    }

    /// The text of a primitive field; `None` for a template.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            FieldValue::Text(text) => Some(text),
            FieldValue::Template(_) => None,
        }
    }

    /// The sub-fields of a template; empty for a primitive field.
    pub fn children(&self) -> &[Field] {
        match &self.value {
            FieldValue::Text(_) => &[],
            FieldValue::Template(children) => children,
        }
    }

    /// The first sub-field with `id`.
    pub fn child(&self, id: u8) -> Option<&Field> {
        self.children().iter().find(|f| f.id == id)
    }

    /// The text of the first sub-field with `id`.
    pub fn child_text(&self, id: u8) -> Option<&str> {
        self.child(id).and_then(Field::as_text)
    }

    /// The value's length in characters, as the length field writes it.
    pub fn value_len(&self) -> usize {
        match &self.value {
            FieldValue::Text(text) => text.chars().count(),
            FieldValue::Template(children) => children.iter().map(Field::encoded_len).sum(),
        }
    }

    /// The encoded field's length in characters: ID, length and value.
    pub fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Appends the encoded field to `out`.
    pub fn encode_into(&self, out: &mut String) {
        use fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(out, "{:02}{:02}", self.id, self.value_len());
        match &self.value {
            FieldValue::Text(text) => out.push_str(text),
            FieldValue::Template(children) => children.iter().for_each(|c| c.encode_into(out)),
        }
    }
}

fn check_id(id: u8) -> Result<(), QrError> {
    if id > 99 {
        return Err(QrError::IdOutOfRange { id });
    }
    Ok(())
}

pub(crate) fn check_len(field: &str, length: usize, max: usize) -> Result<(), QrError> {
    if length > max {
        return Err(QrError::ValueTooLong {
            field: field.to_owned(),
            length,
            max,
        });
    }
    Ok(())
}

/// Static or dynamic code (field 01, MPM §4.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointOfInitiation {
    /// `11`: the same code for many payments (a printed sticker).
    Static,
    /// `12`: a code for one payment, usually with an amount.
    Dynamic,
}

impl PointOfInitiation {
    /// The field 01 value.
    pub fn code(self) -> &'static str {
        match self {
            PointOfInitiation::Static => "11",
            PointOfInitiation::Dynamic => "12",
        }
    }
}

/// Tip or convenience fee (fields 55–57, MPM §4.7.6–4.7.8).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Tip {
    /// `55` = `01`: the payer's app asks for a tip.
    Prompt,
    /// `55` = `02`: a fixed fee, the value of field 56.
    FixedFee(String),
    /// `55` = `03`: a percentage fee, the value of field 57.
    PercentageFee(String),
}

/// A merchant-presented payload: its top-level fields in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload {
    fields: Vec<Field>,
}

impl Payload {
    /// A payload of `fields`, as given: nothing is added, reordered or checked. Call
    /// [`Payload::with_crc`] to (re)compute field 63.
    pub fn new(fields: Vec<Field>) -> Payload {
        Payload { fields }
    }

    /// The top-level fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The first top-level field with `id`.
    pub fn get(&self, id: u8) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The text of the first top-level field with `id`.
    pub fn text(&self, id: u8) -> Option<&str> {
        self.get(id).and_then(Field::as_text)
    }

    /// The payload text, exactly as the fields write it (CRC included as stored).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.fields.iter().map(Field::encoded_len).sum());
        self.fields.iter().for_each(|f| f.encode_into(&mut out));
        out
    }

    /// The payload with every top-level field 63 removed and a fresh CRC appended as the last
    /// field, in uppercase hex.
    pub fn with_crc(mut self) -> Payload {
        self.fields.retain(|f| f.id != ids::CRC);
        let crc = self.expected_crc();
        self.fields.push(Field {
            id: ids::CRC,
            value: FieldValue::Text(crc),
        });
        self
    }

    /// The CRC the payload should carry: computed over every field before a trailing field 63
    /// (all fields if there is none), followed by `6304`.
    pub fn expected_crc(&self) -> String {
        let body = match self.fields.split_last() {
            Some((last, rest)) if last.id == ids::CRC => rest,
            _ => &self.fields[..],
        };
        let mut text = Payload::new(body.to_vec()).encode();
        text.push_str("6304");
        crc_field_value(&text)
    }

    /// The payload format indicator (field 00).
    pub fn format_indicator(&self) -> Option<&str> {
        self.text(ids::PAYLOAD_FORMAT_INDICATOR)
    }

    /// Static or dynamic (field 01), if the field holds one of the two defined values.
    pub fn point_of_initiation(&self) -> Option<PointOfInitiation> {
        match self.text(ids::POINT_OF_INITIATION)? {
            "11" => Some(PointOfInitiation::Static),
            "12" => Some(PointOfInitiation::Dynamic),
            _ => None,
        }
    }

    /// The merchant account fields: IDs 02–51, primitive (card networks) or templates.
    pub fn merchant_accounts(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| (2..=51).contains(&f.id))
    }

    /// The first merchant account or unreserved template (26–51, 80–99) whose sub-field 00
    /// equals `guid`, ignoring ASCII case (`hk.com.hkicl`, `SG.PAYNOW`, `A000000677010111`).
    pub fn account_by_guid(&self, guid: &str) -> Option<&Field> {
        self.fields.iter().find(|f| {
            matches!(f.id, 26..=51 | 80..=99) && f.child_text(ids::GUID).is_some_and(|g| g.eq_ignore_ascii_case(guid))
        })
    }

    /// The merchant category code (field 52).
    pub fn merchant_category_code(&self) -> Option<&str> {
        self.text(ids::MERCHANT_CATEGORY_CODE)
    }

    /// The ISO 4217 numeric currency code (field 53), e.g. `344` for HKD.
    pub fn currency(&self) -> Option<&str> {
        self.text(ids::CURRENCY)
    }

    /// The amount text (field 54), as written.
    pub fn amount_text(&self) -> Option<&str> {
        self.text(ids::AMOUNT)
    }

    /// The amount (field 54), if present; an error if the field is not a valid amount.
    pub fn amount(&self) -> Option<Result<Amount, QrError>> {
        self.amount_text().map(Amount::parse)
    }

    /// The tip or fee (fields 55–57), if field 55 holds a defined value.
    pub fn tip(&self) -> Option<Tip> {
        let value = |id| self.text(id).unwrap_or_default().to_owned();
        match self.text(ids::TIP_INDICATOR)? {
            "01" => Some(Tip::Prompt),
            "02" => Some(Tip::FixedFee(value(ids::FEE_FIXED))),
            "03" => Some(Tip::PercentageFee(value(ids::FEE_PERCENTAGE))),
            _ => None,
        }
    }

    /// The country code (field 58).
    pub fn country(&self) -> Option<&str> {
        self.text(ids::COUNTRY)
    }

    /// The merchant name (field 59).
    pub fn merchant_name(&self) -> Option<&str> {
        self.text(ids::MERCHANT_NAME)
    }

    /// The merchant city (field 60).
    pub fn merchant_city(&self) -> Option<&str> {
        self.text(ids::MERCHANT_CITY)
    }

    /// The postal code (field 61).
    pub fn postal_code(&self) -> Option<&str> {
        self.text(ids::POSTAL_CODE)
    }

    /// A sub-field of the additional data template (62), e.g. `1` bill number, `5` reference
    /// label, `7` terminal label.
    pub fn additional_data(&self, sub_id: u8) -> Option<&str> {
        self.get(ids::ADDITIONAL_DATA)?.child_text(sub_id)
    }

    /// The CRC (field 63) as written.
    pub fn crc(&self) -> Option<&str> {
        self.text(ids::CRC)
    }
}

/// Something unusual in a payload that was read anyway: EMVCo rules that real codes break
/// (PromptPay leaves out the merchant name, DuitNow writes format `02`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The field, e.g. `54` or `62.05`; empty for the payload as a whole.
    pub field: String,
    /// Character offset of the field (0 for the payload as a whole and for a missing field).
    pub offset: usize,
    /// What is unusual.
    pub kind: WarningKind,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// The CRC is written in lowercase hex; EMVCo writes uppercase.
    CrcLowercase,
    /// Field 00 is not `01`.
    UnexpectedFormatIndicator {
        /// The value found.
        found: String,
    },
    /// Field 01 is neither `11` nor `12`.
    UnknownPointOfInitiation {
        /// The value found.
        found: String,
    },
    /// A field has length `00`; EMVCo lengths start at `01`.
    EmptyValue,
    /// The ID occurs more than once at this level.
    DuplicateId,
    /// A mandatory field is missing.
    MissingField {
        /// The missing field's ID.
        id: u8,
    },
    /// No merchant account field (02–51) is present.
    NoMerchantAccount,
    /// A value does not have the form its field requires.
    InvalidValue {
        /// What the field requires.
        expected: &'static str,
    },
    /// A value is longer than its field allows.
    TooLong {
        /// The field's maximum, in characters.
        max: usize,
    },
    /// A template field does not hold well-formed sub-fields; it is kept as text.
    TemplateNotParsed {
        /// Why the sub-fields could not be read.
        reason: String,
    },
    /// A merchant account template has no globally unique identifier (sub-field 00).
    TemplateWithoutGuid,
    /// The tip indicator and the fee fields disagree (MPM §4.7.6–4.7.8).
    TipFieldsInconsistent,
    /// The payload is longer than 512 characters.
    PayloadTooLong {
        /// Its length in characters.
        length: usize,
    },
}

impl WarningKind {
    /// A stable machine-readable code, e.g. `crc_lowercase`.
    pub fn code(&self) -> &'static str {
        match self {
            WarningKind::CrcLowercase => "crc_lowercase",
            WarningKind::UnexpectedFormatIndicator { .. } => "unexpected_format_indicator",
            WarningKind::UnknownPointOfInitiation { .. } => "unknown_point_of_initiation",
            WarningKind::EmptyValue => "empty_value",
            WarningKind::DuplicateId => "duplicate_id",
            WarningKind::MissingField { .. } => "missing_field",
            WarningKind::NoMerchantAccount => "no_merchant_account",
            WarningKind::InvalidValue { .. } => "invalid_value",
            WarningKind::TooLong { .. } => "too_long",
            WarningKind::TemplateNotParsed { .. } => "template_not_parsed",
            WarningKind::TemplateWithoutGuid => "template_without_guid",
            WarningKind::TipFieldsInconsistent => "tip_fields_inconsistent",
            WarningKind::PayloadTooLong { .. } => "payload_too_long",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::CrcLowercase => f.write_str("CRC written in lowercase hex"),
            WarningKind::UnexpectedFormatIndicator { found } => {
                write!(f, "payload format indicator is {found:?}, EMVCo defines \"01\"")
            }
            WarningKind::UnknownPointOfInitiation { found } => {
                write!(f, "point of initiation {found:?} is neither \"11\" nor \"12\"")
            }
            WarningKind::EmptyValue => f.write_str("empty value (length 00)"),
            WarningKind::DuplicateId => f.write_str("ID occurs more than once at this level"),
            WarningKind::MissingField { id } => write!(f, "mandatory field {id:02} is missing"),
            WarningKind::NoMerchantAccount => f.write_str("no merchant account information (fields 02-51)"),
            WarningKind::InvalidValue { expected } => write!(f, "expected {expected}"),
            WarningKind::TooLong { max } => write!(f, "longer than {max} characters"),
            WarningKind::TemplateNotParsed { reason } => {
                write!(f, "template kept as text: {reason}")
            }
            WarningKind::TemplateWithoutGuid => {
                f.write_str("template has no globally unique identifier (sub-field 00)")
            }
            WarningKind::TipFieldsInconsistent => f.write_str("tip indicator (55) and fee fields (56, 57) disagree"),
            WarningKind::PayloadTooLong { length } => {
                write!(f, "payload is {length} characters, EMVCo allows 512")
            }
        }
    }
}

/// A payload read from text, with what was unusual about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The payload; `payload.encode()` gives back the text that was read.
    pub payload: Payload,
    /// Departures from EMVCo rules that did not stop the reading.
    pub warnings: Vec<Warning>,
}

/// Reads a merchant-presented payload.
///
/// Structure and CRC are checked strictly, since a misread code must never reach a payment;
/// everything else is read leniently and reported in [`Parsed::warnings`], since real codes
/// (PromptPay, VietQR, DuitNow, KHQR) break EMVCo rules a payer's app lets through. Lengths count
/// characters; the CRC covers the UTF-8 bytes up to and including `6304`; a lowercase CRC is
/// accepted with a warning. Templates (26–51, 62, 64, 80–99) are read one level deep; one that
/// does not hold well-formed sub-fields is kept as text with a warning.
///
/// # Errors
/// [`QrError::Empty`], [`QrError::TruncatedField`], [`QrError::InvalidId`],
/// [`QrError::InvalidLength`], [`QrError::ValueOverrun`], [`QrError::FormatIndicatorNotFirst`],
/// [`QrError::MissingCrc`], [`QrError::CrcNotLast`], [`QrError::CrcLength`],
/// [`QrError::CrcNotHex`] or [`QrError::CrcMismatch`].
pub fn parse(text: &str) -> Result<Parsed, QrError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    if chars.is_empty() {
        return Err(QrError::Empty);
    }
    let raw = scan(&chars, 0, chars.len())?;
    let first = raw.first().ok_or(QrError::Empty)?;
    if first.id != ids::PAYLOAD_FORMAT_INDICATOR {
        return Err(QrError::FormatIndicatorNotFirst { found: first.id });
    }
    let mut warnings = Vec::new();
    check_crc(text, &chars, &raw, &mut warnings)?;

    let mut fields = Vec::with_capacity(raw.len());
    for field in &raw {
        let value = field.text(&chars);
        let path = format!("{:02}", field.id);
        let value = if is_template_id(field.id) && field.len > 0 {
            match scan(&chars, field.value_start(), field.value_start() + field.len) {
                Ok(subs) => {
                    check_level(&subs, Some((field.id, field.offset)), &mut warnings);
                    FieldValue::Template(
                        subs.iter()
                            .map(|s| Field {
                                id: s.id,
                                value: FieldValue::Text(s.text(&chars)),
                            })
                            .collect(),
                    )
                }
                Err(error) => {
                    warnings.push(Warning {
                        field: path,
                        offset: field.offset,
                        kind: WarningKind::TemplateNotParsed {
                            reason: error.to_string(),
                        },
                    });
                    FieldValue::Text(value)
                }
            }
        } else {
            FieldValue::Text(value)
        };
        fields.push(Field { id: field.id, value });
    }
    check_level(&raw, None, &mut warnings);
    let payload = Payload { fields };
    check_payload(&payload, &raw, chars.len(), &mut warnings);
    Ok(Parsed { payload, warnings })
}

/// A field found by [`scan`]: positions in characters.
struct RawField {
    id: u8,
    offset: usize,
    len: usize,
}

impl RawField {
    fn value_start(&self) -> usize {
        self.offset + 4
    }

    fn text(&self, chars: &[(usize, char)]) -> String {
        chars[self.value_start()..self.value_start() + self.len]
            .iter()
            .map(|(_, c)| c)
            .collect()
    }
}

/// Splits `chars[start..end]` into fields.
fn scan(chars: &[(usize, char)], start: usize, end: usize) -> Result<Vec<RawField>, QrError> {
    let mut fields = Vec::new();
    let mut pos = start;
    while pos < end {
        if end - pos < 4 {
            return Err(QrError::TruncatedField {
                offset: pos,
                remaining: end - pos,
            });
        }
        let two = |at: usize| -> (String, Option<u8>) {
            let pair: String = chars[at..at + 2].iter().map(|(_, c)| c).collect();
            let number = pair
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| pair.bytes().fold(0, |n, b| n * 10 + (b - b'0')));
            (pair, number)
        };
        let (id_text, id) = two(pos);
        let Some(id) = id else {
            return Err(QrError::InvalidId {
                offset: pos,
                found: id_text,
            });
        };
        let (len_text, len) = two(pos + 2);
        let Some(len) = len else {
            return Err(QrError::InvalidLength {
                offset: pos + 2,
                id,
                found: len_text,
            });
        };
        let len = usize::from(len);
        let available = end - pos - 4;
        if len > available {
            return Err(QrError::ValueOverrun {
                offset: pos,
                id,
                declared: len,
                available,
            });
        }
        fields.push(RawField { id, offset: pos, len });
        pos += 4 + len;
    }
    Ok(fields)
}

fn check_crc(
    text: &str,
    chars: &[(usize, char)],
    raw: &[RawField],
    warnings: &mut Vec<Warning>,
) -> Result<(), QrError> {
    let Some(crc_index) = raw.iter().position(|f| f.id == ids::CRC) else {
        return Err(QrError::MissingCrc);
    };
    let crc = &raw[crc_index];
    if crc_index + 1 != raw.len() {
        return Err(QrError::CrcNotLast { offset: crc.offset });
    }
    if crc.len != 4 {
        return Err(QrError::CrcLength {
            offset: crc.offset,
            declared: crc.len,
        });
    }
    let found = crc.text(chars);
    let value_offset = crc.value_start();
    if !found.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(QrError::CrcNotHex {
            offset: value_offset,
            found,
        });
    }
    let byte_end = chars[value_offset].0;
    let computed = crc_field_value(&text[..byte_end]);
    if !found.eq_ignore_ascii_case(&computed) {
        return Err(QrError::CrcMismatch {
            offset: value_offset,
            found,
            computed,
        });
    }
    if found != computed {
        warnings.push(Warning {
            field: "63".to_owned(),
            offset: crc.offset,
            kind: WarningKind::CrcLowercase,
        });
    }
    Ok(())
}

/// Checks that hold at any level: empty values, repeated IDs, template GUIDs. `parent` is the
/// template's ID and offset, `None` at the top level.
fn check_level(fields: &[RawField], parent: Option<(u8, usize)>, warnings: &mut Vec<Warning>) {
    let parent_offset = parent.map(|(_, offset)| offset);
    let parent = parent.map(|(id, _)| id);
    let path = |id: u8| match parent {
        Some(p) => format!("{p:02}.{id:02}"),
        None => format!("{id:02}"),
    };
    for (index, field) in fields.iter().enumerate() {
        let warn = |kind| Warning {
            field: path(field.id),
            offset: field.offset,
            kind,
        };
        if field.len == 0 {
            warnings.push(warn(WarningKind::EmptyValue));
        }
        if fields[..index].iter().any(|f| f.id == field.id) {
            warnings.push(warn(WarningKind::DuplicateId));
        }
        if parent == Some(ids::ADDITIONAL_DATA) && (1..=9).contains(&field.id) {
            let max = if field.id == 9 { 3 } else { 25 };
            if field.len > max {
                warnings.push(warn(WarningKind::TooLong { max }));
            }
        }
        if parent == Some(ids::LANGUAGE_TEMPLATE) {
            let max = match field.id {
                0 => 2,
                1 => 25,
                2 => 15,
                _ => MAX_VALUE_LEN,
            };
            if field.len > max {
                warnings.push(warn(WarningKind::TooLong { max }));
            }
        }
    }
    if let (Some(parent_id), Some(offset)) = (parent, parent_offset)
        && (26..=51).contains(&parent_id)
        && !fields.iter().any(|f| f.id == ids::GUID)
    {
        warnings.push(Warning {
            field: format!("{parent_id:02}"),
            offset,
            kind: WarningKind::TemplateWithoutGuid,
        });
    }
}

/// Top-level rules: mandatory fields and the form of the well-known values.
fn check_payload(payload: &Payload, raw: &[RawField], length: usize, warnings: &mut Vec<Warning>) {
    let offset_of = |id: u8| raw.iter().find(|f| f.id == id).map_or(0, |f| f.offset);
    let at = |id: Option<u8>, kind| Warning {
        field: id.map(|id| format!("{id:02}")).unwrap_or_default(),
        offset: id.map_or(0, offset_of),
        kind,
    };
    if length > MAX_PAYLOAD_LEN {
        warnings.push(at(None, WarningKind::PayloadTooLong { length }));
    }
    if let Some(found) = payload.format_indicator().filter(|v| *v != "01") {
        warnings.push(at(
            Some(ids::PAYLOAD_FORMAT_INDICATOR),
            WarningKind::UnexpectedFormatIndicator {
                found: found.to_owned(),
            },
        ));
    }
    if let Some(found) = payload
        .text(ids::POINT_OF_INITIATION)
        .filter(|_| payload.point_of_initiation().is_none())
    {
        warnings.push(at(
            Some(ids::POINT_OF_INITIATION),
            WarningKind::UnknownPointOfInitiation {
                found: found.to_owned(),
            },
        ));
    }
    if payload.merchant_accounts().next().is_none() {
        warnings.push(at(None, WarningKind::NoMerchantAccount));
    }
    for id in [
        ids::MERCHANT_CATEGORY_CODE,
        ids::CURRENCY,
        ids::COUNTRY,
        ids::MERCHANT_NAME,
        ids::MERCHANT_CITY,
    ] {
        if payload.get(id).is_none() {
            warnings.push(Warning {
                field: format!("{id:02}"),
                offset: 0,
                kind: WarningKind::MissingField { id },
            });
        }
    }
    fn digits(value: &str, count: usize) -> bool {
        value.len() == count && value.bytes().all(|b| b.is_ascii_digit())
    }
    type Check = (u8, &'static str, fn(&str) -> bool);
    let checks: [Check; 4] = [
        (ids::MERCHANT_CATEGORY_CODE, "4 digits (ISO 18245)", |v| digits(v, 4)),
        (ids::CURRENCY, "3 digits (ISO 4217 numeric)", |v| digits(v, 3)),
        (ids::COUNTRY, "2 letters (ISO 3166-1 alpha-2)", |v| {
            v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase())
        }),
        (ids::AMOUNT, "a non-zero decimal amount of at most 13 characters", |v| {
            Amount::parse(v).is_ok()
        }),
    ];
    for (id, expected, valid) in checks {
        if payload.text(id).is_some_and(|v| !v.is_empty() && !valid(v)) {
            warnings.push(at(Some(id), WarningKind::InvalidValue { expected }));
        }
    }
    for (id, max) in [
        (ids::MERCHANT_NAME, 25),
        (ids::MERCHANT_CITY, 15),
        (ids::POSTAL_CODE, 10),
    ] {
        if payload.text(id).is_some_and(|v| v.chars().count() > max) {
            warnings.push(at(Some(id), WarningKind::TooLong { max }));
        }
    }
    let indicator = payload.text(ids::TIP_INDICATOR);
    let has = |id| payload.get(id).is_some();
    let consistent = match indicator {
        None | Some("01") => !has(ids::FEE_FIXED) && !has(ids::FEE_PERCENTAGE),
        Some("02") => has(ids::FEE_FIXED) && !has(ids::FEE_PERCENTAGE),
        Some("03") => !has(ids::FEE_FIXED) && has(ids::FEE_PERCENTAGE),
        Some(_) => false,
    };
    if !consistent {
        warnings.push(at(Some(ids::TIP_INDICATOR), WarningKind::TipFieldsInconsistent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), QrError>;

    /// V20 of the shared vectors (DemChing/hkqr-fps): an FPS e-mail proxy code.
    const FPS_EMAIL: &str = "00020101021126530012hk.com.hkicl0433FPS_Identifier_CRC201D@ird.gov.hk520400005303344540419895802HK5902NA6002HK63042767";

    #[test]
    fn parses_and_re_encodes_exactly() -> TestResult {
        let parsed = parse(FPS_EMAIL)?;
        assert_eq!(parsed.payload.encode(), FPS_EMAIL);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fps = parsed
            .payload
            .account_by_guid("HK.COM.HKICL")
            .ok_or(QrError::MissingCrc)?;
        assert_eq!(fps.id(), 26);
        assert_eq!(fps.child_text(4), Some("FPS_Identifier_CRC201D@ird.gov.hk"));
        assert_eq!(parsed.payload.amount(), Some(Amount::new(1989, 0)));
        assert_eq!(parsed.payload.point_of_initiation(), Some(PointOfInitiation::Static));
        Ok(())
    }

    #[test]
    fn lengths_count_characters_and_crc_covers_utf8() -> TestResult {
        let fields = vec![
            Field::text(0, "01")?,
            Field::text(26, "x")?,
            Field::template(64, vec![Field::text(0, "ZH")?, Field::text(1, "最佳运输")?])?,
        ];
        let text = Payload::new(fields).with_crc().encode();
        assert!(
            text.contains("64140002ZH0104最佳运输"),
            "4 characters, not 12 bytes: {text}"
        );
        let parsed = parse(&text)?;
        assert_eq!(parsed.payload.get(64).and_then(|f| f.child_text(1)), Some("最佳运输"));
        Ok(())
    }

    #[test]
    fn errors_say_what_and_where() -> Result<(), QrError> {
        assert_eq!(parse(""), Err(QrError::Empty));
        assert!(matches!(
            parse("0002010"),
            Err(QrError::TruncatedField {
                offset: 6,
                remaining: 1
            })
        ));
        assert!(matches!(
            parse("00020"),
            Err(QrError::ValueOverrun {
                offset: 0,
                id: 0,
                declared: 2,
                available: 1
            })
        ));
        assert!(matches!(parse("0A0201"), Err(QrError::InvalidId { offset: 0, .. })));
        assert!(matches!(
            parse("00X201"),
            Err(QrError::InvalidLength { offset: 2, id: 0, .. })
        ));
        assert!(matches!(parse("000201010212"), Err(QrError::MissingCrc)));
        assert!(matches!(
            parse("0002016304ABCD5802HK"),
            Err(QrError::CrcNotLast { offset: 6 })
        ));
        assert!(matches!(
            parse("0002010109"),
            Err(QrError::ValueOverrun {
                offset: 6,
                id: 1,
                declared: 9,
                available: 0
            })
        ));
        Ok(())
    }

    #[test]
    fn lowercase_crc_is_accepted_with_a_warning() -> TestResult {
        let upper = Payload::new(vec![Field::text(0, "01")?]).with_crc().encode();
        let lower = format!(
            "{}{}",
            &upper[..upper.len() - 4],
            upper[upper.len() - 4..].to_lowercase()
        );
        if lower == upper {
            return Ok(()); // this CRC has no letters
        }
        let parsed = parse(&lower)?;
        assert_eq!(parsed.payload.encode(), lower, "kept as written");
        assert!(parsed.warnings.iter().any(|w| w.kind == WarningKind::CrcLowercase));
        Ok(())
    }

    #[test]
    fn malformed_template_is_kept_as_text() -> TestResult {
        let text = Payload::new(vec![Field::text(0, "01")?, Field::text(81, "0048006500")?])
            .with_crc()
            .encode();
        let parsed = parse(&text)?;
        assert_eq!(parsed.payload.text(81), Some("0048006500"));
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.field == "81" && matches!(w.kind, WarningKind::TemplateNotParsed { .. }))
        );
        Ok(())
    }

    #[test]
    fn constructors_enforce_two_digit_lengths() -> TestResult {
        assert!(Field::text(100, "x").is_err());
        assert!(Field::text(5, "x".repeat(100)).is_err());
        assert!(
            Field::text(5, "字".repeat(99)).is_ok(),
            "99 characters, even at 3 bytes each"
        );
        assert!(
            Field::template(62, vec![Field::text(1, "x".repeat(95))?]).is_ok(),
            "4 + 95 = 99"
        );
        assert!(
            Field::template(62, vec![Field::text(1, "x".repeat(96))?]).is_err(),
            "4 + 96 > 99"
        );
        Ok(())
    }
}

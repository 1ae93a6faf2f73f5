//! Builders for the merchant-presented codes the till shows: HK FPS and SG PayNow.
//!
//! Both write the fields in the order their reference generators do (Odoo `l10n_hk` /
//! `l10n_sg`, DemChing/hkqr-fps): `00 01 26 52 53 54 58 59 60 62 63`, so a code built here is
//! byte-identical to theirs for the same inputs.

use crate::amount::Amount;
use crate::error::QrError;
use crate::payload::{Field, Payload, PointOfInitiation, check_len, ids};

/// The merchant category code FPS and PayNow generators send (`0000`, shared vectors V1, V2).
pub const UNSPECIFIED_MCC: &str = "0000";

/// ISO 4217 numeric code of the Hong Kong dollar.
pub const HKD: u16 = 344;
/// ISO 4217 numeric code of the Singapore dollar.
pub const SGD: u16 = 702;

/// How an FPS payee is addressed: template 26, GUID `hk.com.hkicl` (HKMA common QR code
/// specification as implemented by DemChing/hkqr-fps and Odoo `l10n_hk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FpsProxy {
    /// Sub-field 02: an FPS identifier, digits (7 or 9 per Odoo; 7 then 10 per HaLi.FPS).
    FpsId(String),
    /// Sub-field 03: a mobile number written `+852-67891234`.
    Mobile(String),
    /// Sub-field 04: an e-mail address.
    Email(String),
}

/// The fields both builders share.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Common {
    point_of_initiation: PointOfInitiation,
    merchant_category_code: String,
    currency: u16,
    amount: Option<Amount>,
    merchant_name: String,
    merchant_city: String,
    reference: Option<String>,
}

impl Common {
    fn new(merchant_name: &str, merchant_city: &str, currency: u16) -> Common {
        Common {
            point_of_initiation: PointOfInitiation::Static,
            merchant_category_code: UNSPECIFIED_MCC.to_owned(),
            currency,
            amount: None,
            merchant_name: merchant_name.to_owned(),
            merchant_city: merchant_city.to_owned(),
            reference: None,
        }
    }

    /// The payload: common fields around the scheme's account template, CRC last.
    fn assemble(&self, account: Field, country: &str, reference_sub_id: u8) -> Result<Payload, QrError> {
        let mcc = &self.merchant_category_code;
        if mcc.len() != 4 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("52", "a merchant category code is 4 digits"));
        }
        if self.currency > 999 {
            return Err(invalid("53", "an ISO 4217 numeric code has 3 digits"));
        }
        check_len("59", self.merchant_name.chars().count(), 25)?;
        check_len("60", self.merchant_city.chars().count(), 15)?;
        if self.merchant_name.is_empty() || self.merchant_city.is_empty() {
            return Err(invalid("59", "merchant name and city are mandatory"));
        }
        let mut fields = vec![
            Field::text(ids::PAYLOAD_FORMAT_INDICATOR, "01")?,
            Field::text(ids::POINT_OF_INITIATION, self.point_of_initiation.code())?,
            account,
            Field::text(ids::MERCHANT_CATEGORY_CODE, mcc.as_str())?,
            Field::text(ids::CURRENCY, format!("{:03}", self.currency))?,
        ];
        if let Some(amount) = self.amount {
            fields.push(Field::text(ids::AMOUNT, amount.to_string())?);
        }
        fields.push(Field::text(ids::COUNTRY, country)?);
        fields.push(Field::text(ids::MERCHANT_NAME, self.merchant_name.as_str())?);
        fields.push(Field::text(ids::MERCHANT_CITY, self.merchant_city.as_str())?);
        if let Some(reference) = &self.reference {
            let path = format!("62.{reference_sub_id:02}");
            check_len(&path, reference.chars().count(), 25)?;
            if reference.is_empty() {
                return Err(invalid(&path, "an empty reference would be an empty field"));
            }
            let sub = Field::text(reference_sub_id, reference.as_str())?;
            fields.push(Field::template(ids::ADDITIONAL_DATA, vec![sub])?);
        }
        Ok(Payload::new(fields).with_crc())
    }
}

fn invalid(field: &str, reason: &'static str) -> QrError {
    QrError::InvalidField {
        field: field.to_owned(),
        reason,
    }
}

macro_rules! common_setters {
    () => {
        /// Static (`11`, the default: a code printed once) or dynamic (`12`: a code for one sale).
        pub fn point_of_initiation(mut self, point: PointOfInitiation) -> Self {
            self.common.point_of_initiation = point;
            self
        }

        /// The amount (field 54); without one the payer types it.
        pub fn amount(mut self, amount: Amount) -> Self {
            self.common.amount = Some(amount);
            self
        }

        /// The merchant category code (field 52), `0000` unless set.
        pub fn merchant_category_code(mut self, mcc: &str) -> Self {
            self.common.merchant_category_code = mcc.to_owned();
            self
        }

        /// The bill reference the till will look for in the payment notice (at most 25
        /// characters).
        pub fn reference(mut self, reference: &str) -> Self {
            self.common.reference = Some(reference.to_owned());
            self
        }
    };
}

/// A Hong Kong FPS code.
///
/// The reference goes to additional data sub-field 05 (reference label), as Odoo writes it
/// (shared vector V1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FpsQr {
    proxy: FpsProxy,
    participant_code: Option<String>,
    common: Common,
}

impl FpsQr {
    /// An FPS code paying `proxy`, in HKD, static, with no amount.
    pub fn new(proxy: FpsProxy, merchant_name: &str, merchant_city: &str) -> FpsQr {
        FpsQr {
            proxy,
            participant_code: None,
            common: Common::new(merchant_name, merchant_city, HKD),
        }
    }

    /// The payee's bank as its 3-digit FPS participant code (sub-field 01), e.g. `004` HSBC.
    pub fn participant_code(mut self, code: &str) -> Self {
        self.participant_code = Some(code.to_owned());
        self
    }

    /// The currency as an ISO 4217 numeric code; HKD (344) unless set (FPS also carries CNY, 156).
    pub fn currency(mut self, numeric_code: u16) -> Self {
        self.common.currency = numeric_code;
        self
    }

    common_setters!();

    /// The payload, CRC included.
    ///
    /// # Errors
    /// [`QrError::InvalidField`] or [`QrError::ValueTooLong`] naming the field whose input is not
    /// acceptable.
    pub fn build(&self) -> Result<Payload, QrError> {
        let mut subs = vec![Field::text(ids::GUID, "hk.com.hkicl")?];
        if let Some(code) = &self.participant_code {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("26.01", "an FPS participant code is 3 digits"));
            }
            subs.push(Field::text(1, code.as_str())?);
        }
        let proxy = match &self.proxy {
            FpsProxy::FpsId(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                Field::text(2, id.as_str())?
            }
            FpsProxy::FpsId(_) => return Err(invalid("26.02", "an FPS identifier is digits")),
            FpsProxy::Mobile(mobile) if is_phone_number(mobile) => Field::text(3, mobile.as_str())?,
            FpsProxy::Mobile(_) => {
                return Err(invalid("26.03", "a mobile number is + and digits, e.g. +852-67891234"));
            }
            FpsProxy::Email(email) if is_email(email) => Field::text(4, email.as_str())?,
            FpsProxy::Email(_) => return Err(invalid("26.04", "not an e-mail address")),
        };
        subs.push(proxy);
        self.common.assemble(Field::template(26, subs)?, "HK", 5)
    }
}

/// How a PayNow payee is addressed: template 26, GUID `SG.PAYNOW`, proxy type in sub-field 01
/// (Odoo `l10n_sg`, winstxnhdw/sgqr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayNowProxy {
    /// Proxy type `0`: a mobile number, e.g. `+6591234567`.
    Mobile(String),
    /// Proxy type `2`: a company's Unique Entity Number, e.g. `200002150H`.
    Uen(String),
}

/// A Singapore PayNow code.
///
/// The reference goes to additional data sub-field 01 (bill number), as Odoo writes it (shared
/// vector V2). Sub-field 03 (amount editable) is always written, `0` unless set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayNowQr {
    proxy: PayNowProxy,
    amount_editable: bool,
    expiry: Option<String>,
    common: Common,
}

impl PayNowQr {
    /// A PayNow code paying `proxy`, in SGD, static, with no amount.
    pub fn new(proxy: PayNowProxy, merchant_name: &str, merchant_city: &str) -> PayNowQr {
        PayNowQr {
            proxy,
            amount_editable: false,
            expiry: None,
            common: Common::new(merchant_name, merchant_city, SGD),
        }
    }

    /// Whether the payer may change the amount (sub-field 03).
    pub fn amount_editable(mut self, editable: bool) -> Self {
        self.amount_editable = editable;
        self
    }

    /// The last day the code can be paid, `YYYYMMDD` (sub-field 04).
    pub fn expiry(mut self, date: &str) -> Self {
        self.expiry = Some(date.to_owned());
        self
    }

    common_setters!();

    /// The payload, CRC included.
    ///
    /// # Errors
    /// [`QrError::InvalidField`] or [`QrError::ValueTooLong`] naming the field whose input is not
    /// acceptable.
    pub fn build(&self) -> Result<Payload, QrError> {
        let (proxy_type, proxy) = match &self.proxy {
            PayNowProxy::Mobile(mobile) if is_phone_number(mobile) => ("0", mobile),
            PayNowProxy::Mobile(_) => {
                return Err(invalid("26.02", "a mobile number is + and digits, e.g. +6591234567"));
            }
            PayNowProxy::Uen(uen) if !uen.is_empty() && uen.bytes().all(|b| b.is_ascii_alphanumeric()) => ("2", uen),
            PayNowProxy::Uen(_) => return Err(invalid("26.02", "a UEN is letters and digits")),
        };
        let mut subs = vec![
            Field::text(ids::GUID, "SG.PAYNOW")?,
            Field::text(1, proxy_type)?,
            Field::text(2, proxy.as_str())?,
            Field::text(3, if self.amount_editable { "1" } else { "0" })?,
        ];
        if let Some(date) = &self.expiry {
            if !is_date(date) {
                return Err(invalid("26.04", "an expiry date is YYYYMMDD"));
            }
            subs.push(Field::text(4, date.as_str())?);
        }
        self.common.assemble(Field::template(26, subs)?, "SG", 1)
    }
}

/// `+`, then digits with optional `-` separators.
fn is_phone_number(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('+') else {
        return false;
    };
    rest.bytes().any(|b| b.is_ascii_digit()) && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !text.chars().any(char::is_whitespace)
}

/// `YYYYMMDD` with a month 01–12 and a day 01–31.
fn is_date(text: &str) -> bool {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u8>().unwrap_or(0);
    (1..=12).contains(&number(4..6)) && (1..=31).contains(&number(6..8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::parse;

    type TestResult = Result<(), QrError>;

    #[test]
    fn fps_static_code_without_amount() -> TestResult {
        let payload = FpsQr::new(FpsProxy::FpsId("1234567".into()), "TEA HOUSE", "HONG KONG")
            .participant_code("004")
            .build()?;
        let text = payload.encode();
        assert!(text.starts_with("000201010211"), "static by default: {text}");
        assert!(text.contains("26340012hk.com.hkicl010300402071234567"), "{text}");
        assert!(!text.contains("5405"), "no amount field without an amount");
        let parsed = parse(&text)?;
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        Ok(())
    }

    #[test]
    fn paynow_dynamic_code_with_expiry() -> TestResult {
        let payload = PayNowQr::new(PayNowProxy::Mobile("+6591234567".into()), "HAWKER", "Singapore")
            .point_of_initiation(PointOfInitiation::Dynamic)
            .amount(Amount::new(1250, 2)?)
            .expiry("20301231")
            .reference("T-000123")
            .build()?;
        let parsed = parse(&payload.encode())?;
        assert_eq!(parsed.payload.amount_text(), Some("12.50"));
        assert_eq!(parsed.payload.additional_data(1), Some("T-000123"));
        let account = parsed.payload.account_by_guid("SG.PAYNOW").ok_or(QrError::MissingCrc)?;
        assert_eq!(account.child_text(1), Some("0"));
        assert_eq!(account.child_text(4), Some("20301231"));
        Ok(())
    }

    #[test]
    fn bad_inputs_name_their_field() -> Result<(), QrError> {
        let fps = |proxy| FpsQr::new(proxy, "SHOP", "HK").build();
        assert!(
            matches!(fps(FpsProxy::FpsId("12a".into())), Err(QrError::InvalidField { field, .. }) if field == "26.02")
        );
        assert!(
            matches!(fps(FpsProxy::Mobile("67891234".into())), Err(QrError::InvalidField { field, .. }) if field == "26.03")
        );
        assert!(
            matches!(fps(FpsProxy::Email("nobody".into())), Err(QrError::InvalidField { field, .. }) if field == "26.04")
        );
        let long_name = FpsQr::new(FpsProxy::FpsId("1234567".into()), &"N".repeat(26), "HK").build();
        assert!(matches!(long_name, Err(QrError::ValueTooLong { field, max: 25, .. }) if field == "59"));
        let paynow = PayNowQr::new(PayNowProxy::Uen("200002150H".into()), "SHOP", "Singapore");
        assert!(
            matches!(paynow.clone().expiry("20381301").build(), Err(QrError::InvalidField { field, .. }) if field == "26.04")
        );
        assert!(matches!(
            paynow.reference(&"R".repeat(26)).build(),
            Err(QrError::ValueTooLong { field, .. }) if field == "62.01"
        ));
        Ok(())
    }
}

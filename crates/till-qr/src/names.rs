//! Names of fields, for people reading a parsed payload.
//!
//! Top-level and additional-data names follow EMVCo MPM v1.0 (Tables 3.x, §4.7–4.11); the
//! scheme sub-fields follow the national schemes as summarised in `protocols/QR-PAYMENTS.md` §2
//! (HK FPS: DemChing/hkqr-fps, Odoo l10n_hk; SG PayNow: Odoo l10n_sg, winstxnhdw/sgqr; TH
//! PromptPay: dtinth/promptpay-qr; VN VietQR: xuannghia/vietnam-qr-pay; ID QRIS: qriskit).

use std::borrow::Cow;

/// A merchant account scheme recognised by its globally unique identifier (sub-field 00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// The GUID, compared ignoring ASCII case.
    pub guid: &'static str,
    /// The scheme's name, e.g. "HK FPS".
    pub name: &'static str,
    sub_fields: &'static [(u8, &'static str)],
}

static SCHEMES: &[Scheme] = &[
    Scheme {
        guid: "hk.com.hkicl",
        name: "HK FPS",
        sub_fields: &[
            (1, "FPS participant (bank) code"),
            (2, "FPS identifier"),
            (3, "Mobile number"),
            (4, "E-mail address"),
            (5, "Timestamp (community source only)"),
            (6, "Amount editable (community source only)"),
        ],
    },
    Scheme {
        guid: "SG.PAYNOW",
        name: "SG PayNow",
        sub_fields: &[
            (1, "Proxy type (0 mobile, 2 UEN)"),
            (2, "Proxy value"),
            (3, "Amount editable (0 no, 1 yes)"),
            (4, "Expiry date (YYYYMMDD)"),
        ],
    },
    Scheme {
        guid: "SG.SGQR",
        name: "SGQR",
        sub_fields: &[
            (1, "SGQR ID"),
            (2, "Version"),
            (3, "Postal code"),
            (4, "Level"),
            (5, "Unit number"),
            (7, "Date"),
        ],
    },
    Scheme {
        guid: "A000000677010111",
        name: "TH PromptPay (credit transfer)",
        sub_fields: &[
            (1, "Mobile number"),
            (2, "National ID or tax ID"),
            (3, "E-wallet ID"),
            (4, "Bank account"),
        ],
    },
    Scheme {
        guid: "A000000677010112",
        name: "TH PromptPay (bill payment)",
        sub_fields: &[(1, "Biller ID"), (2, "Reference 1"), (3, "Reference 2")],
    },
    Scheme {
        guid: "A0000006150001",
        name: "MY DuitNow",
        sub_fields: &[(1, "Participant code"), (2, "Merchant ID")],
    },
    Scheme {
        guid: "A000000727",
        name: "VN VietQR (NAPAS)",
        sub_fields: &[
            (1, "Beneficiary organisation (bank BIN and account)"),
            (2, "Service code (QRIBFTTA account, QRIBFTTC card)"),
        ],
    },
    Scheme {
        guid: "A000000775",
        name: "VN VNPAY",
        sub_fields: &[(1, "Merchant ID")],
    },
    Scheme {
        guid: "tw.com.twqrp",
        name: "TW TWQR",
        sub_fields: &[],
    },
    Scheme {
        guid: "ID.CO.QRIS.WWW",
        name: "ID QRIS",
        sub_fields: &[(2, "National merchant ID (NMID)"), (3, "Merchant criteria")],
    },
];

/// The scheme whose GUID is `guid` (ignoring ASCII case).
pub fn scheme_by_guid(guid: &str) -> Option<&'static Scheme> {
    SCHEMES.iter().find(|s| s.guid.eq_ignore_ascii_case(guid))
}

/// The name of a top-level field.
pub fn field_name(id: u8) -> &'static str {
    match id {
        0 => "Payload Format Indicator",
        1 => "Point of Initiation Method",
        2..=3 => "Merchant Account Information (Visa)",
        4..=5 => "Merchant Account Information (Mastercard)",
        6..=8 | 17..=25 => "Merchant Account Information (reserved by EMVCo)",
        9..=10 => "Merchant Account Information (Discover)",
        11..=12 => "Merchant Account Information (American Express)",
        13..=14 => "Merchant Account Information (JCB)",
        15..=16 => "Merchant Account Information (UnionPay)",
        26..=51 => "Merchant Account Information (template)",
        52 => "Merchant Category Code",
        53 => "Transaction Currency",
        54 => "Transaction Amount",
        55 => "Tip or Convenience Indicator",
        56 => "Value of Convenience Fee Fixed",
        57 => "Value of Convenience Fee Percentage",
        58 => "Country Code",
        59 => "Merchant Name",
        60 => "Merchant City",
        61 => "Postal Code",
        62 => "Additional Data Field Template",
        63 => "CRC",
        64 => "Merchant Information - Language Template",
        65..=79 => "RFU for EMVCo",
        _ => "Unreserved Template",
    }
}

/// The name of sub-field `sub` of top-level field `parent`; `guid` is the parent's sub-field 00,
/// which names the scheme of a merchant account or unreserved template.
pub fn sub_field_name(parent: u8, sub: u8, guid: Option<&str>) -> Cow<'static, str> {
    match parent {
        62 => Cow::Borrowed(match sub {
            1 => "Bill Number",
            2 => "Mobile Number",
            3 => "Store Label",
            4 => "Loyalty Number",
            5 => "Reference Label",
            6 => "Customer Label",
            7 => "Terminal Label",
            8 => "Purpose of Transaction",
            9 => "Additional Consumer Data Request",
            10 => "Merchant Tax ID (EMVCo v1.1)",
            11 => "Merchant Channel (EMVCo v1.1)",
            12..=49 => "RFU for EMVCo",
            _ => "Payment System specific template",
        }),
        64 => Cow::Borrowed(match sub {
            0 => "Language Preference",
            1 => "Merchant Name - Alternate Language",
            2 => "Merchant City - Alternate Language",
            _ => "RFU for EMVCo",
        }),
        26..=51 | 80..=99 if sub == 0 => Cow::Borrowed("Globally Unique Identifier"),
        26..=51 | 80..=99 => {
            let scheme = guid.and_then(scheme_by_guid);
            match scheme.and_then(|s| s.sub_fields.iter().find(|(id, _)| *id == sub)) {
                Some((_, name)) => Cow::Borrowed(name),
                None => Cow::Borrowed("Scheme-defined data"),
            }
        }
        _ => Cow::Borrowed("Sub-field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_sub_fields_are_named_by_guid() -> Result<(), crate::error::QrError> {
        assert_eq!(sub_field_name(26, 3, Some("hk.com.hkicl")), "Mobile number");
        assert_eq!(
            sub_field_name(26, 2, Some("sg.paynow")),
            "Proxy value",
            "GUIDs ignore case"
        );
        assert_eq!(sub_field_name(26, 2, Some("com.grab")), "Scheme-defined data");
        assert_eq!(sub_field_name(62, 5, None), "Reference Label");
        assert_eq!(field_name(15), "Merchant Account Information (UnionPay)");
        Ok(())
    }
}

//! Bit-level decoding of the data elements a till reads to explain a card transaction:
//! Terminal Verification Results (`95`), Transaction Status Information (`9B`), Terminal
//! Capabilities (`9F33`), CVM Results (`9F34`) and Cryptogram Information Data (`9F27`).
//!
//! Bytes and bits are numbered as in the EMV books: byte 1 is the leftmost, bit 8 the most
//! significant. Bits the books reserve (RFU) are still reported when set, named "RFU", so a decoded
//! value never silently drops information.

use std::fmt;

use crate::error::EmvError;

/// One set bit of a bitmap data element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BitFlag {
    /// The byte, 1 = leftmost.
    pub byte: u8,
    /// The bit, 8 = most significant.
    pub bit: u8,
    /// What the bit means, in the words of the EMV book ("RFU" for a reserved bit).
    pub meaning: &'static str,
    /// Whether the bit is reserved for future use (set only by non-conforming data).
    pub rfu: bool,
}

const RFU: &str = "RFU";

/// Meanings per byte, bit 8 first.
type BitTable = [[&'static str; 8]];

fn set_flags(bytes: &[u8], table: &BitTable) -> Vec<BitFlag> {
    let mut flags = Vec::new();
    for ((byte_index, byte), meanings) in bytes.iter().enumerate().zip(table) {
        for (position, meaning) in meanings.iter().enumerate() {
            let mask = 0x80u8 >> position;
            if byte & mask != 0 {
                flags.push(BitFlag {
                    // Tables have at most 5 bytes of 8 bits: both fit a u8.
                    byte: (byte_index + 1) as u8,
                    bit: (8 - position) as u8,
                    meaning,
                    rfu: *meaning == RFU,
                });
            }
        }
    }
    flags
}

fn fixed<const N: usize>(bytes: &[u8], element: &'static str) -> Result<[u8; N], EmvError> {
    bytes.try_into().map_err(|_| EmvError::WrongValueLength {
        element,
        expected: N,
        actual: bytes.len(),
    })
}

macro_rules! bitmap {
    ($(#[$doc:meta])* $name:ident, $len:literal, $element:literal, $table:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Reads the value of the data element.
            ///
            /// # Errors
            #[doc = concat!("[`EmvError::WrongValueLength`] unless `bytes` is ", $len, " bytes long.")]
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, EmvError> {
                Ok(Self(fixed(bytes, $element)?))
            }

            /// The raw bytes.
            pub fn bytes(&self) -> [u8; $len] {
                self.0
            }

            /// Whether bit `bit` (8 = most significant) of byte `byte` (1 = leftmost) is set;
            /// `false` for positions outside the element.
            pub fn is_set(&self, byte: usize, bit: u8) -> bool {
                let Some(value) = byte.checked_sub(1).and_then(|i| self.0.get(i)) else {
                    return false;
                };
                (1..=8).contains(&bit) && value & (1 << (bit - 1)) != 0
            }

            /// Every set bit with its meaning, byte 1 bit 8 first.
            pub fn flags(&self) -> Vec<BitFlag> {
                set_flags(&self.0, &$table)
            }
        }
    };
}

bitmap!(
    /// Terminal Verification Results, tag `95` (EMV 4.3 Book 3, Annex C5): what went wrong or
    /// was noteworthy during the transaction, as seen by the terminal.
    Tvr,
    5,
    "Terminal Verification Results (95)",
    TVR_BITS
);

bitmap!(
    /// Transaction Status Information, tag `9B` (EMV 4.3 Book 3, Annex C6): which functions the
    /// terminal performed.
    Tsi,
    2,
    "Transaction Status Information (9B)",
    TSI_BITS
);

bitmap!(
    /// Terminal Capabilities, tag `9F33` (EMV 4.3 Book 4, Annex A2): card input, CVM and
    /// security capabilities of the terminal.
    TerminalCapabilities,
    3,
    "Terminal Capabilities (9F33)",
    TERMINAL_CAPABILITIES_BITS
);

static TVR_BITS: [[&str; 8]; 5] = [
    [
        "Offline data authentication was not performed",
        "SDA failed",
        "ICC data missing",
        "Card appears on terminal exception file",
        "DDA failed",
        "CDA failed",
        "SDA selected",
        RFU,
    ],
    [
        "ICC and terminal have different application versions",
        "Expired application",
        "Application not yet effective",
        "Requested service not allowed for card product",
        "New card",
        RFU,
        RFU,
        RFU,
    ],
    [
        "Cardholder verification was not successful",
        "Unrecognised CVM",
        "PIN Try Limit exceeded",
        "PIN entry required and PIN pad not present or not working",
        "PIN entry required, PIN pad present, but PIN was not entered",
        "Online PIN entered",
        RFU,
        RFU,
    ],
    [
        "Transaction exceeds floor limit",
        "Lower consecutive offline limit exceeded",
        "Upper consecutive offline limit exceeded",
        "Transaction selected randomly for online processing",
        "Merchant forced transaction online",
        RFU,
        RFU,
        RFU,
    ],
    [
        "Default TDOL used",
        "Issuer authentication failed",
        "Script processing failed before final GENERATE AC",
        "Script processing failed after final GENERATE AC",
        RFU,
        RFU,
        RFU,
        RFU,
    ],
];

static TSI_BITS: [[&str; 8]; 2] = [
    [
        "Offline data authentication was performed",
        "Cardholder verification was performed",
        "Card risk management was performed",
        "Issuer authentication was performed",
        "Terminal risk management was performed",
        "Script processing was performed",
        RFU,
        RFU,
    ],
    [RFU; 8],
];

static TERMINAL_CAPABILITIES_BITS: [[&str; 8]; 3] = [
    [
        "Manual key entry",
        "Magnetic stripe",
        "IC with contacts",
        RFU,
        RFU,
        RFU,
        RFU,
        RFU,
    ],
    [
        "Plaintext PIN for ICC verification",
        "Enciphered PIN for online verification",
        "Signature (paper)",
        "Enciphered PIN for offline verification",
        "No CVM Required",
        RFU,
        RFU,
        RFU,
    ],
    ["SDA", "DDA", "Card capture", RFU, "CDA", RFU, RFU, RFU],
];

/// A cardholder verification method, from the low six bits of a CV Rule's first byte
/// (EMV 4.3 Book 3, Annex C3, Table 39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmMethod {
    /// `00`: Fail CVM processing.
    FailCvm,
    /// `01`: Plaintext PIN verification performed by ICC.
    PlaintextPinByIcc,
    /// `02`: Enciphered PIN verified online.
    EncipheredPinOnline,
    /// `03`: Plaintext PIN verification performed by ICC and signature (paper).
    PlaintextPinByIccAndSignature,
    /// `04`: Enciphered PIN verification performed by ICC.
    EncipheredPinByIcc,
    /// `05`: Enciphered PIN verification performed by ICC and signature (paper).
    EncipheredPinByIccAndSignature,
    /// `1E`: Signature (paper).
    Signature,
    /// `1F`: No CVM required.
    NoCvmRequired,
    /// `3F`: no CVM performed. Not a method of the CVM List; Book 4 (section 6.3.4.5) has the
    /// terminal put it in CVM Results when no CVM was performed.
    NoCvmPerformed,
    /// `06`–`1D`: reserved for future use by EMV.
    Rfu(u8),
    /// `20`–`2F`: reserved for the individual payment systems.
    PaymentSystem(u8),
    /// `30`–`3E`: reserved for the issuer.
    Issuer(u8),
}

impl CvmMethod {
    /// The method for a six-bit method code (bits 7 and 8 of `code` are ignored).
    pub fn from_code(code: u8) -> CvmMethod {
        match code & 0x3F {
            0x00 => CvmMethod::FailCvm,
            0x01 => CvmMethod::PlaintextPinByIcc,
            0x02 => CvmMethod::EncipheredPinOnline,
            0x03 => CvmMethod::PlaintextPinByIccAndSignature,
            0x04 => CvmMethod::EncipheredPinByIcc,
            0x05 => CvmMethod::EncipheredPinByIccAndSignature,
            0x1E => CvmMethod::Signature,
            0x1F => CvmMethod::NoCvmRequired,
            0x3F => CvmMethod::NoCvmPerformed,
            code @ 0x06..=0x1D => CvmMethod::Rfu(code),
            code @ 0x20..=0x2F => CvmMethod::PaymentSystem(code),
            code => CvmMethod::Issuer(code),
        }
    }

    /// The six-bit method code.
    pub fn code(self) -> u8 {
        match self {
            CvmMethod::FailCvm => 0x00,
            CvmMethod::PlaintextPinByIcc => 0x01,
            CvmMethod::EncipheredPinOnline => 0x02,
            CvmMethod::PlaintextPinByIccAndSignature => 0x03,
            CvmMethod::EncipheredPinByIcc => 0x04,
            CvmMethod::EncipheredPinByIccAndSignature => 0x05,
            CvmMethod::Signature => 0x1E,
            CvmMethod::NoCvmRequired => 0x1F,
            CvmMethod::NoCvmPerformed => 0x3F,
            CvmMethod::Rfu(code) | CvmMethod::PaymentSystem(code) | CvmMethod::Issuer(code) => code,
        }
    }

    /// The EMV wording.
    pub fn description(self) -> &'static str {
        match self {
            CvmMethod::FailCvm => "Fail CVM processing",
            CvmMethod::PlaintextPinByIcc => "Plaintext PIN verification performed by ICC",
            CvmMethod::EncipheredPinOnline => "Enciphered PIN verified online",
            CvmMethod::PlaintextPinByIccAndSignature => {
                "Plaintext PIN verification performed by ICC and signature (paper)"
            }
            CvmMethod::EncipheredPinByIcc => "Enciphered PIN verification performed by ICC",
            CvmMethod::EncipheredPinByIccAndSignature => {
                "Enciphered PIN verification performed by ICC and signature (paper)"
            }
            CvmMethod::Signature => "Signature (paper)",
            CvmMethod::NoCvmRequired => "No CVM required",
            CvmMethod::NoCvmPerformed => "No CVM performed",
            CvmMethod::Rfu(_) => "RFU",
            CvmMethod::PaymentSystem(_) => "Payment system specific method",
            CvmMethod::Issuer(_) => "Issuer specific method",
        }
    }
}

/// When a CV Rule applies: its second byte (EMV 4.3 Book 3, Annex C3, Table 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmCondition {
    /// `00`: Always.
    Always,
    /// `01`: If unattended cash.
    UnattendedCash,
    /// `02`: If not unattended cash and not manual cash and not purchase with cashback.
    NotCashNotCashback,
    /// `03`: If terminal supports the CVM.
    TerminalSupportsCvm,
    /// `04`: If manual cash.
    ManualCash,
    /// `05`: If purchase with cashback.
    PurchaseWithCashback,
    /// `06`: If transaction is in the application currency and is under X value.
    UnderX,
    /// `07`: If transaction is in the application currency and is over X value.
    OverX,
    /// `08`: If transaction is in the application currency and is under Y value.
    UnderY,
    /// `09`: If transaction is in the application currency and is over Y value.
    OverY,
    /// `0A`–`7F`: reserved for future use.
    Rfu(u8),
    /// `80`–`FF`: reserved for the individual payment systems.
    PaymentSystem(u8),
}

impl CvmCondition {
    /// The condition for a condition code.
    pub fn from_code(code: u8) -> CvmCondition {
        match code {
            0x00 => CvmCondition::Always,
            0x01 => CvmCondition::UnattendedCash,
            0x02 => CvmCondition::NotCashNotCashback,
            0x03 => CvmCondition::TerminalSupportsCvm,
            0x04 => CvmCondition::ManualCash,
            0x05 => CvmCondition::PurchaseWithCashback,
            0x06 => CvmCondition::UnderX,
            0x07 => CvmCondition::OverX,
            0x08 => CvmCondition::UnderY,
            0x09 => CvmCondition::OverY,
            0x0A..=0x7F => CvmCondition::Rfu(code),
            _ => CvmCondition::PaymentSystem(code),
        }
    }

    /// The EMV wording.
    pub fn description(self) -> &'static str {
        match self {
            CvmCondition::Always => "Always",
            CvmCondition::UnattendedCash => "If unattended cash",
            CvmCondition::NotCashNotCashback => {
                "If not unattended cash and not manual cash and not purchase with cashback"
            }
            CvmCondition::TerminalSupportsCvm => "If terminal supports the CVM",
            CvmCondition::ManualCash => "If manual cash",
            CvmCondition::PurchaseWithCashback => "If purchase with cashback",
            CvmCondition::UnderX => "If transaction is in the application currency and is under X value",
            CvmCondition::OverX => "If transaction is in the application currency and is over X value",
            CvmCondition::UnderY => "If transaction is in the application currency and is under Y value",
            CvmCondition::OverY => "If transaction is in the application currency and is over Y value",
            CvmCondition::Rfu(_) => "RFU",
            CvmCondition::PaymentSystem(_) => "Payment system specific condition",
        }
    }
}

/// The outcome of the last CVM: byte 3 of CVM Results (EMV 4.3 Book 4, Annex A, `9F34`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvmOutcome {
    /// `00`: unknown, e.g. a signature the merchant has yet to check, or online PIN.
    Unknown,
    /// `01`: failed.
    Failed,
    /// `02`: successful.
    Successful,
    /// Any other value: not defined by EMV.
    Undefined(u8),
}

impl CvmOutcome {
    /// The outcome for a result byte.
    pub fn from_code(code: u8) -> CvmOutcome {
        match code {
            0 => CvmOutcome::Unknown,
            1 => CvmOutcome::Failed,
            2 => CvmOutcome::Successful,
            other => CvmOutcome::Undefined(other),
        }
    }

    /// A short description.
    pub fn description(self) -> &'static str {
        match self {
            CvmOutcome::Unknown => "Unknown",
            CvmOutcome::Failed => "Failed",
            CvmOutcome::Successful => "Successful",
            CvmOutcome::Undefined(_) => "Undefined",
        }
    }
}

/// CVM Results, tag `9F34`: the last cardholder verification method performed, the condition of
/// its rule, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvmResults {
    /// The method performed.
    pub method: CvmMethod,
    /// Bit 7 of byte 1: apply the next CV Rule if this one fails.
    pub apply_succeeding_rule_if_unsuccessful: bool,
    /// The rule's condition (byte 2).
    pub condition: CvmCondition,
    /// Byte 2 as given.
    pub condition_code: u8,
    /// The outcome (byte 3).
    pub outcome: CvmOutcome,
    /// Byte 3 as given.
    pub outcome_code: u8,
}

impl CvmResults {
    /// Reads a CVM Results value.
    ///
    /// # Errors
    /// [`EmvError::WrongValueLength`] unless `bytes` is 3 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<CvmResults, EmvError> {
        let [method, condition, outcome] = fixed::<3>(bytes, "CVM Results (9F34)")?;
        Ok(CvmResults {
            method: CvmMethod::from_code(method),
            apply_succeeding_rule_if_unsuccessful: method & 0x40 != 0,
            condition: CvmCondition::from_code(condition),
            condition_code: condition,
            outcome: CvmOutcome::from_code(outcome),
            outcome_code: outcome,
        })
    }
}

/// The kind of application cryptogram, bits 8–7 of Cryptogram Information Data
/// (EMV 4.3 Book 3, section 6.5.5.4, Table 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CryptogramType {
    /// `00`: Application Authentication Cryptogram: the card declined.
    #[serde(rename = "AAC")]
    Aac,
    /// `01`: Transaction Certificate: the card approved.
    #[serde(rename = "TC")]
    Tc,
    /// `10`: Authorisation Request Cryptogram: the card asks to go online.
    #[serde(rename = "ARQC")]
    Arqc,
    /// `11`: reserved for future use.
    #[serde(rename = "RFU")]
    Rfu,
}

impl CryptogramType {
    /// The acronym printed on receipts: `AAC`, `TC`, `ARQC` (or `RFU`).
    pub fn acronym(self) -> &'static str {
        match self {
            CryptogramType::Aac => "AAC",
            CryptogramType::Tc => "TC",
            CryptogramType::Arqc => "ARQC",
            CryptogramType::Rfu => "RFU",
        }
    }

    /// The full name.
    pub fn description(self) -> &'static str {
        match self {
            CryptogramType::Aac => "Application Authentication Cryptogram (declined)",
            CryptogramType::Tc => "Transaction Certificate (approved)",
            CryptogramType::Arqc => "Authorisation Request Cryptogram (online requested)",
            CryptogramType::Rfu => "RFU",
        }
    }
}

impl fmt::Display for CryptogramType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.acronym())
    }
}

/// The reason/advice code, bits 3–1 of Cryptogram Information Data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdviceReason {
    /// `000`: No information given.
    NoInformation,
    /// `001`: Service not allowed.
    ServiceNotAllowed,
    /// `010`: PIN Try Limit exceeded.
    PinTryLimitExceeded,
    /// `011`: Issuer authentication failed.
    IssuerAuthenticationFailed,
    /// `1xx`: reserved for future use.
    Rfu(u8),
}

impl AdviceReason {
    /// The EMV wording.
    pub fn description(self) -> &'static str {
        match self {
            AdviceReason::NoInformation => "No information given",
            AdviceReason::ServiceNotAllowed => "Service not allowed",
            AdviceReason::PinTryLimitExceeded => "PIN Try Limit exceeded",
            AdviceReason::IssuerAuthenticationFailed => "Issuer authentication failed",
            AdviceReason::Rfu(_) => "RFU",
        }
    }
}

/// Cryptogram Information Data, tag `9F27`: what kind of cryptogram the card returned in `9F26`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CryptogramInformation {
    /// Bits 8–7.
    pub cryptogram_type: CryptogramType,
    /// Bits 6–5: payment-system-specific cryptogram bits.
    pub payment_system_bits: u8,
    /// Bit 4: an advice is required.
    pub advice_required: bool,
    /// Bits 3–1.
    pub reason: AdviceReason,
}

impl CryptogramInformation {
    /// Reads a Cryptogram Information Data value.
    ///
    /// # Errors
    /// [`EmvError::WrongValueLength`] unless `bytes` is 1 byte long.
    pub fn from_bytes(bytes: &[u8]) -> Result<CryptogramInformation, EmvError> {
        let [byte] = fixed::<1>(bytes, "Cryptogram Information Data (9F27)")?;
        Ok(CryptogramInformation::from_byte(byte))
    }

    /// Reads the single byte of Cryptogram Information Data.
    pub fn from_byte(byte: u8) -> CryptogramInformation {
        let cryptogram_type = match byte >> 6 {
            0b00 => CryptogramType::Aac,
            0b01 => CryptogramType::Tc,
            0b10 => CryptogramType::Arqc,
            _ => CryptogramType::Rfu,
        };
        let reason = match byte & 0x07 {
            0 => AdviceReason::NoInformation,
            1 => AdviceReason::ServiceNotAllowed,
            2 => AdviceReason::PinTryLimitExceeded,
            3 => AdviceReason::IssuerAuthenticationFailed,
            other => AdviceReason::Rfu(other),
        };
        CryptogramInformation {
            cryptogram_type,
            payment_system_bits: (byte >> 4) & 0x03,
            advice_required: byte & 0x08 != 0,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), EmvError>;

    #[test]
    fn tvr_names_each_set_bit() -> TestResult {
        // 40 80 00 80 00: byte 1 bit 7, byte 2 bit 8, byte 4 bit 8.
        let tvr = Tvr::from_bytes(&[0x40, 0x80, 0x00, 0x80, 0x00])?;
        let meanings: Vec<_> = tvr.flags().iter().map(|f| (f.byte, f.bit, f.meaning)).collect();
        assert_eq!(
            meanings,
            vec![
                (1, 7, "SDA failed"),
                (2, 8, "ICC and terminal have different application versions"),
                (4, 8, "Transaction exceeds floor limit"),
            ]
        );
        assert!(tvr.is_set(1, 7));
        assert!(!tvr.is_set(1, 8));
        assert!(!tvr.is_set(6, 1), "there is no byte 6");
        assert!(!tvr.is_set(0, 1), "bytes count from 1");
        Ok(())
    }

    #[test]
    fn tvr_reports_rfu_bits_instead_of_dropping_them() -> TestResult {
        let tvr = Tvr::from_bytes(&[0x01, 0x00, 0x00, 0x00, 0x0F])?;
        let flags = tvr.flags();
        assert_eq!(flags.len(), 5);
        assert!(flags.iter().all(|f| f.rfu));
        Ok(())
    }

    #[test]
    fn tsi_e800_is_oda_cvm_crm_and_trm() -> TestResult {
        let tsi = Tsi::from_bytes(&[0xE8, 0x00])?;
        let meanings: Vec<_> = tsi.flags().iter().map(|f| f.meaning).collect();
        assert_eq!(
            meanings,
            vec![
                "Offline data authentication was performed",
                "Cardholder verification was performed",
                "Card risk management was performed",
                "Terminal risk management was performed",
            ]
        );
        Ok(())
    }

    #[test]
    fn terminal_capabilities_e0b8c8() -> TestResult {
        // E0: manual, magstripe, IC. B8: plaintext PIN, signature, offline enciphered PIN,
        // no CVM. C8: SDA, DDA, CDA.
        let caps = TerminalCapabilities::from_bytes(&[0xE0, 0xB8, 0xC8])?;
        let meanings: Vec<_> = caps.flags().iter().map(|f| f.meaning).collect();
        assert_eq!(
            meanings,
            vec![
                "Manual key entry",
                "Magnetic stripe",
                "IC with contacts",
                "Plaintext PIN for ICC verification",
                "Signature (paper)",
                "Enciphered PIN for offline verification",
                "No CVM Required",
                "SDA",
                "DDA",
                "CDA",
            ]
        );
        Ok(())
    }

    #[test]
    fn cvm_results_5e0300_is_signature_if_supported_outcome_unknown() -> TestResult {
        let cvm = CvmResults::from_bytes(&[0x5E, 0x03, 0x00])?;
        assert_eq!(cvm.method, CvmMethod::Signature);
        assert!(cvm.apply_succeeding_rule_if_unsuccessful, "0x5E has bit 7 set");
        assert_eq!(cvm.condition, CvmCondition::TerminalSupportsCvm);
        assert_eq!(cvm.outcome, CvmOutcome::Unknown);
        Ok(())
    }

    #[test]
    fn cvm_method_codes() -> TestResult {
        assert_eq!(
            CvmResults::from_bytes(&[0x41, 0x03, 0x02])?.method,
            CvmMethod::PlaintextPinByIcc
        );
        assert_eq!(
            CvmResults::from_bytes(&[0x42, 0x03, 0x00])?.method,
            CvmMethod::EncipheredPinOnline
        );
        assert_eq!(
            CvmResults::from_bytes(&[0x44, 0x03, 0x02])?.method,
            CvmMethod::EncipheredPinByIcc
        );
        assert_eq!(
            CvmResults::from_bytes(&[0x1F, 0x00, 0x02])?.method,
            CvmMethod::NoCvmRequired
        );
        assert_eq!(
            CvmResults::from_bytes(&[0x3F, 0x00, 0x00])?.method,
            CvmMethod::NoCvmPerformed
        );
        assert_eq!(CvmResults::from_bytes(&[0x00, 0x00, 0x01])?.method, CvmMethod::FailCvm);
        assert_eq!(
            CvmResults::from_bytes(&[0x21, 0x00, 0x00])?.method,
            CvmMethod::PaymentSystem(0x21)
        );
        assert_eq!(CvmMethod::from_code(0x5E).code(), 0x1E, "bit 7 is not part of the code");
        assert!(CvmResults::from_bytes(&[0x1E, 0x00]).is_err());
        Ok(())
    }

    #[test]
    fn cryptogram_information_data() -> TestResult {
        assert_eq!(
            CryptogramInformation::from_bytes(&[0x80])?.cryptogram_type,
            CryptogramType::Arqc
        );
        assert_eq!(
            CryptogramInformation::from_bytes(&[0x40])?.cryptogram_type,
            CryptogramType::Tc
        );
        let declined = CryptogramInformation::from_bytes(&[0x0A])?;
        assert_eq!(declined.cryptogram_type, CryptogramType::Aac);
        assert!(declined.advice_required);
        assert_eq!(declined.reason, AdviceReason::PinTryLimitExceeded);
        Ok(())
    }
}

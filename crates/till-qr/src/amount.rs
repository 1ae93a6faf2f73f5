//! Transaction amounts as field 54 writes them: decimal text, built from integer minor units.

use std::fmt;

use crate::error::QrError;

/// The longest amount field, in characters (EMVCo MPM Table 3.6, ID 54).
pub const MAX_AMOUNT_LEN: usize = 13;

/// A positive amount: integer minor units and the number of decimals to write.
///
/// No floats anywhere: `Amount::new(1989, 2)` writes `19.89`, `Amount::new(100, 0)` writes `100`.
/// EMVCo asks that the decimals match the currency's exponent (HKD and SGD: 2), but generators
/// in the wild also write whole amounts without decimals, so the caller chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    minor_units: u64,
    decimals: u8,
}

impl Amount {
    /// An amount of `minor_units` with `decimals` digits after the point.
    ///
    /// # Errors
    /// [`QrError::InvalidAmount`] for zero (EMVCo: "shall not be zero") or when the text would be
    /// longer than 13 characters.
    pub fn new(minor_units: u64, decimals: u8) -> Result<Amount, QrError> {
        if minor_units == 0 {
            return Err(QrError::InvalidAmount {
                reason: "the amount must not be zero",
            });
        }
        let amount = Amount { minor_units, decimals };
        // Digits of the minor units, at least decimals + 1 (a leading 0), plus the point.
        let digits = minor_units.to_string().len().max(usize::from(decimals) + 1);
        let len = digits + usize::from(decimals > 0);
        if len > MAX_AMOUNT_LEN {
            return Err(QrError::InvalidAmount {
                reason: "longer than 13 characters",
            });
        }
        Ok(amount)
    }

    /// Reads field 54 text: digits with at most one `.` (`98.73`, `98`, and `98.` are valid).
    ///
    /// # Errors
    /// [`QrError::InvalidAmount`] for anything else, zero, or more than 13 characters.
    pub fn parse(text: &str) -> Result<Amount, QrError> {
        let invalid = |reason| Err(QrError::InvalidAmount { reason });
        if text.chars().count() > MAX_AMOUNT_LEN {
            return invalid("longer than 13 characters");
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || !all_digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
            return invalid("only digits and one decimal point are allowed");
        }
        // At most 13 digits: fits in u64.
        let mut minor_units: u64 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            minor_units = minor_units * 10 + u64::from(digit - b'0');
        }
        let decimals = u8::try_from(fraction.len()).map_err(|_| QrError::InvalidAmount {
            reason: "too many decimals",
        })?;
        Amount::new(minor_units, decimals)
    }

    /// The amount in minor units.
    pub fn minor_units(self) -> u64 {
        self.minor_units
    }

    /// The number of digits after the decimal point.
    pub fn decimals(self) -> u8 {
        self.decimals
    }
}

impl fmt::Display for Amount {
    /// The field 54 text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.decimals == 0 {
            return write!(f, "{}", self.minor_units);
        }
        let digits = format!("{:0width$}", self.minor_units, width = usize::from(self.decimals) + 1);
        let (whole, fraction) = digits.split_at(digits.len() - usize::from(self.decimals));
        write!(f, "{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units_without_floats() -> Result<(), QrError> {
        assert_eq!(Amount::new(1989, 2)?.to_string(), "19.89");
        assert_eq!(Amount::new(100, 0)?.to_string(), "100");
        assert_eq!(Amount::new(5, 2)?.to_string(), "0.05");
        assert_eq!(Amount::new(10_000, 2)?.to_string(), "100.00");
        assert_eq!(Amount::new(999_999_999_999, 2)?.to_string(), "9999999999.99");
        assert_eq!(Amount::new(1, 11)?.to_string(), "0.00000000001");
        Ok(())
    }

    #[test]
    fn rejects_zero_and_overlong_amounts() -> Result<(), QrError> {
        assert!(Amount::new(0, 2).is_err());
        assert!(Amount::new(99_999_999_999_999, 0).is_err(), "14 digits");
        assert!(Amount::new(1, 12).is_err(), "0.000000000001 is 14 characters");
        Ok(())
    }

    #[test]
    fn parses_field_54() -> Result<(), QrError> {
        assert_eq!(Amount::parse("98.73")?, Amount::new(9873, 2)?);
        assert_eq!(Amount::parse("98")?, Amount::new(98, 0)?);
        assert_eq!(Amount::parse("98.")?, Amount::new(98, 0)?);
        assert_eq!(Amount::parse(".5")?, Amount::new(5, 1)?);
        for bad in ["98,73", "3 705", "", ".", "0", "0.00", "1.2.3", "-5", "12345678901234"] {
            assert!(Amount::parse(bad).is_err(), "{bad:?} must be refused");
        }
        Ok(())
    }
}

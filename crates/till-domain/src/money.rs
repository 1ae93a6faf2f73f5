//! Money as integer minor units of an ISO 4217 currency. Never floats: an amount typed by a
//! cashier is parsed digit by digit, and every sum is checked for overflow.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::DomainError;

/// The currencies a till can be configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Hkd,
    Sgd,
    Twd,
    Cny,
    Usd,
    Mop,
    Eur,
}

impl Currency {
    pub const ALL: [Currency; 7] = [
        Currency::Hkd,
        Currency::Sgd,
        Currency::Twd,
        Currency::Cny,
        Currency::Usd,
        Currency::Mop,
        Currency::Eur,
    ];

    /// ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Hkd => "HKD",
            Currency::Sgd => "SGD",
            Currency::Twd => "TWD",
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
            Currency::Mop => "MOP",
            Currency::Eur => "EUR",
        }
    }

    /// ISO 4217 numeric code (EMV tag 5F2A and EMVCo QR field 53 use it).
    pub fn numeric(self) -> u16 {
        match self {
            Currency::Hkd => 344,
            Currency::Sgd => 702,
            Currency::Twd => 901,
            Currency::Cny => 156,
            Currency::Usd => 840,
            Currency::Mop => 446,
            Currency::Eur => 978,
        }
    }

    /// Digits after the decimal point (ISO 4217 minor unit). TWD has 2 in ISO 4217 even though
    /// cash has no cents; card terminals in Taiwan still exchange two decimals.
    pub fn minor_digits(self) -> u32 {
        2
    }

    /// The symbol a receipt or the UI prints before an amount.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Hkd => "HK$",
            Currency::Sgd => "S$",
            Currency::Twd => "NT$",
            Currency::Cny => "¥",
            Currency::Usd => "US$",
            Currency::Mop => "MOP$",
            Currency::Eur => "€",
        }
    }

    pub fn from_code(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in minor units (cents) of one currency. Amounts of a till are never negative: a
/// refund is a transaction of its own kind with a positive amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// Sum of two amounts of the same currency; `None` on overflow or a currency mismatch.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.minor.checked_add(other.minor).map(|minor| Money { minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.minor.checked_sub(other.minor).map(|minor| Money { minor, ..self })
    }

    /// Parses what a cashier or an integrator types: `12`, `12.5`, `12.50`, `1,234.50`.
    /// Rejects empty input, signs, more decimals than the currency has, and anything else.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, DomainError> {
        let raw = text.trim();
        let bad = || DomainError::AmountNotANumber { input: raw.to_owned() };
        if raw.is_empty() {
            return Err(bad());
        }
        if raw.starts_with('-') {
            return Err(DomainError::AmountNegative { input: raw.to_owned() });
        }
        let cleaned: String = raw.chars().filter(|c| *c != ',' && *c != '_').collect();
        let (int_part, frac_part) = match cleaned.split_once('.') {
            Some((i, f)) => (i, f),
            None => (cleaned.as_str(), ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        if !int_part.chars().all(|c| c.is_ascii_digit()) || !frac_part.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let digits = currency.minor_digits();
        if frac_part.len() > digits as usize {
            return Err(DomainError::AmountTooManyDecimals {
                input: raw.to_owned(),
                max: digits,
            });
        }
        let scale = 10_i64.pow(digits);
        let whole: i64 = if int_part.is_empty() {
            0
        } else {
            int_part
                .parse()
                .map_err(|_| DomainError::AmountTooLarge { input: raw.to_owned() })?
        };
        let mut frac: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| bad())?
        };
        for _ in frac_part.len()..digits as usize {
            frac *= 10;
        }
        let minor = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(|| DomainError::AmountTooLarge { input: raw.to_owned() })?;
        Ok(Money { minor, currency })
    }

    /// The amount as a plain decimal, `1234.50`: machine output and wire formats.
    pub fn decimal(self) -> String {
        let digits = self.currency.minor_digits();
        let scale = 10_i64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = digits as usize
        )
    }

    /// The amount with thousands separators, `1,234.50`: receipts and screens. The locales this
    /// till speaks (en, zh-Hant, zh-Hans) all group by three with a comma and use a dot.
    pub fn grouped(self) -> String {
        let plain = self.decimal();
        let (sign, rest) = plain.strip_prefix('-').map_or(("", plain.as_str()), |r| ("-", r));
        let (int_part, frac) = rest.split_once('.').unwrap_or((rest, ""));
        let mut out = String::new();
        for (i, ch) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if frac.is_empty() {
            format!("{sign}{out}")
        } else {
            format!("{sign}{out}.{frac}")
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.code(), self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_cashiers_type() -> Result<(), DomainError> {
        let hkd = Currency::Hkd;
        assert_eq!(Money::parse("12", hkd)?.minor, 1200);
        assert_eq!(Money::parse("12.5", hkd)?.minor, 1250);
        assert_eq!(Money::parse("12.05", hkd)?.minor, 1205);
        assert_eq!(Money::parse("1,234.50", hkd)?.minor, 123_450);
        assert_eq!(Money::parse(".5", hkd)?.minor, 50);
        assert_eq!(Money::parse("0", hkd)?.minor, 0);
        Ok(())
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        let hkd = Currency::Hkd;
        assert!(matches!(
            Money::parse("-1", hkd),
            Err(DomainError::AmountNegative { .. })
        ));
        assert!(matches!(
            Money::parse("abc", hkd),
            Err(DomainError::AmountNotANumber { .. })
        ));
        assert!(matches!(
            Money::parse("", hkd),
            Err(DomainError::AmountNotANumber { .. })
        ));
        assert!(matches!(
            Money::parse("1.2.3", hkd),
            Err(DomainError::AmountNotANumber { .. })
        ));
        assert!(matches!(
            Money::parse("1e5", hkd),
            Err(DomainError::AmountNotANumber { .. })
        ));
        assert!(matches!(
            Money::parse("1.234", hkd),
            Err(DomainError::AmountTooManyDecimals { max: 2, .. })
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", hkd),
            Err(DomainError::AmountTooLarge { .. })
        ));
    }

    #[test]
    fn formats_with_grouping() {
        let m = Money::new(123_456_789, Currency::Sgd);
        assert_eq!(m.decimal(), "1234567.89");
        assert_eq!(m.grouped(), "1,234,567.89");
        assert_eq!(Money::new(5, Currency::Hkd).grouped(), "0.05");
        assert_eq!(Money::new(-150, Currency::Hkd).grouped(), "-1.50");
        assert_eq!(Money::new(100_000, Currency::Hkd).grouped(), "1,000.00");
    }
}

//! The domain's one error type. Every variant is something an operator did or asked for that
//! the rules refuse; each maps to a Fluent message id (`error-…`) and named arguments, so every
//! front end (CLI, desktop app, host) shows it in the operator's language without matching strings.

use serde::Serialize;
use thiserror::Error;

/// Why the domain refused a command. Nothing has changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum DomainError {
    /// The amount text is not a decimal number (letters, several dots, exponent, empty).
    #[error("amount {input:?} is not a number")]
    AmountNotANumber { input: String },
    /// The amount text starts with a minus sign.
    #[error("amount {input:?} is negative")]
    AmountNegative { input: String },
    /// More digits after the point than the currency has.
    #[error("amount {input:?} has more than {max} decimals")]
    AmountTooManyDecimals { input: String, max: u32 },
    /// The amount does not fit in 64 bits of minor units.
    #[error("amount {input:?} is too large")]
    AmountTooLarge { input: String },
    /// A sale or refund of nothing.
    #[error("amount must be greater than zero")]
    AmountZero,
    /// Above the till's configured maximum for one transaction.
    #[error("amount {amount} is above the maximum {max}")]
    AmountAboveMaximum { amount: String, max: String },
    /// An amount in another currency than the till's.
    #[error("currency {got} is not the till's currency {expected}")]
    CurrencyMismatch { got: String, expected: String },
    /// The till is not configured to accept this means.
    #[error("payment means {means} is not accepted on this till")]
    MeansNotAccepted { means: String },
    /// A scanned code that is no wallet's payment code (a URL, a product barcode…).
    #[error("{scanned:?} is not a payment code")]
    NotAPaymentCode { scanned: String },
    /// A payment code (or a till code) of a wallet this till does not take.
    #[error("{wallet} is not accepted on this till")]
    WalletNotAccepted { wallet: String },
    /// The host blocked this POS: no transaction at all (S4).
    #[error("this POS is blocked by the host")]
    PosBlocked,
    /// The host blocked refunds on this POS (S4).
    #[error("refunds are blocked on this POS")]
    RefundBlocked,
    /// The means allows no void (FPS, Tap & Go, stored value, merchant QR).
    #[error("{means} transactions cannot be voided")]
    VoidNotAllowed { means: String },
    /// The means allows no refund (stored value).
    #[error("{means} transactions cannot be refunded")]
    RefundNotAllowed { means: String },
    /// Void of a transaction whose batch was settled (or another batch).
    #[error("transaction {trace} is in a settled batch and cannot be voided")]
    VoidAfterSettlement { trace: String },
    /// Void or refund of something that is not an approved sale.
    #[error("transaction {trace} is {status}")]
    NotApprovedSale { trace: String, status: String },
    /// Void of a sale that was voided already.
    #[error("transaction {trace} is already voided")]
    AlreadyVoided { trace: String },
    /// Void of a sale that has been (partly) refunded.
    #[error("transaction {trace} has refunds and cannot be voided")]
    AlreadyRefunded { trace: String },
    /// Refund above what is left of the sale.
    #[error("refund {amount} is above the remaining {remaining}")]
    RefundAboveRemaining { amount: String, remaining: String },
    /// No transaction with that trace number in the searched batch.
    #[error("no transaction with trace number {trace}")]
    UnknownTrace { trace: String },
    /// A trace number that is not 1..=999999.
    #[error("{input:?} is not a trace number (6 digits)")]
    TraceInvalid { input: String },
    /// No such operator on this till.
    #[error("operator {operator} does not exist")]
    UnknownOperator { operator: String },
    /// Wrong PIN; `remaining` tries before the operator is locked.
    #[error("wrong PIN, {remaining} tries left")]
    PinWrong { remaining: u32 },
    /// Too many wrong PINs: locked until the given local time.
    #[error("operator {operator} is locked until {until}")]
    OperatorLocked { operator: String, until: String },
    /// First login with the default PIN: it must be changed before anything else.
    #[error("the PIN must be changed before first use")]
    PinChangeRequired,
    /// A new PIN that is not exactly six digits.
    #[error("a PIN is exactly 6 digits")]
    PinFormat,
    /// A new PIN equal to the old one.
    #[error("the new PIN must differ from the old one")]
    PinUnchanged,
    /// The operator's role does not allow the action.
    #[error("operator {operator} may not {action}")]
    PermissionDenied { operator: String, action: String },
    /// Idle timeout or daily restart window passed: log in again (S2).
    #[error("session expired, log in again")]
    SessionExpired,
    /// An operator id already in use.
    #[error("operator {operator} already exists")]
    OperatorExists { operator: String },
    /// The last manager cannot be removed or demoted.
    #[error("the last manager cannot be removed")]
    LastManager,
    /// A command that the state machine cannot take in its current state (a bug in a caller,
    /// or a device that answered twice).
    #[error("{what} is not possible in state {state}")]
    IllegalTransition { what: String, state: String },
}

impl DomainError {
    /// Stable machine code, the same as the serialised `code` tag.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::AmountNotANumber { .. } => "amount-not-a-number",
            DomainError::AmountNegative { .. } => "amount-negative",
            DomainError::AmountTooManyDecimals { .. } => "amount-too-many-decimals",
            DomainError::AmountTooLarge { .. } => "amount-too-large",
            DomainError::AmountZero => "amount-zero",
            DomainError::AmountAboveMaximum { .. } => "amount-above-maximum",
            DomainError::CurrencyMismatch { .. } => "currency-mismatch",
            DomainError::MeansNotAccepted { .. } => "means-not-accepted",
            DomainError::NotAPaymentCode { .. } => "not-a-payment-code",
            DomainError::WalletNotAccepted { .. } => "wallet-not-accepted",
            DomainError::PosBlocked => "pos-blocked",
            DomainError::RefundBlocked => "refund-blocked",
            DomainError::VoidNotAllowed { .. } => "void-not-allowed",
            DomainError::RefundNotAllowed { .. } => "refund-not-allowed",
            DomainError::VoidAfterSettlement { .. } => "void-after-settlement",
            DomainError::NotApprovedSale { .. } => "not-approved-sale",
            DomainError::AlreadyVoided { .. } => "already-voided",
            DomainError::AlreadyRefunded { .. } => "already-refunded",
            DomainError::RefundAboveRemaining { .. } => "refund-above-remaining",
            DomainError::UnknownTrace { .. } => "unknown-trace",
            DomainError::TraceInvalid { .. } => "trace-invalid",
            DomainError::UnknownOperator { .. } => "unknown-operator",
            DomainError::PinWrong { .. } => "pin-wrong",
            DomainError::OperatorLocked { .. } => "operator-locked",
            DomainError::PinChangeRequired => "pin-change-required",
            DomainError::PinFormat => "pin-format",
            DomainError::PinUnchanged => "pin-unchanged",
            DomainError::PermissionDenied { .. } => "permission-denied",
            DomainError::SessionExpired => "session-expired",
            DomainError::OperatorExists { .. } => "operator-exists",
            DomainError::LastManager => "last-manager",
            DomainError::IllegalTransition { .. } => "illegal-transition",
        }
    }

    /// The Fluent message id that explains this error to an operator.
    pub fn message_id(&self) -> String {
        format!("error-{}", self.code())
    }

    /// Named arguments for the message, from the variant's fields.
    pub fn args(&self) -> Vec<(String, String)> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map
                .into_iter()
                .filter(|(k, _)| k != "code")
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// One example of every variant: lets a test check that every message id has a
    /// translation in every locale.
    pub fn examples() -> Vec<DomainError> {
        let s = || "x".to_owned();
        vec![
            DomainError::AmountNotANumber { input: s() },
            DomainError::AmountNegative { input: s() },
            DomainError::AmountTooManyDecimals { input: s(), max: 2 },
            DomainError::AmountTooLarge { input: s() },
            DomainError::AmountZero,
            DomainError::AmountAboveMaximum { amount: s(), max: s() },
            DomainError::CurrencyMismatch {
                got: s(),
                expected: s(),
            },
            DomainError::MeansNotAccepted { means: s() },
            DomainError::NotAPaymentCode { scanned: s() },
            DomainError::WalletNotAccepted { wallet: s() },
            DomainError::PosBlocked,
            DomainError::RefundBlocked,
            DomainError::VoidNotAllowed { means: s() },
            DomainError::RefundNotAllowed { means: s() },
            DomainError::VoidAfterSettlement { trace: s() },
            DomainError::NotApprovedSale {
                trace: s(),
                status: s(),
            },
            DomainError::AlreadyVoided { trace: s() },
            DomainError::AlreadyRefunded { trace: s() },
            DomainError::RefundAboveRemaining {
                amount: s(),
                remaining: s(),
            },
            DomainError::UnknownTrace { trace: s() },
            DomainError::TraceInvalid { input: s() },
            DomainError::UnknownOperator { operator: s() },
            DomainError::PinWrong { remaining: 1 },
            DomainError::OperatorLocked {
                operator: s(),
                until: s(),
            },
            DomainError::PinChangeRequired,
            DomainError::PinFormat,
            DomainError::PinUnchanged,
            DomainError::PermissionDenied {
                operator: s(),
                action: s(),
            },
            DomainError::SessionExpired,
            DomainError::OperatorExists { operator: s() },
            DomainError::LastManager,
            DomainError::IllegalTransition { what: s(), state: s() },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_come_from_fields() {
        let e = DomainError::RefundAboveRemaining {
            amount: "5.00".into(),
            remaining: "3.00".into(),
        };
        assert_eq!(e.code(), "refund-above-remaining");
        assert_eq!(e.message_id(), "error-refund-above-remaining");
        let args = e.args();
        assert!(args.contains(&("remaining".to_owned(), "3.00".to_owned())));
        assert!(!args.iter().any(|(k, _)| k == "code"));
    }

    #[test]
    fn serialised_code_equals_code() -> Result<(), serde_json::Error> {
        for e in DomainError::examples() {
            let v = serde_json::to_value(&e)?;
            assert_eq!(v["code"], e.code(), "serde tag and code() must agree for {e:?}");
        }
        Ok(())
    }
}

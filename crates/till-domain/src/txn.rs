//! The transaction lifecycle. A sale, a void and a refund are each a [`Transaction`]; a void or
//! refund names its original. State changes only through [`TxnEvent`]s applied by
//! [`Transaction::apply`], so the journal's materialised rows and a replay of its events can
//! never disagree: the same function produced both.
//!
//! ```text
//! Pending -> Approved | Declined | Cancelled | Unknown | Reversed
//! Unknown -> Approved | Declined | Reversed
//! Approved (sale) -> Voided        (by an approved void, same batch)
//! Approved (sale) -> refunded += n (by approved refunds, up to the total)
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::DomainError;
use crate::ids::{BatchNo, TraceNo, TxnId};
use crate::means::{PaymentMeans, QrScheme};
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxnKind {
    Sale,
    Void,
    Refund,
}

impl TxnKind {
    pub fn id(self) -> &'static str {
        match self {
            TxnKind::Sale => "sale",
            TxnKind::Void => "void",
            TxnKind::Refund => "refund",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxnStatus {
    /// The intent is journaled; the device may or may not have it yet.
    Pending,
    Approved,
    Declined,
    Cancelled,
    /// The device was asked but its answer was lost: must be resolved before the next sale.
    Unknown,
    /// Reversed after an unknown outcome: a failed transaction, the customer was not charged.
    Reversed,
    /// A sale cancelled by an approved void.
    Voided,
}

impl TxnStatus {
    pub fn id(self) -> &'static str {
        match self {
            TxnStatus::Pending => "pending",
            TxnStatus::Approved => "approved",
            TxnStatus::Declined => "declined",
            TxnStatus::Cancelled => "cancelled",
            TxnStatus::Unknown => "unknown",
            TxnStatus::Reversed => "reversed",
            TxnStatus::Voided => "voided",
        }
    }

    /// Still needs the device or recovery to say how it ended.
    pub fn is_unresolved(self) -> bool {
        matches!(self, TxnStatus::Pending | TxnStatus::Unknown)
    }
}

impl fmt::Display for TxnStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How a card was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryMode {
    Chip,
    Contactless,
    Swipe,
    Manual,
}

/// The cardholder verification line a receipt prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cvm {
    PinVerified,
    Signature,
    NoSignatureRequired,
}

/// Only what a receipt prints. No full PAN, no track data, no PIN: the type cannot hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardData {
    /// e.g. `************0033`; built by [`CardData::mask`].
    pub masked_pan: String,
    pub last4: String,
    pub scheme: String,
    pub entry_mode: EntryMode,
    pub aid: Option<String>,
    pub app_label: Option<String>,
    pub cryptogram: Option<String>,
    pub cvm: Cvm,
}

impl CardData {
    /// Masks a PAN, keeping only its last four digits, so the caller can drop the full number
    /// at once. Non-digits are ignored.
    pub fn mask(pan: &str) -> (String, String) {
        let digits: Vec<char> = pan.chars().filter(|c| c.is_ascii_digit()).collect();
        let keep = digits.len().min(4);
        let last4: String = digits[digits.len() - keep..].iter().collect();
        let masked = format!("{}{}", "*".repeat(digits.len() - keep), last4);
        (masked, last4)
    }
}

/// A customer's signature as vector data, captured on the customer display when the card's
/// CVM asks for one: strokes of points on a pad of `width` x `height` (origin top left). It
/// carries no card data; it prints on the merchant copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Signature {
    pub width: u16,
    pub height: u16,
    pub strokes: Vec<Vec<[u16; 2]>>,
}

impl Signature {
    /// Most points a signature may carry: a real one has a few hundred to a few thousand.
    pub const MAX_POINTS: usize = 20_000;

    /// No stroke of two points or more: nothing was drawn.
    pub fn is_blank(&self) -> bool {
        self.strokes.iter().all(|s| s.len() < 2)
    }

    /// Drawable on its pad and of a sane size: what the till accepts from a display.
    pub fn is_valid(&self) -> bool {
        let points: usize = self.strokes.iter().map(Vec::len).sum();
        self.width > 0
            && self.height > 0
            && points <= Signature::MAX_POINTS
            && self
                .strokes
                .iter()
                .flatten()
                .all(|[x, y]| *x <= self.width && *y <= self.height)
    }
}

/// What the acquirer, gateway or reader said when it approved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Approval {
    pub auth_code: Option<String>,
    /// Retrieval reference number (card) or the wallet's transaction id (QR).
    pub reference: Option<String>,
    pub card: Option<CardData>,
    pub qr_scheme: Option<QrScheme>,
    /// Stored value: the masked card number and the balance after the payment.
    pub stored_value: Option<StoredValueData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueData {
    pub card_no: String,
    pub balance_after: Money,
}

/// How a transaction that was Pending or Unknown got its answer (T8), for the cashier's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// The device's last result named this transaction.
    LastResult,
    /// The device had no record of it, or it was reversed: not charged.
    Reversal,
}

/// A reference to the original of a void or refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalRef {
    pub id: TxnId,
    pub trace: TraceNo,
    pub batch: BatchNo,
}

/// One sale, void or refund, as the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: TxnId,
    pub kind: TxnKind,
    pub means: PaymentMeans,
    pub amount: Money,
    pub tip: Money,
    pub trace: TraceNo,
    pub batch: BatchNo,
    pub original: Option<OriginalRef>,
    pub operator: String,
    pub qr_scheme: Option<QrScheme>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: TxnStatus,
    pub approval: Option<Approval>,
    pub decline: Option<Decline>,
    /// Sum of approved refunds against this sale.
    pub refunded: Money,
    pub voided_by: Option<TxnId>,
    pub resolution: Option<Resolution>,
    /// The customer's signature, when the CVM asked for one and the display captured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    /// When an automatic settlement closed it ahead of its batch (T10: the means other than
    /// card settle at 00:00): counted there, no longer in the batch's X and Z, never voided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    /// The device's or gateway's response code.
    pub code: String,
    /// A Fluent message id for the reason (`decline-…`).
    pub message_id: String,
}

/// A change to one transaction. Carried in the journal; applied by [`Transaction::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TxnEvent {
    Started {
        txn: Box<Transaction>,
    },
    Approved {
        approval: Approval,
        resolution: Option<Resolution>,
    },
    Declined {
        decline: Decline,
        resolution: Option<Resolution>,
    },
    Cancelled,
    Unknown {
        cause: String,
    },
    Reversed,
    /// This sale was voided by the approved void `by`.
    Voided {
        by: TxnId,
    },
    /// An approved refund `by` took `amount` off this sale.
    Refunded {
        by: TxnId,
        amount: Money,
    },
    /// The customer signed on the display for this approved card sale.
    Signed {
        signature: Signature,
    },
}

impl TxnEvent {
    pub fn name(&self) -> &'static str {
        match self {
            TxnEvent::Started { .. } => "started",
            TxnEvent::Approved { .. } => "approved",
            TxnEvent::Declined { .. } => "declined",
            TxnEvent::Cancelled => "cancelled",
            TxnEvent::Unknown { .. } => "unknown",
            TxnEvent::Reversed => "reversed",
            TxnEvent::Voided { .. } => "voided",
            TxnEvent::Refunded { .. } => "refunded",
            TxnEvent::Signed { .. } => "signed",
        }
    }
}

impl Transaction {
    /// Amount plus tip: what the customer pays.
    pub fn total(&self) -> Money {
        Money::new(self.amount.minor + self.tip.minor, self.amount.currency)
    }

    /// What can still be refunded of a sale.
    pub fn refundable(&self) -> Money {
        Money::new(self.total().minor - self.refunded.minor, self.amount.currency)
    }

    /// The transaction that a `Started` event creates.
    pub fn from_started(event: &TxnEvent) -> Result<Transaction, DomainError> {
        match event {
            TxnEvent::Started { txn } => Ok((**txn).clone()),
            other => Err(DomainError::IllegalTransition {
                what: other.name().to_owned(),
                state: "none".to_owned(),
            }),
        }
    }

    /// Applies one event: the single place where a transaction's state changes.
    pub fn apply(&mut self, event: &TxnEvent, at: DateTime<Utc>) -> Result<(), DomainError> {
        use TxnStatus::*;
        let illegal = |s: &Transaction| DomainError::IllegalTransition {
            what: event.name().to_owned(),
            state: s.status.id().to_owned(),
        };
        match event {
            TxnEvent::Started { .. } => return Err(illegal(self)),
            TxnEvent::Approved { approval, resolution } => {
                if !self.status.is_unresolved() {
                    return Err(illegal(self));
                }
                self.status = Approved;
                self.approval = Some(approval.clone());
                self.resolution = *resolution;
            }
            TxnEvent::Declined { decline, resolution } => {
                if !self.status.is_unresolved() {
                    return Err(illegal(self));
                }
                self.status = Declined;
                self.decline = Some(decline.clone());
                self.resolution = *resolution;
            }
            TxnEvent::Cancelled => {
                if self.status != Pending {
                    return Err(illegal(self));
                }
                self.status = Cancelled;
            }
            TxnEvent::Unknown { .. } => {
                if self.status != Pending {
                    return Err(illegal(self));
                }
                self.status = Unknown;
            }
            TxnEvent::Reversed => {
                if !self.status.is_unresolved() {
                    return Err(illegal(self));
                }
                self.status = Reversed;
                self.resolution = Some(Resolution::Reversal);
            }
            TxnEvent::Voided { by } => {
                if self.kind != TxnKind::Sale || self.status != Approved || !self.refunded.is_zero() {
                    return Err(illegal(self));
                }
                self.status = Voided;
                self.voided_by = Some(by.clone());
            }
            TxnEvent::Refunded { amount, .. } => {
                if self.kind != TxnKind::Sale
                    || self.status != Approved
                    || amount.minor <= 0
                    || amount.minor > self.refundable().minor
                {
                    return Err(illegal(self));
                }
                self.refunded = Money::new(self.refunded.minor + amount.minor, self.refunded.currency);
            }
            TxnEvent::Signed { signature } => {
                let asks = self
                    .approval
                    .as_ref()
                    .and_then(|a| a.card.as_ref())
                    .is_some_and(|c| c.cvm == Cvm::Signature);
                if self.status != Approved || !asks || self.signature.is_some() || !signature.is_valid() {
                    return Err(illegal(self));
                }
                self.signature = Some(signature.clone());
            }
        }
        self.updated_at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn sale() -> Transaction {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        Transaction {
            id: TxnId("t1".into()),
            kind: TxnKind::Sale,
            means: PaymentMeans::Card,
            amount: Money::new(1000, Currency::Hkd),
            tip: Money::new(100, Currency::Hkd),
            trace: TraceNo::FIRST,
            batch: BatchNo(1),
            original: None,
            operator: "1".into(),
            qr_scheme: None,
            started_at: t0,
            updated_at: t0,
            status: TxnStatus::Pending,
            approval: None,
            decline: None,
            refunded: Money::zero(Currency::Hkd),
            voided_by: None,
            resolution: None,
            signature: None,
            settled_at: None,
        }
    }

    #[test]
    fn lifecycle_allows_only_the_drawn_arrows() -> Result<(), DomainError> {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut t = sale();
        t.apply(
            &TxnEvent::Unknown {
                cause: "timeout".into(),
            },
            now,
        )?;
        assert!(
            t.apply(&TxnEvent::Cancelled, now).is_err(),
            "Unknown cannot be cancelled"
        );
        t.apply(
            &TxnEvent::Approved {
                approval: Approval::default(),
                resolution: Some(Resolution::LastResult),
            },
            now,
        )?;
        assert_eq!(t.status, TxnStatus::Approved);
        assert!(
            t.apply(&TxnEvent::Reversed, now).is_err(),
            "an approved sale is voided, not reversed"
        );
        let refund = Money::new(600, Currency::Hkd);
        t.apply(
            &TxnEvent::Refunded {
                by: TxnId("r1".into()),
                amount: refund,
            },
            now,
        )?;
        assert_eq!(t.refundable().minor, 500);
        assert!(
            t.apply(
                &TxnEvent::Refunded {
                    by: TxnId("r2".into()),
                    amount: Money::new(501, Currency::Hkd)
                },
                now
            )
            .is_err(),
            "a refund above what remains must be refused"
        );
        assert!(
            t.apply(&TxnEvent::Voided { by: TxnId("v".into()) }, now).is_err(),
            "no void after a refund"
        );
        Ok(())
    }

    #[test]
    fn a_signature_is_taken_once_by_an_approved_sale_whose_cvm_asks() -> Result<(), DomainError> {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let sig = Signature {
            width: 100,
            height: 50,
            strokes: vec![vec![[1, 1], [99, 49]]],
        };
        let signed = TxnEvent::Signed { signature: sig.clone() };
        let mut t = sale();
        assert!(t.apply(&signed, now).is_err(), "not before approval");
        let card = |cvm| CardData {
            masked_pan: "****0010".into(),
            last4: "0010".into(),
            scheme: "VISA".into(),
            entry_mode: EntryMode::Chip,
            aid: None,
            app_label: None,
            cryptogram: None,
            cvm,
        };
        let mut pin = t.clone();
        let approve = |cvm| TxnEvent::Approved {
            approval: Approval {
                card: Some(card(cvm)),
                ..Approval::default()
            },
            resolution: None,
        };
        pin.apply(&approve(Cvm::PinVerified), now)?;
        assert!(
            pin.apply(&signed, now).is_err(),
            "a PIN-verified sale takes no signature"
        );
        t.apply(&approve(Cvm::Signature), now)?;
        let off_pad = TxnEvent::Signed {
            signature: Signature {
                width: 100,
                height: 50,
                strokes: vec![vec![[1, 1], [101, 49]]],
            },
        };
        assert!(t.apply(&off_pad, now).is_err(), "points off the pad are refused");
        t.apply(&signed, now)?;
        assert_eq!(t.signature, Some(sig));
        assert!(t.apply(&signed, now).is_err(), "signed once");
        assert!(Signature::default().is_blank());
        Ok(())
    }

    #[test]
    fn masking_keeps_only_last_four() {
        let (masked, last4) = CardData::mask("4761 7390 0101 0010");
        assert_eq!(masked, "************0010");
        assert_eq!(last4, "0010");
        assert_eq!(CardData::mask("12").0, "12");
    }
}

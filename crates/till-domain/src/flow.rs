//! The transitions of the payment flows as plain functions:
//! `(state, command, now) -> Result<Step, DomainError>`. A [`Step`] lists the journal events
//! first and then the effects; the shell must make the events durable before it carries out
//! any effect. That is the write-ahead rule, by construction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::batch::{Batch, BatchStatus};
use crate::config::{Blocks, TillConfig};
use crate::error::DomainError;
use crate::event::{Event, EventBody};
use crate::ids::{TraceNo, TxnId};
use crate::means::{PaymentMeans, QrScheme};
use crate::money::Money;
use crate::ports::Outcome;
use crate::txn::{Decline, OriginalRef, Resolution, Transaction, TxnEvent, TxnKind, TxnStatus};

/// What a flow needs to know about the till to decide.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub config: &'a TillConfig,
    pub blocks: Blocks,
    pub batch: &'a Batch,
}

/// A sale as the cashier asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRequest {
    pub amount: Money,
    pub tip: Money,
    pub means: PaymentMeans,
    pub qr_scheme: Option<QrScheme>,
}

/// Ids and the operator, made by the shell and passed in.
#[derive(Debug, Clone)]
pub struct NewTxn<'a> {
    pub id: TxnId,
    pub trace: TraceNo,
    pub operator: &'a str,
    pub now: DateTime<Utc>,
}

/// Something for the shell to do after the events are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask the device for this transaction (card terminal, QR gateway or stored-value reader,
    /// by the transaction's means; cash needs no device).
    Authorize { txn: TxnId },
    /// Print the transaction's receipts (the configured copies).
    PrintReceipts { txn: TxnId },
    /// Open the cash drawer.
    KickDrawer,
    /// Show the amount on the customer display.
    ShowAmount { txn: TxnId },
    /// Show the result on the customer display.
    ShowResult { approved: bool },
}

/// The outcome of one transition.
#[derive(Debug, Clone)]
pub struct Step {
    /// Journal these first, in one durable commit.
    pub events: Vec<Event>,
    /// The new state of every transaction the events touch (the materialised rows).
    pub txns: Vec<Transaction>,
    /// Then do these, in order.
    pub effects: Vec<Effect>,
}

impl Rules<'_> {
    fn check_open(&self) -> Result<(), DomainError> {
        if self.blocks.pos {
            return Err(DomainError::PosBlocked);
        }
        if self.batch.status != BatchStatus::Open {
            return Err(DomainError::IllegalTransition {
                what: "transaction".to_owned(),
                state: format!("batch {:?}", self.batch.status),
            });
        }
        Ok(())
    }

    fn check_amount(&self, amount: Money) -> Result<(), DomainError> {
        let currency = self.config.currency;
        if amount.currency != currency {
            return Err(DomainError::CurrencyMismatch {
                got: amount.currency.code().to_owned(),
                expected: currency.code().to_owned(),
            });
        }
        if amount.minor < 0 {
            return Err(DomainError::AmountNegative {
                input: amount.decimal(),
            });
        }
        if amount.minor > self.config.max_amount_minor {
            return Err(DomainError::AmountAboveMaximum {
                amount: amount.grouped(),
                max: self.config.max_amount().grouped(),
            });
        }
        Ok(())
    }

    /// T1–T4: a new sale, Pending.
    pub fn start_sale(&self, req: &SaleRequest, new: NewTxn<'_>) -> Result<Step, DomainError> {
        self.check_open()?;
        if !self.config.accepted.contains(&req.means) {
            return Err(DomainError::MeansNotAccepted {
                means: req.means.id().to_owned(),
            });
        }
        self.check_amount(req.amount)?;
        self.check_amount(req.tip)?;
        if req.amount.is_zero() {
            return Err(DomainError::AmountZero);
        }
        let total = req
            .amount
            .checked_add(req.tip)
            .ok_or_else(|| DomainError::AmountTooLarge {
                input: req.amount.decimal(),
            })?;
        self.check_amount(total)?;
        let txn = self.pending(TxnKind::Sale, req.means, req.amount, req.tip, None, req.qr_scheme, &new);
        Ok(started(
            txn,
            new.now,
            vec![
                Effect::ShowAmount { txn: new.id.clone() },
                Effect::Authorize { txn: new.id },
            ],
        ))
    }

    /// T6: a void of an approved same-batch sale, Pending.
    pub fn start_void(&self, original: &Transaction, new: NewTxn<'_>) -> Result<Step, DomainError> {
        self.check_open()?;
        let trace = original.trace.to_string();
        check_is_sale(original)?;
        if !original.means.allows_void() {
            return Err(DomainError::VoidNotAllowed {
                means: original.means.id().to_owned(),
            });
        }
        if original.batch != self.batch.no || original.settled_at.is_some() {
            return Err(DomainError::VoidAfterSettlement { trace });
        }
        match original.status {
            TxnStatus::Voided => return Err(DomainError::AlreadyVoided { trace }),
            TxnStatus::Approved if !original.refunded.is_zero() => {
                return Err(DomainError::AlreadyRefunded { trace });
            }
            TxnStatus::Approved => {}
            other => {
                return Err(DomainError::NotApprovedSale {
                    trace,
                    status: other.id().to_owned(),
                });
            }
        }
        let txn = self.pending(
            TxnKind::Void,
            original.means,
            original.amount,
            original.tip,
            Some(original),
            original.qr_scheme,
            &new,
        );
        Ok(started(txn, new.now, vec![Effect::Authorize { txn: new.id }]))
    }

    /// T7: a refund of (part of) an approved sale, Pending. `amount` defaults to all that remains.
    pub fn start_refund(
        &self,
        original: &Transaction,
        amount: Option<Money>,
        new: NewTxn<'_>,
    ) -> Result<Step, DomainError> {
        self.check_open()?;
        if self.blocks.refund {
            return Err(DomainError::RefundBlocked);
        }
        let trace = original.trace.to_string();
        check_is_sale(original)?;
        if !original.means.allows_refund() {
            return Err(DomainError::RefundNotAllowed {
                means: original.means.id().to_owned(),
            });
        }
        match original.status {
            TxnStatus::Voided => return Err(DomainError::AlreadyVoided { trace }),
            TxnStatus::Approved => {}
            other => {
                return Err(DomainError::NotApprovedSale {
                    trace,
                    status: other.id().to_owned(),
                });
            }
        }
        let remaining = original.refundable();
        let amount = amount.unwrap_or(remaining);
        self.check_amount(amount)?;
        if amount.is_zero() {
            return Err(DomainError::AmountZero);
        }
        if amount.minor > remaining.minor {
            return Err(DomainError::RefundAboveRemaining {
                amount: amount.grouped(),
                remaining: remaining.grouped(),
            });
        }
        let zero = Money::zero(amount.currency);
        let txn = self.pending(
            TxnKind::Refund,
            original.means,
            amount,
            zero,
            Some(original),
            original.qr_scheme,
            &new,
        );
        Ok(started(txn, new.now, vec![Effect::Authorize { txn: new.id }]))
    }

    #[allow(clippy::too_many_arguments)]
    fn pending(
        &self,
        kind: TxnKind,
        means: PaymentMeans,
        amount: Money,
        tip: Money,
        original: Option<&Transaction>,
        qr_scheme: Option<QrScheme>,
        new: &NewTxn<'_>,
    ) -> Transaction {
        Transaction {
            id: new.id.clone(),
            kind,
            means,
            amount,
            tip,
            trace: new.trace,
            batch: self.batch.no,
            original: original.map(|o| OriginalRef {
                id: o.id.clone(),
                trace: o.trace,
                batch: o.batch,
            }),
            operator: new.operator.to_owned(),
            qr_scheme,
            started_at: new.now,
            updated_at: new.now,
            status: TxnStatus::Pending,
            approval: None,
            decline: None,
            refunded: Money::zero(amount.currency),
            voided_by: None,
            resolution: None,
            signature: None,
            settled_at: None,
        }
    }
}

fn check_is_sale(original: &Transaction) -> Result<(), DomainError> {
    if original.kind == TxnKind::Sale {
        Ok(())
    } else {
        Err(DomainError::NotApprovedSale {
            trace: original.trace.to_string(),
            status: original.kind.id().to_owned(),
        })
    }
}

fn started(txn: Transaction, now: DateTime<Utc>, effects: Vec<Effect>) -> Step {
    let event = Event {
        at: now,
        body: EventBody::Txn {
            id: txn.id.clone(),
            event: TxnEvent::Started {
                txn: Box::new(txn.clone()),
            },
        },
    };
    Step {
        events: vec![event],
        txns: vec![txn],
        effects,
    }
}

/// How a device call ended, as far as the flow is concerned.
// One short-lived value per transaction: boxing the approval would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Device(Outcome),
    /// The request may have reached the device but no answer came.
    Unknown {
        cause: String,
    },
    /// Recovery found it was never charged, or reversed it.
    Reversed,
}

/// Applies a device's answer to a Pending or Unknown transaction (and, for an approved void or
/// refund, to its original). `resolution` says how a recovered answer was learned (T8).
pub fn complete(
    txn: &Transaction,
    original: Option<&Transaction>,
    ending: Ending,
    resolution: Option<Resolution>,
    now: DateTime<Utc>,
) -> Result<Step, DomainError> {
    let mut events = Vec::new();
    let mut effects = Vec::new();
    let mut next = txn.clone();
    let mut push = |target: &mut Transaction, event: TxnEvent| -> Result<(), DomainError> {
        target.apply(&event, now)?;
        events.push(Event {
            at: now,
            body: EventBody::Txn {
                id: target.id.clone(),
                event,
            },
        });
        Ok(())
    };
    let mut touched_original = None;
    match ending {
        Ending::Device(Outcome::Approved(approval)) => {
            push(&mut next, TxnEvent::Approved { approval, resolution })?;
            if let Some(orig) = original {
                let mut o = orig.clone();
                match next.kind {
                    TxnKind::Void => push(&mut o, TxnEvent::Voided { by: next.id.clone() })?,
                    TxnKind::Refund => push(
                        &mut o,
                        TxnEvent::Refunded {
                            by: next.id.clone(),
                            amount: next.total(),
                        },
                    )?,
                    TxnKind::Sale => {}
                }
                touched_original = Some(o);
            }
            effects.push(Effect::PrintReceipts { txn: next.id.clone() });
            if next.means == PaymentMeans::Cash && next.kind != TxnKind::Void {
                effects.push(Effect::KickDrawer);
            }
            effects.push(Effect::ShowResult { approved: true });
        }
        Ending::Device(Outcome::Declined(decline)) => {
            push(&mut next, TxnEvent::Declined { decline, resolution })?;
            effects.push(Effect::ShowResult { approved: false });
        }
        Ending::Device(Outcome::Cancelled) => {
            if next.status == TxnStatus::Unknown {
                // A cancelled answer learned in recovery: the customer was not charged.
                let decline = Decline {
                    code: "cancelled".to_owned(),
                    message_id: "decline-cancelled".to_owned(),
                };
                push(&mut next, TxnEvent::Declined { decline, resolution })?;
            } else {
                push(&mut next, TxnEvent::Cancelled)?;
            }
            effects.push(Effect::ShowResult { approved: false });
        }
        Ending::Unknown { cause } => push(&mut next, TxnEvent::Unknown { cause })?,
        Ending::Reversed => {
            push(&mut next, TxnEvent::Reversed)?;
            effects.push(Effect::ShowResult { approved: false });
        }
    }
    let mut txns = vec![next];
    txns.extend(touched_original);
    Ok(Step { events, txns, effects })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BatchNo;
    use crate::money::Currency;
    use crate::txn::Approval;

    fn setup() -> (TillConfig, Batch) {
        let config = TillConfig::demo();
        let batch = Batch {
            no: BatchNo(1),
            status: BatchStatus::Open,
            opened_at: DateTime::<Utc>::UNIX_EPOCH,
            settled_at: None,
        };
        (config, batch)
    }

    fn new(id: &str, trace: u32) -> NewTxn<'static> {
        NewTxn {
            id: TxnId(id.into()),
            trace: TraceNo::new(trace).expect("valid trace"),
            operator: "1",
            now: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn hkd(minor: i64) -> Money {
        Money::new(minor, Currency::Hkd)
    }

    #[test]
    fn sale_journals_before_it_authorizes() -> Result<(), DomainError> {
        let (config, batch) = setup();
        let rules = Rules {
            config: &config,
            blocks: Blocks::default(),
            batch: &batch,
        };
        let req = SaleRequest {
            amount: hkd(1000),
            tip: hkd(0),
            means: PaymentMeans::Card,
            qr_scheme: None,
        };
        let step = rules.start_sale(&req, new("a", 1))?;
        assert_eq!(step.events.len(), 1, "the intent is one event");
        assert_eq!(step.txns[0].status, TxnStatus::Pending);
        assert!(step.effects.contains(&Effect::Authorize { txn: TxnId("a".into()) }));
        Ok(())
    }

    #[test]
    fn refusals() -> Result<(), DomainError> {
        let (config, batch) = setup();
        let rules = Rules {
            config: &config,
            blocks: Blocks::default(),
            batch: &batch,
        };
        let req = |minor, means| SaleRequest {
            amount: hkd(minor),
            tip: hkd(0),
            means,
            qr_scheme: None,
        };
        assert_eq!(
            rules.start_sale(&req(0, PaymentMeans::Cash), new("a", 1)).err(),
            Some(DomainError::AmountZero)
        );
        assert!(matches!(
            rules.start_sale(&req(config.max_amount_minor + 1, PaymentMeans::Cash), new("a", 1)),
            Err(DomainError::AmountAboveMaximum { .. })
        ));
        let blocked = Rules {
            blocks: Blocks {
                pos: true,
                refund: false,
            },
            ..rules
        };
        assert_eq!(
            blocked.start_sale(&req(100, PaymentMeans::Cash), new("a", 1)).err(),
            Some(DomainError::PosBlocked)
        );

        let sale = rules.start_sale(&req(1000, PaymentMeans::StoredValue), new("s", 1))?;
        let approved = complete(
            &sale.txns[0],
            None,
            Ending::Device(Outcome::Approved(Approval::default())),
            None,
            DateTime::<Utc>::UNIX_EPOCH,
        )?;
        let sv = &approved.txns[0];
        assert!(matches!(
            rules.start_void(sv, new("v", 2)),
            Err(DomainError::VoidNotAllowed { .. })
        ));
        assert!(matches!(
            rules.start_refund(sv, None, new("r", 2)),
            Err(DomainError::RefundNotAllowed { .. })
        ));
        Ok(())
    }

    #[test]
    fn approved_refund_reduces_the_original() -> Result<(), DomainError> {
        let (config, batch) = setup();
        let rules = Rules {
            config: &config,
            blocks: Blocks::default(),
            batch: &batch,
        };
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let req = SaleRequest {
            amount: hkd(1000),
            tip: hkd(200),
            means: PaymentMeans::Card,
            qr_scheme: None,
        };
        let sale = rules.start_sale(&req, new("s", 1))?;
        let sale = complete(
            &sale.txns[0],
            None,
            Ending::Device(Outcome::Approved(Approval::default())),
            None,
            t0,
        )?
        .txns
        .remove(0);
        assert!(matches!(
            rules.start_refund(&sale, Some(hkd(1201)), new("r", 2)),
            Err(DomainError::RefundAboveRemaining { .. })
        ));
        let refund = rules.start_refund(&sale, Some(hkd(700)), new("r", 2))?;
        let done = complete(
            &refund.txns[0],
            Some(&sale),
            Ending::Device(Outcome::Approved(Approval::default())),
            None,
            t0,
        )?;
        assert_eq!(done.events.len(), 2, "the refund and its original each get an event");
        assert_eq!(done.txns[1].refundable(), hkd(500));
        assert!(matches!(
            rules.start_void(&done.txns[1], new("v", 3)),
            Err(DomainError::AlreadyRefunded { .. })
        ));
        Ok(())
    }
}

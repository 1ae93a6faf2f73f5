//! Batches and their totals. A batch is `Open -> Settling -> Settled`; totals are a pure fold
//! over the batch's transactions, so the journal's SQL and this fold can check each other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::ids::BatchNo;
use crate::means::PaymentMeans;
use crate::money::{Currency, Money};
use crate::txn::{Transaction, TxnKind, TxnStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchStatus {
    Open,
    Settling,
    Settled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub no: BatchNo,
    pub status: BatchStatus,
    pub opened_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// Count and sum of one kind of movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub count: u64,
    pub minor: i64,
}

impl Tally {
    fn add(&mut self, minor: i64) {
        self.count += 1;
        self.minor += minor;
    }
}

/// The settlement summary of one means: sales (all approved sales, voided ones included, as a
/// terminal counts them), voids and refunds; net = sales - voids - refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeansTotals {
    pub sales: Tally,
    pub voids: Tally,
    pub refunds: Tally,
}

impl MeansTotals {
    pub fn net_minor(&self) -> i64 {
        self.sales.minor - self.voids.minor - self.refunds.minor
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTotals {
    pub batch: BatchNo,
    pub currency: Currency,
    pub by_means: BTreeMap<PaymentMeans, MeansTotals>,
}

impl BatchTotals {
    pub fn empty(batch: BatchNo, currency: Currency) -> BatchTotals {
        BatchTotals {
            batch,
            currency,
            by_means: BTreeMap::new(),
        }
    }

    /// Folds the transactions of one batch. A voided sale counts as a sale and its void as a
    /// void, so the two cancel out in the net.
    pub fn fold<'a>(
        batch: BatchNo,
        currency: Currency,
        txns: impl IntoIterator<Item = &'a Transaction>,
    ) -> BatchTotals {
        let mut totals = BatchTotals::empty(batch, currency);
        for t in txns.into_iter().filter(|t| t.batch == batch) {
            let counted = matches!(
                (t.kind, t.status),
                (TxnKind::Sale, TxnStatus::Approved | TxnStatus::Voided)
                    | (TxnKind::Void | TxnKind::Refund, TxnStatus::Approved)
            );
            if counted {
                totals.add(t.kind, t.means, t.total().minor);
            }
        }
        totals
    }

    pub fn add(&mut self, kind: TxnKind, means: PaymentMeans, minor: i64) {
        let m = self.by_means.entry(means).or_default();
        match kind {
            TxnKind::Sale => m.sales.add(minor),
            TxnKind::Void => m.voids.add(minor),
            TxnKind::Refund => m.refunds.add(minor),
        }
    }

    pub fn net(&self) -> Money {
        Money::new(self.by_means.values().map(MeansTotals::net_minor).sum(), self.currency)
    }

    pub fn grand(&self) -> MeansTotals {
        let mut g = MeansTotals::default();
        for m in self.by_means.values() {
            for (into, from) in [
                (&mut g.sales, m.sales),
                (&mut g.voids, m.voids),
                (&mut g.refunds, m.refunds),
            ] {
                into.count += from.count;
                into.minor += from.minor;
            }
        }
        g
    }
}

/// What the terminal reported at end-of-day, to compare with the till's card totals (T10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TerminalTotals {
    pub sales: Tally,
    pub refunds: Tally,
    /// The terminal reports one net total (ZVT end-of-day): `sales` holds it and `refunds` is
    /// empty, so only the net can be compared.
    #[serde(default)]
    pub net_only: bool,
}

//! What the journal records. Every change to the till's state is one of these, appended in
//! order and chained by hash; the current state is their fold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PaymentMeans;
use crate::batch::{BatchTotals, TerminalTotals};
use crate::config::Blocks;
use crate::ids::{BatchNo, TxnId};
use crate::operator::OperatorEvent;
use crate::txn::TxnEvent;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventBody {
    Txn {
        id: TxnId,
        event: TxnEvent,
    },
    BatchOpened {
        batch: BatchNo,
    },
    SettlementStarted {
        batch: BatchNo,
    },
    /// The batch is closed; `till` holds the till's totals and `terminal` what the card
    /// terminal reported, so a Z report can always be printed again with the difference.
    Settled {
        batch: BatchNo,
        till: Box<BatchTotals>,
        terminal: Option<TerminalTotals>,
    },
    Operator {
        event: OperatorEvent,
    },
    Blocks {
        blocks: Blocks,
    },
    /// The automatic settlement at 00:00 (T10) of the means that settle by themselves (all but
    /// card): the batch's transactions of `means` started before `through` are closed with
    /// these totals, and its Z report printed. The batch stays open for card.
    MeansSettled {
        batch: BatchNo,
        means: Vec<PaymentMeans>,
        through: DateTime<Utc>,
        till: Box<BatchTotals>,
    },
    /// A manager changed a setting of till.toml (T13): who, which key, from what to what
    /// (secrets masked). The file holds the value; this is the record of the change.
    Setting {
        operator: String,
        key: String,
        from: Option<String>,
        to: String,
    },
}

impl EventBody {
    /// A short name for the journal's `kind` column and logs.
    pub fn name(&self) -> String {
        match self {
            EventBody::Txn { event, .. } => format!("txn.{}", event.name()),
            EventBody::BatchOpened { .. } => "batch.opened".to_owned(),
            EventBody::SettlementStarted { .. } => "batch.settling".to_owned(),
            EventBody::Settled { .. } => "batch.settled".to_owned(),
            EventBody::Operator { .. } => "operator".to_owned(),
            EventBody::Blocks { .. } => "blocks".to_owned(),
            EventBody::MeansSettled { .. } => "batch.means-settled".to_owned(),
            EventBody::Setting { .. } => "setting".to_owned(),
        }
    }
}

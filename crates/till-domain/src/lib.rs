//! The pure model of OpenTill: money, payment means and their rules, the transaction and batch
//! state machines, operators and permissions, receipt documents, and the ports that devices
//! implement.
//!
//! Design choices: no I/O, no async runtime, no database. Transitions are plain functions that
//! take the current state, a command and the time, and return either a refusal
//! ([`DomainError`], which names a message id) or a [`flow::Step`]: journal events first, then
//! effects for the shell to carry out. Ids, salts and time come in as arguments, so any day can
//! be replayed in a test. A transaction's state changes only through [`txn::Transaction::apply`],
//! which is also how the journal replays its events: materialised rows and replay agree by
//! construction.

pub mod batch;
pub mod config;
pub mod error;
pub mod event;
pub mod flow;
pub mod ids;
pub mod means;
pub mod money;
pub mod operator;
pub mod ports;
pub mod receipt;
pub mod txn;

pub use batch::{Batch, BatchStatus, BatchTotals, MeansTotals, Tally, TerminalTotals};
pub use config::{Blocks, MerchantInfo, ReceiptCopies, SessionPolicy, TillConfig};
pub use error::DomainError;
pub use event::{Event, EventBody};
pub use ids::{BatchNo, TraceNo, TxnId};
pub use means::{PaymentMeans, QrScheme};
pub use money::{Currency, Money};
pub use operator::{Action, Lockout, Operator, OperatorEvent, Role, Session};
pub use txn::{
    Approval, CardData, Cvm, Decline, EntryMode, Resolution, Signature, StoredValueData, Transaction, TxnEvent,
    TxnKind, TxnStatus,
};

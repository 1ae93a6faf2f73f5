//! The ports: what the till needs from each device, as small async object-safe traits. Real
//! drivers (ZVT, ESC/POS, cameras, acquirer APIs, the host) and the simulators implement them;
//! the domain never calls them — `till` does, carrying out [`crate::flow::Effect`]s.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::batch::TerminalTotals;
use crate::ids::{TraceNo, TxnId};
use crate::means::QrScheme;
use crate::money::Money;
use crate::receipt::ReceiptDoc;
use crate::txn::{Approval, Decline};

/// A device's failure. What matters to the till is whether the request may have reached the
/// device: if it may have, the outcome is Unknown and must be resolved (T8).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum DeviceError {
    /// The request was never sent (not connected, port cannot be opened): nothing happened.
    #[error("device unavailable: {0}")]
    Unavailable(String),
    /// The device refused to start: it is busy with something else. Nothing happened.
    #[error("device busy")]
    Busy,
    /// Sent, but no answer in time: the device may have acted.
    #[error("no answer from the device in time")]
    Timeout,
    /// The line dropped after the request: the device may have acted.
    #[error("connection lost: {0}")]
    LineLost(String),
    /// The device answered something we could not understand.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Printer: out of paper. Reported before printing, never as a lost receipt.
    #[error("printer out of paper")]
    PaperOut,
    /// Printer: cover open.
    #[error("printer cover open")]
    CoverOpen,
}

impl DeviceError {
    /// True when the device may have carried out the request.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            DeviceError::Timeout | DeviceError::LineLost(_) | DeviceError::Protocol(_)
        )
    }

    /// The Fluent message id that tells the cashier about it.
    pub fn message_id(&self) -> &'static str {
        match self {
            DeviceError::Unavailable(_) => "device-unavailable",
            DeviceError::Busy => "device-busy",
            DeviceError::Timeout => "device-timeout",
            DeviceError::LineLost(_) => "device-line-lost",
            DeviceError::Protocol(_) => "device-protocol",
            DeviceError::PaperOut => "printer-paper-out",
            DeviceError::CoverOpen => "printer-cover-open",
        }
    }
}

/// How a device answered a payment request it did receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Approved(Approval),
    Declined(Decline),
    /// The customer or the cashier cancelled on the device.
    Cancelled,
}

/// What the customer is doing on the PIN pad, as it happens (D1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Progress {
    PresentCard,
    InsertChip,
    EnterPin,
    RemoveCard,
    Processing,
    SignatureRequired,
    ScanCode,
    WaitingForCustomer,
}

impl Progress {
    pub fn message_id(&self) -> &'static str {
        match self {
            Progress::PresentCard => "progress-present-card",
            Progress::InsertChip => "progress-insert-chip",
            Progress::EnterPin => "progress-enter-pin",
            Progress::RemoveCard => "progress-remove-card",
            Progress::Processing => "progress-processing",
            Progress::SignatureRequired => "progress-signature-required",
            Progress::ScanCode => "progress-scan-code",
            Progress::WaitingForCustomer => "progress-waiting-for-customer",
        }
    }
}

/// Where progress goes: the UI, the CLI's stderr, a test's recorder.
pub trait ProgressSink: Send + Sync {
    fn progress(&self, progress: Progress);
}

/// A sink that drops everything.
#[derive(Debug, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: Progress) {}
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRequest {
    pub txn: TxnId,
    pub trace: TraceNo,
    /// What the card is charged: the sale's amount and the tip together.
    pub amount: Money,
    /// The part of `amount` that is the tip (zero when none): a protocol that carries the tip
    /// on its own (nexo's TipAmount) sends it apart; the others charge `amount` alone.
    pub tip: Money,
}

/// The terminal's memory of its last transaction, asked for after a lost answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastResult {
    /// The till's trace number, when the terminal echoes it (ZVT terminals keep their own).
    pub trace: Option<TraceNo>,
    /// The terminal's own reference (receipt number), when it has one.
    pub reference: Option<String>,
    pub amount: Money,
    pub outcome: Outcome,
}

/// The sale a void undoes: the till's trace and the terminal's reference from its approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidTarget {
    pub trace: TraceNo,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub ready: bool,
    pub detail: String,
}

/// An EMV PIN pad (D1). The till never sees a PIN or a full card number.
#[async_trait]
pub trait PaymentTerminal: Send + Sync {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError>;
    /// Void of an approved same-batch sale `original`, carried as transaction `req`.
    async fn void(
        &self,
        req: &CardRequest,
        original: &VoidTarget,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError>;
    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError>;
    /// Reverses the transaction with this trace if the terminal has it. `Ok(true)` if it was
    /// reversed, `Ok(false)` if the terminal never had it (nothing to undo).
    async fn reverse(&self, trace: TraceNo, amount: Money) -> Result<bool, DeviceError>;
    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError>;
    async fn end_of_day(&self) -> Result<TerminalTotals, DeviceError>;
    async fn abort(&self) -> Result<(), DeviceError>;
    async fn status(&self) -> Result<DeviceStatus, DeviceError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub paper_out: bool,
    pub cover_open: bool,
}

/// A receipt printer (D2). It takes a resolved document (every text in the operator's
/// language) and lays it out for its own paper.
#[async_trait]
pub trait ReceiptPrinter: Send + Sync {
    async fn status(&self) -> Result<PrinterStatus, DeviceError>;
    async fn print(&self, doc: &ReceiptDoc) -> Result<(), DeviceError>;
    async fn kick_drawer(&self) -> Result<(), DeviceError>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedCode {
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Camera or scanner (D3): decoded codes, each once.
#[async_trait]
pub trait CodeScanner: Send + Sync {
    async fn next_code(&self) -> Result<ScannedCode, DeviceError>;
}

/// A localised snapshot of what the customer display should show (D4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "kebab-case")]
pub enum DisplaySnapshot {
    Idle {
        text: String,
    },
    Amount {
        amount: String,
        tip: String,
        total: String,
        labels: [String; 3],
    },
    QrToScan {
        payload: String,
        total: String,
        prompt: String,
        expires_at: DateTime<Utc>,
    },
    Prompt {
        text: String,
    },
    /// The card's CVM asks for a signature: the customer signs on the screen.
    Signature {
        total: String,
        prompt: String,
        /// Labels of the two buttons: clear the pad, and done.
        clear: String,
        done: String,
    },
    Result {
        approved: bool,
        text: String,
    },
    ThankYou {
        text: String,
    },
}

impl DisplaySnapshot {
    /// The screen's name as on the wire (`"screen"` tag).
    pub fn screen(&self) -> &'static str {
        match self {
            DisplaySnapshot::Idle { .. } => "idle",
            DisplaySnapshot::Amount { .. } => "amount",
            DisplaySnapshot::QrToScan { .. } => "qr-to-scan",
            DisplaySnapshot::Prompt { .. } => "prompt",
            DisplaySnapshot::Signature { .. } => "signature",
            DisplaySnapshot::Result { .. } => "result",
            DisplaySnapshot::ThankYou { .. } => "thank-you",
        }
    }
}

pub use crate::txn::Signature;

/// The customer-facing display.
#[async_trait]
pub trait CustomerDisplay: Send + Sync {
    async fn show(&self, snapshot: &DisplaySnapshot) -> Result<(), DeviceError>;

    /// Shows `request` (a [`DisplaySnapshot::Signature`]) and waits for the customer to sign:
    /// `Some` when they press done, `None` when they cancel or the display cannot capture one
    /// (a pole display), in which case the merchant copy keeps its paper signature line.
    async fn capture_signature(&self, request: &DisplaySnapshot) -> Result<Option<Signature>, DeviceError> {
        self.show(request).await?;
        Ok(None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCharge {
    pub txn: TxnId,
    pub amount: Money,
    /// The customer's payment code as scanned.
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrOrder {
    pub txn: TxnId,
    pub payload: String,
    pub expires_at: DateTime<Utc>,
}

/// What the gateway knows of one order or charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QrStatus {
    /// Not paid yet (merchant-presented order still open).
    Waiting,
    Paid(Approval),
    Failed(Decline),
    Expired,
    Cancelled,
    /// The gateway has no such reference.
    NotFound,
}

/// A QR payment gateway: charges of customer-presented codes (T2) and orders shown by the
/// till (T3). Every call is keyed by the till's transaction id, so a retry never charges twice.
#[async_trait]
pub trait QrGateway: Send + Sync {
    async fn charge(&self, req: &QrCharge) -> Result<Outcome, DeviceError>;
    async fn create_order(&self, txn: &TxnId, amount: Money, scheme: QrScheme) -> Result<QrOrder, DeviceError>;
    async fn query(&self, txn: &TxnId) -> Result<QrStatus, DeviceError>;
    /// Cancels an open order or reverses a charge; returns the status after.
    async fn cancel(&self, txn: &TxnId) -> Result<QrStatus, DeviceError>;
    async fn refund(&self, original: &TxnId, refund: &TxnId, amount: Money) -> Result<Outcome, DeviceError>;
}

/// One entry of a stored-value card's history (T5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueEntry {
    pub at: DateTime<Utc>,
    pub amount: Money,
    pub txn: TxnId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValueBalance {
    pub card_no: String,
    pub remaining: Money,
    /// Up to the last 4 transactions made on this till, newest first.
    pub last: Vec<StoredValueEntry>,
}

/// An Octopus-type stored-value card reader (T4, T5).
#[async_trait]
pub trait StoredValueReader: Send + Sync {
    async fn pay(&self, txn: &TxnId, amount: Money, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError>;
    /// Whether the reader completed a payment for `txn` (asked after a lost answer).
    async fn find(&self, txn: &TxnId) -> Result<Option<Outcome>, DeviceError>;
    async fn balance(&self, progress: &dyn ProgressSink) -> Result<StoredValueBalance, DeviceError>;
}

/// Commands the host sends down (S4, H3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum HostCommand {
    BlockPos,
    UnblockPos,
    BlockRefund,
    UnblockRefund,
    ResetPin { operator: String },
    ResetRefundPin { operator: String },
}

/// Settings the merchant portal keeps for one till (T11 receipt header and copies), and whether
/// it asks for a diagnostics bundle (T12). `None` fields leave the till's own value alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostSettings {
    pub receipt_name: Option<String>,
    pub receipt_address: Option<String>,
    pub copies: Option<crate::config::ReceiptCopies>,
    pub diagnostics_requested: bool,
}

/// T12: what a till tells the host about itself when asked. Never card data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticsReport {
    pub created_at: DateTime<Utc>,
    pub till_id: String,
    pub serial: String,
    pub software: String,
    pub journal_events: u64,
    pub journal_intact: bool,
    pub backlog: u64,
    /// (device, status or error) pairs.
    pub devices: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// The back office.
#[async_trait]
pub trait HostLink: Send + Sync {
    /// Uploads journal events (sequence, JSON); returns the highest sequence the host holds.
    async fn upload(&self, events: &[(u64, String)]) -> Result<u64, DeviceError>;
    async fn pull_commands(&self) -> Result<Vec<HostCommand>, DeviceError>;
    /// The portal's settings for this till; `None` from a host that keeps none.
    async fn pull_settings(&self) -> Result<Option<HostSettings>, DeviceError> {
        Ok(None)
    }
    /// T12: sends a diagnostics bundle.
    async fn upload_diagnostics(&self, _report: &DiagnosticsReport) -> Result<(), DeviceError> {
        Err(DeviceError::Unavailable("this host takes no diagnostics".to_owned()))
    }
}

//! The `Till`: carries out OpenTill's flows against the journal and the devices. It is the one
//! API that the desktop app, the CLI, the host's tests and the benchmarks call.
//!
//! Design choices:
//! - **One flow at a time.** A till serves one customer: flows take an async lock, so at most
//!   one transaction is ever in flight, and the terminal's "last result" is enough to resolve it.
//! - **Write ahead.** Every transition comes from `till-domain` as a `Step` whose events are
//!   committed (fsync) before any of its effects run. The outcome is committed as soon as the
//!   device answers.
//! - **Recovery first (T8).** Before any new transaction, every Pending/Unknown one is resolved:
//!   the device's own record (last result, gateway query, reader lookup) decides, else it is
//!   reversed — a reversed sale is a failed one, the customer was not charged.
//! - **Localised at the edge.** Errors carry message ids; receipts are resolved in the till's
//!   language with bilingual labels just before printing.

mod app;
pub mod clock;
pub mod error;
mod flow;
mod history;
mod host;
mod operators;
mod receipts;
mod recovery;
mod sale;
mod settlement;
pub mod sim;
pub mod store;
pub mod sync;
mod void_refund;

use chrono::{DateTime, Utc};
use rand::Rng;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use till_domain::flow::{Effect, Ending, NewTxn, Rules, SaleRequest, Step, complete};
use till_domain::operator::{default_pin, hash_pin, validate_new_pin, verify_pin};
use till_domain::ports::*;
use till_domain::receipt::{self, ReceiptCopy, ReceiptDoc};
use till_domain::*;
use till_i18n::{Lang, Localizer, ReceiptLabels};
use till_journal::{AuthStore, HistoryQuery, Journal, VerifyReport};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorDto, Result, TillError};
pub use sim::{SimDisplay, SimHost, SimPrinter, SimQrGateway, SimScanner, SimStoredValue, SimTerminal};

/// The devices a till drives, each behind its port.
#[derive(Clone)]
pub struct Devices {
    pub terminal: Arc<dyn PaymentTerminal>,
    pub printer: Arc<dyn ReceiptPrinter>,
    pub display: Arc<dyn CustomerDisplay>,
    pub scanner: Arc<dyn CodeScanner>,
    pub qr: Arc<dyn QrGateway>,
    pub stored_value: Arc<dyn StoredValueReader>,
    /// The back office (the demo till's is in-process).
    pub host: Arc<dyn HostLink>,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Devices")
    }
}

/// The simulators of the demo till, kept typed so tests can look inside them.
#[derive(Debug, Clone)]
pub struct Sims {
    pub terminal: Arc<SimTerminal>,
    pub printer: Arc<SimPrinter>,
    pub display: Arc<SimDisplay>,
    pub scanner: Arc<SimScanner>,
    pub qr: Arc<SimQrGateway>,
    pub stored_value: Arc<SimStoredValue>,
    pub host: Arc<SimHost>,
}

impl Sims {
    /// Every device simulated. With `dir`, the payment simulators keep their records there and
    /// remember them across restarts, as real devices would.
    pub fn open(
        dir: Option<&Path>,
        clock: Arc<dyn Clock>,
        currency: Currency,
        columns: usize,
    ) -> std::io::Result<Sims> {
        if let Some(d) = dir {
            std::fs::create_dir_all(d)?;
        }
        let file = |name: &str| dir.map(|d| d.join(name));
        Ok(Sims {
            terminal: Arc::new(SimTerminal::open(file("terminal.jsonl").as_deref())?),
            printer: Arc::new(SimPrinter::new(columns)),
            display: Arc::new(SimDisplay::default()),
            scanner: Arc::new(SimScanner::new(clock.clone())),
            qr: Arc::new(SimQrGateway::open(file("qr-gateway.jsonl").as_deref(), clock.clone())?),
            stored_value: Arc::new(SimStoredValue::open(
                file("stored-value.jsonl").as_deref(),
                clock,
                currency,
            )?),
            host: Arc::new(SimHost::default()),
        })
    }

    pub fn devices(&self) -> Devices {
        Devices {
            terminal: self.terminal.clone(),
            printer: self.printer.clone(),
            display: self.display.clone(),
            scanner: self.scanner.clone(),
            qr: self.qr.clone(),
            stored_value: self.stored_value.clone(),
            host: self.host.clone(),
        }
    }
}

/// How a till is opened.
#[derive(Clone)]
pub struct TillOptions {
    pub config: TillConfig,
    pub lang: Lang,
    pub clock: Arc<dyn Clock>,
    pub progress: Arc<dyn ProgressSink>,
    /// Pause between status queries of a merchant-presented QR order.
    pub qr_poll_interval: std::time::Duration,
    /// Queries before the till gives up on an order and cancels it.
    pub qr_poll_limit: u32,
}

impl std::fmt::Debug for TillOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TillOptions")
            .field("till_id", &self.config.till_id)
            .field("lang", &self.lang)
            .finish()
    }
}

impl TillOptions {
    pub fn new(config: TillConfig) -> TillOptions {
        TillOptions {
            config,
            lang: Lang::En,
            clock: Arc::new(SystemClock),
            progress: Arc::new(NoProgress),
            qr_poll_interval: std::time::Duration::from_millis(0),
            qr_poll_limit: 150,
        }
    }
}

/// An operator id and PIN, for the supervisor or refund PIN prompts.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub operator: String,
    pub pin: String,
}

/// A sale as the front end asks for it.
#[derive(Debug, Clone)]
pub struct SaleInput {
    pub amount: Money,
    pub tip: Money,
    pub means: PaymentMeans,
    pub qr_scheme: Option<QrScheme>,
    /// A customer's payment code already scanned (otherwise the scanner is asked).
    pub code: Option<String>,
}

/// How an unfinished transaction ended up (T8), for the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryKind {
    Approved,
    Declined,
    Reversed,
    StillUnresolved,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Recovered {
    pub txn: Transaction,
    pub kind: RecoveryKind,
}

impl Recovered {
    pub fn message_id(&self) -> &'static str {
        match self.kind {
            RecoveryKind::Approved => "recovery-approved",
            RecoveryKind::Declined => "recovery-declined",
            RecoveryKind::Reversed => "recovery-reversed",
            RecoveryKind::StillUnresolved => "recovery-pending",
        }
    }
}

/// The result of a sale, void or refund.
#[derive(Debug, Clone)]
pub struct TxnResult {
    pub txn: Transaction,
    /// Things the cashier must be told beyond the result (message ids), e.g. a payment that
    /// landed after the cashier cancelled and was refunded automatically.
    pub notices: Vec<&'static str>,
    /// The receipts printed (resolved), merchant copy first.
    pub receipts: Vec<ReceiptDoc>,
    /// Why receipts did not print, if they did not: reprint from history.
    pub print_error: Option<DeviceError>,
}

/// A report (X) or settlement (Z) with its printed documents.
#[derive(Debug, Clone)]
pub struct Report {
    pub batch: Batch,
    pub totals: BatchTotals,
    pub terminal: Option<TerminalTotals>,
    pub docs: Vec<ReceiptDoc>,
    pub print_error: Option<DeviceError>,
    /// After settlement: the batch that is now open.
    pub next_batch: Option<BatchNo>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct Till {
    journal: Mutex<Journal>,
    auth: Mutex<AuthStore>,
    config: TillConfig,
    devices: Devices,
    lang: Mutex<Lang>,
    clock: Arc<dyn Clock>,
    progress: Arc<dyn ProgressSink>,
    flow: tokio::sync::Mutex<()>,
    session: Mutex<Option<Session>>,
    cancel: AtomicBool,
    /// Set by the merchant-QR flow when a payment landed after the cashier cancelled.
    late_payment: AtomicBool,
    qr_poll_interval: std::time::Duration,
    qr_poll_limit: u32,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till").field("till_id", &self.config.till_id).finish()
    }
}

impl Till {
    /// Opens a till over a journal. A new journal gets batch 1 and the first operator, `1`
    /// (Manager), whose default PIN is the last 4 digits of the serial and must change (S1).
    pub fn open(mut journal: Journal, auth: AuthStore, devices: Devices, opts: TillOptions) -> Result<Till> {
        if journal.event_count()? == 0 {
            let now = opts.clock.now();
            let pin_hash = hash_pin(&default_pin(&opts.config.serial), &rand::thread_rng().r#gen())?;
            let first = Operator {
                id: "1".to_owned(),
                name: "Manager".to_owned(),
                role: Role::Manager,
                pin_hash,
                refund_pin_hash: None,
                must_change_pin: true,
            };
            journal.commit(&[
                Event {
                    at: now,
                    body: EventBody::BatchOpened { batch: BatchNo(1) },
                },
                Event {
                    at: now,
                    body: EventBody::Operator {
                        event: OperatorEvent::Added { operator: first },
                    },
                },
            ])?;
        }
        Ok(Till {
            journal: Mutex::new(journal),
            auth: Mutex::new(auth),
            config: opts.config,
            devices,
            lang: Mutex::new(opts.lang),
            clock: opts.clock,
            progress: opts.progress,
            flow: tokio::sync::Mutex::new(()),
            session: Mutex::new(None),
            cancel: AtomicBool::new(false),
            late_payment: AtomicBool::new(false),
            qr_poll_interval: opts.qr_poll_interval,
            qr_poll_limit: opts.qr_poll_limit,
        })
    }

    /// Opens the till whose files live in `dir` (`journal.sqlite`, `auth.sqlite`).
    pub fn open_dir(dir: &Path, devices: Devices, opts: TillOptions) -> Result<Till> {
        std::fs::create_dir_all(dir).map_err(|e| TillError::Config(e.to_string()))?;
        let journal = Journal::open(&dir.join("journal.sqlite"))?;
        let auth = AuthStore::open(&dir.join("auth.sqlite"))?;
        Till::open(journal, auth, devices, opts)
    }

    pub fn config(&self) -> &TillConfig {
        &self.config
    }

    pub fn lang(&self) -> Lang {
        *lock(&self.lang)
    }

    pub fn set_lang(&self, lang: Lang) {
        *lock(&self.lang) = lang;
    }

    pub fn localizer(&self) -> Localizer {
        Localizer::new(self.lang())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Parses an amount typed by the operator in the till's currency.
    pub fn parse_amount(&self, text: &str) -> Result<Money> {
        Ok(Money::parse(text, self.config.currency)?)
    }

    fn journal(&self) -> MutexGuard<'_, Journal> {
        lock(&self.journal)
    }

    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.config.offset())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

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
pub mod sim;
pub mod store;
pub mod sync;

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

    // ---- S1–S3: operators, PINs, sessions -------------------------------------------------

    /// Checks an operator's PIN with the lockout policy; every attempt is counted.
    fn check_pin(&self, operator: &str, pin: &str, refund_pin: bool) -> Result<Operator> {
        let now = self.now();
        let op = self
            .journal()
            .operator(operator)?
            .ok_or_else(|| DomainError::UnknownOperator {
                operator: operator.to_owned(),
            })?;
        let auth = lock(&self.auth);
        let state = auth.get(operator)?;
        if let Some(until) = state.locked_at(now) {
            return Err(DomainError::OperatorLocked {
                operator: operator.to_owned(),
                until: self.local(until),
            }
            .into());
        }
        let hash = if refund_pin {
            op.refund_pin_hash.as_deref().unwrap_or(&op.pin_hash)
        } else {
            &op.pin_hash
        };
        let ok = verify_pin(hash, pin);
        let next = state.after_attempt(ok, now);
        auth.set(operator, next)?;
        if ok {
            return Ok(op);
        }
        Err(match next.locked_at(now) {
            Some(until) => DomainError::OperatorLocked {
                operator: operator.to_owned(),
                until: self.local(until),
            },
            None => DomainError::PinWrong {
                remaining: next.remaining(),
            },
        }
        .into())
    }

    /// S1: logs an operator in. A default PIN must be changed first (`PinChangeRequired`).
    pub fn login(&self, operator: &str, pin: &str) -> Result<Session> {
        let op = self.check_pin(operator, pin, false)?;
        if op.must_change_pin {
            return Err(DomainError::PinChangeRequired.into());
        }
        let now = self.now();
        let session = Session {
            operator: op.id,
            role: op.role,
            started_at: now,
            last_activity: now,
        };
        *lock(&self.session) = Some(session.clone());
        Ok(session)
    }

    pub fn logout(&self) {
        *lock(&self.session) = None;
    }

    pub fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }

    /// Changes an operator's own PIN (the first-login change included).
    pub fn change_pin(&self, operator: &str, old_pin: &str, new_pin: &str) -> Result<()> {
        validate_new_pin(new_pin)?;
        self.check_pin(operator, old_pin, false)?;
        if old_pin == new_pin {
            return Err(DomainError::PinUnchanged.into());
        }
        let pin_hash = hash_pin(new_pin, &rand::thread_rng().r#gen())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::PinChanged {
                    id: operator.to_owned(),
                    pin_hash,
                },
            },
        }])?;
        Ok(())
    }

    /// The logged-in session, if it may do `action` (S2, S3).
    fn authorize(&self, action: Action) -> Result<Session> {
        let now = self.now();
        let mut guard = lock(&self.session);
        let session = guard.as_mut().ok_or(TillError::NotLoggedIn)?;
        if let Err(e) = session.check(now, &self.config.session, self.config.offset()) {
            *guard = None;
            return Err(e.into());
        }
        if !session.role.allows(action) {
            return Err(DomainError::PermissionDenied {
                operator: session.operator.clone(),
                action: action.id().to_owned(),
            }
            .into());
        }
        session.last_activity = now;
        Ok(session.clone())
    }

    /// A supervisor or refund PIN prompt: the operator must hold a role that allows `action`.
    fn authorize_with(&self, creds: &Credentials, action: Action) -> Result<Operator> {
        let op = self.check_pin(&creds.operator, &creds.pin, action == Action::Refund)?;
        if !op.role.allows(action) {
            return Err(DomainError::PermissionDenied {
                operator: op.id,
                action: action.id().to_owned(),
            }
            .into());
        }
        Ok(op)
    }

    /// Whether the logged-in operator may change the till's settings (T13: a manager).
    pub fn check_may_change_settings(&self) -> Result<()> {
        self.authorize(Action::Settings).map(|_| ())
    }

    /// Journals a change of till.toml (T13): who, which key, from what to what (secrets
    /// masked by the caller). The caller has checked and written it.
    pub fn record_setting(&self, key: &str, from: Option<String>, to: String) -> Result<()> {
        let session = self.authorize(Action::Settings)?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Setting {
                operator: session.operator,
                key: key.to_owned(),
                from,
                to,
            },
        }])?;
        Ok(())
    }

    pub fn operators(&self) -> Result<Vec<Operator>> {
        self.authorize(Action::ManageOperators)?;
        Ok(self.journal().operators()?)
    }

    /// Adds an operator with a first PIN that must be changed at first login.
    pub fn add_operator(&self, id: &str, name: &str, role: Role, pin: &str) -> Result<()> {
        self.authorize(Action::ManageOperators)?;
        validate_new_pin(pin)?;
        if self.journal().operator(id)?.is_some() {
            return Err(DomainError::OperatorExists {
                operator: id.to_owned(),
            }
            .into());
        }
        let operator = Operator {
            id: id.to_owned(),
            name: name.to_owned(),
            role,
            pin_hash: hash_pin(pin, &rand::thread_rng().r#gen())?,
            refund_pin_hash: None,
            must_change_pin: true,
        };
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::Added { operator },
            },
        }])?;
        Ok(())
    }

    pub fn remove_operator(&self, id: &str) -> Result<()> {
        self.authorize(Action::ManageOperators)?;
        let ops = self.journal().operators()?;
        let target = ops
            .iter()
            .find(|o| o.id == id)
            .ok_or_else(|| DomainError::UnknownOperator {
                operator: id.to_owned(),
            })?;
        if target.role == Role::Manager && ops.iter().filter(|o| o.role == Role::Manager).count() == 1 {
            return Err(DomainError::LastManager.into());
        }
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::Removed { id: id.to_owned() },
            },
        }])?;
        Ok(())
    }

    /// Sets an operator's own refund PIN (distinct from the login PIN).
    pub fn set_refund_pin(&self, operator: &str, login_pin: &str, refund_pin: &str) -> Result<()> {
        validate_new_pin(refund_pin)?;
        self.check_pin(operator, login_pin, false)?;
        let hash = hash_pin(refund_pin, &rand::thread_rng().r#gen())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Operator {
                event: OperatorEvent::RefundPinChanged {
                    id: operator.to_owned(),
                    refund_pin_hash: Some(hash),
                },
            },
        }])?;
        Ok(())
    }

    // ---- S4: commands from the host ------------------------------------------------------

    /// Applies a command from the host (S4, H3).
    pub fn apply_host_command(&self, cmd: &HostCommand) -> Result<Blocks> {
        let now = self.now();
        let mut blocks = self.journal().blocks()?;
        let event = match cmd {
            HostCommand::BlockPos | HostCommand::UnblockPos => {
                blocks.pos = matches!(cmd, HostCommand::BlockPos);
                EventBody::Blocks { blocks }
            }
            HostCommand::BlockRefund | HostCommand::UnblockRefund => {
                blocks.refund = matches!(cmd, HostCommand::BlockRefund);
                EventBody::Blocks { blocks }
            }
            HostCommand::ResetPin { operator } => {
                self.journal()
                    .operator(operator)?
                    .ok_or_else(|| DomainError::UnknownOperator {
                        operator: operator.clone(),
                    })?;
                let pin_hash = hash_pin(&default_pin(&self.config.serial), &rand::thread_rng().r#gen())?;
                EventBody::Operator {
                    event: OperatorEvent::PinReset {
                        id: operator.clone(),
                        pin_hash,
                    },
                }
            }
            HostCommand::ResetRefundPin { operator } => {
                self.journal()
                    .operator(operator)?
                    .ok_or_else(|| DomainError::UnknownOperator {
                        operator: operator.clone(),
                    })?;
                EventBody::Operator {
                    event: OperatorEvent::RefundPinChanged {
                        id: operator.clone(),
                        refund_pin_hash: None,
                    },
                }
            }
        };
        self.commit(&[Event { at: now, body: event }])?;
        Ok(blocks)
    }

    /// Store and forward: uploads the journal's events the host has not acknowledged (in
    /// order, keyed by sequence so a retry never duplicates), then applies the host's commands
    /// (S4). Returns (events uploaded, commands applied). With the host down, nothing is lost:
    /// the events stay in the journal and go with the next sync.
    pub async fn sync(&self) -> Result<(u64, usize)> {
        let host = &self.devices.host;
        let mut sent = 0;
        loop {
            let acked = self.journal().host_acked()?;
            let batch = self.journal().events_after(acked, 500)?;
            let Some(&(last, _)) = batch.last() else { break };
            let held = host.upload(&batch).await.map_err(TillError::device("host"))?;
            self.journal().set_host_acked(held.min(last))?;
            sent += held.min(last).saturating_sub(acked);
            if held < last {
                break;
            }
        }
        let commands = host.pull_commands().await.map_err(TillError::device("host"))?;
        for c in &commands {
            self.apply_host_command(c)?;
        }
        Ok((sent, commands.len()))
    }

    /// Journal events not yet held by the host (the status bar's backlog).
    pub fn sync_backlog(&self) -> Result<u64> {
        let j = self.journal();
        Ok(j.event_count()?.saturating_sub(j.host_acked()?))
    }

    pub fn blocks(&self) -> Result<Blocks> {
        Ok(self.journal().blocks()?)
    }

    // ---- T1–T8: transactions ---------------------------------------------------------------

    fn commit(&self, events: &[Event]) -> Result<()> {
        self.journal().commit(events)?;
        Ok(())
    }

    fn new_txn_id(&self, now: DateTime<Utc>) -> TxnId {
        TxnId(format!(
            "{}-{}-{:08x}",
            self.config.till_id,
            now.timestamp_millis(),
            rand::thread_rng().r#gen::<u32>()
        ))
    }

    /// The open batch, blocks and next trace number, read together.
    fn rules_state(&self) -> Result<(Batch, Blocks, TraceNo)> {
        let j = self.journal();
        let batch = j.current_batch()?.ok_or_else(|| DomainError::IllegalTransition {
            what: "transaction".into(),
            state: "no batch".into(),
        })?;
        let trace = j.last_trace()?.map_or(TraceNo::FIRST, TraceNo::next);
        Ok((batch, j.blocks()?, trace))
    }

    /// Asks the cashier's front end to stop waiting (merchant-presented QR).
    pub fn request_cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// T1–T4: a sale.
    pub async fn sale(&self, input: SaleInput) -> Result<TxnResult> {
        let _flow = self.flow.lock().await;
        let session = self.authorize(Action::Sale)?;
        self.ensure_resolved().await?;
        let (batch, blocks, trace) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks,
            batch: &batch,
        };
        let mut req = SaleRequest {
            amount: input.amount,
            tip: input.tip,
            means: input.means,
            qr_scheme: input.qr_scheme,
        };
        let now = self.now();
        let new = |id| NewTxn {
            id,
            trace,
            operator: &session.operator,
            now,
        };
        // Validate before touching the scanner, so a refused sale asks nothing of any device.
        rules.start_sale(&req, new(TxnId(String::new())))?;
        let code = match input.means {
            PaymentMeans::QrCustomer => {
                let code = match input.code {
                    Some(c) => c,
                    None => {
                        self.progress.progress(Progress::ScanCode);
                        let scanned = self.devices.scanner.next_code().await;
                        scanned.map_err(TillError::device("scanner"))?.text
                    }
                };
                req.qr_scheme = Some(self.wallet_of(&code)?);
                Some(code)
            }
            PaymentMeans::QrMerchant => {
                let scheme = req.qr_scheme.unwrap_or(match self.config.currency {
                    Currency::Sgd => QrScheme::PayNow,
                    _ => QrScheme::Fps,
                });
                self.check_wallet(scheme)?;
                req.qr_scheme = Some(scheme);
                None
            }
            _ => None,
        };
        let step = rules.start_sale(&req, new(self.new_txn_id(now)))?;
        self.run(step, None, code).await
    }

    /// T2: which wallet a scanned customer code belongs to, by the wallets' documented length
    /// and prefix rules; refused unless this till takes that wallet.
    fn wallet_of(&self, code: &str) -> Result<QrScheme> {
        let scheme = match till_qr::classify(code) {
            till_qr::CustomerCode::WeChatPay { .. } => QrScheme::WechatPay,
            till_qr::CustomerCode::Alipay => QrScheme::Alipay,
            till_qr::CustomerCode::UnionPay | till_qr::CustomerCode::EmvCpm => QrScheme::UnionPay,
            _ => {
                let shown: String = code.chars().take(32).collect();
                return Err(DomainError::NotAPaymentCode { scanned: shown }.into());
            }
        };
        self.check_wallet(scheme)?;
        Ok(scheme)
    }

    fn check_wallet(&self, scheme: QrScheme) -> Result<()> {
        if self.config.wallets.contains(&scheme) {
            Ok(())
        } else {
            Err(DomainError::WalletNotAccepted {
                wallet: scheme.id().to_owned(),
            }
            .into())
        }
    }

    /// Looks up the newest transaction with this trace number.
    fn by_trace(&self, trace: TraceNo) -> Result<Transaction> {
        self.journal()
            .search(&HistoryQuery {
                trace: Some(trace),
                limit: Some(1),
                ..HistoryQuery::default()
            })?
            .into_iter()
            .next()
            .ok_or_else(|| {
                DomainError::UnknownTrace {
                    trace: trace.to_string(),
                }
                .into()
            })
    }

    /// T6: void by trace number, with a supervisor's PIN.
    pub async fn void(&self, trace: TraceNo, supervisor: &Credentials) -> Result<TxnResult> {
        self.against_original(trace, supervisor, Action::Void, |rules, original, new| {
            rules.start_void(original, new)
        })
        .await
    }

    /// T7: refund by trace number (all that remains, or `amount`), with a refund PIN.
    pub async fn refund(&self, trace: TraceNo, amount: Option<Money>, authorizer: &Credentials) -> Result<TxnResult> {
        self.against_original(trace, authorizer, Action::Refund, |rules, original, new| {
            rules.start_refund(original, amount, new)
        })
        .await
    }

    /// A void or refund: the rules are checked before the PIN prompt (a refused command costs
    /// no PIN attempt), and again after recovery, against the state it left.
    async fn against_original<F>(
        &self,
        trace: TraceNo,
        creds: &Credentials,
        action: Action,
        start: F,
    ) -> Result<TxnResult>
    where
        F: Fn(&Rules<'_>, &Transaction, NewTxn<'_>) -> std::result::Result<Step, DomainError>,
    {
        let _flow = self.flow.lock().await;
        let session = self.authorize(Action::History)?;
        let now = self.now();
        self.start_against(trace, TxnId(String::new()), &session.operator, now, &start)?;
        let op = self.authorize_with(creds, action)?;
        self.ensure_resolved().await?;
        let (step, original) = self.start_against(trace, self.new_txn_id(now), &op.id, now, &start)?;
        self.run(step, Some(original), None).await
    }

    fn start_against<F>(
        &self,
        trace: TraceNo,
        id: TxnId,
        operator: &str,
        now: DateTime<Utc>,
        start: &F,
    ) -> Result<(Step, Transaction)>
    where
        F: Fn(&Rules<'_>, &Transaction, NewTxn<'_>) -> std::result::Result<Step, DomainError>,
    {
        let original = self.by_trace(trace)?;
        let (batch, blocks, next) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks,
            batch: &batch,
        };
        let step = start(
            &rules,
            &original,
            NewTxn {
                id,
                trace: next,
                operator,
                now,
            },
        )?;
        Ok((step, original))
    }

    /// Journals a started transaction, asks its device, journals the answer, then prints.
    async fn run(&self, step: Step, original: Option<Transaction>, code: Option<String>) -> Result<TxnResult> {
        self.commit(&step.events)?;
        let txn = step
            .txns
            .into_iter()
            .next()
            .ok_or_else(|| DomainError::IllegalTransition {
                what: "start".into(),
                state: "empty".into(),
            })?;
        let mut ending = None;
        for effect in &step.effects {
            match effect {
                Effect::ShowAmount { .. } => self.show_amount(&txn).await,
                Effect::Authorize { .. } => {
                    ending = Some(self.ask_device(&txn, original.as_ref(), code.as_deref()).await)
                }
                _ => {}
            }
        }
        let ending = ending.unwrap_or(Ending::Device(Outcome::Approved(Approval::default())));
        let unknown = matches!(ending, Ending::Unknown { .. });
        let mut result = self.finish(&txn, original.as_ref(), ending, None).await?;
        if unknown {
            // T8 at once: the device may still remember; otherwise recovery resolves it later.
            let recovered = self.resolve(&result.txn).await?;
            result.txn = recovered.txn.clone();
            if recovered.kind == RecoveryKind::Approved {
                result = self.after_completion(result.txn.clone()).await;
            }
        }
        if self.late_payment.swap(false, Ordering::SeqCst) && result.txn.status == TxnStatus::Approved {
            result = self.refund_late_payment(result).await?;
        }
        Ok(result)
    }

    /// T3: the customer paid after the cashier cancelled. The payment is recorded (it happened)
    /// and refunded at once, whatever the blocks — the customer must not pay for nothing — and
    /// the cashier is told.
    async fn refund_late_payment(&self, mut paid: TxnResult) -> Result<TxnResult> {
        let sale = paid.txn.clone();
        let (batch, _blocks, trace) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks: Blocks::default(),
            batch: &batch,
        };
        let now = self.now();
        let step = rules.start_refund(
            &sale,
            None,
            NewTxn {
                id: self.new_txn_id(now),
                trace,
                operator: &sale.operator,
                now,
            },
        )?;
        self.commit(&step.events)?;
        let refund = step.txns[0].clone();
        let ending = self.ask_device(&refund, Some(&sale), None).await;
        let done = self.finish(&refund, Some(&sale), ending, None).await?;
        paid.txn = self.journal().txn(&sale.id)?.unwrap_or(sale);
        paid.receipts.extend(done.receipts);
        paid.notices.push(if done.txn.status == TxnStatus::Approved {
            "notice-late-payment-refunded"
        } else {
            "notice-late-payment-refund-failed"
        });
        Ok(paid)
    }

    /// Applies an ending, commits it, and carries out the effects.
    async fn finish(
        &self,
        txn: &Transaction,
        original: Option<&Transaction>,
        ending: Ending,
        resolution: Option<Resolution>,
    ) -> Result<TxnResult> {
        let step = complete(txn, original, ending, resolution, self.now())?;
        self.commit(&step.events)?;
        let mut done = step.txns[0].clone();
        if step.effects.iter().any(|e| matches!(e, Effect::PrintReceipts { .. })) {
            done = self.signature(done).await?;
        }
        let mut result = TxnResult {
            txn: done.clone(),
            notices: Vec::new(),
            receipts: Vec::new(),
            print_error: None,
        };
        for effect in &step.effects {
            match effect {
                Effect::PrintReceipts { .. } => {
                    let (docs, err) = self.print_receipts(&done, false).await;
                    result.receipts = docs;
                    result.print_error = err;
                }
                Effect::KickDrawer => {
                    let _ = self.devices.printer.kick_drawer().await;
                }
                Effect::ShowResult { approved } => self.show_result(*approved).await,
                _ => {}
            }
        }
        Ok(result)
    }

    /// D4: when the card's CVM asks for a signature, the customer signs on the display; the
    /// strokes are journaled with the sale and print on the merchant copy. A display that
    /// cannot capture one (or a customer who cancels) leaves the paper signature line.
    async fn signature(&self, txn: Transaction) -> Result<Transaction> {
        let asks = txn.kind == TxnKind::Sale
            && txn.status == TxnStatus::Approved
            && txn
                .approval
                .as_ref()
                .and_then(|a| a.card.as_ref())
                .is_some_and(|c| c.cvm == Cvm::Signature);
        if !asks {
            return Ok(txn);
        }
        let l = self.localizer();
        let request = DisplaySnapshot::Signature {
            total: l.money(txn.total()),
            prompt: l.text("display-sign-here", &[]),
            clear: l.text("display-sign-clear", &[]),
            done: l.text("display-sign-done", &[]),
        };
        self.progress.progress(Progress::SignatureRequired);
        let signature = match self.devices.display.capture_signature(&request).await {
            Ok(Some(s)) if !s.is_blank() && s.is_valid() => s,
            _ => return Ok(txn),
        };
        let event = TxnEvent::Signed { signature };
        let mut signed = txn.clone();
        signed.apply(&event, self.now())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Txn {
                id: txn.id.clone(),
                event,
            },
        }])?;
        Ok(signed)
    }

    /// Receipts and display for a transaction approved through recovery.
    async fn after_completion(&self, txn: Transaction) -> TxnResult {
        let (receipts, print_error) = self.print_receipts(&txn, false).await;
        if txn.means == PaymentMeans::Cash {
            let _ = self.devices.printer.kick_drawer().await;
        }
        self.show_result(true).await;
        TxnResult {
            txn,
            notices: Vec::new(),
            receipts,
            print_error,
        }
    }

    fn card_request(txn: &Transaction) -> CardRequest {
        CardRequest {
            txn: txn.id.clone(),
            trace: txn.trace,
            amount: txn.total(),
        }
    }

    fn ending(result: std::result::Result<Outcome, DeviceError>) -> Ending {
        match result {
            Ok(o) => Ending::Device(o),
            Err(e) if e.outcome_unknown() => Ending::Unknown { cause: e.to_string() },
            Err(DeviceError::Busy) => Ending::Device(Outcome::Declined(Decline {
                code: "busy".into(),
                message_id: "decline-device-busy".into(),
            })),
            Err(_) => Ending::Device(Outcome::Declined(Decline {
                code: "unavailable".into(),
                message_id: "decline-device-unavailable".into(),
            })),
        }
    }

    /// Carries out the Authorize effect: the device of the transaction's means.
    async fn ask_device(&self, txn: &Transaction, original: Option<&Transaction>, code: Option<&str>) -> Ending {
        let p = self.progress.as_ref();
        let d = &self.devices;
        let total = txn.total();
        match (txn.kind, txn.means) {
            (_, PaymentMeans::Cash) => Ending::Device(Outcome::Approved(Approval::default())),
            (TxnKind::Sale, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                Till::ending(d.terminal.authorize(&Till::card_request(txn), p).await)
            }
            (TxnKind::Void, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                let target = VoidTarget {
                    trace: original.map_or(txn.trace, |o| o.trace),
                    reference: original
                        .and_then(|o| o.approval.as_ref())
                        .and_then(|a| a.reference.clone()),
                };
                Till::ending(d.terminal.void(&Till::card_request(txn), &target, p).await)
            }
            (TxnKind::Refund, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                Till::ending(d.terminal.refund(&Till::card_request(txn), p).await)
            }
            (TxnKind::Sale, PaymentMeans::QrCustomer) => {
                let charge = QrCharge {
                    txn: txn.id.clone(),
                    amount: total,
                    code: code.unwrap_or_default().to_owned(),
                };
                Till::ending(d.qr.charge(&charge).await)
            }
            (TxnKind::Sale, PaymentMeans::QrMerchant) => self.merchant_qr(txn).await,
            (TxnKind::Void, PaymentMeans::QrCustomer | PaymentMeans::QrMerchant) => {
                let Some(orig) = original else { return Ending::Reversed };
                match d.qr.cancel(&orig.id).await {
                    Ok(QrStatus::Cancelled) => Ending::Device(Outcome::Approved(Approval::default())),
                    Ok(_) => Ending::Device(Outcome::Declined(Decline {
                        code: "void-refused".into(),
                        message_id: "decline-generic".into(),
                    })),
                    Err(e) => Till::ending(Err(e)),
                }
            }
            (TxnKind::Refund, PaymentMeans::QrCustomer | PaymentMeans::QrMerchant) => {
                let Some(orig) = original else { return Ending::Reversed };
                Till::ending(d.qr.refund(&orig.id, &txn.id, total).await)
            }
            (TxnKind::Sale, PaymentMeans::StoredValue) => Till::ending(d.stored_value.pay(&txn.id, total, p).await),
            // The rules never start these (stored value allows no void or refund).
            (TxnKind::Void | TxnKind::Refund, PaymentMeans::StoredValue) => {
                Ending::Device(Outcome::Declined(Decline {
                    code: "not-allowed".into(),
                    message_id: "decline-generic".into(),
                }))
            }
        }
    }

    /// T3: create the order, show its code, and learn the result from the gateway.
    async fn merchant_qr(&self, txn: &Transaction) -> Ending {
        self.cancel.store(false, Ordering::SeqCst);
        let scheme = txn.qr_scheme.unwrap_or(QrScheme::Fps);
        let order = match self.devices.qr.create_order(&txn.id, txn.total(), scheme).await {
            Ok(o) => o,
            Err(e) => return Till::ending(Err(e)),
        };
        let l = self.localizer();
        let _ = self
            .devices
            .display
            .show(&DisplaySnapshot::QrToScan {
                payload: order.payload.clone(),
                total: l.money(txn.total()),
                prompt: l.text("progress-waiting-for-customer", &[]),
                expires_at: order.expires_at,
            })
            .await;
        self.progress.progress(Progress::WaitingForCustomer);
        for _ in 0..self.qr_poll_limit {
            if self.cancel.swap(false, Ordering::SeqCst) {
                break;
            }
            match self.devices.qr.query(&txn.id).await {
                Ok(QrStatus::Paid(a)) => return Ending::Device(Outcome::Approved(a)),
                Ok(QrStatus::Failed(d)) => return Ending::Device(Outcome::Declined(d)),
                Ok(QrStatus::Expired) => {
                    return Ending::Device(Outcome::Declined(Decline {
                        code: "expired".into(),
                        message_id: "decline-expired".into(),
                    }));
                }
                Ok(QrStatus::Cancelled | QrStatus::NotFound) => return Ending::Device(Outcome::Cancelled),
                Ok(QrStatus::Waiting) | Err(_) => {}
            }
            if !self.qr_poll_interval.is_zero() {
                tokio::time::sleep(self.qr_poll_interval).await;
            }
        }
        // Cancelled by the cashier or given up: cancel at the gateway. A payment that landed
        // meanwhile is recorded and then refunded automatically (see `refund_late_payment`).
        match self.devices.qr.cancel(&txn.id).await {
            Ok(QrStatus::Paid(a)) => {
                self.late_payment.store(true, Ordering::SeqCst);
                Ending::Device(Outcome::Approved(a))
            }
            Ok(_) => Ending::Device(Outcome::Cancelled),
            Err(e) => Till::ending(Err(e)),
        }
    }

    /// T8: resolves one Pending/Unknown transaction from the device's own record.
    async fn resolve(&self, txn: &Transaction) -> Result<Recovered> {
        let original = match &txn.original {
            Some(o) => self.journal().txn(&o.id)?,
            None => None,
        };
        let d = &self.devices;
        let total = txn.total();
        let learned: std::result::Result<Ending, DeviceError> = match txn.means {
            PaymentMeans::Card | PaymentMeans::TapAndGo => match d.terminal.last_result().await {
                Ok(Some(last)) if self.is_this_transaction(&last, txn)? => Ok(Ending::Device(last.outcome)),
                Ok(_) => d.terminal.reverse(txn.trace, total).await.map(|_| Ending::Reversed),
                Err(e) => Err(e),
            },
            PaymentMeans::QrCustomer | PaymentMeans::QrMerchant => {
                let id = &txn.id;
                match d.qr.query(id).await {
                    Ok(QrStatus::Paid(a)) => Ok(Ending::Device(Outcome::Approved(a))),
                    Ok(QrStatus::Failed(dcl)) => Ok(Ending::Device(Outcome::Declined(dcl))),
                    Ok(QrStatus::Waiting) => match d.qr.cancel(id).await {
                        Ok(QrStatus::Paid(a)) => Ok(Ending::Device(Outcome::Approved(a))),
                        Ok(_) => Ok(Ending::Reversed),
                        Err(e) => Err(e),
                    },
                    Ok(_) if txn.kind == TxnKind::Void => {
                        // A void is the cancellation of its original: did it take?
                        match original.as_ref().map(|o| o.id.clone()) {
                            Some(oid) => match d.qr.query(&oid).await {
                                Ok(QrStatus::Cancelled) => Ok(Ending::Device(Outcome::Approved(Approval::default()))),
                                Ok(_) => Ok(Ending::Reversed),
                                Err(e) => Err(e),
                            },
                            None => Ok(Ending::Reversed),
                        }
                    }
                    Ok(_) => Ok(Ending::Reversed),
                    Err(e) => Err(e),
                }
            }
            PaymentMeans::StoredValue => match d.stored_value.find(&txn.id).await {
                Ok(Some(o)) => Ok(Ending::Device(o)),
                Ok(None) => Ok(Ending::Reversed),
                Err(e) => Err(e),
            },
            // The drawer opens only after approval: an unfinished cash sale took no money.
            PaymentMeans::Cash => Ok(Ending::Reversed),
        };
        match learned {
            Ok(ending) => {
                let resolution = if matches!(ending, Ending::Reversed) {
                    None
                } else {
                    Some(Resolution::LastResult)
                };
                let step = complete(txn, original.as_ref(), ending, resolution, self.now())?;
                self.commit(&step.events)?;
                let done = step.txns[0].clone();
                let kind = match done.status {
                    TxnStatus::Approved => RecoveryKind::Approved,
                    TxnStatus::Reversed => RecoveryKind::Reversed,
                    _ => RecoveryKind::Declined,
                };
                Ok(Recovered { txn: done, kind })
            }
            Err(_) => {
                let mut current = txn.clone();
                if current.status == TxnStatus::Pending {
                    let step = complete(
                        txn,
                        original.as_ref(),
                        Ending::Unknown {
                            cause: "device unreachable in recovery".into(),
                        },
                        None,
                        self.now(),
                    )?;
                    self.commit(&step.events)?;
                    current = step.txns[0].clone();
                }
                Ok(Recovered {
                    txn: current,
                    kind: RecoveryKind::StillUnresolved,
                })
            }
        }
    }

    /// Whether the terminal's last result is `txn`'s: by trace number when the terminal echoes
    /// it; otherwise by amount and a reference that no recorded transaction has (a terminal
    /// that keeps its own numbering — only one transaction is ever in flight).
    fn is_this_transaction(&self, last: &LastResult, txn: &Transaction) -> Result<bool> {
        if last.amount != txn.total() {
            return Ok(false);
        }
        match (&last.trace, &last.reference) {
            (Some(trace), _) => Ok(*trace == txn.trace),
            (None, Some(reference)) => Ok(!self.journal().reference_recorded(reference)?),
            (None, None) => Ok(false),
        }
    }

    /// T8 at start: resolves every Pending/Unknown transaction and says what happened to each.
    pub async fn recover(&self) -> Result<Vec<Recovered>> {
        let _flow = self.flow.lock().await;
        self.recover_locked().await
    }

    async fn recover_locked(&self) -> Result<Vec<Recovered>> {
        let pending = self.journal().unresolved()?;
        let mut out = Vec::new();
        for txn in pending {
            out.push(self.resolve(&txn).await?);
        }
        Ok(out)
    }

    async fn ensure_resolved(&self) -> Result<()> {
        for r in self.recover_locked().await? {
            if r.kind == RecoveryKind::StillUnresolved {
                return Err(TillError::Unresolved {
                    trace: r.txn.trace.to_string(),
                });
            }
        }
        Ok(())
    }

    // ---- receipts, display ---------------------------------------------------------------

    fn labels(&self) -> ReceiptLabels {
        ReceiptLabels::for_lang(self.lang())
    }

    /// The receipts of a transaction as documents, resolved in the till's language.
    pub fn receipts_for(&self, txn: &Transaction, reprint: bool) -> Vec<ReceiptDoc> {
        let labels = self.labels();
        let now = self.now();
        let mut copies = Vec::new();
        if self.config.copies.merchant {
            copies.push(ReceiptCopy::Merchant);
        }
        if self.config.copies.customer {
            copies.push(ReceiptCopy::Customer);
        }
        copies
            .into_iter()
            .map(|c| receipt::transaction_receipt(txn, &self.config, c, reprint, now).resolve(&labels))
            .collect()
    }

    /// Prints documents after asking the printer's status: paper out or cover open is reported
    /// before printing, never as a lost receipt.
    async fn print_docs(&self, docs: &[ReceiptDoc]) -> Option<DeviceError> {
        match self.devices.printer.status().await {
            Ok(s) if s.paper_out => return Some(DeviceError::PaperOut),
            Ok(s) if s.cover_open => return Some(DeviceError::CoverOpen),
            Err(e) => return Some(e),
            Ok(_) => {}
        }
        for doc in docs {
            if let Err(e) = self.devices.printer.print(doc).await {
                return Some(e);
            }
        }
        None
    }

    async fn print_receipts(&self, txn: &Transaction, reprint: bool) -> (Vec<ReceiptDoc>, Option<DeviceError>) {
        let docs = self.receipts_for(txn, reprint);
        let err = self.print_docs(&docs).await;
        (docs, err)
    }

    async fn show_amount(&self, txn: &Transaction) {
        let l = self.localizer();
        let snapshot = DisplaySnapshot::Amount {
            amount: l.money(txn.amount),
            tip: l.money(txn.tip),
            total: l.money(txn.total()),
            labels: [
                l.text("receipt-amount", &[]),
                l.text("receipt-tip", &[]),
                l.text("receipt-total", &[]),
            ],
        };
        let _ = self.devices.display.show(&snapshot).await;
    }

    async fn show_result(&self, approved: bool) {
        let l = self.localizer();
        let text = l.text(if approved { "result-approved" } else { "result-declined" }, &[]);
        let _ = self
            .devices
            .display
            .show(&DisplaySnapshot::Result { approved, text })
            .await;
    }

    // ---- T9–T10: history, reprint, reports, settlement ------------------------------------

    /// T9: history search; without criteria, the current batch.
    pub fn history(&self, mut q: HistoryQuery) -> Result<Vec<Transaction>> {
        self.authorize(Action::History)?;
        let j = self.journal();
        if q.trace.is_none()
            && q.last4.is_none()
            && q.auth_code.is_none()
            && q.amount_minor.is_none()
            && q.from.is_none()
            && q.batch.is_none()
        {
            q.batch = j.current_batch()?.map(|b| b.no);
        }
        Ok(j.search(&q)?)
    }

    /// T9: reprint a transaction's receipts, marked REPRINT.
    pub async fn reprint(&self, trace: TraceNo) -> Result<TxnResult> {
        self.authorize(Action::Reprint)?;
        let txn = self.by_trace(trace)?;
        if !matches!(txn.status, TxnStatus::Approved | TxnStatus::Voided) {
            return Err(DomainError::NotApprovedSale {
                trace: trace.to_string(),
                status: txn.status.id().to_owned(),
            }
            .into());
        }
        let (receipts, print_error) = self.print_receipts(&txn, true).await;
        Ok(TxnResult {
            txn,
            notices: Vec::new(),
            receipts,
            print_error,
        })
    }

    fn current_batch(&self) -> Result<Batch> {
        self.journal().current_batch()?.ok_or_else(|| {
            DomainError::IllegalTransition {
                what: "report".into(),
                state: "no batch".into(),
            }
            .into()
        })
    }

    /// The open batch's totals by means.
    pub fn totals(&self) -> Result<BatchTotals> {
        let batch = self.current_batch()?;
        Ok(self.journal().totals(batch.no, self.config.currency)?)
    }

    /// T10: PRINT SUMMARY (X report).
    pub async fn x_report(&self) -> Result<Report> {
        self.authorize(Action::XReport)?;
        let batch = self.current_batch()?;
        let totals = self.journal().totals(batch.no, self.config.currency)?;
        let doc = receipt::x_report(&batch, &totals, &self.config, self.now()).resolve(&self.labels());
        let print_error = self.print_docs(std::slice::from_ref(&doc)).await;
        Ok(Report {
            batch,
            totals,
            terminal: None,
            docs: vec![doc],
            print_error,
            next_batch: None,
        })
    }

    /// T10: SETTLE. Closes the batch with the terminal (end-of-day), prints the settlement slip
    /// with any difference and the transaction list, and opens the next batch.
    pub async fn settle(&self) -> Result<Report> {
        let _flow = self.flow.lock().await;
        self.authorize(Action::Settle)?;
        self.ensure_resolved().await?;
        let batch = self.current_batch()?;
        let now = self.now();
        if batch.status == BatchStatus::Open {
            self.commit(&[Event {
                at: now,
                body: EventBody::SettlementStarted { batch: batch.no },
            }])?;
        }
        let terminal = if self
            .config
            .accepted
            .iter()
            .any(|m| matches!(m, PaymentMeans::Card | PaymentMeans::TapAndGo))
        {
            Some(
                self.devices
                    .terminal
                    .end_of_day()
                    .await
                    .map_err(TillError::device("terminal"))?,
            )
        } else {
            None
        };
        let totals = self.journal().totals(batch.no, self.config.currency)?;
        let next = BatchNo(batch.no.0 + 1);
        self.commit(&[
            Event {
                at: now,
                body: EventBody::Settled {
                    batch: batch.no,
                    till: Box::new(totals.clone()),
                    terminal,
                },
            },
            Event {
                at: now,
                body: EventBody::BatchOpened { batch: next },
            },
        ])?;
        let settled = self.journal().batch(batch.no)?.unwrap_or(batch);
        let txns = self.journal().batch_txns(settled.no)?;
        let labels = self.labels();
        let docs = vec![
            receipt::settlement_slip(&settled, &totals, terminal.as_ref(), &self.config, now).resolve(&labels),
            receipt::transaction_list(&settled, &txns, &self.config).resolve(&labels),
        ];
        let print_error = self.print_docs(&docs).await;
        Ok(Report {
            batch: settled,
            totals,
            terminal,
            docs,
            print_error,
            next_batch: Some(next),
        })
    }

    /// T5: stored-value balance and the last transactions made on this till.
    pub async fn balance(&self) -> Result<StoredValueBalance> {
        self.authorize(Action::Balance)?;
        self.devices
            .stored_value
            .balance(self.progress.as_ref())
            .await
            .map_err(TillError::device("stored-value"))
    }

    /// Walks the journal's hash chain and re-folds its events.
    pub fn verify_journal(&self) -> Result<VerifyReport> {
        Ok(self.journal().verify()?)
    }

    /// The terminal's own end-of-day, for technicians (a till settlement does this as part of
    /// SETTLE). Needs the settle permission.
    pub async fn terminal_end_of_day(&self) -> Result<TerminalTotals> {
        let _flow = self.flow.lock().await;
        self.authorize(Action::Settle)?;
        self.devices
            .terminal
            .end_of_day()
            .await
            .map_err(TillError::device("terminal"))
    }

    /// Device status for diagnostics.
    pub async fn terminal_status(&self) -> Result<DeviceStatus> {
        self.devices
            .terminal
            .status()
            .await
            .map_err(TillError::device("terminal"))
    }
}

//! In-process simulators of every port: good enough to run every flow of FLOWS.md, and honest
//! about what a device remembers. The payment simulators can keep their own record in a file
//! (fsynced before they answer), so a test that kills the till with SIGKILL can check the
//! till's journal against what the "device" really did: nothing lost, nothing charged twice.
//!
//! Card terminal scenarios are chosen by the last two digits of the total (minor units):
//!
//! | ends in | what the simulated terminal does |
//! |---|---|
//! | 51 | declines: insufficient funds (response code 51) |
//! | 52 | approves, chip, signature required |
//! | 53 | approves, contactless, no signature required |
//! | 54 | refuses a swiped chip card: "insert chip" |
//! | 55 | the customer cancels on the pad |
//! | 56 | declines: do not honour (05) |
//! | 91 | approves, but the answer is lost (time-out): last result has it |
//! | 92 | the line drops after the request, before the terminal acts: no record |
//! | 93 | busy: refuses to start |
//! | other | approves, chip, PIN verified |
//!
//! QR gateway: totals ending 51 decline, 91 time out after charging; a merchant-presented order
//! is paid after two status queries, expires if the total ends in 61, and is never paid if it
//! ends in 62. Stored value: one demo card holding HKD 500.00.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use till_domain::ports::*;
use till_domain::receipt::{ReceiptDoc, render_text};
use till_domain::*;

use crate::clock::Clock;

/// An append-only JSON-lines record, fsynced per entry. A torn last line (the process died
/// while writing it) is ignored: the device never answered for it.
#[derive(Debug)]
struct Persist {
    file: Option<File>,
}

impl Persist {
    fn open<T: DeserializeOwned>(path: Option<&Path>) -> std::io::Result<(Persist, Vec<T>)> {
        let Some(path) = path else {
            return Ok((Persist { file: None }, Vec::new()));
        };
        let mut entries = Vec::new();
        let mut good = 0u64;
        if let Ok(f) = File::open(path) {
            let mut reader = BufReader::new(f);
            let mut line = String::new();
            while reader.read_line(&mut line)? > 0 {
                match serde_json::from_str(line.trim_end()) {
                    Ok(e) if line.ends_with('\n') => {
                        entries.push(e);
                        good += line.len() as u64;
                    }
                    _ => break,
                }
                line.clear();
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        // Cut a torn last line off, so that what is appended next stays readable.
        if file.metadata()?.len() > good {
            file.set_len(good)?;
            file.sync_data()?;
        }
        Ok((Persist { file: Some(file) }, entries))
    }

    fn append<T: Serialize>(&mut self, entry: &T) {
        if let Some(f) = &mut self.file {
            let mut line = serde_json::to_string(entry).expect("simulator records serialise");
            line.push('\n');
            // A simulator that cannot keep its record must not pretend it did.
            f.write_all(line.as_bytes())
                .and_then(|()| f.sync_data())
                .expect("simulator record written");
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn scenario(amount: Money) -> i64 {
    amount.minor % 100
}

fn decline(code: &str, id: &str) -> Outcome {
    Outcome::Declined(Decline {
        code: code.to_owned(),
        message_id: id.to_owned(),
    })
}

fn auth_code(n: u64) -> String {
    format!("{:06}", (n * 7_919 + 123_457) % 1_000_000)
}

/// What the simulated terminal did, as it remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalRecord {
    pub kind: TxnKind,
    pub trace: TraceNo,
    pub amount: Money,
    pub outcome: Outcome,
    /// For a void: the trace of the sale it voided.
    pub original: Option<TraceNo>,
    pub reversed: bool,
    pub voided: bool,
    /// Set at end-of-day: settled records no longer count.
    pub settled: bool,
}

/// One change to the terminal's memory, written whole (one line) so a crash can never leave
/// half of it: an approved void marks its sale voided in the same entry.
#[derive(Debug, Serialize, Deserialize)]
enum TermOp {
    Record(Box<TerminalRecord>),
    Reversed { trace: TraceNo, amount: Money },
    EndOfDay,
}

#[derive(Debug, Default)]
struct TermState {
    records: Vec<TerminalRecord>,
    /// Index of the last record (what "last result" answers).
    last: Option<usize>,
}

impl TermState {
    fn set_voided(&mut self, sale: Option<TraceNo>, voided: bool) {
        let found = self
            .records
            .iter_mut()
            .rev()
            .find(|r| Some(r.trace) == sale && r.kind == TxnKind::Sale && !r.settled);
        if let Some(r) = found {
            r.voided = voided;
        }
    }

    fn apply(&mut self, op: &TermOp) {
        match op {
            TermOp::Record(r) => {
                if r.kind == TxnKind::Void && matches!(r.outcome, Outcome::Approved(_)) {
                    self.set_voided(r.original, true);
                }
                self.records.push((**r).clone());
                self.last = Some(self.records.len() - 1);
            }
            TermOp::Reversed { trace, amount } => {
                let hit = self
                    .records
                    .iter()
                    .rposition(|r| r.trace == *trace && r.amount == *amount && !r.settled);
                if let Some(i) = hit {
                    self.records[i].reversed = true;
                    // A reversed void restores the sale it voided.
                    if self.records[i].kind == TxnKind::Void {
                        let original = self.records[i].original;
                        self.set_voided(original, false);
                    }
                }
            }
            TermOp::EndOfDay => {
                for r in &mut self.records {
                    r.settled = true;
                }
            }
        }
    }
}

/// A simulated EMV PIN pad with zero latency and magic-amount scenarios.
#[derive(Debug)]
pub struct SimTerminal {
    state: Mutex<(TermState, Persist)>,
}

impl SimTerminal {
    /// A terminal that forgets everything when dropped.
    pub fn new() -> SimTerminal {
        SimTerminal::open(None).expect("an in-memory simulator cannot fail to open")
    }

    /// A terminal whose record survives restarts (and SIGKILL) in `path`.
    pub fn open(path: Option<&Path>) -> std::io::Result<SimTerminal> {
        let (persist, ops) = Persist::open::<TermOp>(path)?;
        let mut st = TermState::default();
        for op in &ops {
            st.apply(op);
        }
        Ok(SimTerminal {
            state: Mutex::new((st, persist)),
        })
    }

    /// Every record, for tests that compare the till's journal with the terminal.
    pub fn records(&self) -> Vec<TerminalRecord> {
        lock(&self.state).0.records.clone()
    }

    fn record(&self, op: TermOp) {
        let mut g = lock(&self.state);
        let (st, persist) = &mut *g;
        persist.append(&op);
        st.apply(&op);
    }

    fn card(&self, amount: Money, n: u64) -> (Approval, Vec<Progress>) {
        let (entry, cvm, steps) = match scenario(amount) {
            52 => (
                EntryMode::Chip,
                Cvm::Signature,
                vec![
                    Progress::PresentCard,
                    Progress::Processing,
                    Progress::RemoveCard,
                    Progress::SignatureRequired,
                ],
            ),
            53 => (
                EntryMode::Contactless,
                Cvm::NoSignatureRequired,
                vec![Progress::PresentCard, Progress::Processing],
            ),
            _ => (
                EntryMode::Chip,
                Cvm::PinVerified,
                vec![
                    Progress::PresentCard,
                    Progress::EnterPin,
                    Progress::Processing,
                    Progress::RemoveCard,
                ],
            ),
        };
        // The simulated card's PAN is masked at once: nothing beyond the last 4 digits is kept.
        let (masked_pan, last4) = CardData::mask(&format!("47617390{:08}", n * 7_331 % 100_000_000));
        let approval = Approval {
            auth_code: Some(auth_code(n)),
            reference: Some(format!("{:012}", 600_000_000_000 + n)),
            card: Some(CardData {
                masked_pan,
                last4,
                scheme: "VISA".to_owned(),
                entry_mode: entry,
                aid: Some("A0000000031010".to_owned()),
                app_label: Some("VISA CREDIT".to_owned()),
                cryptogram: Some(format!("{:016X}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
                cvm,
            }),
            ..Approval::default()
        };
        (approval, steps)
    }

    fn run(
        &self,
        kind: TxnKind,
        req: &CardRequest,
        original: Option<TraceNo>,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        let n = lock(&self.state).0.records.len() as u64 + 1;
        let outcome = match scenario(req.amount) {
            93 => return Err(DeviceError::Busy),
            92 => return Err(DeviceError::LineLost("line dropped after the request".to_owned())),
            51 => decline("51", "decline-insufficient-funds"),
            56 => decline("05", "decline-do-not-honour"),
            54 => {
                progress.progress(Progress::InsertChip);
                decline("insert-chip", "decline-insert-chip")
            }
            55 => Outcome::Cancelled,
            _ => {
                let (mut approval, steps) = self.card(req.amount, n);
                if kind == TxnKind::Void {
                    // A void is done with the sale's card: the terminal prints the same card data.
                    let sale = lock(&self.state)
                        .0
                        .records
                        .iter()
                        .rev()
                        .find(|r| Some(r.trace) == original && r.kind == TxnKind::Sale)
                        .cloned();
                    if let Some(TerminalRecord {
                        outcome: Outcome::Approved(a),
                        ..
                    }) = sale
                    {
                        approval.card = a.card;
                    }
                }
                for s in steps {
                    progress.progress(s);
                }
                Outcome::Approved(approval)
            }
        };
        self.record(TermOp::Record(Box::new(TerminalRecord {
            kind,
            trace: req.trace,
            amount: req.amount,
            outcome: outcome.clone(),
            original,
            reversed: false,
            voided: false,
            settled: false,
        })));
        if scenario(req.amount) == 91 {
            return Err(DeviceError::Timeout);
        }
        Ok(outcome)
    }
}

impl Default for SimTerminal {
    fn default() -> Self {
        SimTerminal::new()
    }
}

#[async_trait]
impl PaymentTerminal for SimTerminal {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        self.run(TxnKind::Sale, req, None, progress)
    }

    async fn void(
        &self,
        req: &CardRequest,
        original: &VoidTarget,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        self.run(TxnKind::Void, req, Some(original.trace), progress)
    }

    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        self.run(TxnKind::Refund, req, None, progress)
    }

    async fn reverse(&self, trace: TraceNo, amount: Money) -> Result<bool, DeviceError> {
        let found = {
            let g = lock(&self.state);
            g.0.records
                .iter()
                .any(|r| r.trace == trace && r.amount == amount && !r.settled && !r.reversed)
        };
        if found {
            self.record(TermOp::Reversed { trace, amount });
        }
        Ok(found)
    }

    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError> {
        let g = lock(&self.state);
        Ok(g.0.last.map(|i| {
            let r = &g.0.records[i];
            LastResult {
                trace: Some(r.trace),
                reference: None,
                amount: r.amount,
                outcome: r.outcome.clone(),
            }
        }))
    }

    async fn end_of_day(&self) -> Result<TerminalTotals, DeviceError> {
        let totals = {
            let g = lock(&self.state);
            let mut t = TerminalTotals::default();
            for r in
                g.0.records
                    .iter()
                    .filter(|r| !r.settled && !r.reversed && matches!(r.outcome, Outcome::Approved(_)))
            {
                let tally = match r.kind {
                    TxnKind::Sale if !r.voided => &mut t.sales,
                    TxnKind::Refund => &mut t.refunds,
                    _ => continue,
                };
                tally.count += 1;
                tally.minor += r.amount.minor;
            }
            t
        };
        self.record(TermOp::EndOfDay);
        Ok(totals)
    }

    async fn abort(&self) -> Result<(), DeviceError> {
        Ok(())
    }

    async fn status(&self) -> Result<DeviceStatus, DeviceError> {
        Ok(DeviceStatus {
            ready: true,
            detail: "simulated terminal".to_owned(),
        })
    }
}

/// A virtual printer: keeps the documents it printed and lays them out as text at its paper
/// width when asked (so printing costs the till no more than handing over the document).
#[derive(Debug)]
pub struct SimPrinter {
    pub columns: usize,
    printed: Mutex<Vec<ReceiptDoc>>,
    status: Mutex<PrinterStatus>,
    drawer_kicks: Mutex<u32>,
}

impl SimPrinter {
    pub fn new(columns: usize) -> SimPrinter {
        SimPrinter {
            columns,
            printed: Mutex::new(Vec::new()),
            status: Mutex::new(PrinterStatus::default()),
            drawer_kicks: Mutex::new(0),
        }
    }

    /// Everything printed so far, as the paper would show it.
    pub fn printed(&self) -> Vec<String> {
        lock(&self.printed)
            .iter()
            .map(|d| render_text(d, self.columns))
            .collect()
    }

    pub fn set_status(&self, status: PrinterStatus) {
        *lock(&self.status) = status;
    }

    pub fn drawer_kicks(&self) -> u32 {
        *lock(&self.drawer_kicks)
    }
}

#[async_trait]
impl ReceiptPrinter for SimPrinter {
    async fn status(&self) -> Result<PrinterStatus, DeviceError> {
        Ok(*lock(&self.status))
    }

    async fn print(&self, doc: &ReceiptDoc) -> Result<(), DeviceError> {
        let st = *lock(&self.status);
        if st.paper_out {
            return Err(DeviceError::PaperOut);
        }
        if st.cover_open {
            return Err(DeviceError::CoverOpen);
        }
        lock(&self.printed).push(doc.clone());
        Ok(())
    }

    async fn kick_drawer(&self) -> Result<(), DeviceError> {
        *lock(&self.drawer_kicks) += 1;
        Ok(())
    }
}

/// A customer display that records every snapshot.
#[derive(Debug, Default)]
pub struct SimDisplay {
    shown: Mutex<Vec<DisplaySnapshot>>,
    signatures: Mutex<std::collections::VecDeque<Option<Signature>>>,
}

impl SimDisplay {
    pub fn shown(&self) -> Vec<DisplaySnapshot> {
        lock(&self.shown).clone()
    }

    /// What the "customer" does at the next signature request: sign (`Some`) or cancel.
    /// With nothing queued the display cannot capture one, like a pole display.
    pub fn push_signature(&self, signature: Option<Signature>) {
        lock(&self.signatures).push_back(signature);
    }
}

#[async_trait]
impl CustomerDisplay for SimDisplay {
    async fn show(&self, snapshot: &DisplaySnapshot) -> Result<(), DeviceError> {
        lock(&self.shown).push(snapshot.clone());
        Ok(())
    }

    async fn capture_signature(&self, request: &DisplaySnapshot) -> Result<Option<Signature>, DeviceError> {
        self.show(request).await?;
        Ok(lock(&self.signatures).pop_front().flatten())
    }
}

/// A scanner fed from a queue (codes a test or the demo "scans").
#[derive(Debug)]
pub struct SimScanner {
    queue: Mutex<std::collections::VecDeque<String>>,
    clock: Arc<dyn Clock>,
}

impl SimScanner {
    pub fn new(clock: Arc<dyn Clock>) -> SimScanner {
        SimScanner {
            queue: Mutex::new(Default::default()),
            clock,
        }
    }

    pub fn push(&self, code: &str) {
        lock(&self.queue).push_back(code.to_owned());
    }
}

#[async_trait]
impl CodeScanner for SimScanner {
    async fn next_code(&self) -> Result<ScannedCode, DeviceError> {
        match lock(&self.queue).pop_front() {
            Some(text) => Ok(ScannedCode {
                text,
                at: self.clock.now(),
            }),
            None => Err(DeviceError::Unavailable("no code to scan".to_owned())),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct QrEntry {
    txn: TxnId,
    amount: Money,
    status: QrStatus,
    queries: u32,
    merchant_presented: bool,
    expires_at: Option<DateTime<Utc>>,
    refunded: i64,
}

#[derive(Debug, Serialize, Deserialize)]
enum QrOp {
    Put(Box<QrEntry>),
    Refunded {
        original: TxnId,
        refund: TxnId,
        amount: Money,
    },
}

/// A deterministic QR gateway.
#[derive(Debug)]
pub struct SimQrGateway {
    state: Mutex<(HashMap<TxnId, QrEntry>, Persist, u64)>,
    clock: Arc<dyn Clock>,
}

impl SimQrGateway {
    pub fn open(path: Option<&Path>, clock: Arc<dyn Clock>) -> std::io::Result<SimQrGateway> {
        let (persist, ops) = Persist::open::<QrOp>(path)?;
        let mut map = HashMap::new();
        let mut n = 0;
        for op in ops {
            n += 1;
            match op {
                QrOp::Put(e) => {
                    map.insert(e.txn.clone(), *e);
                }
                QrOp::Refunded {
                    original,
                    refund,
                    amount,
                } => {
                    if let Some(e) = map.get_mut(&original) {
                        e.refunded += amount.minor;
                    }
                    map.insert(
                        refund.clone(),
                        QrEntry {
                            txn: refund,
                            amount,
                            status: QrStatus::Paid(Approval::default()),
                            queries: 0,
                            merchant_presented: false,
                            expires_at: None,
                            refunded: 0,
                        },
                    );
                }
            }
        }
        Ok(SimQrGateway {
            state: Mutex::new((map, persist, n)),
            clock,
        })
    }

    /// Charges the gateway holds as paid and not cancelled: (txn, amount, refunded).
    pub fn paid(&self) -> Vec<(TxnId, Money, i64)> {
        lock(&self.state)
            .0
            .values()
            .filter(|e| matches!(e.status, QrStatus::Paid(_)))
            .map(|e| (e.txn.clone(), e.amount, e.refunded))
            .collect()
    }

    fn put(&self, e: QrEntry) {
        let mut g = lock(&self.state);
        g.1.append(&QrOp::Put(Box::new(e.clone())));
        g.2 += 1;
        g.0.insert(e.txn.clone(), e);
    }

    fn approval(n: u64, scheme: QrScheme) -> Approval {
        Approval {
            auth_code: Some(auth_code(n)),
            reference: Some(format!("QR{:016}", 4_200_000_000_000_000 + n)),
            qr_scheme: Some(scheme),
            ..Approval::default()
        }
    }
}

/// The wallet of a customer code, by the wallets' documented rules (till-qr), or `None`.
fn code_scheme(code: &str) -> Option<QrScheme> {
    match till_qr::classify(code) {
        till_qr::CustomerCode::WeChatPay { .. } => Some(QrScheme::WechatPay),
        till_qr::CustomerCode::Alipay => Some(QrScheme::Alipay),
        till_qr::CustomerCode::UnionPay | till_qr::CustomerCode::EmvCpm => Some(QrScheme::UnionPay),
        _ => None,
    }
}

/// The code a customer scans for an order: EMVCo merchant-presented (FPS, PayNow) with the
/// amount and the till's reference, or a wallet's order URL.
fn order_payload(txn: &TxnId, amount: Money, scheme: QrScheme) -> String {
    // Bill references are at most 25 characters: the id's tail is unique enough per till.
    let reference: String = txn
        .0
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let qr_amount = u64::try_from(amount.minor)
        .ok()
        .and_then(|m| till_qr::Amount::new(m, amount.currency.minor_digits() as u8).ok());
    let built = match scheme {
        QrScheme::PayNow => {
            let mut b = till_qr::PayNowQr::new(
                till_qr::PayNowProxy::Uen("200002150H".to_owned()),
                "OpenTill Demo",
                "Singapore",
            )
            .point_of_initiation(till_qr::PointOfInitiation::Dynamic)
            .reference(&reference);
            if let Some(a) = qr_amount {
                b = b.amount(a);
            }
            b.build().map(|p| p.encode())
        }
        QrScheme::Fps => {
            let mut b = till_qr::FpsQr::new(till_qr::FpsProxy::FpsId("1234567".to_owned()), "OpenTill Demo", "HK")
                .currency(amount.currency.numeric())
                .point_of_initiation(till_qr::PointOfInitiation::Dynamic)
                .reference(&reference);
            if let Some(a) = qr_amount {
                b = b.amount(a);
            }
            b.build().map(|p| p.encode())
        }
        QrScheme::Alipay => Ok(format!("https://qr.alipay.com/opentill-{reference}")),
        QrScheme::WechatPay => Ok(format!("weixin://wxpay/bizpayurl?pr={reference}")),
        QrScheme::UnionPay | QrScheme::Other => Ok(format!("https://qr.95516.com/opentill/{reference}")),
    };
    built.unwrap_or_else(|e| format!("SIMQR|{}|{e}", scheme.id()))
}

#[async_trait]
impl QrGateway for SimQrGateway {
    async fn charge(&self, req: &QrCharge) -> Result<Outcome, DeviceError> {
        if let Some(e) = lock(&self.state).0.get(&req.txn) {
            // Idempotent by transaction id: a retry never charges twice.
            return Ok(match &e.status {
                QrStatus::Paid(a) => Outcome::Approved(a.clone()),
                QrStatus::Failed(d) => Outcome::Declined(d.clone()),
                _ => Outcome::Cancelled,
            });
        }
        let n = lock(&self.state).2 + 1;
        let (status, outcome) = match code_scheme(&req.code) {
            None => {
                let d = Decline {
                    code: "invalid-code".into(),
                    message_id: "decline-invalid-code".into(),
                };
                (QrStatus::Failed(d.clone()), Outcome::Declined(d))
            }
            Some(_) if scenario(req.amount) == 51 => {
                let d = Decline {
                    code: "51".into(),
                    message_id: "decline-insufficient-funds".into(),
                };
                (QrStatus::Failed(d.clone()), Outcome::Declined(d))
            }
            Some(scheme) => {
                let a = SimQrGateway::approval(n, scheme);
                (QrStatus::Paid(a.clone()), Outcome::Approved(a))
            }
        };
        self.put(QrEntry {
            txn: req.txn.clone(),
            amount: req.amount,
            status,
            queries: 0,
            merchant_presented: false,
            expires_at: None,
            refunded: 0,
        });
        if scenario(req.amount) == 91 {
            return Err(DeviceError::Timeout);
        }
        Ok(outcome)
    }

    async fn create_order(&self, txn: &TxnId, amount: Money, scheme: QrScheme) -> Result<QrOrder, DeviceError> {
        let expires_at = self.clock.now() + Duration::minutes(5);
        self.put(QrEntry {
            txn: txn.clone(),
            amount,
            status: QrStatus::Waiting,
            queries: 0,
            merchant_presented: true,
            expires_at: Some(expires_at),
            refunded: 0,
        });
        let payload = order_payload(txn, amount, scheme);
        Ok(QrOrder {
            txn: txn.clone(),
            payload,
            expires_at,
        })
    }

    async fn query(&self, txn: &TxnId) -> Result<QrStatus, DeviceError> {
        let n = lock(&self.state).2 + 1;
        let entry = lock(&self.state).0.get(txn).cloned();
        let Some(mut e) = entry else {
            return Ok(QrStatus::NotFound);
        };
        if e.status == QrStatus::Waiting {
            e.queries += 1;
            let now = self.clock.now();
            e.status = match scenario(e.amount) {
                61 => QrStatus::Expired,
                62 | 63 => QrStatus::Waiting,
                _ if e.expires_at.is_some_and(|x| now > x) => QrStatus::Expired,
                _ if e.queries >= 2 => QrStatus::Paid(SimQrGateway::approval(n, QrScheme::Fps)),
                _ => QrStatus::Waiting,
            };
            self.put(e.clone());
        }
        Ok(e.status)
    }

    async fn cancel(&self, txn: &TxnId) -> Result<QrStatus, DeviceError> {
        let entry = lock(&self.state).0.get(txn).cloned();
        let Some(mut e) = entry else {
            return Ok(QrStatus::NotFound);
        };
        if e.merchant_presented && e.status == QrStatus::Waiting && scenario(e.amount) == 63 {
            // The customer's payment crosses the cashier's cancel: it lands.
            let n = lock(&self.state).2 + 1;
            e.status = QrStatus::Paid(SimQrGateway::approval(n, QrScheme::Fps));
            self.put(e.clone());
            return Ok(e.status);
        }
        if matches!(e.status, QrStatus::Waiting | QrStatus::Paid(_)) {
            e.status = QrStatus::Cancelled;
            self.put(e.clone());
        }
        Ok(e.status)
    }

    async fn refund(&self, original: &TxnId, refund: &TxnId, amount: Money) -> Result<Outcome, DeviceError> {
        let mut g = lock(&self.state);
        let Some(e) = g.0.get(original) else {
            return Ok(decline("not-found", "decline-generic"));
        };
        if !matches!(e.status, QrStatus::Paid(_)) || e.refunded + amount.minor > e.amount.minor {
            return Ok(decline("refund-refused", "decline-generic"));
        }
        let op = QrOp::Refunded {
            original: original.clone(),
            refund: refund.clone(),
            amount,
        };
        g.1.append(&op);
        g.2 += 1;
        if let Some(e) = g.0.get_mut(original) {
            e.refunded += amount.minor;
        }
        Ok(Outcome::Approved(Approval {
            reference: Some(format!("RF{}", refund)),
            ..Approval::default()
        }))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SvOp {
    txn: TxnId,
    amount: Money,
    at: DateTime<Utc>,
    approved: bool,
}

/// A stored-value card reader with one demo card.
#[derive(Debug)]
pub struct SimStoredValue {
    state: Mutex<(Vec<SvOp>, Persist)>,
    clock: Arc<dyn Clock>,
    opening: Money,
}

impl SimStoredValue {
    pub const CARD: &'static str = "8001 2345 67";

    pub fn open(path: Option<&Path>, clock: Arc<dyn Clock>, currency: Currency) -> std::io::Result<SimStoredValue> {
        let (persist, ops) = Persist::open::<SvOp>(path)?;
        Ok(SimStoredValue {
            state: Mutex::new((ops, persist)),
            clock,
            opening: Money::new(50_000, currency),
        })
    }

    fn remaining(ops: &[SvOp], opening: Money) -> Money {
        Money::new(
            opening.minor - ops.iter().filter(|o| o.approved).map(|o| o.amount.minor).sum::<i64>(),
            opening.currency,
        )
    }

    /// Approved payments the card holds: (txn, amount).
    pub fn payments(&self) -> Vec<(TxnId, Money)> {
        lock(&self.state)
            .0
            .iter()
            .filter(|o| o.approved)
            .map(|o| (o.txn.clone(), o.amount))
            .collect()
    }
}

#[async_trait]
impl StoredValueReader for SimStoredValue {
    async fn pay(&self, txn: &TxnId, amount: Money, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::PresentCard);
        let mut g = lock(&self.state);
        if let Some(o) = g.0.iter().find(|o| &o.txn == txn) {
            return Ok(if o.approved {
                Outcome::Approved(Approval::default())
            } else {
                decline("insufficient", "decline-insufficient-balance")
            });
        }
        let remaining = SimStoredValue::remaining(&g.0, self.opening);
        let approved = amount.minor <= remaining.minor && scenario(amount) != 51;
        let op = SvOp {
            txn: txn.clone(),
            amount,
            at: self.clock.now(),
            approved,
        };
        g.1.append(&op);
        g.0.push(op);
        if !approved {
            return Ok(decline("insufficient", "decline-insufficient-balance"));
        }
        let after = Money::new(remaining.minor - amount.minor, amount.currency);
        Ok(Outcome::Approved(Approval {
            reference: Some(format!("SV{:08}", g.0.len())),
            stored_value: Some(StoredValueData {
                card_no: SimStoredValue::CARD.to_owned(),
                balance_after: after,
            }),
            ..Approval::default()
        }))
    }

    async fn find(&self, txn: &TxnId) -> Result<Option<Outcome>, DeviceError> {
        let g = lock(&self.state);
        Ok(g.0.iter().find(|o| &o.txn == txn).map(|o| {
            if o.approved {
                Outcome::Approved(Approval::default())
            } else {
                decline("insufficient", "decline-insufficient-balance")
            }
        }))
    }

    async fn balance(&self, progress: &dyn ProgressSink) -> Result<StoredValueBalance, DeviceError> {
        progress.progress(Progress::PresentCard);
        let g = lock(&self.state);
        let last =
            g.0.iter()
                .rev()
                .filter(|o| o.approved)
                .take(4)
                .map(|o| StoredValueEntry {
                    at: o.at,
                    amount: o.amount,
                    txn: o.txn.clone(),
                })
                .collect();
        Ok(StoredValueBalance {
            card_no: SimStoredValue::CARD.to_owned(),
            remaining: SimStoredValue::remaining(&g.0, self.opening),
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persisted_terminal_remembers_across_reopen() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("till-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("terminal.jsonl");
        let _ = std::fs::remove_file(&path);
        let req = CardRequest {
            txn: TxnId("a".into()),
            trace: TraceNo::FIRST,
            amount: Money::new(1000, Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
        };
        {
            let t = SimTerminal::open(Some(&path))?;
            let out = t.run(TxnKind::Sale, &req, None, &NoProgress);
            assert!(matches!(out, Ok(Outcome::Approved(_))));
        }
        let t = SimTerminal::open(Some(&path))?;
        assert_eq!(t.records().len(), 1, "the record survives a reopen");
        assert_eq!(t.records()[0].trace, TraceNo::FIRST);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}

/// An in-process back office: holds uploaded events by sequence (a re-upload never
/// duplicates) and hands out queued commands.
#[derive(Debug, Default)]
pub struct SimHost {
    events: Mutex<std::collections::BTreeMap<u64, String>>,
    commands: Mutex<std::collections::VecDeque<HostCommand>>,
    down: std::sync::atomic::AtomicBool,
}

impl SimHost {
    /// Queues a command for the till's next sync, as the merchant portal would.
    pub fn queue(&self, command: HostCommand) {
        lock(&self.commands).push_back(command);
    }

    /// Every event the host holds, by sequence.
    pub fn events(&self) -> Vec<(u64, String)> {
        lock(&self.events).iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// Takes the host off the network (or back).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    fn check_up(&self) -> Result<(), DeviceError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            Err(DeviceError::Unavailable("host unreachable".to_owned()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl HostLink for SimHost {
    async fn upload(&self, events: &[(u64, String)]) -> Result<u64, DeviceError> {
        self.check_up()?;
        let mut held = lock(&self.events);
        for (seq, body) in events {
            held.entry(*seq).or_insert_with(|| body.clone());
        }
        // The highest sequence held without a gap.
        let mut top = 0;
        for seq in held.keys() {
            if *seq == top + 1 {
                top = *seq;
            } else {
                break;
            }
        }
        Ok(top)
    }

    async fn pull_commands(&self) -> Result<Vec<HostCommand>, DeviceError> {
        self.check_up()?;
        Ok(lock(&self.commands).drain(..).collect())
    }
}

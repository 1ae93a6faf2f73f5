//! What crosses to the UI, and what comes back. Domain types are not serialised directly: each
//! screen gets plain data — ids the UI localises with the same Fluent files (`means-card`,
//! `status-approved`), amounts both as minor units and as text formatted by the till's
//! Localizer — so a change inside the domain does not silently change the UI's contract.
//! Errors cross as `{code, message_id, args}`: the UI never matches error strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use till::{Recovered, Report, Till, TillError, TxnResult};
use till_domain::TerminalTotals;
use till_domain::ports::StoredValueBalance;
use till_domain::{
    BatchTotals, Money, Operator, PaymentMeans, QrScheme, Role, Session, TillConfig, TraceNo, Transaction, TxnKind,
    TxnStatus,
};
use till_i18n::{Lang, Localizer};

/// `{code, message_id, args}`: a till error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    pub code: String,
    pub message_id: String,
    pub args: BTreeMap<String, String>,
}

impl From<TillError> for Error {
    fn from(e: TillError) -> Error {
        // Paper out and cover open read best as their own sentence (as the CLI prints them).
        if let TillError::Device { error, .. } = &e
            && matches!(
                error,
                till_domain::ports::DeviceError::PaperOut | till_domain::ports::DeviceError::CoverOpen
            )
        {
            return Error {
                code: format!("device-{}", error.message_id().trim_start_matches("printer-")),
                message_id: error.message_id().to_owned(),
                args: BTreeMap::new(),
            };
        }
        let dto = e.dto();
        Error {
            code: dto.code,
            message_id: dto.message_id,
            args: dto.args.into_iter().collect(),
        }
    }
}

impl From<till_domain::DomainError> for Error {
    fn from(e: till_domain::DomainError) -> Error {
        Error::from(TillError::from(e))
    }
}

pub type Res<T> = Result<T, Error>;

/// Settings → Devices: the PIN pad and printer as set now (`None`: set in till.toml to
/// something the forms do not offer), the paper, and what is plugged in.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSettings {
    pub terminal: Option<crate::setup::TerminalIn>,
    pub printer: Option<crate::setup::PrinterIn>,
    pub paper: String,
    pub chinese: String,
    pub logo: String,
    pub header: Vec<String>,
    pub footer: Vec<String>,
    pub scanner: till_devices::ScannerSection,
    pub display: till_devices::DisplaySection,
    /// The machine's cameras (`/dev/video*`); empty: "no camera found".
    pub cameras: Vec<String>,
    pub ports: crate::setup::PortsOut,
}

/// Settings → Back office.
#[derive(Debug, Clone, Serialize)]
pub struct HostOut {
    pub enrolled: bool,
    pub url: String,
    /// Events not yet uploaded.
    pub backlog: u64,
    /// Why the last upload failed, if it did.
    pub error: Option<String>,
    /// The last pass went through.
    pub synced: bool,
}

/// A key the screen saw while a code was awaited (`KeyboardEvent.key`, its `timeStamp`).
#[derive(Debug, Clone, Deserialize)]
pub struct KeyIn {
    pub key: String,
    pub ms: f64,
}

/// A device changed in Settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "device", rename_all = "kebab-case")]
pub enum DeviceIn {
    Terminal {
        terminal: crate::setup::TerminalIn,
    },
    Printer {
        printer: crate::setup::PrinterIn,
        paper: String,
        /// `gb18030`, `big5`, `raster`, or empty: no Chinese.
        #[serde(default)]
        chinese: String,
        /// A PNG file printed at the top of every receipt, or empty.
        #[serde(default)]
        logo: String,
        /// Lines under the address on every receipt.
        #[serde(default)]
        header: Vec<String>,
        /// Lines above the thank-you.
        #[serde(default)]
        footer: Vec<String>,
    },
    Scanner {
        scanner: till_devices::ScannerSection,
    },
    Display {
        display: till_devices::DisplaySection,
    },
}

/// A trace number typed or picked by the cashier.
pub fn trace(text: &str) -> Res<TraceNo> {
    TraceNo::parse(text.trim()).ok_or_else(|| till_domain::DomainError::TraceInvalid { input: text.to_owned() }.into())
}

fn input(what: &'static str, text: &str) -> Error {
    Error::from(TillError::Input {
        what,
        input: text.to_owned(),
    })
}

/// An amount: minor units for arithmetic, text for the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub minor: i64,
    pub currency: &'static str,
    pub text: String,
}

impl Amount {
    pub fn new(l: &Localizer, m: Money) -> Amount {
        Amount {
            minor: m.minor,
            currency: m.currency.code(),
            text: l.money(m),
        }
    }
}

/// The keypad's AMOUNT / TIP / TOTAL as the till reads them.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub amount: Amount,
    pub tip: Amount,
    pub total: Amount,
}

/// Amount and tip as typed; an empty tip is no tip.
#[derive(Debug, Clone, Deserialize)]
pub struct AmountsIn {
    pub amount: String,
    #[serde(default)]
    pub tip: String,
}

impl AmountsIn {
    pub fn parse(&self, till: &Till) -> Res<(Money, Money)> {
        let amount = till.parse_amount(&self.amount)?;
        let tip = if self.tip.trim().is_empty() {
            Money::zero(till.config().currency)
        } else {
            till.parse_amount(&self.tip)?
        };
        Ok((amount, tip))
    }

    pub fn quote(&self, till: &Till) -> Res<Quote> {
        let (amount, tip) = self.parse(till)?;
        let l = till.localizer();
        let total = amount.checked_add(tip).ok_or_else(|| {
            Error::from(till_domain::DomainError::AmountTooLarge {
                input: self.amount.clone(),
            })
        })?;
        Ok(Quote {
            amount: Amount::new(&l, amount),
            tip: Amount::new(&l, tip),
            total: Amount::new(&l, total),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SaleIn {
    #[serde(flatten)]
    pub amounts: AmountsIn,
    /// `card`, `qr-customer`, `qr-merchant`, `tap-and-go`, `stored-value`, `cash`.
    pub means: String,
    /// For QR: `alipay`, `wechat-pay`, `unionpay`, `fps`, `paynow`.
    #[serde(default)]
    pub wallet: Option<String>,
}

impl SaleIn {
    pub fn into_sale(self, till: &Till) -> Res<till::SaleInput> {
        let means = PaymentMeans::from_id(&self.means).ok_or_else(|| input("means", &self.means))?;
        let (amount, tip) = self.amounts.parse(till)?;
        let qr_scheme = match self.wallet.as_deref() {
            None | Some("") => None,
            Some(w) => Some(QrScheme::from_id(w).ok_or_else(|| input("scheme", w))?),
        };
        Ok(till::SaleInput {
            amount,
            tip,
            means,
            qr_scheme,
            code: None,
        })
    }
}

/// An operator id and PIN typed into a supervisor or refund PIN prompt.
#[derive(Debug, Clone, Deserialize)]
pub struct CredentialsIn {
    pub operator: String,
    pub pin: String,
}

impl From<CredentialsIn> for till::Credentials {
    fn from(c: CredentialsIn) -> till::Credentials {
        till::Credentials {
            operator: c.operator,
            pin: c.pin,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct VoidIn {
    pub trace: String,
    pub supervisor: CredentialsIn,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RefundIn {
    pub trace: String,
    /// Empty: all that remains.
    #[serde(default)]
    pub amount: String,
    pub authorizer: CredentialsIn,
}

impl RefundIn {
    pub fn amount(&self, till: &Till) -> Res<Option<Money>> {
        if self.amount.trim().is_empty() {
            Ok(None)
        } else {
            Ok(Some(till.parse_amount(&self.amount)?))
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryIn {
    #[serde(default)]
    pub trace: String,
    #[serde(default)]
    pub last4: String,
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub amount: String,
}

impl HistoryIn {
    pub fn query(&self, till: &Till) -> Res<till_journal::HistoryQuery> {
        let mut q = till_journal::HistoryQuery::default();
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        if let Some(t) = some(&self.trace) {
            q.trace = Some(trace(&t)?);
        }
        q.last4 = some(&self.last4);
        q.auth_code = some(&self.auth);
        if let Some(a) = some(&self.amount) {
            q.amount_minor = Some(till.parse_amount(&a)?.minor);
        }
        Ok(q)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub masked_pan: String,
    pub last4: String,
    pub scheme: String,
    pub entry_mode: String,
    pub app_label: Option<String>,
    pub cvm: String,
}

/// One transaction, for the result screen, the history list and its detail view.
#[derive(Debug, Clone, Serialize)]
pub struct Txn {
    pub id: String,
    pub trace: String,
    pub kind: &'static str,
    pub means: &'static str,
    pub status: &'static str,
    pub wallet: Option<&'static str>,
    pub batch: u32,
    pub date: String,
    pub time: String,
    pub operator: String,
    pub amount: Amount,
    pub tip: Amount,
    pub total: Amount,
    pub refunded: Amount,
    pub refundable: Amount,
    pub card: Option<Card>,
    pub auth_code: Option<String>,
    pub reference: Option<String>,
    pub decline_message_id: Option<String>,
    pub original_trace: Option<String>,
    /// Hints for the detail view's buttons; the till checks again when asked.
    pub can_void: bool,
    pub can_refund: bool,
}

fn kebab<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Txn {
    pub fn new(t: &Transaction, till: &Till, open_batch: Option<u32>) -> Txn {
        let l = till.localizer();
        let at = t.started_at.with_timezone(&till.config().offset());
        let approval = t.approval.as_ref();
        let approved_sale = t.kind == TxnKind::Sale && t.status == TxnStatus::Approved;
        Txn {
            id: t.id.0.clone(),
            trace: t.trace.to_string(),
            kind: t.kind.id(),
            means: t.means.id(),
            status: t.status.id(),
            wallet: t.qr_scheme.or(approval.and_then(|a| a.qr_scheme)).map(QrScheme::id),
            batch: t.batch.0,
            date: at.format("%Y-%m-%d").to_string(),
            time: at.format("%H:%M:%S").to_string(),
            operator: t.operator.clone(),
            amount: Amount::new(&l, t.amount),
            tip: Amount::new(&l, t.tip),
            total: Amount::new(&l, t.total()),
            refunded: Amount::new(&l, t.refunded),
            refundable: Amount::new(&l, t.refundable()),
            card: approval.and_then(|a| a.card.as_ref()).map(|c| Card {
                masked_pan: c.masked_pan.clone(),
                last4: c.last4.clone(),
                scheme: c.scheme.clone(),
                entry_mode: kebab(&c.entry_mode),
                app_label: c.app_label.clone(),
                cvm: kebab(&c.cvm),
            }),
            auth_code: approval.and_then(|a| a.auth_code.clone()),
            reference: approval.and_then(|a| a.reference.clone()),
            decline_message_id: t.decline.as_ref().map(|d| d.message_id.clone()),
            original_trace: t.original.as_ref().map(|o| o.trace.to_string()),
            can_void: approved_sale && t.means.allows_void() && t.refunded.is_zero() && open_batch == Some(t.batch.0),
            can_refund: approved_sale && t.means.allows_refund() && t.refundable().minor > 0,
        }
    }
}

/// The outcome of a sale, void, refund or reprint.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub txn: Txn,
    /// Message ids of things the cashier must be told (a late payment refunded…).
    pub notices: Vec<String>,
    /// How many receipts printed; their pictures come from `last_receipts`.
    pub receipts: usize,
    pub print_error: Option<Error>,
}

impl Outcome {
    pub fn new(r: &TxnResult, till: &Till) -> Outcome {
        let open = till.totals().ok().map(|t| t.batch.0);
        Outcome {
            txn: Txn::new(&r.txn, till, open),
            notices: r.notices.iter().map(|s| (*s).to_owned()).collect(),
            receipts: r.receipts.len(),
            print_error: r
                .print_error
                .clone()
                .map(|e| Error::from(TillError::device("printer")(e))),
        }
    }
}

pub fn history(txns: &[Transaction], till: &Till) -> Vec<Txn> {
    let open = till.totals().ok().map(|t| t.batch.0);
    txns.iter().map(|t| Txn::new(t, till, open)).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    pub count: u64,
    pub amount: Amount,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeansTotals {
    pub means: &'static str,
    pub sales: Tally,
    pub voids: Tally,
    pub refunds: Tally,
    pub net: Amount,
}

/// T10: the batch summary by means.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub batch: u32,
    pub by_means: Vec<MeansTotals>,
    pub grand: MeansTotals,
}

impl Totals {
    pub fn new(t: &BatchTotals, till: &Till) -> Totals {
        let l = till.localizer();
        let money = |minor| Amount::new(&l, Money::new(minor, t.currency));
        let tally = |x: till_domain::Tally| Tally {
            count: x.count,
            amount: money(x.minor),
        };
        let row = |means: &'static str, m: &till_domain::MeansTotals| MeansTotals {
            means,
            sales: tally(m.sales),
            voids: tally(m.voids),
            refunds: tally(m.refunds),
            net: money(m.net_minor()),
        };
        Totals {
            batch: t.batch.0,
            by_means: t.by_means.iter().map(|(m, x)| row(m.id(), x)).collect(),
            grand: row("total", &t.grand()),
        }
    }
}

/// X report or settlement (Z).
#[derive(Debug, Clone, Serialize)]
pub struct ReportOut {
    pub batch: u32,
    pub totals: Totals,
    /// The terminal's own totals at settlement, when a card terminal takes part.
    pub terminal: Option<TerminalOut>,
    pub receipts: usize,
    pub print_error: Option<Error>,
    pub next_batch: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TerminalOut {
    pub sales: Tally,
    pub refunds: Tally,
    pub matches: bool,
}

impl ReportOut {
    pub fn new(r: &Report, till: &Till) -> ReportOut {
        let l = till.localizer();
        let currency = r.totals.currency;
        let totals = Totals::new(&r.totals, till);
        let terminal = r.terminal.as_ref().map(|t: &TerminalTotals| {
            let card = |m: PaymentMeans| r.totals.by_means.get(&m).copied().unwrap_or_default();
            let (c, g) = (card(PaymentMeans::Card), card(PaymentMeans::TapAndGo));
            let sales = c.sales.minor - c.voids.minor + g.sales.minor - g.voids.minor;
            let refunds = c.refunds.minor + g.refunds.minor;
            TerminalOut {
                sales: Tally {
                    count: t.sales.count,
                    amount: Amount::new(&l, Money::new(t.sales.minor, currency)),
                },
                refunds: Tally {
                    count: t.refunds.count,
                    amount: Amount::new(&l, Money::new(t.refunds.minor, currency)),
                },
                matches: t.sales.minor == sales && t.refunds.minor == refunds,
            }
        });
        ReportOut {
            batch: r.batch.no.0,
            totals,
            terminal,
            receipts: r.docs.len(),
            print_error: r
                .print_error
                .clone()
                .map(|e| Error::from(TillError::device("printer")(e))),
            next_batch: r.next_batch.map(|b| b.0),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BalanceEntry {
    pub date: String,
    pub time: String,
    pub amount: Amount,
}

/// T5: a stored-value card's balance and its last transactions on this till.
#[derive(Debug, Clone, Serialize)]
pub struct Balance {
    pub card_no: String,
    pub remaining: Amount,
    pub last: Vec<BalanceEntry>,
}

impl Balance {
    pub fn new(b: &StoredValueBalance, till: &Till) -> Balance {
        let l = till.localizer();
        let offset = till.config().offset();
        Balance {
            card_no: b.card_no.clone(),
            remaining: Amount::new(&l, b.remaining),
            last: b
                .last
                .iter()
                .map(|e| {
                    let at = e.at.with_timezone(&offset);
                    BalanceEntry {
                        date: at.format("%Y-%m-%d").to_string(),
                        time: at.format("%H:%M").to_string(),
                        amount: Amount::new(&l, e.amount),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionOut {
    pub operator: String,
    pub role: &'static str,
    /// Actions the role allows, for hiding what it may not do (the till refuses anyway).
    pub may: Vec<&'static str>,
}

impl From<&Session> for SessionOut {
    fn from(s: &Session) -> SessionOut {
        use till_domain::Action;
        let actions = [
            Action::Sale,
            Action::History,
            Action::Reprint,
            Action::Void,
            Action::Refund,
            Action::XReport,
            Action::Settle,
            Action::Balance,
            Action::ManageOperators,
            Action::Settings,
        ];
        SessionOut {
            operator: s.operator.clone(),
            role: s.role.id(),
            may: actions
                .into_iter()
                .filter(|a| s.role.allows(*a))
                .map(|a| a.id())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorOut {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub must_change_pin: bool,
    pub own_refund_pin: bool,
}

impl From<&Operator> for OperatorOut {
    fn from(o: &Operator) -> OperatorOut {
        OperatorOut {
            id: o.id.clone(),
            name: o.name.clone(),
            role: o.role.id(),
            must_change_pin: o.must_change_pin,
            own_refund_pin: o.refund_pin_hash.is_some(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct OperatorIn {
    pub id: String,
    pub name: String,
    pub role: String,
    pub pin: String,
}

impl OperatorIn {
    pub fn role(&self) -> Res<Role> {
        Role::from_id(&self.role).ok_or_else(|| input("role", &self.role))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PinChangeIn {
    pub operator: String,
    pub old_pin: String,
    pub new_pin: String,
}

pub fn lang(tag: &str) -> Res<Lang> {
    Lang::from_tag(tag).ok_or_else(|| input("lang", tag))
}

/// T8 at start: what happened to each unfinished transaction.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryOut {
    pub message_id: &'static str,
    pub kind: &'static str,
    pub trace: String,
    pub amount: Amount,
    pub txn: Txn,
}

impl RecoveryOut {
    pub fn new(r: &Recovered, till: &Till) -> RecoveryOut {
        let open = till.totals().ok().map(|t| t.batch.0);
        let txn = Txn::new(&r.txn, till, open);
        RecoveryOut {
            message_id: r.message_id(),
            kind: match r.kind {
                till::RecoveryKind::Approved => "approved",
                till::RecoveryKind::Declined => "declined",
                till::RecoveryKind::Reversed => "reversed",
                till::RecoveryKind::StillUnresolved => "pending",
            },
            trace: txn.trace.clone(),
            amount: txn.total.clone(),
            txn,
        }
    }
}

/// Everything the UI needs at start and after a settings change.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub lang: &'static str,
    pub till_id: String,
    pub merchant: String,
    pub currency: &'static str,
    pub currency_symbol: &'static str,
    pub minor_digits: u32,
    /// The means this till accepts, in the order of its configuration.
    pub accepted: Vec<&'static str>,
    pub wallets: Vec<&'static str>,
    pub copies: Copies,
    pub data_dir: String,
    /// The folder the demo's camera reads; empty when the scanner is another.
    pub camera_dir: String,
    pub session: Option<SessionOut>,
    /// What recovery did at start (T8), shown before the sale screen.
    pub recovered: Vec<RecoveryOut>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Copies {
    pub merchant: bool,
    pub customer: bool,
}

impl AppInfo {
    pub fn new(
        till: &Till,
        dirs: (&std::path::Path, &crate::devices::OpenScanner),
        recovered: Vec<RecoveryOut>,
    ) -> AppInfo {
        let c: &TillConfig = till.config();
        AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            lang: till.lang().tag(),
            till_id: c.till_id.clone(),
            merchant: c.merchant.name.clone(),
            currency: c.currency.code(),
            currency_symbol: c.currency.symbol(),
            minor_digits: c.currency.minor_digits(),
            accepted: c.accepted.iter().map(|m| m.id()).collect(),
            wallets: c.wallets.iter().map(|w| w.id()).collect(),
            copies: Copies {
                merchant: c.copies.merchant,
                customer: c.copies.customer,
            },
            data_dir: dirs.0.display().to_string(),
            camera_dir: dirs
                .1
                .camera_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            session: till.session().as_ref().map(SessionOut::from),
            recovered,
        }
    }
}

/// One page of paper as the virtual printer draws it.
#[derive(Debug, Clone, Serialize)]
pub struct Paper {
    /// `data:image/png;base64,…`
    pub png: String,
    pub text: String,
    pub width: usize,
    pub height: usize,
}

/// A device's state for the status bar and the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceState {
    /// `ready`, `warning` or `error`.
    pub state: &'static str,
    /// A message id (`device-…`, `printer-…`, `app-device-…`).
    pub message_id: String,
    pub detail: String,
}

impl DeviceState {
    pub fn ready(detail: impl Into<String>) -> DeviceState {
        DeviceState {
            state: "ready",
            message_id: "app-device-ready".to_owned(),
            detail: detail.into(),
        }
    }

    pub fn failed(state: &'static str, message_id: &str, detail: impl Into<String>) -> DeviceState {
        DeviceState {
            state,
            message_id: message_id.to_owned(),
            detail: detail.into(),
        }
    }
}

/// The status bar: batch, blocks, every device, the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub operator: Option<String>,
    pub role: Option<&'static str>,
    pub batch: Option<u32>,
    pub pos_blocked: bool,
    pub refund_blocked: bool,
    pub terminal: DeviceState,
    pub printer: DeviceState,
    pub scanner: DeviceState,
    pub display: DeviceState,
    pub host: DeviceState,
    pub backlog: u64,
}

/// The device test buttons' answer.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceTest {
    pub device: String,
    pub ok: bool,
    pub message_id: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_error_crosses_as_code_message_and_args() {
        let e = Error::from(till_domain::DomainError::UnknownTrace { trace: "000042".into() });
        assert_eq!(e.code, "unknown-trace");
        assert_eq!(e.message_id, "error-unknown-trace");
        assert_eq!(e.args.get("trace").map(String::as_str), Some("000042"));
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(json["args"]["trace"], "000042", "args are an object, not pairs: {json}");
    }

    #[test]
    fn paper_out_is_its_own_sentence() {
        let e = Error::from(TillError::device("printer")(till_domain::ports::DeviceError::PaperOut));
        assert_eq!(e.message_id, "printer-paper-out");
        assert_eq!(e.code, "device-paper-out");
    }

    #[test]
    fn a_bad_trace_is_refused_with_what_was_typed() {
        let e = trace("12a").err();
        assert_eq!(e.as_ref().map(|e| e.message_id.as_str()), Some("error-trace-invalid"));
        assert_eq!(e.and_then(|e| e.args.get("input").cloned()), Some("12a".to_owned()));
    }
}

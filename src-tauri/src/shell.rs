//! The app's state: the till, its devices and what the screens need between calls (the last
//! receipts for the preview, what recovery did at start). Each method is one till call with
//! its input and output converted; the commands module only exposes them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use till::{Till, TillError, TillOptions};
use till_domain::ports::{DeviceError, DisplaySnapshot, HostSettings};
use till_domain::receipt::ReceiptDoc;
use till_domain::{Action, ReceiptCopies};
use till_i18n::Lang;

use crate::devices::{Assembled, assemble};
use crate::dto::{self, Res};
use crate::events::{Ui, UiProgress, device_error};
use crate::setup;

mod devices;
mod update;

pub use update::UpdateOut;

pub struct Shell {
    till: RwLock<Arc<Till>>,
    pub dir: PathBuf,
    devices: RwLock<Arc<Assembled>>,
    /// Held while a device is changed in Settings: the status loop does not talk to a PIN pad
    /// that is being probed or replaced.
    changing: tokio::sync::Mutex<()>,
    pub ui: Ui,
    recovered: Vec<dto::RecoveryOut>,
    /// The documents printed by the last sale, void, refund, reprint, report or test page.
    last_docs: Mutex<Vec<ReceiptDoc>>,
    pub sync: Mutex<Option<till::sync::SyncStatus>>,
    /// Stops the running uploader (`events::spawn_sync`) when another replaces it.
    uploader: Mutex<Option<tokio::sync::watch::Sender<bool>>>,
    /// The keyboard wedge being tested in Settings, which gets the screen's keys meanwhile.
    test_wedge: Mutex<Option<till_scanner::KeySender>>,
    /// Issue 14: what the back office offers, and the verified package ready to install.
    updates: update::Updates,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").field("dir", &self.dir).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The language chosen on the till last time, kept beside the journal.
fn saved_lang(dir: &Path) -> Option<Lang> {
    std::fs::read_to_string(dir.join("ui-language"))
        .ok()
        .and_then(|t| Lang::from_tag(t.trim()))
}

/// The language the app starts in: asked for (`--lang`), else the one chosen on this till last
/// time, else the machine's (`LC_ALL`, `LANG`).
pub fn start_lang(dir: &Path, asked: Option<Lang>) -> Lang {
    asked.or_else(|| saved_lang(dir)).unwrap_or_else(|| {
        std::env::var("LC_ALL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| std::env::var("LANG").ok())
            .map_or(Lang::En, |v| Lang::negotiate(&v))
    })
}

impl Shell {
    /// Opens the till in `dir` with its devices and resolves what was left unfinished (T8).
    pub async fn open(ui: Ui, dir: &Path, lang: Option<Lang>, customer_display: bool) -> Result<Shell, TillError> {
        let config = till::store::load_or_create_config(dir)?;
        let devices = assemble(dir, &config, &ui, customer_display).await?;
        let mut opts = TillOptions::new(config);
        opts.lang = start_lang(dir, lang);
        opts.progress = Arc::new(UiProgress(ui.clone()));
        // Real gateways are asked every second or two; the customer needs a moment anyway.
        opts.qr_poll_interval = Duration::from_millis(1500);
        let till = Till::open_dir(dir, devices.devices.clone(), opts)?;
        let recovered = till.recover().await?;
        let recovered = recovered.iter().map(|r| dto::RecoveryOut::new(r, &till)).collect();
        Ok(Shell {
            till: RwLock::new(Arc::new(till)),
            dir: dir.to_owned(),
            devices: RwLock::new(Arc::new(devices)),
            changing: tokio::sync::Mutex::new(()),
            ui,
            recovered,
            last_docs: Mutex::new(Vec::new()),
            sync: Mutex::new(None),
            uploader: Mutex::new(None),
            test_wedge: Mutex::new(None),
            updates: update::Updates::new(dir),
        })
    }

    pub fn till(&self) -> Arc<Till> {
        self.till.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// A stop signal for a new uploader; the one running before is told to stop.
    pub fn new_uploader(&self) -> tokio::sync::watch::Receiver<bool> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        if let Some(old) = lock(&self.uploader).replace(tx) {
            let _ = old.send(true);
        }
        *lock(&self.sync) = None;
        rx
    }

    /// The devices as they are now (Settings may replace the PIN pad or the printer).
    pub fn devices(&self) -> Arc<Assembled> {
        self.devices.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn keep(&self, docs: &[ReceiptDoc]) {
        *lock(&self.last_docs) = docs.to_vec();
    }

    pub fn info(&self) -> dto::AppInfo {
        dto::AppInfo::new(
            &self.till(),
            (&self.dir, &self.devices().scanner),
            self.recovered.clone(),
        )
    }

    // ---- S0–S3 ---------------------------------------------------------------------------

    /// After the setup wizard: operator 1's PIN set from the serial number's default, and the
    /// new settings journaled by operator 1 (who set the till up).
    pub fn first_operator(
        &self,
        default_pin: &str,
        pin: &str,
        change: &till_devices::settings::SettingChange,
    ) -> Res<()> {
        let till = self.till();
        till.change_pin("1", default_pin, pin)?;
        till.login("1", pin)?;
        let recorded = till.record_setting(&change.key, change.from.clone(), change.to.clone());
        till.logout();
        Ok(recorded?)
    }

    pub fn login(&self, c: dto::CredentialsIn) -> Res<dto::SessionOut> {
        Ok((&self.till().login(&c.operator, &c.pin)?).into())
    }

    pub fn change_pin(&self, c: dto::PinChangeIn) -> Res<()> {
        Ok(self.till().change_pin(&c.operator, &c.old_pin, &c.new_pin)?)
    }

    pub fn logout(&self) {
        self.till().logout();
    }

    pub fn session(&self) -> Option<dto::SessionOut> {
        self.till().session().as_ref().map(dto::SessionOut::from)
    }

    pub fn set_lang(&self, tag: &str) -> Res<dto::AppInfo> {
        let lang = dto::lang(tag)?;
        self.till().set_lang(lang);
        // Best effort: a till that cannot write its folder still switches language now.
        let _ = std::fs::write(self.dir.join("ui-language"), lang.tag());
        Ok(self.info())
    }

    // ---- T1–T7 ---------------------------------------------------------------------------

    pub fn quote(&self, a: &dto::AmountsIn) -> Res<dto::Quote> {
        a.quote(&self.till())
    }

    pub async fn sale(&self, input: dto::SaleIn) -> Res<dto::Outcome> {
        let till = self.till();
        let sale = input.into_sale(&till)?;
        self.devices().cancel.arm();
        let r = till.sale(sale).await?;
        self.keep(&r.receipts);
        Ok(dto::Outcome::new(&r, &till))
    }

    /// The Cancel button of the progress, scan and merchant-QR screens.
    pub async fn cancel(&self) -> Res<()> {
        self.devices().cancel.pull();
        Ok(self.till().abort_flow().await?)
    }

    pub async fn void(&self, input: dto::VoidIn) -> Res<dto::Outcome> {
        let till = self.till();
        let trace = dto::trace(&input.trace)?;
        self.devices().cancel.arm();
        let r = till.void(trace, &input.supervisor.into()).await?;
        self.keep(&r.receipts);
        Ok(dto::Outcome::new(&r, &till))
    }

    pub async fn refund(&self, input: dto::RefundIn) -> Res<dto::Outcome> {
        let till = self.till();
        let trace = dto::trace(&input.trace)?;
        let amount = input.amount(&till)?;
        self.devices().cancel.arm();
        let r = till.refund(trace, amount, &input.authorizer.into()).await?;
        self.keep(&r.receipts);
        Ok(dto::Outcome::new(&r, &till))
    }

    // ---- T9–T10, T5 ------------------------------------------------------------------------

    pub fn history(&self, q: &dto::HistoryIn) -> Res<Vec<dto::Txn>> {
        let till = self.till();
        Ok(dto::history(&till.history(q.query(&till)?)?, &till))
    }

    pub async fn reprint(&self, trace: &str) -> Res<dto::Outcome> {
        let till = self.till();
        let r = till.reprint(dto::trace(trace)?).await?;
        self.keep(&r.receipts);
        Ok(dto::Outcome::new(&r, &till))
    }

    /// The receipts of a transaction as they would print now (history's detail view).
    pub async fn receipt_preview(&self, trace: &str) -> Res<Vec<dto::Paper>> {
        let till = self.till();
        let q = dto::HistoryIn {
            trace: trace.to_owned(),
            ..dto::HistoryIn::default()
        };
        let txn = till.history(q.query(&till)?)?.into_iter().next().ok_or_else(|| {
            dto::Error::from(till_domain::DomainError::UnknownTrace {
                trace: trace.to_owned(),
            })
        })?;
        Ok(crate::preview::receipts(&till.receipts_for(&txn, false), &self.devices().profile).await)
    }

    /// The pictures of what was printed last.
    pub async fn last_receipts(&self) -> Vec<dto::Paper> {
        let docs = lock(&self.last_docs).clone();
        crate::preview::receipts(&docs, &self.devices().profile).await
    }

    pub fn totals(&self) -> Res<dto::Totals> {
        let till = self.till();
        till.may(Action::XReport)?;
        Ok(dto::Totals::new(&till.totals()?, &till))
    }

    pub async fn x_report(&self) -> Res<dto::ReportOut> {
        let till = self.till();
        let r = till.x_report().await?;
        self.keep(&r.docs);
        Ok(dto::ReportOut::new(&r, &till))
    }

    pub async fn settle(&self) -> Res<dto::ReportOut> {
        let till = self.till();
        let r = till.settle().await?;
        self.keep(&r.docs);
        Ok(dto::ReportOut::new(&r, &till))
    }

    /// T10's automatic settlement at 00:00 when it is due: its slip printed, kept for the
    /// preview, and the screens told.
    pub async fn auto_settle(&self) {
        let till = self.till();
        match till.auto_settle_if_due().await {
            Ok(Some(r)) => {
                self.keep(&r.docs);
                self.ui.emit("auto-settled", &dto::ReportOut::new(&r, &till));
            }
            Ok(None) => {}
            Err(e) => eprintln!("opentill: automatic settlement: {e}"),
        }
    }

    pub async fn balance(&self) -> Res<dto::Balance> {
        let till = self.till();
        Ok(dto::Balance::new(&till.balance().await?, &till))
    }

    // ---- T13: operators, receipt copies, devices ------------------------------------------

    pub fn operators(&self) -> Res<Vec<dto::OperatorOut>> {
        Ok(self.till().operators()?.iter().map(dto::OperatorOut::from).collect())
    }

    pub fn add_operator(&self, o: &dto::OperatorIn) -> Res<Vec<dto::OperatorOut>> {
        self.till().add_operator(&o.id, &o.name, o.role()?, &o.pin)?;
        self.operators()
    }

    pub fn remove_operator(&self, id: &str) -> Res<Vec<dto::OperatorOut>> {
        self.till().remove_operator(id)?;
        self.operators()
    }

    pub fn set_refund_pin(&self, c: &dto::PinChangeIn) -> Res<()> {
        Ok(self.till().set_refund_pin(&c.operator, &c.old_pin, &c.new_pin)?)
    }

    /// T11/T13: which copies print, written to till.toml and in force at once.
    pub fn set_copies(&self, c: dto::Copies) -> Res<dto::AppInfo> {
        let till = self.till();
        till.may(Action::Settings)?;
        let settings = HostSettings {
            copies: Some(ReceiptCopies {
                merchant: c.merchant,
                customer: c.customer,
            }),
            ..HostSettings::default()
        };
        till::sync::apply_settings(&self.dir, &settings)?;
        let reopened = Arc::new(till.reopened(&self.dir)?);
        *self.till.write().unwrap_or_else(PoisonError::into_inner) = reopened;
        Ok(self.info())
    }

    /// Settings → Back office: where this till sends its sales and how that goes.
    pub fn host_state(&self) -> Res<dto::HostOut> {
        self.till().may(Action::Settings)?;
        let devices = self.devices();
        let sync = lock(&self.sync).clone();
        Ok(dto::HostOut {
            enrolled: devices.host_enrolled,
            url: till_devices::host_url(&self.dir)?.unwrap_or_default(),
            backlog: self.till().sync_backlog().unwrap_or(0),
            error: sync.as_ref().and_then(|s| s.error.clone()),
            synced: sync.as_ref().is_some_and(|s| s.error.is_none() && s.last.is_some()),
        })
    }

    /// Settings → Back office → Enrol (Manager): the portal's activation code for this till.
    /// `[host]` is written (the token masked in the journal) and the till goes on with the
    /// host at once; the caller starts the uploader again.
    pub async fn host_enrol(&self, url: &str, code: &str) -> Res<setup::EnrolOut> {
        let till = self.till();
        till.may(Action::Settings)?;
        let config = till.config().clone();
        let (out, token) = setup::enrol_with(url, code, &config.till_id, &config.serial).await?;
        let section = till_devices::HostSection {
            url: Some(out.url.clone()),
            token: Some(token),
            batch: None,
        };
        let value = toml::Value::try_from(section).map_err(|e| TillError::Config(e.to_string()))?;
        let _idle = till.quiesce().await;
        self.replace_host(&till, value)?;
        // A new credential starts a new command stream.
        let _ = std::fs::remove_file(self.dir.join("host-commands.ack"));
        Ok(out)
    }

    /// Settings → Back office → Leave (Manager): the till works alone (the demo's in-process
    /// host); what it has not uploaded stays in its journal.
    pub async fn host_leave(&self) -> Res<dto::AppInfo> {
        let till = self.till();
        till.may(Action::Settings)?;
        let _idle = till.quiesce().await;
        self.replace_host(&till, toml::Value::Table(toml::Table::new()))?;
        Ok(self.info())
    }

    fn replace_host(&self, till: &Till, value: toml::Value) -> Res<()> {
        let change = till_devices::settings::check_value(&self.dir, "host", value)?;
        till_devices::settings::write(&self.dir, &change)?;
        let mut devices = (*self.devices()).clone();
        match till_devices::host(&self.dir)? {
            Some(link) => {
                devices.devices.host = link;
                devices.host_name = till_devices::host_url(&self.dir)?.unwrap_or_default();
                devices.host_enrolled = true;
            }
            None => {
                devices.devices.host = devices.sim_host.clone();
                devices.host_name = "demo".to_owned();
                devices.host_enrolled = false;
            }
        }
        till.record_setting(&change.key, change.from.clone(), change.to.clone())?;
        let reopened = till.reopened_with(&self.dir, devices.devices.clone())?;
        *self.devices.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(devices);
        *self.till.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(reopened);
        Ok(())
    }

    /// The test button of one device.
    pub async fn test_device(&self, device: &str) -> Res<dto::DeviceTest> {
        let till = self.till();
        if till.session().is_none() {
            return Err(TillError::NotLoggedIn.into());
        }
        let l = till.localizer();
        let ok = |detail: String| dto::DeviceTest {
            device: device.to_owned(),
            ok: true,
            message_id: "app-test-ok".to_owned(),
            detail,
        };
        match device {
            "terminal" => {
                let s = till.test_terminal().await?;
                Ok(dto::DeviceTest {
                    ok: s.ready,
                    message_id: if s.ready { "app-test-ok" } else { "app-device-not-ready" }.to_owned(),
                    ..ok(s.detail)
                })
            }
            "printer" => {
                let detail = vec![
                    (l.text("app-printer", &[]), self.devices().printer_name.clone()),
                    (l.text("app-till", &[]), till.config().till_id.clone()),
                ];
                let doc = till_printer::test_page(&self.devices().profile, &detail);
                till.print_document(&doc).await?;
                self.keep(std::slice::from_ref(&doc));
                Ok(ok(self.devices().printer_name.clone()))
            }
            "display" => {
                let text = l.text("app-display-test", &[]);
                till.show_on_display(&DisplaySnapshot::Idle { text: text.clone() })
                    .await?;
                Ok(ok(text))
            }
            "scanner" => {
                let devices = self.devices();
                devices.cancel.arm();
                let wait = tokio::time::timeout(Duration::from_secs(15), devices.devices.scanner.next_code());
                match wait.await {
                    Ok(Ok(code)) => {
                        let tail = crate::devices::last4(&code.text);
                        Ok(ok(format!("…{tail}")))
                    }
                    Ok(Err(e)) => Err(TillError::device("scanner")(e).into()),
                    Err(_) => Err(TillError::device("scanner")(DeviceError::Timeout).into()),
                }
            }
            other => Err(TillError::Input {
                what: "device",
                input: other.to_owned(),
            }
            .into()),
        }
    }

    /// The status bar, with the PIN pad and printer states the status loop last saw.
    pub fn status(&self, terminal: dto::DeviceState, printer: dto::DeviceState) -> dto::Status {
        let till = self.till();
        let session = till.session();
        let blocks = till.blocks().unwrap_or_default();
        let host = match lock(&self.sync).as_ref() {
            Some(s) if s.error.is_some() => {
                dto::DeviceState::failed("warning", "app-host-offline", s.error.clone().unwrap_or_default())
            }
            _ if !self.devices().host_enrolled => dto::DeviceState::failed("ready", "app-host-demo", ""),
            _ => dto::DeviceState::ready(self.devices().host_name.clone()),
        };
        dto::Status {
            operator: session.as_ref().map(|s| s.operator.clone()),
            role: session.as_ref().map(|s| s.role.id()),
            batch: till.totals().ok().map(|t| t.batch.0),
            pos_blocked: blocks.pos,
            refund_blocked: blocks.refund,
            terminal,
            printer,
            scanner: dto::DeviceState::ready(self.devices().scanner.name.clone()),
            display: dto::DeviceState::ready(self.devices().display_name.clone()),
            host,
            backlog: till.sync_backlog().unwrap_or(0),
        }
    }

    /// The PIN pad's state for the status bar.
    pub async fn terminal_state(&self) -> dto::DeviceState {
        let _not_changing = self.changing.lock().await;
        match self.till().terminal_status().await {
            Ok(s) if s.ready => dto::DeviceState::ready(s.detail),
            Ok(s) => dto::DeviceState::failed("warning", "app-device-not-ready", s.detail),
            Err(e) => device_error(&e),
        }
    }

    /// The status bar now.
    pub async fn status_now(&self) -> dto::Status {
        let terminal = self.terminal_state().await;
        let printer = self.printer_state().await;
        self.status(terminal, printer)
    }

    /// The printer's state for the status bar.
    pub async fn printer_state(&self) -> dto::DeviceState {
        match self.till().printer_status().await {
            Ok(s) if s.paper_out => dto::DeviceState::failed("error", "printer-paper-out", ""),
            Ok(s) if s.cover_open => dto::DeviceState::failed("error", "printer-cover-open", ""),
            Ok(_) => dto::DeviceState::ready(self.devices().printer_name.clone()),
            Err(e) => device_error(&e),
        }
    }
}

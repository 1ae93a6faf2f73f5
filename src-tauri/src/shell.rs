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
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell").field("dir", &self.dir).finish()
    }
}

/// Receipt header or footer lines: at most 4, each one line of at most 48 characters.
fn receipt_lines(lines: &[String]) -> Res<()> {
    let bad = lines
        .iter()
        .find(|l| l.chars().count() > 48 || l.chars().any(char::is_control))
        .cloned()
        .or_else(|| (lines.len() > 4).then(|| format!("{} lines", lines.len())));
    match bad {
        Some(input) => Err(TillError::Input {
            what: "setting-receipt-line",
            input,
        }
        .into()),
        None => Ok(()),
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
            (&self.dir, &self.devices().camera_dir),
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

    /// Settings → Devices: the PIN pad and printer as set now, and what is plugged in.
    pub fn device_settings(&self) -> Res<dto::DeviceSettings> {
        let till = self.till();
        till.may(Action::Settings)?;
        let (terminal, printer) = setup::current(&self.dir);
        let section = till_devices::settings::section(&self.dir, "printer")?;
        let text = |key: &str, default: &str| {
            section
                .get(key)
                .and_then(toml::Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        let merchant = &till.config().merchant;
        Ok(dto::DeviceSettings {
            terminal,
            printer,
            paper: text("paper", "80mm"),
            chinese: text("chinese", ""),
            logo: text("logo", ""),
            header: merchant.header.clone(),
            footer: merchant.footer.clone(),
            ports: setup::ports(),
        })
    }

    /// A device form's answer as a checked change of till.toml (nothing written): `terminal`
    /// replaced whole; `printer`'s connection and paper, its other keys (Chinese mode, logo,
    /// header) kept.
    fn check_device(&self, change: &dto::DeviceIn) -> Res<till_devices::settings::SettingChange> {
        let (key, value) = match change {
            dto::DeviceIn::Terminal { terminal } => ("terminal", setup::terminal_section(terminal)?),
            dto::DeviceIn::Printer {
                printer,
                paper,
                chinese,
                logo,
                header,
                footer,
            } => {
                let refuse = |what: &'static str, input: &str| -> dto::Error {
                    TillError::Input {
                        what,
                        input: input.to_owned(),
                    }
                    .into()
                };
                if !matches!(paper.as_str(), "58mm" | "80mm") {
                    return Err(refuse("setup-paper", paper));
                }
                if !matches!(chinese.as_str(), "" | "gb18030" | "big5" | "raster") {
                    return Err(refuse("setting-chinese", chinese));
                }
                receipt_lines(header)?;
                receipt_lines(footer)?;
                let mut section = till_devices::settings::section(&self.dir, "printer")?;
                section.insert("paper".into(), paper.clone().into());
                section.insert("connection".into(), setup::printer_connection(printer)?.into());
                for (key, value) in [("chinese", chinese.trim()), ("logo", logo.trim())] {
                    if value.is_empty() {
                        section.remove(key);
                    } else {
                        section.insert(key.into(), value.into());
                    }
                }
                // The logo must be a picture the printer can print: its profile loads it.
                let config: till_printer::PrinterConfig = toml::Value::Table(section.clone())
                    .try_into()
                    .map_err(|e: toml::de::Error| refuse("setting-printer", e.message()))?;
                config
                    .profile(&self.dir, 48)
                    .map_err(|e| refuse("setting-logo", &format!("{} ({e})", logo.trim())))?;
                ("printer", section)
            }
        };
        Ok(till_devices::settings::check_value(
            &self.dir,
            key,
            toml::Value::Table(value),
        )?)
    }

    /// The device a checked change names, opened from it and asked for its status.
    async fn probe(&self, change: &till_devices::settings::SettingChange) -> Res<()> {
        let till = self.till();
        let currency = till.config().currency.numeric();
        let device = if change.key == "terminal" {
            "terminal"
        } else {
            "printer"
        };
        till_devices::settings::probe_device(&self.dir, change, device, currency, 48, Duration::from_secs(15)).await?;
        Ok(())
    }

    /// A device form's Test button: the new setting checked and the device asked; nothing is
    /// written and the devices in use stay.
    pub async fn try_device(&self, change: &dto::DeviceIn) -> Res<()> {
        self.till().may(Action::Settings)?;
        let checked = self.check_device(change)?;
        let _no_status_polls = self.changing.lock().await;
        self.probe(&checked).await
    }

    /// T13: a PIN pad or printer changed in Settings (Manager). Checked first (a bad value
    /// changes nothing); then, once no sale is in flight, the new device is asked for its
    /// status (one that does not answer is refused and the working one stays), till.toml is
    /// replaced atomically, the change is journaled (who, what, from, to), and the till goes on
    /// with the new device — no restart.
    pub async fn set_device(&self, change: &dto::DeviceIn) -> Res<dto::AppInfo> {
        let till = self.till();
        till.may(Action::Settings)?;
        let checked = self.check_device(change)?;
        let _idle = till.quiesce().await;
        let _no_status_polls = self.changing.lock().await;
        self.probe(&checked).await?;
        let before = std::fs::read(self.dir.join("till.toml")).ok();
        till_devices::settings::write(&self.dir, &checked)?;
        let reopened = self.reopen_devices(&till, &checked.key);
        let (devices, reopened) = match reopened {
            Ok(r) => r,
            Err(e) => {
                // The file goes back to what worked; the devices in use never changed.
                if let Some(b) = before {
                    let _ = std::fs::write(self.dir.join("till.toml"), b);
                }
                return Err(e.into());
            }
        };
        till.record_setting(&checked.key, checked.from.clone(), checked.to.clone())?;
        // The receipt's own lines, checked above, go with the printer's settings; the till
        // over the new devices is opened again to read them.
        let reopened = match change {
            dto::DeviceIn::Printer { header, footer, .. } => {
                let mut changed = false;
                for (key, lines) in [("merchant.header", header), ("merchant.footer", footer)] {
                    let value = toml::Value::Array(lines.iter().map(|l| l.trim().into()).collect());
                    let line_change = till_devices::settings::check_value(&self.dir, key, value)?;
                    if line_change.from.as_deref() != Some(line_change.to.as_str())
                        && !(line_change.from.is_none() && lines.is_empty())
                    {
                        till_devices::settings::write(&self.dir, &line_change)?;
                        till.record_setting(&line_change.key, line_change.from.clone(), line_change.to.clone())?;
                        changed = true;
                    }
                }
                if changed {
                    till.reopened_with(&self.dir, devices.devices.clone())?
                } else {
                    reopened
                }
            }
            dto::DeviceIn::Terminal { .. } => reopened,
        };
        *self.devices.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(devices);
        *self.till.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(reopened);
        Ok(self.info())
    }

    /// The devices with the one `key` names opened anew from till.toml, and a till over them.
    fn reopen_devices(&self, till: &Till, key: &str) -> Result<(Assembled, Till), TillError> {
        let mut devices = (*self.devices()).clone();
        if key == "printer" {
            let (printer, profile, name) = crate::devices::open_printer(&self.dir, 48)?;
            devices.devices.printer = printer;
            devices.profile = profile;
            devices.printer_name = name;
        } else {
            let (terminal, name) = crate::devices::open_terminal(
                &self.dir,
                till.config(),
                devices.devices.printer.clone(),
                &devices.sim_terminal,
            )?;
            devices.devices.terminal = terminal;
            devices.terminal_name = name;
        }
        let reopened = till.reopened_with(&self.dir, devices.devices.clone())?;
        Ok((devices, reopened))
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
            scanner: dto::DeviceState::ready(self.devices().camera_dir.display().to_string()),
            display: dto::DeviceState::ready(String::new()),
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

//! The first start of a till (S0): a new data folder opens the setup wizard, not a demo till.
//! The shop owner chooses the language; names the shop (name, address, merchant and terminal
//! ids, till id, currency, paper width), or enrols the till with the back office's activation
//! code and takes the shop's name and address from there; sets the first operator's PIN; and picks the PIN pad
//! and the receipt printer from what is plugged in, each tested before it is kept. "Skip: demo
//! till" keeps today's all-simulated demo. The whole till.toml is checked as `till config set`
//! checks a key (till-devices' settings), written atomically, and journaled as `setup` by the
//! first operator. Only then is the till opened, and the app goes on to its login.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use till::TillError;
use till_domain::{Currency, MerchantInfo, TillConfig};
use till_i18n::Lang;

use crate::dto::{self, Res};

/// What the app was started with, kept until the wizard finishes.
#[derive(Debug)]
pub struct Pending {
    pub dir: PathBuf,
    pub lang: Option<Lang>,
    pub customer_display: bool,
    /// The serial number this till gets: fixed at the first start, so the host that enrols it
    /// and the till.toml the wizard writes name the same one.
    serial: String,
    /// The back office this till enrolled with during the wizard (its credential is written
    /// into till.toml when the wizard finishes).
    enrolled: Mutex<Option<Enrolled>>,
}

impl Pending {
    pub fn new(dir: PathBuf, lang: Option<Lang>, customer_display: bool) -> Pending {
        Pending {
            dir,
            lang,
            customer_display,
            serial: serial(),
            enrolled: Mutex::new(None),
        }
    }

    fn enrolled(&self) -> Option<Enrolled> {
        self.enrolled.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A credential from the back office, not yet written.
#[derive(Clone)]
struct Enrolled {
    url: String,
    token: String,
    till_id: String,
}

impl std::fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The device token is a secret: never in a log line.
        f.debug_struct("Enrolled")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the back office says of the till it enrolled: the wizard fills the shop from it.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolOut {
    pub merchant: String,
    pub shop: String,
    pub pos: String,
    pub receipt_name: String,
    pub receipt_address: String,
    pub url: String,
}

/// Whether `dir` holds no till yet (no settings, no journal): the wizard's case.
pub fn needed(dir: &Path) -> bool {
    !dir.join("till.toml").exists() && !dir.join("journal.sqlite").exists()
}

/// The PIN pad as chosen in the wizard or in Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TerminalIn {
    /// The demo's simulated PIN pad.
    Simulator,
    /// A ZVT PIN pad on a serial port (USB-serial adapter): 2 stop bits as ZVT says, 1 for the
    /// pads and adapters set to 8N1.
    ZvtSerial {
        path: String,
        baud: u32,
        #[serde(default = "zvt_stop_bits")]
        stop_bits: u8,
    },
    /// A ZVT PIN pad on the LAN (`host:port`).
    ZvtTcp { address: String },
}

fn zvt_stop_bits() -> u8 {
    2
}

/// The receipt printer as chosen in the wizard or in Settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PrinterIn {
    /// Receipts kept as files (the demo's).
    Virtual,
    /// An ESC/POS printer on the LAN (`host:port`, port 9100 if left out).
    Tcp { address: String },
    /// A USB printer's device node (`/dev/usb/lp0`).
    Usb { path: String },
    /// A serial printer.
    Serial { path: String, baud: u32 },
    /// A Windows printer queue, printed to in RAW mode.
    Queue { name: String },
}

#[derive(Debug, Clone, Deserialize)]
pub struct SetupIn {
    pub lang: String,
    pub shop_name: String,
    pub address: String,
    pub merchant_id: String,
    pub terminal_id: String,
    pub till_id: String,
    pub currency: String,
    pub paper: String,
    pub pin: String,
    pub terminal: TerminalIn,
    pub printer: PrinterIn,
}

/// What is plugged in, for the wizard's lists.
#[derive(Debug, Clone, Serialize)]
pub struct PortsOut {
    pub serial_ports: Vec<till_devices::attached::SerialPortFound>,
    pub usb_printers: Vec<String>,
    /// The system's printer queues (Windows; empty elsewhere).
    pub printer_queues: Vec<String>,
    pub currencies: Vec<String>,
}

pub fn ports() -> PortsOut {
    let found = till_devices::attached::attached();
    PortsOut {
        serial_ports: found.serial_ports,
        usb_printers: found.usb_printers,
        printer_queues: found.printer_queues,
        currencies: Currency::ALL.iter().map(|c| c.code().to_owned()).collect(),
    }
}

fn refused(what: &'static str, input: &str) -> dto::Error {
    TillError::Input {
        what,
        input: input.to_owned(),
    }
    .into()
}

/// A field the owner must fill: trimmed, not empty, at most `max` characters.
fn filled(what: &'static str, text: &str, max: usize) -> Res<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(refused(what, text));
    }
    Ok(t.to_owned())
}

/// An id printed on receipts and sent to the host: letters, digits and `-`.
fn id(what: &'static str, text: &str, max: usize) -> Res<String> {
    let t = filled(what, text, max)?;
    if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(refused(what, text));
    }
    Ok(t)
}

/// A serial number for a till set up here: its last four digits are never anyone's PIN, since
/// the wizard sets the first operator's.
fn serial() -> String {
    format!("OT{:010}", rand::random::<u32>())
}

fn keys(pairs: &[(&str, toml::Value)]) -> toml::Table {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// `[printer] connection` for a printer chosen in the wizard or in Settings.
pub fn printer_connection(printer: &PrinterIn) -> Res<toml::Table> {
    Ok(match printer {
        PrinterIn::Virtual => keys(&[("kind", "virtual".into())]),
        PrinterIn::Tcp { address } => keys(&[
            ("kind", "tcp".into()),
            ("address", filled("setup-printer-address", address, 253)?.into()),
        ]),
        PrinterIn::Usb { path } => keys(&[
            ("kind", "usb".into()),
            ("path", filled("setup-printer-path", path, 253)?.into()),
        ]),
        PrinterIn::Serial { path, baud } => keys(&[
            ("kind", "serial".into()),
            ("path", filled("setup-printer-path", path, 253)?.into()),
            ("baud", i64::from(*baud).into()),
        ]),
        PrinterIn::Queue { name } => keys(&[
            ("kind", "queue".into()),
            ("name", filled("setup-printer-queue", name, 253)?.into()),
        ]),
    })
}

/// `[terminal]` for a PIN pad chosen in the wizard or in Settings.
pub fn terminal_section(terminal: &TerminalIn) -> Res<toml::Table> {
    let zvt = |connection: toml::Table| keys(&[("kind", "zvt".into()), ("connection", connection.into())]);
    Ok(match terminal {
        TerminalIn::Simulator => keys(&[("kind", "simulator".into())]),
        TerminalIn::ZvtSerial { path, baud, stop_bits } => {
            if !matches!(stop_bits, 1 | 2) {
                return Err(refused("setup-stop-bits", &stop_bits.to_string()));
            }
            let mut section = zvt(keys(&[
                ("kind", "serial".into()),
                ("path", filled("setup-terminal-path", path, 253)?.into()),
                ("baud", i64::from(*baud).into()),
            ]));
            section.insert("stop_bits".to_owned(), i64::from(*stop_bits).into());
            section
        }
        TerminalIn::ZvtTcp { address } => zvt(keys(&[
            ("kind", "tcp".into()),
            ("address", filled("setup-terminal-address", address, 253)?.into()),
        ])),
    })
}

/// The PIN pad and printer `dir`'s till.toml names, as the forms show them; `None` for what
/// the forms do not offer (a nexo terminal, a printer queue: changed with `till config set`).
pub fn current(dir: &Path) -> (Option<TerminalIn>, Option<PrinterIn>) {
    use till_terminal::{Connection, TerminalKind};
    let terminal = till::store::load_section::<till_terminal::TerminalConfig>(dir, "terminal")
        .ok()
        .and_then(|t| match (t.kind, t.connection) {
            (TerminalKind::Simulator, _) => Some(TerminalIn::Simulator),
            (TerminalKind::Zvt, Some(Connection::Serial { path, baud })) => Some(TerminalIn::ZvtSerial {
                path,
                baud,
                stop_bits: t.stop_bits.unwrap_or(2),
            }),
            (TerminalKind::Zvt, Some(Connection::Tcp { address })) => Some(TerminalIn::ZvtTcp { address }),
            _ => None,
        });
    let printer = till_devices::printer_config(dir).ok().and_then(|p| {
        use till_printer::ConnectionConfig as C;
        let text = |p: &Path| p.to_string_lossy().into_owned();
        match p.connection {
            C::Virtual { .. } => Some(PrinterIn::Virtual),
            C::Tcp { address } => Some(PrinterIn::Tcp { address }),
            C::Usb { path } => Some(PrinterIn::Usb { path: text(&path) }),
            C::Serial { path, baud, .. } => Some(PrinterIn::Serial {
                path: text(&path),
                baud,
            }),
            C::Queue { name } => Some(PrinterIn::Queue { name }),
            C::File { .. } => None,
        }
    });
    (terminal, printer)
}

/// The wizard's error for a host that refused or could not be reached while enrolling: the
/// owner is told which of wrong, expired or used their code is, and what to do.
fn enrol_error(url: &str, e: till_sync::SyncError) -> dto::Error {
    use till_sync::codes;
    let (code, message_id, detail) = match &e {
        till_sync::SyncError::Refused { code, .. } if code == codes::ACTIVATION_CODE_INVALID => {
            ("activation-code-wrong", "app-setup-code-wrong", String::new())
        }
        till_sync::SyncError::Refused { code, .. } if code == codes::ACTIVATION_CODE_EXPIRED => {
            ("activation-code-expired", "app-setup-code-expired", String::new())
        }
        till_sync::SyncError::Refused { code, .. } if code == codes::ACTIVATION_CODE_USED => {
            ("activation-code-used", "app-setup-code-used", String::new())
        }
        till_sync::SyncError::Unreachable(m) => ("host-unreachable", "app-setup-host-unreachable", m.clone()),
        _ => return till_devices::host_error(e).into(),
    };
    dto::Error {
        code: code.to_owned(),
        message_id: message_id.to_owned(),
        args: [("url".to_owned(), url.to_owned()), ("detail".to_owned(), detail)]
            .into_iter()
            .collect(),
    }
}

/// Presents the portal's one-time activation code to the back office at `url` for the till
/// `till_id` with serial number `serial`: what the host says of it, and its credential.
pub async fn enrol_with(url: &str, code: &str, till_id: &str, serial: &str) -> Res<(EnrolOut, String)> {
    let url = filled("setup-host-url", url, 253)?;
    let code = filled("setup-activation-code", code, 32)?;
    let request = till_sync::EnrolRequest {
        v: till_sync::WIRE_VERSION,
        code,
        till_id: till_id.to_owned(),
        serial: serial.to_owned(),
        software: format!("opentill {}", env!("CARGO_PKG_VERSION")),
    };
    let e = till_sync::enrol(&url, &request)
        .await
        .map_err(|e| enrol_error(&url, e))?;
    let out = EnrolOut {
        receipt_name: if e.receipt_name.is_empty() {
            e.shop.clone()
        } else {
            e.receipt_name
        },
        receipt_address: e.receipt_address,
        merchant: e.merchant,
        shop: e.shop,
        pos: e.pos_name,
        url,
    };
    Ok((out, e.token))
}

/// The wizard's Enrol button: the credential is kept until the wizard finishes.
pub async fn enrol(pending: &Pending, url: &str, code: &str, till_id: &str) -> Res<EnrolOut> {
    let till_id = id("setup-till-id", till_id, 16)?;
    let (out, token) = enrol_with(url, code, &till_id, &pending.serial).await?;
    *pending.enrolled.lock().unwrap_or_else(PoisonError::into_inner) = Some(Enrolled {
        url: out.url.clone(),
        token,
        till_id,
    });
    Ok(out)
}

/// The till.toml the wizard's answers make (the demo's as the base for what it does not ask),
/// for the till with serial number `serial` and the back office it enrolled with, if it did.
fn table_for(form: &SetupIn, serial: &str, host: Option<&Enrolled>) -> Res<toml::Table> {
    let currency = Currency::ALL
        .into_iter()
        .find(|c| c.code() == form.currency)
        .ok_or_else(|| refused("setup-currency", &form.currency))?;
    let mut config = TillConfig::demo();
    config.till_id = id("setup-till-id", &form.till_id, 16)?;
    if let Some(h) = host
        && h.till_id != config.till_id
    {
        // The back office knows the till by the id it enrolled with.
        return Err(refused("setup-till-id", &form.till_id));
    }
    config.serial = serial.to_owned();
    config.merchant = MerchantInfo {
        name: filled("setup-shop-name", &form.shop_name, 48)?,
        address: filled("setup-address", &form.address, 96)?,
        merchant_id: id("setup-merchant-id", &form.merchant_id, 15)?,
        terminal_id: id("setup-terminal-id", &form.terminal_id, 8)?,
        header: Vec::new(),
        footer: Vec::new(),
    };
    config.currency = currency;
    let mut table = toml::Table::try_from(&config).map_err(|e| TillError::Config(e.to_string()))?;
    let paper = match form.paper.as_str() {
        "58mm" | "80mm" => form.paper.clone(),
        other => return Err(refused("setup-paper", other)),
    };
    let mut printer = toml::Table::new();
    printer.insert("paper".into(), paper.into());
    printer.insert("connection".into(), printer_connection(&form.printer)?.into());
    table.insert("printer".into(), printer.into());
    if form.terminal != TerminalIn::Simulator {
        table.insert("terminal".into(), terminal_section(&form.terminal)?.into());
    }
    if let Some(h) = host {
        let section = till_devices::HostSection {
            url: Some(h.url.clone()),
            token: Some(h.token.clone()),
            batch: None,
        };
        let section = toml::Value::try_from(section).map_err(|e| TillError::Config(e.to_string()))?;
        table.insert("host".into(), section);
    }
    Ok(table)
}

/// The answers as a whole checked file, with the chosen PIN pad and printer asked for their
/// status (`only`: one of them), and the serial number it gives the till.
async fn checked(pending: &Pending, form: &SetupIn, only: Option<&str>) -> Res<till_devices::settings::SettingChange> {
    let dir = pending.dir.as_path();
    let table = table_for(form, &pending.serial, pending.enrolled().as_ref())?;
    let change = till_devices::settings::check_whole("setup", table)?;
    let currency = Currency::ALL
        .into_iter()
        .find(|c| c.code() == form.currency)
        .map_or(344, |c| c.numeric());
    let columns = if form.paper == "58mm" { 32 } else { 48 };
    for device in ["terminal", "printer"] {
        if only.is_none_or(|o| o == device) {
            till_devices::settings::probe_device(dir, &change, device, currency, columns, Duration::from_secs(15))
                .await?;
        }
    }
    Ok(change)
}

/// The wizard's Test button: the answers checked and the device asked, nothing written.
pub async fn test(pending: &Pending, form: &SetupIn, device: &str) -> Res<()> {
    checked(pending, form, Some(device)).await.map(|_| ())
}

/// Writes the checked file; the caller opens the till and sets the first operator's PIN (the
/// default one is the serial number's last four digits, returned with what was written).
pub async fn finish(pending: &Pending, form: &SetupIn) -> Res<(String, till_devices::settings::SettingChange)> {
    let dir = pending.dir.as_path();
    dto::lang(&form.lang)?;
    till_domain::operator::validate_new_pin(&form.pin).map_err(TillError::from)?;
    if !needed(dir) {
        return Err(TillError::Config(format!("{}: this till is already set up", dir.display())).into());
    }
    let change = checked(pending, form, None).await?;
    let serial = &pending.serial;
    std::fs::create_dir_all(dir).map_err(|e| TillError::Config(format!("{}: {e}", dir.display())))?;
    till_devices::settings::write(dir, &change)?;
    let _ = std::fs::write(dir.join("ui-language"), &form.lang);
    let default_pin = serial[serial.len() - 4..].to_owned();
    Ok((default_pin, change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_pin_pad_keeps_its_stop_bits_and_refuses_others() {
        let pad = |stop_bits| TerminalIn::ZvtSerial {
            path: "/dev/ttyUSB0".to_owned(),
            baud: 9600,
            stop_bits,
        };
        let one = terminal_section(&pad(1)).expect("8N1 is a PIN pad's line");
        assert_eq!(one.get("stop_bits").and_then(toml::Value::as_integer), Some(1));
        let refused = terminal_section(&pad(3)).expect_err("no line has 3 stop bits");
        assert_eq!(refused.code, "bad-setup-stop-bits", "{refused:?}");
    }

    #[test]
    fn a_windows_printer_queue_is_kept_by_its_name() {
        let queue = PrinterIn::Queue {
            name: "EPSON TM-T88V Receipt".to_owned(),
        };
        let section = printer_connection(&queue).expect("a named queue");
        assert_eq!(section.get("kind").and_then(toml::Value::as_str), Some("queue"));
        assert_eq!(
            section.get("name").and_then(toml::Value::as_str),
            Some("EPSON TM-T88V Receipt")
        );
        let config: till_printer::ConnectionConfig =
            toml::Value::Table(section).try_into().expect("the printer reads it");
        assert!(matches!(config, till_printer::ConnectionConfig::Queue { .. }));
        let empty = PrinterIn::Queue { name: " ".to_owned() };
        assert_eq!(
            printer_connection(&empty).expect_err("no name").code,
            "bad-setup-printer-queue"
        );
    }
}

//! The first start of a till (S0): a new data folder opens the setup wizard, not a demo till.
//! The shop owner chooses the language; names the shop (name, address, merchant and terminal
//! ids, till id, currency, paper width); sets the first operator's PIN; and picks the PIN pad
//! and the receipt printer from what is plugged in, each tested before it is kept. "Skip: demo
//! till" keeps today's all-simulated demo. The whole till.toml is checked as `till config set`
//! checks a key (till-devices' settings), written atomically, and journaled as `setup` by the
//! first operator. Only then is the till opened, and the app goes on to its login.

use std::path::{Path, PathBuf};
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
}

/// Whether `dir` holds no till yet (no settings, no journal): the wizard's case.
pub fn needed(dir: &Path) -> bool {
    !dir.join("till.toml").exists() && !dir.join("journal.sqlite").exists()
}

/// The PIN pad as chosen in the wizard.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TerminalIn {
    /// The demo's simulated PIN pad.
    Simulator,
    /// A ZVT PIN pad on a serial port (USB-serial adapter).
    ZvtSerial { path: String, baud: u32 },
    /// A ZVT PIN pad on the LAN (`host:port`).
    ZvtTcp { address: String },
}

/// The receipt printer as chosen in the wizard.
#[derive(Debug, Clone, Deserialize)]
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
    pub currencies: Vec<String>,
}

pub fn ports() -> PortsOut {
    let found = till_devices::attached::attached();
    PortsOut {
        serial_ports: found.serial_ports,
        usb_printers: found.usb_printers,
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

/// The till.toml the wizard's answers make (the demo's as the base for what it does not ask).
pub fn table(form: &SetupIn) -> Res<(toml::Table, String)> {
    let currency = Currency::ALL
        .into_iter()
        .find(|c| c.code() == form.currency)
        .ok_or_else(|| refused("setup-currency", &form.currency))?;
    let mut config = TillConfig::demo();
    config.till_id = id("setup-till-id", &form.till_id, 16)?;
    config.serial = serial();
    config.merchant = MerchantInfo {
        name: filled("setup-shop-name", &form.shop_name, 48)?,
        address: filled("setup-address", &form.address, 96)?,
        merchant_id: id("setup-merchant-id", &form.merchant_id, 15)?,
        terminal_id: id("setup-terminal-id", &form.terminal_id, 8)?,
    };
    config.currency = currency;
    let mut table = toml::Table::try_from(&config).map_err(|e| TillError::Config(e.to_string()))?;
    let paper = match form.paper.as_str() {
        "58mm" | "80mm" => form.paper.clone(),
        other => return Err(refused("setup-paper", other)),
    };
    let mut printer = toml::Table::new();
    printer.insert("paper".into(), paper.into());
    let connection = match &form.printer {
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
    };
    printer.insert("connection".into(), connection.into());
    table.insert("printer".into(), printer.into());
    let zvt = |connection: toml::Table| keys(&[("kind", "zvt".into()), ("connection", connection.into())]);
    let terminal = match &form.terminal {
        TerminalIn::Simulator => None,
        TerminalIn::ZvtSerial { path, baud } => Some(zvt(keys(&[
            ("kind", "serial".into()),
            ("path", filled("setup-terminal-path", path, 253)?.into()),
            ("baud", i64::from(*baud).into()),
        ]))),
        TerminalIn::ZvtTcp { address } => Some(zvt(keys(&[
            ("kind", "tcp".into()),
            ("address", filled("setup-terminal-address", address, 253)?.into()),
        ]))),
    };
    if let Some(t) = terminal {
        table.insert("terminal".into(), t.into());
    }
    Ok((table, config.serial.clone()))
}

/// The answers as a whole checked file, with the chosen PIN pad and printer asked for their
/// status (`only`: one of them), and the serial number it gives the till.
async fn checked(
    dir: &Path,
    form: &SetupIn,
    only: Option<&str>,
) -> Res<(till_devices::settings::SettingChange, String)> {
    let (table, serial) = table(form)?;
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
    Ok((change, serial))
}

/// The wizard's Test button: the answers checked and the device asked, nothing written.
pub async fn test(dir: &Path, form: &SetupIn, device: &str) -> Res<()> {
    checked(dir, form, Some(device)).await.map(|_| ())
}

/// Writes the checked file; the caller opens the till and sets the first operator's PIN (the
/// default one is the serial number's last four digits, returned with what was written).
pub async fn finish(dir: &Path, form: &SetupIn) -> Res<(String, till_devices::settings::SettingChange)> {
    dto::lang(&form.lang)?;
    till_domain::operator::validate_new_pin(&form.pin).map_err(TillError::from)?;
    if !needed(dir) {
        return Err(TillError::Config(format!("{}: this till is already set up", dir.display())).into());
    }
    let (change, serial) = checked(dir, form, None).await?;
    std::fs::create_dir_all(dir).map_err(|e| TillError::Config(format!("{}: {e}", dir.display())))?;
    till_devices::settings::write(dir, &change)?;
    let _ = std::fs::write(dir.join("ui-language"), &form.lang);
    let default_pin = serial[serial.len() - 4..].to_owned();
    Ok((default_pin, change))
}

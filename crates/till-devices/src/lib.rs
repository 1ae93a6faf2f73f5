//! The till's devices as configured in DATA_DIR/till.toml, shared by every front end (the
//! `till` command line and the cashier app): a section that names a real device opens it —
//! `[printer]` an ESC/POS printer, `[terminal]` a ZVT PIN pad, `[host]` the back office —
//! and every other device is the simulator. Without till.toml's sections this is the demo
//! till: every device simulated, the virtual printer keeping its pages in DATA_DIR/printer.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use till::{Devices, Sims, TillError};
use till_domain::ports::{DeviceError, PaymentTerminal, ReceiptPrinter};
use till_printer::{ConnectionConfig, PrinterConfig};
use till_sync::{HttpHost, SyncError};
use till_terminal::TerminalConfig;

/// `[host]` in till.toml, written by `till enrol`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HostSection {
    pub url: Option<String>,
    pub token: Option<String>,
    /// Events per upload request (default: the protocol's maximum).
    pub batch: Option<usize>,
}

/// A host link error as the till reports it.
pub fn host_error(e: SyncError) -> TillError {
    let error = match e {
        SyncError::Unreachable(m) => DeviceError::Unavailable(m),
        SyncError::Refused { status, code, message } => DeviceError::Protocol(format!("{status} {code}: {message}")),
        SyncError::Protocol(m) => DeviceError::Protocol(m),
        SyncError::BadUrl(u) => {
            return TillError::Input {
                what: "host URL",
                input: u,
            };
        }
        SyncError::State(m) => return TillError::Config(m),
    };
    TillError::Device { device: "host", error }
}

/// The `[printer]` section (the virtual printer when there is none).
pub fn printer_config(dir: &Path) -> Result<PrinterConfig, TillError> {
    till::store::load_section::<PrinterConfig>(dir, "printer")
}

/// The printer of the `[printer]` section (the virtual printer when there is none), opened for
/// `columns`-wide paper unless the section says. The virtual printer keeps its pages in
/// DATA_DIR/printer unless the section says otherwise.
pub fn printer(dir: &Path, columns: usize) -> Result<Arc<dyn ReceiptPrinter>, TillError> {
    let mut c = printer_config(dir)?;
    if let ConnectionConfig::Virtual {
        save_dir: save_dir @ None,
    } = &mut c.connection
    {
        *save_dir = Some(dir.join("printer"));
    }
    Ok(c.open(dir, columns).map_err(|e| TillError::Config(e.to_string()))?.port)
}

/// The configured ZVT terminal, if `[terminal] kind = "zvt"`.
pub fn terminal(dir: &Path, currency_numeric: u16) -> Result<Option<Arc<dyn PaymentTerminal>>, TillError> {
    let config: TerminalConfig = till::store::load_section(dir, "terminal")?;
    config
        .open(currency_numeric)
        .map_err(|e| TillError::Config(e.to_string()))
}

/// The configured host link, if this till is enrolled.
pub fn host(dir: &Path) -> Result<Option<Arc<HttpHost>>, TillError> {
    let section: HostSection = till::store::load_section(dir, "host")?;
    match (section.url, section.token) {
        (Some(url), Some(token)) => {
            let mut link = HttpHost::new(&url, &token, Some(dir.join("host-commands.ack"))).map_err(host_error)?;
            if let Some(b) = section.batch {
                link = link.with_batch_limit(b);
            }
            Ok(Some(Arc::new(link)))
        }
        _ => Ok(None),
    }
}

/// What [`assemble`] opened.
#[derive(Debug)]
pub struct Assembled {
    pub devices: Devices,
    /// The back office link when the till is enrolled (also `devices.host`), for `sync`.
    pub host: Option<Arc<HttpHost>>,
}

/// Every device of the till in `dir`: the configured ones, the simulators in `sims` for the
/// rest (a demo or a test plays the customer through them).
pub fn assemble(dir: &Path, sims: &Sims, currency_numeric: u16, columns: usize) -> Result<Assembled, TillError> {
    let mut devices = sims.devices();
    devices.printer = printer(dir, columns)?;
    if let Some(t) = terminal(dir, currency_numeric)? {
        devices.terminal = t;
    }
    let host = host(dir)?;
    if let Some(h) = &host {
        devices.host = h.clone();
    }
    Ok(Assembled { devices, host })
}

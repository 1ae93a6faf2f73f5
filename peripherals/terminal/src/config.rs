//! The `[terminal]` section of till.toml: which PIN pad the till drives.
//!
//! ```toml
//! [terminal]
//! kind = "zvt"                                  # or "simulator" (the default: in-process)
//! password = 123456
//! connection = { kind = "serial", path = "/dev/ttyUSB0", baud = 9600 }
//! # connection = { kind = "tcp", address = "192.168.1.20:20007" }
//! # stop_bits = 1                               # serial: 2 by default (ZVT), 1 for 8N1 PTs
//! ```
//!
//! or a nexo / Adyen Terminal API terminal on the LAN:
//!
//! ```toml
//! [terminal]
//! kind = "nexo"
//! [terminal.nexo]
//! address = "192.168.1.30:8443"
//! poiid = "V400m-324688179"                    # its certificate carries this name
//! root_certificate = "/etc/opentill/adyen-terminal-root.pem"
//! key_identifier = "opentill"
//! key_version = 1
//! passphrase = "..."                           # as set for this key on the terminal
//! # certificate_name = "..."                   # when it differs from the POIID
//! # sale_id = "till-1"
//! ```

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use till_domain::ports::{PaymentTerminal, ReceiptPrinter};

use crate::driver::{Connection, StopBits, ZvtConfig, ZvtTerminal};
use crate::nexo::device::{self, TillSide};
use crate::nexo::transport::Endpoint;
use crate::nexo::{DerivedKey, NexoConfig, NexoError, NexoTerminal, SecurityKey};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TerminalKind {
    /// The in-process simulator of the demo till.
    #[default]
    Simulator,
    /// A ZVT PIN pad (or `till-terminal-sim`) over serial or TCP.
    Zvt,
    /// A nexo / Adyen Terminal API terminal over HTTPS on the LAN.
    Nexo,
}

/// `[terminal.nexo]`: where the terminal is, how to know it, and the shared key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NexoSettings {
    /// `ip:port` (port 8443 on Adyen terminals).
    pub address: String,
    /// The terminal's POIID, `<model>-<serial>`.
    pub poiid: String,
    /// The name on its certificate, when it is not the POIID.
    pub certificate_name: Option<String>,
    /// PEM file of the root its certificate chains to.
    pub root_certificate: std::path::PathBuf,
    pub key_identifier: String,
    pub key_version: u32,
    pub passphrase: String,
    /// This till's SaleID (default `opentill`).
    pub sale_id: Option<String>,
    /// `ip:port` where the till takes the terminal's device requests (Display, Print, Input:
    /// [`crate::nexo::device`]); the terminal is set to notify `http://<till>:<port>/nexo`.
    /// None: the till asks, the terminal never calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalConfig {
    #[serde(default)]
    pub kind: TerminalKind,
    pub connection: Option<Connection>,
    pub password: Option<u32>,
    /// Serial stop bits for ZVT: 1 or 2 (default 2).
    pub stop_bits: Option<u8>,
    pub nexo: Option<NexoSettings>,
}

/// Why a terminal configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `kind = "zvt"` without a `connection`.
    #[error("[terminal] kind = \"zvt\" needs a connection (serial path or TCP address)")]
    NoConnection,
    /// `stop_bits` other than 1 or 2.
    #[error("[terminal] stop_bits = {0}: use 1 or 2")]
    StopBits(u8),
    /// `connection = { kind = "bluetooth", ... }` opened without the till's Bluetooth link.
    #[error("[terminal] a Bluetooth reader is reached through the till's Bluetooth link, which is not running")]
    NoBluetoothLink,
    /// `kind = "nexo"` without a `[terminal.nexo]` table.
    #[error("[terminal] kind = \"nexo\" needs a [terminal.nexo] table (address, poiid, root_certificate, key)")]
    NoNexo,
    /// The root certificate file cannot be read.
    #[error("[terminal.nexo] root_certificate {path}: {reason}")]
    RootCertificate { path: String, reason: String },
    /// The nexo settings cannot be used (a root file with no certificate, a bad name).
    #[error("[terminal.nexo]: {0}")]
    Nexo(NexoError),
    /// `listen` cannot be bound (in use, not an address of this machine) or served.
    #[error("[terminal.nexo] listen = {address:?}: {reason}")]
    Listen { address: String, reason: String },
}

impl TerminalConfig {
    /// The configured ZVT or nexo terminal, or `None` when the simulator is configured. A
    /// nexo terminal's device requests are not taken (see [`TerminalConfig::open_with`]).
    pub fn open(&self, currency_numeric: u16) -> Result<Option<Arc<dyn PaymentTerminal>>, ConfigError> {
        self.open_terminal(currency_numeric, None)
    }

    /// As [`TerminalConfig::open`], and for a nexo terminal with `listen`, the till's endpoint
    /// for its device requests bound now (a port in use is an error here, not at the first
    /// sale) and served on the current Tokio runtime, its Prints going to `printer`.
    pub fn open_with(
        &self,
        currency_numeric: u16,
        printer: Arc<dyn ReceiptPrinter>,
    ) -> Result<Option<Arc<dyn PaymentTerminal>>, ConfigError> {
        self.open_terminal(currency_numeric, Some(printer))
    }

    fn open_terminal(
        &self,
        currency_numeric: u16,
        printer: Option<Arc<dyn ReceiptPrinter>>,
    ) -> Result<Option<Arc<dyn PaymentTerminal>>, ConfigError> {
        match self.kind {
            TerminalKind::Simulator => Ok(None),
            TerminalKind::Zvt => {
                let connection = self.connection.clone().ok_or(ConfigError::NoConnection)?;
                // Its link is the till's to keep (till-bluetooth), and nothing here opens it yet.
                if matches!(connection, Connection::Bluetooth { .. }) {
                    return Err(ConfigError::NoBluetoothLink);
                }
                let mut config = ZvtConfig::new(connection, currency_numeric);
                if let Some(pw) = self.password {
                    config.password = pw;
                }
                config.stop_bits = match self.stop_bits {
                    None | Some(2) => StopBits::Two,
                    Some(1) => StopBits::One,
                    Some(n) => return Err(ConfigError::StopBits(n)),
                };
                Ok(Some(Arc::new(ZvtTerminal::new(config))))
            }
            TerminalKind::Nexo => {
                let n = self.nexo.as_ref().ok_or(ConfigError::NoNexo)?;
                let root_pem = std::fs::read(&n.root_certificate).map_err(|e| ConfigError::RootCertificate {
                    path: n.root_certificate.display().to_string(),
                    reason: e.to_string(),
                })?;
                let currency = till_domain::Currency::ALL
                    .into_iter()
                    .find(|c| c.numeric() == currency_numeric)
                    .unwrap_or(till_domain::Currency::Hkd);
                let endpoint = Endpoint {
                    address: n.address.clone(),
                    name: n.certificate_name.clone().unwrap_or_else(|| n.poiid.clone()),
                    root_pem,
                };
                let key = SecurityKey {
                    passphrase: n.passphrase.clone(),
                    key_identifier: n.key_identifier.clone(),
                    key_version: n.key_version,
                    crypto_version: 1,
                };
                let sale_id = n.sale_id.clone().unwrap_or_else(|| "opentill".to_owned());
                let derived = DerivedKey::derive(&key);
                let config = NexoConfig::new(endpoint, key, &n.poiid, &sale_id, currency.code());
                let terminal = NexoTerminal::new(config).map_err(ConfigError::Nexo)?;
                if let (Some(address), Some(printer)) = (&n.listen, printer) {
                    let till = TillSide {
                        relay: terminal.relay(),
                        printer: Some(printer),
                    };
                    listen(address, derived, Arc::new(till))?;
                }
                Ok(Some(Arc::new(terminal)))
            }
        }
    }
}

/// Binds `address` and serves the device endpoint on the current runtime.
fn listen(address: &str, key: DerivedKey, till: Arc<TillSide>) -> Result<(), ConfigError> {
    let failed = |reason: String| ConfigError::Listen {
        address: address.to_owned(),
        reason,
    };
    let runtime = tokio::runtime::Handle::try_current().map_err(|e| failed(e.to_string()))?;
    let listener = std::net::TcpListener::bind(address).map_err(|e| failed(e.to_string()))?;
    listener.set_nonblocking(true).map_err(|e| failed(e.to_string()))?;
    let _guard = runtime.enter();
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| failed(e.to_string()))?;
    runtime.spawn(device::serve(listener, key, till));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_terminal_sections_are_refused_with_what_is_wrong() {
        let zvt = TerminalConfig {
            kind: TerminalKind::Zvt,
            connection: Some(Connection::Tcp {
                address: "127.0.0.1:1".to_owned(),
            }),
            stop_bits: Some(3),
            ..TerminalConfig::default()
        };
        assert_eq!(zvt.open(344).err(), Some(ConfigError::StopBits(3)));
        let one = TerminalConfig {
            stop_bits: Some(1),
            ..zvt
        };
        assert!(one.open(344).is_ok(), "1 stop bit is allowed");
        let nexo = TerminalConfig {
            kind: TerminalKind::Nexo,
            ..TerminalConfig::default()
        };
        assert_eq!(nexo.open(344).err(), Some(ConfigError::NoNexo));
        let missing_root = TerminalConfig {
            nexo: Some(NexoSettings {
                address: "127.0.0.1:8443".to_owned(),
                poiid: "V400m-324688179".to_owned(),
                certificate_name: None,
                root_certificate: "/nonexistent/opentill-root.pem".into(),
                key_identifier: "k".to_owned(),
                key_version: 1,
                passphrase: "throwaway".to_owned(),
                sale_id: None,
                listen: None,
            }),
            ..nexo
        };
        assert!(matches!(
            missing_root.open(344).err(),
            Some(ConfigError::RootCertificate { .. })
        ));
    }
}

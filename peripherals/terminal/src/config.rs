//! The `[terminal]` section of till.toml: which PIN pad the till drives.
//!
//! ```toml
//! [terminal]
//! kind = "zvt"                                  # or "simulator" (the default: in-process)
//! password = 123456
//! connection = { kind = "serial", path = "/dev/ttyUSB0", baud = 9600 }
//! # connection = { kind = "tcp", address = "192.168.1.20:20007" }
//! ```

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use till_domain::ports::PaymentTerminal;

use crate::driver::{Connection, ZvtConfig, ZvtTerminal};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TerminalKind {
    /// The in-process simulator of the demo till.
    #[default]
    Simulator,
    /// A ZVT PIN pad (or `till-terminal-sim`) over serial or TCP.
    Zvt,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalConfig {
    #[serde(default)]
    pub kind: TerminalKind,
    pub connection: Option<Connection>,
    pub password: Option<u32>,
}

/// Why a terminal configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// `kind = "zvt"` without a `connection`.
    #[error("[terminal] kind = \"zvt\" needs a connection (serial path or TCP address)")]
    NoConnection,
}

impl TerminalConfig {
    /// The configured ZVT terminal, or `None` when the simulator is configured.
    pub fn open(&self, currency_numeric: u16) -> Result<Option<Arc<dyn PaymentTerminal>>, ConfigError> {
        match self.kind {
            TerminalKind::Simulator => Ok(None),
            TerminalKind::Zvt => {
                let connection = self.connection.clone().ok_or(ConfigError::NoConnection)?;
                let mut config = ZvtConfig::new(connection, currency_numeric);
                if let Some(pw) = self.password {
                    config.password = pw;
                }
                Ok(Some(Arc::new(ZvtTerminal::new(config))))
            }
        }
    }
}

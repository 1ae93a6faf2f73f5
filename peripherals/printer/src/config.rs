//! The `[printer]` section of till.toml and opening the printer it describes. Written like the
//! `[terminal]` section: a `connection` table tagged by `kind`.
//!
//! ```toml
//! [printer]
//! connection = { kind = "serial", path = "/dev/ttyUSB0", baud = 115200 }
//! # connection = { kind = "usb", path = "/dev/usb/lp0" }
//! # connection = { kind = "tcp", address = "192.168.1.30:9100" }
//! # connection = { kind = "file", path = "receipts.bin" }
//! # connection = { kind = "queue", name = "EPSON TM-T88V Receipt" }   # Windows, RAW
//! # default:     { kind = "virtual" } (draws receipts; save_dir = "…" also writes PNGs)
//! paper = "80mm"           # or "58mm"; default: the till's --columns
//! chinese = "big5"         # gb18030 | big5 | raster; default gb18030 (virtual: per receipt)
//! ```

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use till_domain::ports::ReceiptPrinter;

use crate::bitmap::Bitmap;
use crate::codepage::CodePage;
use crate::driver::{EscPosPrinter, Timeouts};
use crate::error::PrinterError;
use crate::profile::{ChineseMode, Paper, Profile};
use crate::transport::{Connection, FlowControl};
use crate::virtual_printer::VirtualPrinter;

fn default_baud() -> u32 {
    9600
}

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ConnectionConfig {
    /// The virtual printer: draws receipts, keeps them for the preview (the demo till's).
    Virtual {
        /// Also write every page here, as PNG and text.
        #[serde(default)]
        save_dir: Option<PathBuf>,
    },
    /// RS-232 or USB-serial.
    Serial {
        path: PathBuf,
        #[serde(default = "default_baud")]
        baud: u32,
        #[serde(default)]
        flow_control: FlowControl,
    },
    /// A USB printer-class device (`/dev/usb/lp0`).
    Usb { path: PathBuf },
    /// Raw TCP printing: `host:port`, port 9100 if none is given.
    Tcp { address: String },
    /// Jobs appended to a file (no status).
    File { path: PathBuf },
    /// A Windows printer queue by name, printed to in RAW mode (how a USB receipt printer with
    /// the vendor's or the generic "text only" driver is reached on Windows). No status.
    Queue { name: String },
}

impl Default for ConnectionConfig {
    fn default() -> ConnectionConfig {
        ConnectionConfig::Virtual { save_dir: None }
    }
}

/// The `[printer]` section. Every field has a default, so an empty section (or none) is the
/// virtual printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrinterConfig {
    pub connection: ConnectionConfig,
    pub paper: Option<Paper>,
    /// The printer's Chinese firmware; `raster` for printers without one.
    pub chinese: Option<ChineseMode>,
    /// ESC t code page for é, ¥, £ … (16 = WPC1252).
    pub code_page: u8,
    /// Whether the printer draws QR codes (GS ( k); else they are sent as images.
    pub native_qr: bool,
    /// Epson printers move paper in half dots.
    pub half_dot_feed: bool,
    /// A PNG printed at the top of every receipt.
    pub logo: Option<PathBuf>,
    /// Wait for the printer to confirm each receipt (GS r 1).
    pub confirm: bool,
    pub status_timeout_ms: u64,
    pub print_timeout_ms: u64,
}

impl Default for PrinterConfig {
    fn default() -> PrinterConfig {
        PrinterConfig {
            connection: ConnectionConfig::default(),
            paper: None,
            chinese: None,
            code_page: CodePage::WPC1252,
            native_qr: true,
            half_dot_feed: false,
            logo: None,
            confirm: true,
            status_timeout_ms: 1500,
            print_timeout_ms: 15000,
        }
    }
}

/// An opened printer: the port the till uses, and the virtual printer when it is one (for the
/// preview).
#[derive(Clone)]
pub struct OpenPrinter {
    pub port: Arc<dyn ReceiptPrinter>,
    pub virtual_printer: Option<Arc<VirtualPrinter>>,
    pub escpos: Option<Arc<EscPosPrinter>>,
}

impl std::fmt::Debug for OpenPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenPrinter")
            .field("virtual_printer", &self.virtual_printer)
            .field("escpos", &self.escpos)
            .finish()
    }
}

impl PrinterConfig {
    fn resolve(base: &Path, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
    }

    /// The printer profile: paper (else from `columns`), Chinese mode, code page, logo.
    pub fn profile(&self, base_dir: &Path, columns: usize) -> Result<Profile, PrinterError> {
        let paper = self.paper.unwrap_or_else(|| Paper::for_columns(columns));
        let mut profile = Profile::new(paper, self.chinese.unwrap_or(ChineseMode::Gb18030));
        if CodePage::from_number(self.code_page).is_none() {
            return Err(PrinterError::Config(format!(
                "code_page {} is not one this driver knows (16 = WPC1252, 0 = PC437)",
                self.code_page
            )));
        }
        profile.code_page = self.code_page;
        profile.native_qr = self.native_qr;
        profile.half_dot_feed = self.half_dot_feed;
        if let Some(logo) = &self.logo {
            let path = PrinterConfig::resolve(base_dir, logo);
            let bytes = std::fs::read(&path).map_err(|e| PrinterError::Logo {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            let image = Bitmap::from_png(&bytes).map_err(|e| PrinterError::Logo {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            if image.width() > paper.dots() {
                return Err(PrinterError::Logo {
                    path,
                    detail: format!("{} dots wide; the paper has {}", image.width(), paper.dots()),
                });
            }
            profile.logo = Some(Arc::new(image));
        }
        Ok(profile)
    }

    /// Where a real printer is; `None` for the virtual one.
    pub fn connection(&self, base_dir: &Path) -> Option<Connection> {
        let at = |p: &Path| PrinterConfig::resolve(base_dir, p);
        Some(match &self.connection {
            ConnectionConfig::Virtual { .. } => return None,
            ConnectionConfig::Serial {
                path,
                baud,
                flow_control,
            } => Connection::Serial {
                path: at(path),
                baud: *baud,
                flow: *flow_control,
            },
            ConnectionConfig::Usb { path } => Connection::Usb { path: at(path) },
            ConnectionConfig::File { path } => Connection::File { path: at(path) },
            ConnectionConfig::Queue { name } => Connection::Queue { name: name.clone() },
            ConnectionConfig::Tcp { address } => {
                let has_port = address.rsplit_once(':').is_some_and(|(host, port)| {
                    !port.is_empty()
                        && port.bytes().all(|b| b.is_ascii_digit())
                        && (!host.contains(':') || host.ends_with(']'))
                });
                Connection::Tcp {
                    addr: if has_port {
                        address.clone()
                    } else {
                        format!("{address}:9100")
                    },
                }
            }
        })
    }

    /// Opens the configured printer. Nothing is connected yet: a real printer is opened on
    /// first use, so a till starts even with its printer unplugged (the cashier hears about
    /// it when a receipt cannot print). Relative paths are under `base_dir` (the data dir).
    pub fn open(&self, base_dir: &Path, columns: usize) -> Result<OpenPrinter, PrinterError> {
        let profile = self.profile(base_dir, columns)?;
        match self.connection(base_dir) {
            None => {
                let mut vp = VirtualPrinter::new(profile, self.chinese);
                if let ConnectionConfig::Virtual { save_dir: Some(dir) } = &self.connection {
                    vp = vp.saving_to(PrinterConfig::resolve(base_dir, dir));
                }
                let vp = Arc::new(vp);
                Ok(OpenPrinter {
                    port: vp.clone(),
                    virtual_printer: Some(vp),
                    escpos: None,
                })
            }
            Some(connection) => {
                let p = Arc::new(
                    EscPosPrinter::new(profile, connection)
                        .with_timeouts(Timeouts {
                            connect: Duration::from_secs(3),
                            status: Duration::from_millis(self.status_timeout_ms),
                            print: Duration::from_millis(self.print_timeout_ms),
                        })
                        .with_confirmation(self.confirm),
                );
                Ok(OpenPrinter {
                    port: p.clone(),
                    virtual_printer: None,
                    escpos: Some(p),
                })
            }
        }
    }
}

/// Opens the configured printer as the till's port (see [`PrinterConfig::open`]).
pub fn open_printer(
    config: &PrinterConfig,
    base_dir: &Path,
    columns: usize,
) -> Result<Arc<dyn ReceiptPrinter>, PrinterError> {
    Ok(config.open(base_dir, columns)?.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_is_the_virtual_printer() -> Result<(), PrinterError> {
        let c = PrinterConfig::default();
        let opened = c.open(Path::new("/nonexistent"), 32)?;
        assert!(opened.virtual_printer.is_some());
        assert_eq!(opened.virtual_printer.map(|v| v.profile().paper), Some(Paper::Mm58));
        Ok(())
    }

    #[test]
    fn connections_read_like_the_terminals() -> Result<(), toml::de::Error> {
        let c: PrinterConfig = toml::from_str(
            r#"
            connection = { kind = "serial", path = "/dev/ttyUSB0", baud = 115200 }
            paper = "58mm"
            chinese = "big5"
            "#,
        )?;
        assert_eq!(
            c.connection(Path::new("/data")),
            Some(Connection::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 115200,
                flow: FlowControl::None
            })
        );
        assert_eq!(
            (c.paper, c.chinese, c.code_page),
            (Some(Paper::Mm58), Some(ChineseMode::Big5), 16)
        );
        let tcp = |a: &str| PrinterConfig {
            connection: ConnectionConfig::Tcp { address: a.into() },
            ..PrinterConfig::default()
        };
        let addr = |a: &str| match tcp(a).connection(Path::new("/")) {
            Some(Connection::Tcp { addr }) => addr,
            other => format!("{other:?}"),
        };
        assert_eq!(addr("192.0.2.7"), "192.0.2.7:9100");
        assert_eq!(addr("printer.local:9101"), "printer.local:9101");
        assert_eq!(addr("[::1]:9100"), "[::1]:9100");
        let file: PrinterConfig = toml::from_str(r#"connection = { kind = "file", path = "jobs.bin" }"#)?;
        assert_eq!(
            file.connection(Path::new("/data")),
            Some(Connection::File {
                path: "/data/jobs.bin".into()
            }),
            "relative paths are in the data directory"
        );
        Ok(())
    }

    #[test]
    fn a_bad_code_page_or_logo_is_a_configuration_error() {
        let c = PrinterConfig {
            code_page: 200,
            ..PrinterConfig::default()
        };
        assert!(matches!(c.open(Path::new("/tmp"), 48), Err(PrinterError::Config(_))));
        let c = PrinterConfig {
            logo: Some("/nonexistent/logo.png".into()),
            ..PrinterConfig::default()
        };
        assert!(matches!(c.open(Path::new("/tmp"), 48), Err(PrinterError::Logo { .. })));
    }
}

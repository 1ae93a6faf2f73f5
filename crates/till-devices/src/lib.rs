//! The till's devices as configured in DATA_DIR/till.toml, shared by every front end (the
//! `till` command line and the cashier app): a section that names a real device opens it —
//! `[printer]` an ESC/POS printer, `[terminal]` a ZVT PIN pad, `[host]` the back office,
//! `[display]` the customer screen or a pole display — and every other device is the simulator. Without till.toml's sections this is the demo
//! till: every device simulated, the virtual printer keeping its pages in DATA_DIR/printer.

pub mod attached;
pub mod settings;
pub mod update;

pub use attached::{Attached, SerialPortFound, attached};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use till::{Devices, Sims, TillError};
use till_display::{PoleDisplay, PoleProfile, SlintDisplay, SlintDisplayConfig};
use till_domain::ports::{CustomerDisplay, DeviceError, PaymentTerminal, ReceiptPrinter};
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
        SyncError::Update(u) => DeviceError::Protocol(u.to_string()),
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

/// The configured PIN pad, if `[terminal] kind = "zvt"` or `"nexo"`; a nexo terminal that
/// sends device requests (`listen`) prints on `printer`.
pub fn terminal(
    dir: &Path,
    currency_numeric: u16,
    printer: Arc<dyn ReceiptPrinter>,
) -> Result<Option<Arc<dyn PaymentTerminal>>, TillError> {
    let config: TerminalConfig = till::store::load_section(dir, "terminal")?;
    config
        .open_with(currency_numeric, printer)
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

/// The back office's address when the till is enrolled.
pub fn host_url(dir: &Path) -> Result<Option<String>, TillError> {
    let section: HostSection = till::store::load_section(dir, "host")?;
    Ok(section.url.filter(|_| section.token.is_some()))
}

/// Every device of the till in `dir`: the configured ones, the simulators in `sims` for the
/// rest (a demo or a test plays the customer through them).
pub fn assemble(dir: &Path, sims: &Sims, currency_numeric: u16, columns: usize) -> Result<Assembled, TillError> {
    let mut devices = sims.devices();
    devices.printer = printer(dir, columns)?;
    if let Some(t) = terminal(dir, currency_numeric, devices.printer.clone())? {
        devices.terminal = t;
    }
    let host = host(dir)?;
    if let Some(h) = &host {
        devices.host = h.clone();
    }
    Ok(Assembled { devices, host })
}

/// `[display]` in till.toml: the customer-facing display.
///
/// ```toml
/// [display]
/// kind = "screen"          # the Slint customer screen (till-display), supervised
/// fullscreen = true        # else a window; position = "1920,0" puts it on the second monitor
/// # kind = "pole", port = "/dev/ttyUSB1", baud = 9600, commands = "esc-pos", charset = "big5"
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DisplaySection {
    /// No display attached: snapshots are only recorded (the demo's default).
    #[default]
    None,
    Screen {
        /// The `till-display` binary (default: beside this program, or $OPENTILL_DISPLAY_BIN).
        #[serde(default)]
        program: Option<PathBuf>,
        #[serde(default)]
        fullscreen: bool,
        /// Top-left corner `X,Y` of the window: which monitor it opens on.
        #[serde(default)]
        position: Option<String>,
        /// Window size `WxH` when not full-screen.
        #[serde(default)]
        size: Option<String>,
    },
    Pole {
        port: String,
        #[serde(default = "default_baud")]
        baud: u32,
        #[serde(flatten, default)]
        profile: PoleProfile,
    },
}

fn default_baud() -> u32 {
    9600
}

/// The `[display]` section.
pub fn display_section(dir: &Path) -> Result<DisplaySection, TillError> {
    till::store::load_section(dir, "display")
}

/// Opens the customer display a section names; `None` for no display. The Slint screen is
/// spawned and supervised (restarted if it dies, closed with the till); its log goes to
/// DATA_DIR/display.log. Call within a tokio runtime.
pub async fn display(dir: &Path, section: &DisplaySection) -> Result<Option<Arc<dyn CustomerDisplay>>, TillError> {
    let device = TillError::device("display");
    match section {
        DisplaySection::None => Ok(None),
        DisplaySection::Screen {
            program,
            fullscreen,
            position,
            size,
        } => {
            let mut config = SlintDisplayConfig::new(SlintDisplayConfig::locate(program.as_deref()).map_err(device)?);
            config.args = if *fullscreen {
                vec!["--fullscreen".to_owned()]
            } else {
                vec!["--windowed".to_owned()]
            };
            if let Some(p) = position {
                config.args.extend(["--position".to_owned(), p.clone()]);
            }
            if let (Some(s), false) = (size, *fullscreen) {
                config.args.extend(["--size".to_owned(), s.clone()]);
            }
            config.stderr_log = Some(dir.join("display.log"));
            Ok(Some(Arc::new(SlintDisplay::start(config))))
        }
        DisplaySection::Pole { port, baud, profile } => {
            let pole = PoleDisplay::open(port, *baud, *profile).await.map_err(device)?;
            Ok(Some(Arc::new(pole)))
        }
    }
}

/// `[scanner]` in till.toml: where the customer's payment codes are read.
///
/// ```toml
/// [scanner]
/// kind = "folder"          # the demo's camera: a folder of images (DATA_DIR/camera)
/// # kind = "camera", index = 0, size = "1280x720"   # a webcam (the app's `camera` build)
/// # kind = "serial", port = "/dev/ttyACM0", baud = 9600
/// # kind = "wedge"         # a USB scanner that types: its bursts are told from typing
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ScannerSection {
    /// Frames from a folder of images: the demo's camera, and a till without a camera.
    Folder {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
    },
    /// A webcam, by its index (`/dev/video<index>` on Linux), at about this size.
    Camera {
        #[serde(default)]
        index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<String>,
    },
    /// A scanner on a serial port (or a USB scanner in CDC-ACM mode): one code per line.
    Serial {
        port: String,
        #[serde(default = "default_baud")]
        baud: u32,
    },
    /// A keyboard-wedge scanner: it types into the app, which tells its bursts from a person.
    Wedge,
}

impl Default for ScannerSection {
    fn default() -> ScannerSection {
        ScannerSection::Folder { path: None }
    }
}

/// The `[scanner]` section.
pub fn scanner_section(dir: &Path) -> Result<ScannerSection, TillError> {
    till::store::load_section(dir, "scanner")
}

/// `WxH` (e.g. `1280x720`) as numbers, each 16..=8192.
pub fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.trim().split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?);
    ((16..=8192).contains(&w) && (16..=8192).contains(&h)).then_some((w, h))
}

/// `X,Y` (e.g. `1920,0`) as numbers: a window's top-left corner, which may be left of or above
/// the first monitor.
pub fn parse_position(text: &str) -> Option<(i32, i32)> {
    let (x, y) = text.trim().split_once(',')?;
    let (x, y) = (x.trim().parse::<i32>().ok()?, y.trim().parse::<i32>().ok()?);
    ((-32768..=32767).contains(&x) && (-32768..=32767).contains(&y)).then_some((x, y))
}

#[cfg(test)]
mod section_tests {
    use super::*;

    #[test]
    fn scanner_sections_read_as_written() {
        for (text, want) in [
            ("kind = \"folder\"", ScannerSection::Folder { path: None }),
            (
                "kind = \"serial\"\nport = \"/dev/ttyACM0\"",
                ScannerSection::Serial {
                    port: "/dev/ttyACM0".to_owned(),
                    baud: 9600,
                },
            ),
            ("kind = \"wedge\"", ScannerSection::Wedge),
            (
                "kind = \"camera\"\nindex = 1\nsize = \"640x480\"",
                ScannerSection::Camera {
                    index: 1,
                    size: Some("640x480".to_owned()),
                },
            ),
        ] {
            let read: ScannerSection = toml::from_str(text).expect(text);
            assert_eq!(read, want);
            let again: ScannerSection = toml::from_str(&toml::to_string(&read).expect("writes")).expect("reads");
            assert_eq!(again, want, "{text} round-trips");
        }
        assert!(
            toml::from_str::<ScannerSection>("kind = \"serial\"").is_err(),
            "a serial scanner needs its port"
        );
    }

    #[test]
    fn sizes_and_positions_are_numbers_in_range() {
        assert_eq!(parse_size("1280x720"), Some((1280, 720)));
        assert_eq!(parse_size(" 800 X 480 "), Some((800, 480)));
        for bad in ["", "1280", "1280x", "x720", "0x0", "99999x10", "-5x10", "12.5x10"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
        assert_eq!(parse_position("1920,0"), Some((1920, 0)));
        assert_eq!(parse_position("-1280, 0"), Some((-1280, 0)));
        for bad in ["", "1920", "a,b", "1920;0", "99999999,0"] {
            assert_eq!(parse_position(bad), None, "{bad:?}");
        }
    }
}

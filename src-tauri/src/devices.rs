//! The devices of the app's till, assembled from `DATA_DIR/till.toml` as the CLI does (the
//! configured printer, PIN pad and host; simulators for the rest), plus what only a screen
//! needs: the camera preview, the customer display mirrored to the cashier, a cancel button
//! that reaches the scanner, and a simulated customer who takes a moment at the PIN pad.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use till::{Devices, Sims, TillError};
use till_domain::ports::*;
use till_domain::{Money, TraceNo};
use till_printer::{ConnectionConfig, PrinterConfig, Profile};
use till_scanner::{FrameCodes, FrameSource, ImageFiles, LumaFrame, Rxing, ScanError, Scanner};

use crate::events::Ui;

/// The Cancel button: armed when a flow starts, pulled by the cashier. Devices that wait for
/// the customer (the scanner, the simulated PIN pad) give up when it is pulled.
#[derive(Debug, Default)]
pub struct CancelSignal {
    pulled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancelSignal {
    pub fn arm(&self) {
        self.pulled.store(false, Ordering::SeqCst);
    }

    pub fn pull(&self) {
        self.pulled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_pulled(&self) -> bool {
        self.pulled.load(Ordering::SeqCst)
    }

    /// Waits `d`; true if the cashier cancelled meanwhile.
    pub async fn wait(&self, d: Duration) -> bool {
        let notified = self.notify.notified();
        if self.is_pulled() {
            return true;
        }
        tokio::select! {
            () = notified => true,
            () = tokio::time::sleep(d) => self.is_pulled(),
        }
    }
}

/// What the app keeps of its devices besides the till's ports.
#[derive(Clone)]
pub struct Assembled {
    pub devices: Devices,
    pub cancel: Arc<CancelSignal>,
    /// The printer's profile, for receipt previews drawn exactly as this printer prints.
    pub profile: Profile,
    pub printer_name: String,
    pub terminal_name: String,
    /// The demo's simulated PIN pad, at the customer's pace: what a till set to the simulator
    /// uses, kept so Settings can switch back to it.
    pub sim_terminal: Arc<dyn PaymentTerminal>,
    /// The demo's in-process back office: what a till that leaves its back office goes on with.
    pub sim_host: Arc<dyn HostLink>,
    /// The demo's display that only records: what a till set to no display goes on with.
    pub sim_display: Arc<dyn CustomerDisplay>,
    pub scanner: OpenScanner,
    pub display_name: String,
    pub host_name: String,
    /// The enrolled back office, if any; `None`: the demo's in-process host.
    pub host_enrolled: bool,
}

impl std::fmt::Debug for Assembled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assembled")
            .field("printer", &self.printer_name)
            .field("terminal", &self.terminal_name)
            .finish()
    }
}

/// Pace of the simulated customer at the PIN pad (`OPENTILL_SIM_PACE_MS`, default 700 ms).
fn pace() -> Duration {
    let ms = std::env::var("OPENTILL_SIM_PACE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(700);
    Duration::from_millis(ms)
}

/// The devices of `dir`'s till. `customer_display`: open the Slint customer screen in a window
/// when till.toml names no display (the demo's `--customer-display`).
pub async fn assemble(
    dir: &Path,
    config: &till_domain::TillConfig,
    ui: &Ui,
    customer_display: bool,
) -> Result<Assembled, TillError> {
    let columns = 48;
    let clock: Arc<dyn till::Clock> = Arc::new(till::SystemClock);
    let sims = Sims::open(Some(&dir.join("sim")), clock, config.currency, columns)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let mut devices = sims.devices();
    let sim_host = devices.host.clone();
    let cancel = Arc::new(CancelSignal::default());

    let (printer, profile, printer_name) = open_printer(dir, columns)?;
    devices.printer = printer;
    let sim_terminal: Arc<dyn PaymentTerminal> = Arc::new(PacedTerminal {
        inner: sims.terminal.clone(),
        pace: pace(),
        cancel: cancel.clone(),
    });
    let (terminal, terminal_name) = open_terminal(dir, config, devices.printer.clone(), &sim_terminal)?;
    devices.terminal = terminal;

    let scanner = open_scanner(dir, ui, &cancel)?;
    devices.scanner = scanner.port.clone();

    let section = match till_devices::display_section(dir)? {
        till_devices::DisplaySection::None if customer_display => till_devices::DisplaySection::Screen {
            program: None,
            fullscreen: false,
            position: None,
            size: None,
        },
        other => other,
    };
    let sim_display = devices.display.clone();
    let (display, display_name) = open_display(dir, &section, ui, &sim_display).await?;
    devices.display = display;

    let (host_name, host_enrolled) = match till_devices::host(dir)? {
        Some(link) => {
            devices.host = link;
            (till_devices::host_url(dir)?.unwrap_or_default(), true)
        }
        None => ("demo".to_owned(), false),
    };

    Ok(Assembled {
        devices,
        cancel,
        profile,
        printer_name,
        terminal_name,
        sim_terminal,
        sim_host,
        sim_display,
        scanner,
        display_name,
        host_name,
        host_enrolled,
    })
}

/// The code scanner as opened, with what the screen and Settings need of it.
#[derive(Clone)]
pub struct OpenScanner {
    pub port: Arc<dyn CodeScanner>,
    /// What the status bar and Settings call it: the folder, the port, the camera.
    pub name: String,
    /// The folder the demo's camera reads, when the scanner is one.
    pub camera_dir: Option<PathBuf>,
    /// Where the screen's keystrokes go when the scanner is a keyboard wedge.
    pub wedge: Option<till_scanner::KeySender>,
}

impl std::fmt::Debug for OpenScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenScanner").field("name", &self.name).finish()
    }
}

/// The scanner `dir`'s till.toml names (`[scanner]`; the folder camera when there is none),
/// its waits ended by the Cancel button.
pub fn open_scanner(dir: &Path, ui: &Ui, cancel: &Arc<CancelSignal>) -> Result<OpenScanner, TillError> {
    open_scanner_from(dir, &till_devices::scanner_section(dir)?, ui, cancel)
}

/// The scanner of `section`.
pub fn open_scanner_from(
    dir: &Path,
    section: &till_devices::ScannerSection,
    ui: &Ui,
    cancel: &Arc<CancelSignal>,
) -> Result<OpenScanner, TillError> {
    use till_devices::ScannerSection as S;
    fn port<C: till_scanner::CodeSource + 'static>(
        source: C,
        ui: &Ui,
        cancel: &Arc<CancelSignal>,
    ) -> Arc<dyn CodeScanner> {
        Arc::new(CancellableScanner {
            inner: Scanner::new(source),
            cancel: cancel.clone(),
            ui: ui.clone(),
        })
    }
    let device = |e: ScanError| TillError::device("scanner")(DeviceError::Unavailable(e.to_string()));
    Ok(match section {
        S::Folder { path } => {
            let camera_dir = match path {
                Some(p) => p.clone(),
                None => std::env::var_os("OPENTILL_CAMERA_FRAMES")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| dir.join("camera")),
            };
            std::fs::create_dir_all(&camera_dir)
                .map_err(|e| TillError::Config(format!("{}: {e}", camera_dir.display())))?;
            let frames = FolderCamera::new(camera_dir.clone(), ui.clone());
            OpenScanner {
                port: port(FrameCodes::new(frames, Rxing::live()), ui, cancel),
                name: camera_dir.display().to_string(),
                camera_dir: Some(camera_dir),
                wedge: None,
            }
        }
        S::Serial { port: path, baud } => OpenScanner {
            port: port(
                till_scanner::SerialScanner::open(path, *baud).map_err(device)?,
                ui,
                cancel,
            ),
            name: path.clone(),
            camera_dir: None,
            wedge: None,
        },
        S::Wedge => {
            let (sender, wedge) = till_scanner::KeyboardWedge::channel();
            OpenScanner {
                port: port(wedge, ui, cancel),
                name: "keyboard".to_owned(),
                camera_dir: None,
                wedge: Some(sender),
            }
        }
        S::Camera { index, size } => open_camera(*index, size.as_deref(), ui, cancel, device)?,
    })
}

/// A webcam: the `camera` build (nokhwa) opens it, its frames previewed as the folder camera's
/// are; a build without it says so.
#[cfg(feature = "camera")]
fn open_camera(
    index: u32,
    size: Option<&str>,
    ui: &Ui,
    cancel: &Arc<CancelSignal>,
    device: impl Fn(ScanError) -> TillError,
) -> Result<OpenScanner, TillError> {
    let mut settings = till_scanner::CameraSettings {
        index,
        ..Default::default()
    };
    if let Some((w, h)) = size.and_then(till_devices::parse_size) {
        settings.width = w;
        settings.height = h;
    }
    let frames = Previewed::new(till_scanner::CameraFrames::open(settings).map_err(device)?, ui.clone());
    Ok(OpenScanner {
        port: Arc::new(CancellableScanner {
            inner: Scanner::new(FrameCodes::new(frames, Rxing::live())),
            cancel: cancel.clone(),
            ui: ui.clone(),
        }),
        name: format!("/dev/video{index}"),
        camera_dir: None,
        wedge: None,
    })
}

#[cfg(not(feature = "camera"))]
fn open_camera(
    index: u32,
    _size: Option<&str>,
    _ui: &Ui,
    _cancel: &Arc<CancelSignal>,
    device: impl Fn(ScanError) -> TillError,
) -> Result<OpenScanner, TillError> {
    Err(device(ScanError::Camera(format!(
        "camera {index}: this build of the app reads no webcam (built without the `camera` feature)"
    ))))
}

/// The customer display a `[display]` section names, mirrored to the cashier's screen; `sim`
/// (records only) when the section says none.
pub async fn open_display(
    dir: &Path,
    section: &till_devices::DisplaySection,
    ui: &Ui,
    sim: &Arc<dyn CustomerDisplay>,
) -> Result<(Arc<dyn CustomerDisplay>, String), TillError> {
    use till_devices::DisplaySection as D;
    let name = match section {
        D::None => "none".to_owned(),
        D::Screen { position, .. } => match position {
            Some(p) => format!("screen @ {p}"),
            None => "screen".to_owned(),
        },
        D::Pole { port, .. } => port.clone(),
    };
    let inner = till_devices::display(dir, section)
        .await?
        .unwrap_or_else(|| sim.clone());
    Ok((Arc::new(MirroredDisplay { inner, ui: ui.clone() }), name))
}

/// The receipt printer `dir`'s till.toml names (the virtual printer keeps its receipts in the
/// data folder), its profile for previews, and its name for the status bar.
pub fn open_printer(dir: &Path, columns: usize) -> Result<(Arc<dyn ReceiptPrinter>, Profile, String), TillError> {
    let mut printer: PrinterConfig = till::store::load_section(dir, "printer")?;
    if let ConnectionConfig::Virtual {
        save_dir: save_dir @ None,
    } = &mut printer.connection
    {
        *save_dir = Some(dir.join("printer"));
    }
    let opened = printer
        .open(dir, columns)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let profile = printer
        .profile(dir, columns)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let name = match printer.connection(dir) {
        None => "virtual".to_owned(),
        Some(c) => format!("{c:?}"),
    };
    Ok((opened.port, profile, name))
}

/// The PIN pad `dir`'s till.toml names (the simulator `sim` when it names none) and its name.
pub fn open_terminal(
    dir: &Path,
    config: &till_domain::TillConfig,
    printer: Arc<dyn ReceiptPrinter>,
    sim: &Arc<dyn PaymentTerminal>,
) -> Result<(Arc<dyn PaymentTerminal>, String), TillError> {
    let terminal: till_terminal::TerminalConfig = till::store::load_section(dir, "terminal")?;
    let opened = terminal
        .open_with(config.currency.numeric(), printer)
        .map_err(|e| TillError::Config(e.to_string()))?;
    Ok(match opened {
        Some(t) => {
            let name = match terminal.kind {
                till_terminal::TerminalKind::Nexo => "nexo",
                _ => "zvt",
            };
            (t, name.to_owned())
        }
        None => (sim.clone(), "simulator".to_owned()),
    })
}

/// Collects the progress a device reports, to pass it on at the customer's pace.
#[derive(Default)]
struct Steps(Mutex<Vec<Progress>>);

impl ProgressSink for Steps {
    fn progress(&self, p: Progress) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(p);
    }
}

/// The in-process simulated terminal answers at once; a customer does not. This one waits for
/// the simulated customer to present the card (the cashier may cancel until then: the terminal
/// answers "cancelled" and has done nothing), then passes each prompt on after a moment.
/// The cents of an amount whose simulated customer never presents a card.
const NEVER_PRESENTS: i64 = 57;

struct PacedTerminal {
    inner: Arc<SimTerminalPort>,
    pace: Duration,
    cancel: Arc<CancelSignal>,
}

type SimTerminalPort = till::SimTerminal;

impl PacedTerminal {
    /// The customer reaches for the card; true if the cashier cancelled first. An amount whose
    /// cents are 57 is a customer who never presents one: only the cashier's Cancel (or the
    /// till stopping) ends the wait, so a test that cancels or restarts at this step does so
    /// whatever the machine's speed.
    async fn present(&self, req: &CardRequest, progress: &dyn ProgressSink) -> bool {
        progress.progress(Progress::PresentCard);
        if req.amount.minor % 100 == NEVER_PRESENTS {
            return self.cancel.wait(Duration::from_secs(24 * 3600)).await;
        }
        self.cancel.wait(self.pace * 2).await
    }

    async fn replay(&self, steps: Steps, progress: &dyn ProgressSink) {
        let steps = steps.0.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in steps.into_iter().filter(|s| *s != Progress::PresentCard) {
            progress.progress(s);
            tokio::time::sleep(self.pace).await;
        }
    }
}

#[async_trait]
impl PaymentTerminal for PacedTerminal {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        if self.present(req, progress).await {
            return Ok(Outcome::Cancelled);
        }
        let steps = Steps::default();
        let answer = self.inner.authorize(req, &steps).await;
        self.replay(steps, progress).await;
        answer
    }

    async fn void(
        &self,
        req: &CardRequest,
        original: &VoidTarget,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::Processing);
        tokio::time::sleep(self.pace).await;
        self.inner.void(req, original, progress).await
    }

    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        if self.present(req, progress).await {
            return Ok(Outcome::Cancelled);
        }
        let steps = Steps::default();
        let answer = self.inner.refund(req, &steps).await;
        self.replay(steps, progress).await;
        answer
    }

    async fn reverse(&self, trace: TraceNo, amount: Money) -> Result<bool, DeviceError> {
        self.inner.reverse(trace, amount).await
    }

    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError> {
        self.inner.last_result().await
    }

    async fn end_of_day(&self) -> Result<till_domain::TerminalTotals, DeviceError> {
        self.inner.end_of_day().await
    }

    async fn abort(&self) -> Result<(), DeviceError> {
        self.cancel.pull();
        self.inner.abort().await
    }

    async fn status(&self) -> Result<DeviceStatus, DeviceError> {
        self.inner.status().await
    }
}

/// The scanner, with the Cancel button: a wait for the customer's code ends when the cashier
/// cancels (before anything was journaled: the scan comes first). Each code read is told to
/// the UI, its last four characters only — a payment code is as good as money for a minute.
struct CancellableScanner<S> {
    inner: Scanner<S>,
    cancel: Arc<CancelSignal>,
    ui: Ui,
}

#[async_trait]
impl<S: till_scanner::CodeSource> CodeScanner for CancellableScanner<S> {
    async fn next_code(&self) -> Result<ScannedCode, DeviceError> {
        let notified = self.cancel.notify.notified();
        if self.cancel.is_pulled() {
            return Err(DeviceError::Unavailable("cancelled".to_owned()));
        }
        self.ui.scanning(true);
        let code = tokio::select! {
            () = notified => Err(DeviceError::Unavailable("cancelled".to_owned())),
            code = self.inner.next_code() => code,
        };
        self.ui.scanning(false);
        if let Ok(c) = &code {
            let tail = last4(&c.text);
            self.ui.emit("scanner-code", &serde_json::json!({ "tail": tail }));
        }
        code
    }
}

/// The customer display, mirrored to the cashier's screen: the merchant-QR view shows the
/// code exactly as the customer sees it.
struct MirroredDisplay {
    inner: Arc<dyn CustomerDisplay>,
    ui: Ui,
}

#[async_trait]
impl CustomerDisplay for MirroredDisplay {
    async fn show(&self, snapshot: &DisplaySnapshot) -> Result<(), DeviceError> {
        let mut shown = serde_json::to_value(snapshot).unwrap_or_default();
        if let DisplaySnapshot::QrToScan { payload, .. } = snapshot {
            shown["svg"] = serde_json::Value::String(crate::preview::qr_svg(payload));
        }
        self.ui.emit("display", &shown);
        self.inner.show(snapshot).await
    }

    async fn capture_signature(&self, request: &DisplaySnapshot) -> Result<Option<Signature>, DeviceError> {
        self.ui.emit("display", request);
        self.inner.capture_signature(request).await
    }
}

/// A camera made of a folder: each frame is the folder's images in turn (`ImageFiles`), read
/// again when they run out, or an empty grey frame when there are none — a camera with nothing
/// in front of it. Drop a photo of a payment code in the folder and the till reads it. Every
/// frame decoded is also sent to the screen, smaller, a few times a second: the live preview.
struct FolderCamera {
    dir: PathBuf,
    files: Option<ImageFiles>,
    interval: Duration,
    last_preview: Option<Instant>,
    ui: Ui,
}

/// Frames per second the folder camera delivers, and previews per second the screen gets.
const CAMERA_FPS: u64 = 10;
const PREVIEW_FPS: u64 = 4;
/// Widest preview sent to the screen, in pixels.
const PREVIEW_WIDTH: u32 = 320;

impl FolderCamera {
    fn new(dir: PathBuf, ui: Ui) -> FolderCamera {
        FolderCamera {
            dir,
            files: None,
            interval: Duration::from_millis(1000 / CAMERA_FPS),
            last_preview: None,
            ui,
        }
    }

    fn grey() -> Result<LumaFrame, ScanError> {
        LumaFrame::new(640, 480, vec![96; 640 * 480])
    }

    fn preview(&mut self, frame: &LumaFrame) {
        send_preview(&self.ui, &mut self.last_preview, frame);
    }
}

impl FolderCamera {
    /// The next image of the folder's current round; an unreadable one is skipped, as a
    /// blurred frame would be.
    fn next_image(&mut self) -> Option<LumaFrame> {
        let files = self.files.as_mut()?;
        for _ in 0..64 {
            match files.next_frame() {
                Ok(Some(f)) => return Some(f),
                Ok(None) => return None,
                Err(_) => {}
            }
        }
        None
    }
}

impl FrameSource for FolderCamera {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, ScanError> {
        std::thread::sleep(self.interval);
        let frame = match self.next_image() {
            Some(f) => f,
            None => {
                // The round is over: look at the folder again.
                self.files = Some(ImageFiles::open(std::slice::from_ref(&self.dir))?.frames_per_image(3));
                match self.next_image() {
                    Some(f) => f,
                    None => FolderCamera::grey()?,
                }
            }
        };
        self.preview(&frame);
        Ok(Some(frame))
    }
}

/// A frame sent to the screen, smaller, when the last was long enough ago: the live preview.
fn send_preview(ui: &Ui, last: &mut Option<Instant>, frame: &LumaFrame) {
    let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(1000 / PREVIEW_FPS));
    if !due {
        return;
    }
    *last = Some(Instant::now());
    if let Some(url) = crate::preview::frame_data_url(frame, PREVIEW_WIDTH) {
        ui.emit("camera-frame", &serde_json::json!({ "png": url }));
    }
}

/// A webcam's frames, previewed on the screen as they are read.
#[cfg(feature = "camera")]
struct Previewed<F> {
    inner: F,
    last: Option<Instant>,
    ui: Ui,
}

#[cfg(feature = "camera")]
impl<F> Previewed<F> {
    fn new(inner: F, ui: Ui) -> Previewed<F> {
        Previewed { inner, last: None, ui }
    }
}

#[cfg(feature = "camera")]
impl<F: FrameSource> FrameSource for Previewed<F> {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, ScanError> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            send_preview(&self.ui, &mut self.last, f);
        }
        Ok(frame)
    }
}

/// The last four characters of a code: all the screen ever shows of a payment code.
pub fn last4(code: &str) -> String {
    let skip = code.chars().count().saturating_sub(4);
    code.chars().skip(skip).collect()
}

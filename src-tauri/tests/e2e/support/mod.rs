//! The end-to-end harness: the real `opentill` binary in a private Xvfb, driven over W3C
//! WebDriver through tauri-driver and Debian's WebKitWebDriver. See ../README.md for how to
//! write a test.
//!
//! Each [`App`] owns everything it started (Xvfb, tauri-driver, WebKitWebDriver, the app, WebKit's
//! processes) and ends all of it when dropped, also when the test panics; the data folder and
//! the log stay in a temporary folder named in the test's output (see `Work`). Apps run
//! one at a time in the whole test binary (a global lock), so tests never fight over the CPU,
//! ports or screens even when cargo runs them on several threads.

// A toolkit: each test uses a part of it.
#![allow(dead_code)]

pub mod display;
pub mod procs;
pub mod webdriver;

pub use display::Size;
#[allow(unused_imports)] // for the flow tests
pub use webdriver::{Element, Session, key, png_size};

use display::Display;
use serde_json::json;
use std::cell::Cell;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type TestResult = Result<(), Error>;

/// The tauri-driver release the harness installs (`cargo install --locked`, from crates.io).
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// The workspace root.
pub fn workspace() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// target/screenshots/app, where [`App::screenshot`] writes.
pub fn screenshots_dir() -> PathBuf {
    workspace().join("target/screenshots/app")
}

/// A fresh, empty temporary folder (for a data folder a test prepares before launching).
pub fn temp_dir(name: &str) -> Result<PathBuf, Error> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("opentill-e2e-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// tauri-driver: `OPENTILL_TAURI_DRIVER` if set, else target/tools/bin/tauri-driver, installed
/// there from crates.io on first use (about a minute; `cargo xtask test` does it beforehand).
pub fn tauri_driver() -> Result<PathBuf, Error> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(find_or_install_tauri_driver)
        .clone()
        .map_err(Into::into)
}

fn find_or_install_tauri_driver() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("OPENTILL_TAURI_DRIVER") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("OPENTILL_TAURI_DRIVER={} does not exist", path.display()))
        };
    }
    let root = workspace().join("target/tools");
    let bin = root.join("bin/tauri-driver");
    if bin.is_file() {
        return Ok(bin);
    }
    eprintln!(
        "e2e: installing tauri-driver {TAURI_DRIVER_VERSION} into {}",
        root.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "install",
            "tauri-driver",
            "--locked",
            "--version",
            TAURI_DRIVER_VERSION,
            "--root",
        ])
        .arg(&root)
        // Its own build folder: the test's cargo may hold the lock on the workspace's.
        .arg("--target-dir")
        .arg(root.join("build"))
        .status()
        .map_err(|e| format!("cargo install tauri-driver could not start: {e}"))?;
    // The build folder is only needed once (about 120 MB).
    let _ = std::fs::remove_dir_all(root.join("build"));
    if status.success() && bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "cargo install tauri-driver --version {TAURI_DRIVER_VERSION} failed ({status}); \
             `cargo xtask test` installs it, or set OPENTILL_TAURI_DRIVER"
        ))
    }
}

/// Debian's WebKitWebDriver (package webkit2gtk-driver), which tauri-driver drives.
pub fn webkit_web_driver() -> Result<PathBuf, Error> {
    let path = std::env::var_os("OPENTILL_WEBKIT_WEBDRIVER")
        .map(PathBuf::from)
        .or_else(|| display::which("WebKitWebDriver"))
        .unwrap_or_else(|| PathBuf::from("/usr/bin/WebKitWebDriver"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: apt-get install webkit2gtk-driver (`cargo xtask test` installs it)",
            path.display()
        )
        .into())
    }
}

/// The app binary cargo built for this test, or `OPENTILL_E2E_APP` (e.g. a release build, or the
/// binary a .deb installed).
pub fn app_binary() -> PathBuf {
    std::env::var_os("OPENTILL_E2E_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_opentill")))
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// What to launch: the screen size, and optionally a prepared data folder, extra arguments and
/// environment for the app.
#[derive(Clone, Debug)]
pub struct Launch {
    pub size: Size,
    pub data_dir: Option<PathBuf>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// A new data folder opens the setup wizard (as on a shop's first start), not the demo.
    pub setup: bool,
    /// Where the log of the driver and the app (its stderr) goes, when a test reads it.
    pub log: Option<PathBuf>,
}

impl Launch {
    pub fn new(size: Size) -> Launch {
        Launch {
            size,
            data_dir: None,
            args: Vec::new(),
            env: Vec::new(),
            setup: false,
            log: None,
        }
    }

    /// Log to `path` (the test watches the app's stderr there).
    pub fn log_to(mut self, path: impl Into<PathBuf>) -> Launch {
        self.log = Some(path.into());
        self
    }

    /// Start as a shop's new till does: the setup wizard.
    pub fn first_start(mut self) -> Launch {
        self.setup = true;
        self
    }

    /// Use this data folder (kept after the test) instead of a fresh temporary one.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Launch {
        self.data_dir = Some(dir.into());
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Launch {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Launch {
        self.env.push((key.into(), value.into()));
        self
    }
}

static ONE_APP: Mutex<()> = Mutex::new(());

thread_local! {
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// The global one-app-at-a-time lock, refusing (rather than deadlocking) a second app on the
/// same thread.
#[derive(Debug)]
struct Turn {
    _guard: MutexGuard<'static, ()>,
}

impl Turn {
    fn take() -> Result<Turn, Error> {
        if HOLDING.get() {
            return Err("this test already has an App: drop it (or use App::restart) before launching another".into());
        }
        let guard = ONE_APP.lock().unwrap_or_else(PoisonError::into_inner);
        HOLDING.set(true);
        Ok(Turn { _guard: guard })
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        HOLDING.set(false);
    }
}

/// tauri-driver and everything below it.
#[derive(Debug)]
struct Driver {
    child: Child,
    port: u16,
    stopped: bool,
}

impl Driver {
    /// Starts tauri-driver on two free ports and waits until both it and WebKitWebDriver listen.
    fn start(display: &Display, data_dir: &Path, launch: &Launch, log: &Path) -> Result<Driver, Error> {
        let tauri_driver = tauri_driver()?;
        let native = webkit_web_driver()?;
        let mut last = String::new();
        for _ in 0..3 {
            let (port, native_port) = (free_port()?, free_port()?);
            if port == native_port {
                continue;
            }
            let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
            let mut cmd = Command::new(&tauri_driver);
            cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .arg("--native-driver")
                .arg(&native)
                .env("DISPLAY", display.name())
                .env_remove("WAYLAND_DISPLAY")
                .env("GDK_BACKEND", "x11")
                // No session bus here: without this GTK waits for the accessibility bus.
                .env("NO_AT_BRIDGE", "1")
                .env("TILL_DATA_DIR", data_dir)
                // A fresh folder is the demo till, unless the test is about the setup wizard.
                .env("OPENTILL_DEMO", if launch.setup { "0" } else { "1" })
                .stdin(Stdio::null())
                .stdout(log_file.try_clone()?)
                .stderr(log_file);
            for (k, v) in &launch.env {
                cmd.env(k, v);
            }
            let mut driver = Driver {
                child: cmd.spawn().map_err(|e| format!("{}: {e}", tauri_driver.display()))?,
                port,
                stopped: false,
            };
            // Generous: on a machine busy compiling, starting two programs can take a while.
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && TcpStream::connect(("127.0.0.1", native_port)).is_ok()
                {
                    return Ok(driver);
                }
                if let Ok(Some(status)) = driver.child.try_wait() {
                    // A port taken between our probe and its bind: try two others.
                    last = format!("tauri-driver exited ({status}): {}", tail(log, 10));
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("tauri-driver did not listen within 120 s: {}", tail(log, 10)).into());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(last.into())
    }
}

impl Driver {
    /// Ends tauri-driver, WebKitWebDriver, the app and WebKit's processes. Once only: after
    /// tauri-driver is reaped its pid may belong to someone else.
    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        // Snapshot first: once tauri-driver is gone, the app is re-parented and out of reach.
        let procs = procs::tree(self.child.id());
        let killed = procs::terminate(&procs, Duration::from_secs(5));
        if !killed.is_empty() {
            eprintln!("e2e: had to SIGKILL {}", killed.join(", "));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a log file.
fn tail(path: &Path, n: usize) -> String {
    let Ok(file) = std::fs::File::open(path) else {
        return String::new();
    };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A temporary folder for one app: its data folder and the log of tauri-driver, WebKitWebDriver
/// and the app (stderr). Kept after the test, because a test that returns an error cannot be told
/// from one that passes here; the next test binary removes those of processes that have ended.
/// The end of the log goes to the test's captured output, which cargo shows when it fails.
#[derive(Debug)]
struct Work {
    dir: PathBuf,
    log: PathBuf,
}

impl Work {
    fn new() -> Result<Work, Error> {
        static SWEEP: std::sync::Once = std::sync::Once::new();
        SWEEP.call_once(sweep_old_work);
        let dir = temp_dir("app")?;
        eprintln!("e2e: the app's data folder and log are in {}", dir.display());
        Ok(Work {
            log: dir.join("driver.log"),
            dir,
        })
    }
}

/// Removes the work folders of earlier test processes that are no longer running.
fn sweep_old_work() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("opentill-e2e-"))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !procs::alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        eprintln!("--- the end of {} ---\n{}", self.log.display(), tail(&self.log, 40));
    }
}

/// The running app, with a WebDriver session on it: every [`Session`] method works on an `App`
/// (`app.click("[data-testid=pay-card]")?`).
#[derive(Debug)]
pub struct App {
    session: Session,
    // Dropped in this order: the processes, then the X server, then the files, then the turn.
    driver: Driver,
    display: Display,
    data_dir: PathBuf,
    launch: Launch,
    work: Work,
    _turn: Turn,
}

impl std::ops::Deref for App {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl std::ops::DerefMut for App {
    fn deref_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl App {
    /// Launches the app on a fresh data folder, on a screen of `size`, and waits for its page.
    pub fn launch(size: Size) -> Result<App, Error> {
        App::launch_with(Launch::new(size))
    }

    pub fn launch_with(launch: Launch) -> Result<App, Error> {
        let turn = Turn::take()?;
        let mut work = Work::new()?;
        if let Some(log) = &launch.log {
            work.log = log.clone();
        }
        let data_dir = match &launch.data_dir {
            Some(d) => d.clone(),
            None => work.dir.join("data"),
        };
        std::fs::create_dir_all(&data_dir)?;
        let display = Display::start(launch.size)?;
        let (driver, session) = start(&display, &data_dir, &launch, &work.log)?;
        Ok(App {
            session,
            driver,
            display,
            data_dir,
            launch,
            work,
            _turn: turn,
        })
    }

    /// Closes the app and starts it again on the same data folder and screen (a restart of the
    /// till: recovery, remembered language, ...).
    pub fn restart(&mut self) -> Result<(), Error> {
        let _ = self.session.delete();
        // Everything of the first run ends before the second opens the same data folder.
        self.driver.stop();
        let (driver, session) = start(&self.display, &self.data_dir, &self.launch, &self.work.log)?;
        self.driver = driver;
        self.session = session;
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// tauri-driver and every process below it: WebKitWebDriver, the app, WebKit's.
    pub fn processes(&self) -> Vec<procs::Proc> {
        procs::tree(self.driver.child.id())
    }

    pub fn size(&self) -> Size {
        self.display.size()
    }

    /// Saves the web view to target/screenshots/app/`<name>-<width>x<height>.png` and returns the
    /// path. Fails if the picture is not the whole screen (the window must fill it).
    pub fn screenshot(&self, name: &str) -> Result<PathBuf, Error> {
        let png = self.session.screenshot_png()?;
        let size = self.size();
        let got = png_size(&png).ok_or("screenshot: no PNG header")?;
        if got != (size.width, size.height) {
            return Err(format!(
                "screenshot {name}: the web view is {}x{}, the screen {}: the window does not fill the screen",
                got.0,
                got.1,
                size.label()
            )
            .into());
        }
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}-{}.png", size.label()));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Saves the whole X screen (ImageMagick's `import -window root`) to
    /// target/screenshots/app/`<name>-<width>x<height>-screen.png`: what is outside the web view
    /// too, e.g. a second window.
    pub fn capture_screen(&self, name: &str) -> Result<PathBuf, Error> {
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}-{}-screen.png", self.size().label()));
        self.display.capture(&path)?;
        Ok(path)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Ask WebKitWebDriver to close the app first; `Driver`'s stop ends what is left. The
        // app may have left the driver's process tree by then, out of `stop`'s reach, so the
        // end that counts is its journal's lock let go: a test may read the journal next.
        let _ = self.session.delete();
        self.driver.stop();
        let lock = self.data_dir.join("journal.sqlite.lock");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let free = match std::fs::File::open(&lock) {
                Ok(f) => f.try_lock().is_ok(),
                Err(_) => true,
            };
            if free {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// tauri-driver, then a session on the app: the window moved to 0,0 and sized to the screen,
/// and the page loaded.
fn start(display: &Display, data_dir: &Path, launch: &Launch, log: &Path) -> Result<(Driver, Session), Error> {
    let app = app_binary();
    if !app.is_file() {
        return Err(format!("{} is missing (cargo builds it for this test)", app.display()).into());
    }
    let driver = Driver::start(display, data_dir, launch, log)?;
    let capabilities = json!({
        "tauri:options": { "application": app, "args": launch.args },
    });
    let session = Session::create(driver.port, capabilities).map_err(|e| {
        format!(
            "the app did not start under WebDriver: {e}\n--- {} ---\n{}",
            log.display(),
            tail(log, 20)
        )
    })?;
    let size = display.size();
    session.set_window_rect(0, 0, size.width, size.height)?;
    session.wait_until("the page to load", || {
        let state = session.execute("return document.readyState;", vec![])?;
        Ok((state == "complete").then_some(()))
    })?;
    if session.visible_text()?.contains("The UI is not built") {
        return Err(
            "the app shows the placeholder page: build the UI first (`npm ci && npm run build` in ui/; \
                    `cargo xtask test` does) and rebuild the app"
                .into(),
        );
    }
    Ok((driver, session))
}

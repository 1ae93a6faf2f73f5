//! A private X server per app launch: Xvfb at the screen size the test asks for, on a display
//! number nobody else uses, stopped when dropped. Xvfb has no window manager, so windows open at
//! 0,0 without decorations and the screen is exactly what the cashier would see.
//!
//! Shared with the launch benchmark (benches/app.rs), so it only uses std and rustix.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A screen size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    /// The small till screen every layout must fit (the window's minimum size).
    pub const XGA: Size = Size {
        width: 1024,
        height: 768,
    };
    /// A full-HD touch monitor.
    pub const FULL_HD: Size = Size {
        width: 1920,
        height: 1080,
    };

    /// `1024x768`, for file names.
    pub fn label(self) -> String {
        format!("{}x{}", self.width, self.height)
    }
}

/// A running Xvfb.
#[derive(Debug)]
pub struct Display {
    number: u32,
    size: Size,
    child: Child,
    log: PathBuf,
}

/// Where `program` is on the PATH, if anywhere.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

impl Display {
    /// Starts Xvfb at `size` on the first free display number from a per-process offset
    /// (so that two test binaries, or `xvfb-run -a` at :99, do not collide).
    pub fn start(size: Size) -> Result<Display, String> {
        let xvfb = which("Xvfb")
            .ok_or("Xvfb is not installed: apt-get install xvfb xauth (`cargo xtask test` installs it)")?;
        let first = 100 + std::process::id() % 400;
        let mut last_error = String::new();
        for n in (first..600).chain(100..first) {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let log = std::env::temp_dir().join(format!("opentill-xvfb-{n}.log"));
            let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
            let child = Command::new(&xvfb)
                .arg(format!(":{n}"))
                .args(["-screen", "0", &format!("{}x24", size.label())])
                .args(["-nolisten", "tcp", "-dpi", "96"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .map_err(|e| format!("{}: {e}", xvfb.display()))?;
            let mut display = Display {
                number: n,
                size,
                child,
                log,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if UnixStream::connect(&socket).is_ok() {
                    return Ok(display);
                }
                if let Ok(Some(status)) = display.child.try_wait() {
                    // Most likely another server took the number between our check and its
                    // start: try the next one.
                    last_error = format!(
                        "Xvfb :{n} exited ({status}): {}",
                        std::fs::read_to_string(&display.log).unwrap_or_default().trim()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("Xvfb :{n} did not open its socket within 60 s"));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(format!("no free X display number: {last_error}"))
    }

    /// The value for `DISPLAY`, e.g. `:123`.
    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// Saves the whole X screen as PNG (ImageMagick's `import`): what a cashier would see,
    /// including anything outside the web view.
    pub fn capture(&self, path: &Path) -> Result<(), String> {
        let import = which("import")
            .ok_or("ImageMagick's import is not installed: apt-get install imagemagick (`cargo xtask test` does)")?;
        let out = Command::new(import)
            .args(["-display", &self.name(), "-window", "root"])
            .arg(path)
            .output()
            .map_err(|e| format!("import: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "import -window root failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its lock file and socket; SIGKILL only if it hangs.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_file(&self.log);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

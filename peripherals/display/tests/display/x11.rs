//! The tests' own X server (Xvfb), screenshots of its root window (ImageMagick's `import`), a
//! mouse on it (xdotool), and the `till-display` process driven line by line.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use till_display::screen::Event;
use till_scanner::LumaFrame;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The screen the tests run on; the display window fills it.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 800;

/// The display binary cargo built for these tests.
pub const DISPLAY_BIN: &str = env!("CARGO_BIN_EXE_till-display");

/// Where screenshots go, for a person to look at.
pub fn screenshot_dir() -> Result<PathBuf, Error> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/display");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A virtual X server on a display number it picked itself, stopped on drop.
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    pub fn start() -> Result<Xvfb, Error> {
        let screen = format!("{WIDTH}x{HEIGHT}x24");
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb ({e}): these tests need it (apt-get install xvfb)"))?;
        let stdout = child.stdout.take().ok_or("Xvfb without stdout")?;
        // Xvfb writes its display number once it accepts clients.
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let number: u32 = line
            .trim()
            .parse()
            .map_err(|_| format!("Xvfb reported no display number (got {line:?})"))?;
        Ok(Xvfb {
            child,
            display: format!(":{number}"),
        })
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    /// The whole screen as a PNG at `path`, read back as luma.
    pub fn screenshot(&self, path: &Path) -> Result<LumaFrame, Error> {
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(format!("png:{}", path.display()))
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run import ({e}): install imagemagick"))?;
        if !status.success() {
            return Err(format!("import failed: {status}").into());
        }
        Ok(till_scanner::read_image(path)?)
    }

    /// A screenshot once the screen has settled: not black (the window is up) and the same as a
    /// moment before (the repaint after the last change is done). Fails after 15 s.
    pub fn settled_screenshot(&self, path: &Path) -> Result<LumaFrame, Error> {
        let deadline = Instant::now() + Duration::from_secs(15);
        std::thread::sleep(Duration::from_millis(150));
        let mut previous = self.screenshot(path)?;
        loop {
            std::thread::sleep(Duration::from_millis(150));
            let shot = self.screenshot(path)?;
            let painted = dark_pixels(&shot, 0, 0, shot.width(), shot.height()) < pixel_count(&shot) / 2;
            if painted && differing_pixels(&previous, &shot) == 0 {
                return Ok(shot);
            }
            if Instant::now() > deadline {
                return Err(format!("{}: the screen did not settle", path.display()).into());
            }
            previous = shot;
        }
    }

    /// Runs xdotool against this server.
    pub fn xdotool(&self, args: &[String]) -> Result<(), Error> {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .map_err(|e| format!("cannot run xdotool ({e}): install xdotool"))?;
        if !status.success() {
            return Err(format!("xdotool {args:?} failed: {status}").into());
        }
        Ok(())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The display process, fed and read directly (the protocol as such).
#[derive(Debug)]
pub struct DisplayProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    events: mpsc::Receiver<Event>,
    pub stderr: PathBuf,
}

impl DisplayProcess {
    /// Starts `till-display` windowed over the whole screen of `x`; its stderr goes to `stderr`.
    pub fn start(x: &Xvfb, stderr: PathBuf) -> Result<DisplayProcess, Error> {
        let mut child = Command::new(DISPLAY_BIN)
            .args(["--windowed", "--size", &format!("{WIDTH}x{HEIGHT}")])
            .env("DISPLAY", x.display())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Event>(&line) {
                    Ok(event) => {
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                    Err(e) => eprintln!("not an event: {line:?}: {e}"),
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(DisplayProcess {
            child,
            stdin,
            events,
            stderr,
        })
    }

    pub fn send(&mut self, line: &str) -> Result<(), Error> {
        let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()?;
        Ok(())
    }

    /// The next event within `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Result<Event, Error> {
        Ok(self
            .events
            .recv_timeout(timeout)
            .map_err(|e| format!("no event from the display in {timeout:?}: {e}"))?)
    }

    /// Whether an event arrives within `timeout`.
    pub fn quiet_for(&self, timeout: Duration) -> Result<(), Error> {
        match self.events.recv_timeout(timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(()),
            Ok(event) => Err(format!("expected no event, got {event:?}").into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Closes its input: the display must exit by itself.
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<std::process::ExitStatus, Error> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if start.elapsed() > timeout {
                return Err(format!("the display did not exit within {timeout:?}").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DisplayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pixel_count(frame: &LumaFrame) -> usize {
    frame.data().len()
}

/// How many pixels differ by more than a little between two frames of the same size.
pub fn differing_pixels(a: &LumaFrame, b: &LumaFrame) -> usize {
    a.data()
        .iter()
        .zip(b.data())
        .filter(|(x, y)| x.abs_diff(**y) > 24)
        .count()
}

/// How many pixels are dark (text, code modules, ink) in a rectangle of a frame.
pub fn dark_pixels(frame: &LumaFrame, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let width = frame.width();
    let mut count = 0;
    for y in y0..y1.min(frame.height()) {
        for x in x0..x1.min(width) {
            if frame.data()[(y * width + x) as usize] < 96 {
                count += 1;
            }
        }
    }
    count
}

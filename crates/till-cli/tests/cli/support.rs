use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const PIN: &str = "123456";

/// How a test runs OpenTill's programs: the native Linux build, or the Windows build under
/// Wine (`cargo xtask test` cross-builds it and names it in `OPENTILL_WINE_BIN`).
#[derive(Debug, Clone)]
pub enum Bin {
    Native,
    Wine { bin: PathBuf, prefix: PathBuf },
}

impl Bin {
    /// The Windows build under Wine, when `cargo xtask test` (or `cargo xtask windows` and
    /// these variables) provided it.
    pub fn wine() -> Option<Bin> {
        let bin = PathBuf::from(std::env::var_os("OPENTILL_WINE_BIN")?);
        let prefix = PathBuf::from(std::env::var_os("WINEPREFIX")?);
        Some(Bin::Wine { bin, prefix })
    }

    /// A command for `program` (`till`, `till-soak`), with no arguments yet.
    pub fn command(&self, program: &str) -> Command {
        match self {
            Bin::Native => Command::new(match program {
                "till" => env!("CARGO_BIN_EXE_till"),
                "till-soak" => env!("CARGO_BIN_EXE_till-soak"),
                other => panic!("no program {other}"),
            }),
            Bin::Wine { bin, prefix } => {
                let mut cmd = Command::new("/usr/lib/wine/wine64");
                cmd.arg(bin.join(format!("{program}.exe")))
                    .env("WINEPREFIX", prefix)
                    .env("WINEDEBUG", "-all")
                    .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
                    .env_remove("DISPLAY");
                cmd
            }
        }
    }

    /// `path` as the program sees it: unchanged natively, `Z:\...` under Wine (whose Z: drive
    /// is the Linux root).
    pub fn path(&self, path: &Path) -> OsString {
        match self {
            Bin::Native => path.as_os_str().to_owned(),
            Bin::Wine { .. } => format!("Z:{}", path.display()).replace('/', "\\").into(),
        }
    }

    /// Runs `till` against `dir` as operator 1, in `lang`.
    pub fn till(&self, dir: &Path, lang: &str, args: &[&str]) -> Output {
        self.command("till")
            .arg("--data-dir")
            .arg(self.path(dir))
            .args(["--lang", lang, "--operator", "1", "--pin", PIN])
            .args(args)
            .env_remove("TILL_OPERATOR")
            .env_remove("TILL_PIN")
            .output()
            .expect("the till binary runs")
    }

    /// A data dir whose operator 1 has PIN 123456 (the first-login change done).
    pub fn fresh(&self, tag: &str) -> till_testkit::TempDir {
        let dir = till_testkit::TempDir::new(tag);
        let o = self
            .command("till")
            .arg("--data-dir")
            .arg(self.path(dir.path()))
            .args([
                "--operator",
                "1",
                "--pin",
                "0001",
                "operator",
                "change-pin",
                "--new-pin",
                PIN,
            ])
            .output()
            .expect("the till binary runs");
        assert!(o.status.success(), "first PIN change: {}", text(&o));
        dir
    }
}

/// Runs the native `till` against `dir` as operator 1, in `lang`.
pub fn till(dir: &Path, lang: &str, args: &[&str]) -> Output {
    Bin::Native.till(dir, lang, args)
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A native data dir whose operator 1 has PIN 123456 (the first-login change done).
pub fn fresh(tag: &str) -> till_testkit::TempDir {
    Bin::Native.fresh(tag)
}

/// The trace number of a `--json` sale/void/refund output.
pub fn trace_of(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    v["data"]["txn"]["trace"]
        .as_u64()
        .map(|t| format!("{t:06}"))
        .expect("a trace number")
}

/// A TCP 9100 printer of the test: answers every status request "ready" — DLE EOT n (real-time
/// status, not part of the printout) and GS r 1 (paper status, sent at the end of each job and
/// kept in it) — and keeps every other byte, across connections, until `stop`.
#[cfg(unix)]
pub fn tcp_printer(
    listener: std::net::TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    listener.set_nonblocking(true)?;
    let mut job = Vec::new();
    let mut seen = [0u8; 2];
    loop {
        let mut s = match listener.accept() {
            Ok((s, _)) => s,
            // Stopped once the till has exited: every connection it made is accepted by then.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && stop.load(Ordering::SeqCst) => break,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::park_timeout(std::time::Duration::from_millis(5));
                continue;
            }
            Err(e) => return Err(e),
        };
        s.set_nonblocking(false)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
        let mut buf = [0u8; 4096];
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &b in &buf[..n] {
                if seen == [0x10, 0x04] && (1..=4).contains(&b) {
                    // DLE EOT n: a status request, not part of the printout.
                    s.write_all(&[0x12])?;
                    job.truncate(job.len() - 2);
                    seen = [0, 0];
                    continue;
                }
                if seen == [0x1d, 0x72] && (b == 1 || b == b'1') {
                    // GS r 1: paper adequate.
                    s.write_all(&[0x00])?;
                }
                job.push(b);
                seen = [seen[1], b];
            }
        }
    }
    Ok(job)
}

/// The ZVT simulator `sim` on a new pseudo-terminal, served from a thread of its own; returns
/// the path a till opens as its serial port. The line stays up between till processes (the pty
/// keeps its slave open): each error is one process's session ending, and the next is served.
#[cfg(unix)]
pub fn zvt_on_a_pty(sim: std::sync::Arc<till_terminal::ZvtSim>) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // The pty registers with the reactor of the runtime that serves it.
    let pty = {
        let _entered = rt.enter();
        till_terminal::pty::PtyMaster::open()?
    };
    let path = pty.path().to_path_buf();
    std::thread::spawn(move || {
        rt.block_on(async move {
            let mut link = till_terminal::serial::SerialLink::new(pty, till_terminal::serial::Timings::default());
            loop {
                if let Err(e) = sim.serve(&mut link).await {
                    eprintln!("simulator: {e}");
                }
            }
        })
    });
    Ok(path)
}

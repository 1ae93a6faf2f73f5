//! [`SlintDisplay`]: the `till-display` process behind the [`CustomerDisplay`] port, supervised.
//!
//! - **Latest state wins.** `show` replaces the current snapshot in a `watch` channel and returns
//!   at once: a display that is slow, dead or restarting never holds up a sale. The supervisor
//!   writes whatever is current when it can; snapshots overtaken before they were written are
//!   never shown, which is what a customer display wants.
//! - **Restart, then catch up.** When the process exits or dies, the supervisor starts a new one
//!   after a short backoff (doubling up to a few seconds while it keeps failing) and sends it the
//!   current snapshot first, so it shows what the till is doing now.
//! - **Dies with the till.** The child is killed when the `SlintDisplay` is dropped, and it exits
//!   by itself at the end of its input — so also when the till is killed outright.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use till_domain::ports::{CustomerDisplay, DeviceError, DisplaySnapshot, Signature};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::protocol::{Event, snapshot_line};

/// The environment variable naming the `till-display` binary.
pub const BIN_ENV: &str = "OPENTILL_DISPLAY_BIN";

/// How to run the display process.
#[derive(Debug, Clone)]
pub struct SlintDisplayConfig {
    /// The `till-display` binary.
    pub program: PathBuf,
    /// Its arguments: `--windowed [--size WxH]` or `--fullscreen [--position X,Y]`.
    pub args: Vec<String>,
    /// Extra environment (`DISPLAY` for a given X server, say).
    pub envs: Vec<(String, String)>,
    /// Where the display's own log (rejected lines, toolkit warnings) goes: appended to this
    /// file, or the till's stderr when `None`.
    pub stderr_log: Option<PathBuf>,
    /// The first wait before a restart; doubled after each quick failure, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// How long `capture_signature` waits for the customer.
    pub signature_timeout: Duration,
}

impl SlintDisplayConfig {
    /// Defaults for `program`: windowed, logging to stderr, 200 ms first backoff, 5 s at most,
    /// five minutes to sign.
    pub fn new(program: impl Into<PathBuf>) -> SlintDisplayConfig {
        SlintDisplayConfig {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            stderr_log: None,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            signature_timeout: Duration::from_secs(300),
        }
    }

    /// Finds the `till-display` binary: `explicit` if given, else `$OPENTILL_DISPLAY_BIN`, else
    /// next to the running executable (or one folder up, for cargo's test binaries in `deps/`).
    ///
    /// # Errors
    /// [`DeviceError::Unavailable`] naming where it looked.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, DeviceError> {
        if let Some(path) = explicit {
            return existing(path.to_owned());
        }
        if let Some(path) = std::env::var_os(BIN_ENV) {
            return existing(PathBuf::from(path));
        }
        let exe = std::env::current_exe().map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        let name = format!("till-display{}", std::env::consts::EXE_SUFFIX);
        let beside = exe.parent().map(|dir| dir.join(&name));
        let above = exe.parent().and_then(Path::parent).map(|dir| dir.join(&name));
        beside
            .iter()
            .chain(above.iter())
            .find(|path| path.is_file())
            .cloned()
            .ok_or_else(|| {
                DeviceError::Unavailable(format!("no {name} next to {} and {BIN_ENV} is not set", exe.display()))
            })
    }
}

fn existing(path: PathBuf) -> Result<PathBuf, DeviceError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(DeviceError::Unavailable(format!("{}: no such file", path.display())))
    }
}

/// The Slint customer display, run as a supervised child process (see the module docs).
#[derive(Debug)]
pub struct SlintDisplay {
    snapshot: watch::Sender<Option<Arc<str>>>,
    events: broadcast::Sender<Event>,
    pid: watch::Receiver<Option<u32>>,
    starts: Arc<AtomicU64>,
    signature_timeout: Duration,
    supervisor: JoinHandle<()>,
}

impl SlintDisplay {
    /// Starts the display process and its supervisor. Call within a tokio runtime.
    pub fn start(config: SlintDisplayConfig) -> SlintDisplay {
        let (snapshot, snapshot_rx) = watch::channel(None);
        let (events, _) = broadcast::channel(256);
        let (pid_tx, pid) = watch::channel(None);
        let starts = Arc::new(AtomicU64::new(0));
        let signature_timeout = config.signature_timeout;
        let supervisor = tokio::spawn(supervise(
            config,
            snapshot_rx,
            events.clone(),
            pid_tx,
            Arc::clone(&starts),
        ));
        SlintDisplay {
            snapshot,
            events,
            pid,
            starts,
            signature_timeout,
            supervisor,
        }
    }

    /// The running display process's id, `None` between a death and the restart.
    pub fn pid(&self) -> Option<u32> {
        *self.pid.borrow()
    }

    /// Waits until a display process other than `previous` runs, and returns its id.
    pub async fn next_pid(&self, previous: Option<u32>) -> Option<u32> {
        let mut pid = self.pid.clone();
        let waited = pid.wait_for(|now| now.is_some() && *now != previous).await;
        waited.ok().and_then(|now| *now)
    }

    /// How many display processes were started so far (1 + restarts).
    pub fn starts(&self) -> u64 {
        self.starts.load(Ordering::Relaxed)
    }

    /// The display's events, from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn send(&self, snapshot: &DisplaySnapshot) {
        self.snapshot.send_replace(Some(Arc::from(snapshot_line(snapshot))));
    }
}

impl Drop for SlintDisplay {
    fn drop(&mut self) {
        // Dropping the supervisor's future drops the child, which is spawned kill_on_drop.
        self.supervisor.abort();
    }
}

#[async_trait]
impl CustomerDisplay for SlintDisplay {
    async fn show(&self, snapshot: &DisplaySnapshot) -> Result<(), DeviceError> {
        self.send(snapshot);
        Ok(())
    }

    /// Waits for the customer's done (`Some`) or cancel (`None`); also `None` when the till shows
    /// something else meanwhile, or after the configured timeout. A display that restarts while
    /// the customer signs shows the pad again, empty, and the wait goes on.
    async fn capture_signature(&self, request: &DisplaySnapshot) -> Result<Option<Signature>, DeviceError> {
        if !matches!(request, DisplaySnapshot::Signature { .. }) {
            return Err(DeviceError::Unavailable(format!(
                "a signature is captured on the signature screen, not on {}",
                request.screen()
            )));
        }
        let mut events = self.events.subscribe();
        let mut current = self.snapshot.subscribe();
        let line: Arc<str> = Arc::from(snapshot_line(request));
        self.snapshot.send_replace(Some(Arc::clone(&line)));
        current.borrow_and_update();
        let deadline = tokio::time::sleep(self.signature_timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::Signature(signature)) if !signature.is_blank() => return Ok(Some(signature)),
                    Ok(Event::Cancel) => return Ok(None),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Ok(None),
                },
                changed = current.changed() => {
                    let still_signing = current.borrow_and_update().as_deref() == Some(&*line);
                    if changed.is_err() || !still_signing {
                        return Ok(None);
                    }
                }
                () = &mut deadline => return Ok(None),
            }
        }
    }
}

async fn supervise(
    config: SlintDisplayConfig,
    mut snapshot: watch::Receiver<Option<Arc<str>>>,
    events: broadcast::Sender<Event>,
    pid: watch::Sender<Option<u32>>,
    starts: Arc<AtomicU64>,
) {
    let mut backoff = config.backoff;
    loop {
        let started = Instant::now();
        match spawn(&config) {
            Ok(child) => {
                starts.fetch_add(1, Ordering::Relaxed);
                pid.send_replace(child.id());
                let gone = run(child, &mut snapshot, &events).await;
                pid.send_replace(None);
                match gone {
                    Gone::TillClosed => return,
                    Gone::Exited(status) => {
                        eprintln!("customer display: the display process ended ({status}); restarting")
                    }
                }
            }
            Err(e) => eprintln!("customer display: cannot start {}: {e}", config.program.display()),
        }
        // A display that ran a while before dying gets the short wait again.
        if started.elapsed() > Duration::from_secs(30) {
            backoff = config.backoff;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

fn spawn(config: &SlintDisplayConfig) -> std::io::Result<Child> {
    let stderr = match &config.stderr_log {
        Some(path) => Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(path)?),
        None => Stdio::inherit(),
    };
    Command::new(&config.program)
        .args(&config.args)
        .envs(config.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
}

enum Gone {
    /// The `SlintDisplay` was dropped: no restart.
    TillClosed,
    Exited(String),
}

/// Feeds one display process until it goes.
async fn run(
    mut child: Child,
    snapshot: &mut watch::Receiver<Option<Arc<str>>>,
    events: &broadcast::Sender<Event>,
) -> Gone {
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Gone::Exited("no pipes".to_owned());
    };
    let mut lines = BufReader::new(stdout).lines();
    // A new process shows the current state first.
    snapshot.mark_changed();
    loop {
        tokio::select! {
            changed = snapshot.changed() => {
                if changed.is_err() {
                    return Gone::TillClosed;
                }
                let line = snapshot.borrow_and_update().clone();
                if let Some(line) = line
                    && write_line(&mut stdin, &line).await.is_err()
                {
                    break;
                }
            }
            line = lines.next_line() => match line {
                Ok(Some(line)) => match serde_json::from_str::<Event>(&line) {
                    Ok(event) => {
                        // Nobody listening is fine: events matter while someone waits for one.
                        let _ = events.send(event);
                    }
                    Err(e) => eprintln!("customer display: unexpected output {line:?}: {e}"),
                },
                Ok(None) | Err(_) => break,
            },
        }
    }
    drop(stdin);
    let status = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
        Ok(Ok(status)) => status.to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => {
            let _ = child.kill().await;
            "hung after closing its output; killed".to_owned()
        }
    };
    Gone::Exited(status)
}

async fn write_line(stdin: &mut ChildStdin, line: &str) -> std::io::Result<()> {
    stdin.write_all(line.as_bytes()).await?;
    stdin.write_all(b"\n").await?;
    stdin.flush().await
}

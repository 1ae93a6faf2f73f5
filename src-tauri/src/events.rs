//! Events pushed to the UI: PIN pad progress, scanner codes and camera frames, the customer
//! display's mirror, the status bar (devices, batch, blocks) and the host's sync state.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use till_domain::ports::{Progress, ProgressSink};

use crate::dto::{DeviceState, Status};
use crate::shell::Shell;

/// Where the app's events go: the main window.
#[derive(Clone)]
pub struct Ui {
    app: AppHandle,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ui")
    }
}

impl Ui {
    pub fn new(app: AppHandle) -> Ui {
        Ui { app }
    }

    pub fn emit<T: Serialize + Clone>(&self, event: &str, payload: &T) {
        // A window that is gone (the app is closing) has no one to tell.
        let _ = self.app.emit(event, payload.clone());
    }

    /// The camera is (or no longer is) looking for a customer's code.
    pub fn scanning(&self, on: bool) {
        self.emit("scanning", &on);
    }
}

/// PIN pad (and reader, scanner, gateway) progress, as `progress` events: the step and the
/// message id the UI shows.
#[derive(Debug, Clone)]
pub struct UiProgress(pub Ui);

impl ProgressSink for UiProgress {
    fn progress(&self, p: Progress) {
        self.0.emit(
            "progress",
            &serde_json::json!({ "step": p.clone(), "message_id": p.message_id() }),
        );
    }
}

/// How often the status bar is refreshed; the PIN pad is asked less often (and never while a
/// flow runs: a ZVT terminal serves one command at a time).
const STATUS_EVERY: Duration = Duration::from_secs(2);
const TERMINAL_EVERY: u32 = 5;

/// Refreshes the status bar for as long as the app runs.
pub fn spawn_status(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut tick = 0u32;
        let mut terminal = DeviceState::ready("");
        let mut printer = DeviceState::ready("");
        let mut last: Option<Status> = None;
        loop {
            let shell = app.state::<Arc<Shell>>().inner().clone();
            // S2: an idle session, or one from before the daily re-login window, ends on screen
            // (the status below then has no operator, and the UI asks for the PIN).
            shell.till().end_session_if_due();
            // Issue 14: a ready update installs by itself in that window, nobody logged in;
            // the updater starts the app again.
            if shell.nightly_update_due() {
                app.exit(0);
                return;
            }
            // T10: the means other than card settle by themselves at 00:00.
            shell.auto_settle().await;
            if tick.is_multiple_of(TERMINAL_EVERY) && !shell.till().is_busy() {
                terminal = shell.terminal_state().await;
                printer = shell.printer_state().await;
            }
            let status = shell.status(terminal.clone(), printer.clone());
            if last.as_ref() != Some(&status) {
                shell.ui.emit("status", &status);
                last = Some(status);
            }
            tick = tick.wrapping_add(1);
            tokio::time::sleep(STATUS_EVERY).await;
        }
    });
}

/// How often the till asks its back office for an update (and once at start).
const UPDATE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Issue 14: checks for an update at start and daily; what is offered is downloaded and
/// verified, and the status bar told.
pub fn spawn_updates(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let shell = app.state::<Arc<Shell>>().inner().clone();
            shell.check_update().await;
            tokio::time::sleep(UPDATE_EVERY).await;
        }
    });
}

pub fn device_error(e: &till::TillError) -> DeviceState {
    match e {
        till::TillError::Device { error, .. } => DeviceState::failed("error", error.message_id(), error.to_string()),
        other => DeviceState::failed("error", "app-device-error", other.to_string()),
    }
}

/// Store and forward (`till::sync`), reporting each pass to the status bar. Started again when
/// the till is enrolled or leaves its back office in Settings: the one before is stopped.
pub fn spawn_sync(app: AppHandle) {
    let shell = app.state::<Arc<Shell>>().inner().clone();
    let stop = shell.new_uploader();
    tauri::async_runtime::spawn(async move {
        let till = shell.till();
        let host = shell.devices().devices.host.clone();
        let dir = shell.dir.clone();
        let ui = shell.ui.clone();
        let report = move |s: &till::sync::SyncStatus| {
            *shell.sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(s.clone());
            ui.emit(
                "sync",
                &serde_json::json!({
                    "ok": s.error.is_none(),
                    "backlog": s.backlog,
                    "uploaded": s.last.as_ref().map(|p| p.uploaded),
                    "error": s.error,
                }),
            );
        };
        let _ = till::sync::run_uploader(
            &till,
            host.as_ref(),
            Some(&dir),
            till::sync::Backoff::default(),
            stop,
            report,
        )
        .await;
    });
}

/// `OPENTILL_READY screen=<name> monotonic_ns=<CLOCK_MONOTONIC>` on stdout, once per screen,
/// when `OPENTILL_BENCH_READY=1`.
pub fn ready_line(screen: &str) {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if std::env::var_os("OPENTILL_BENCH_READY").is_none_or(|v| v != "1") {
        return;
    }
    let name: String = screen
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.contains(&name) {
        return;
    }
    if let Some(ns) = monotonic_ns() {
        println!("OPENTILL_READY screen={name} monotonic_ns={ns}");
    }
    seen.push(name);
}

/// CLOCK_MONOTONIC, the clock the launch bench (Linux) reads too.
#[cfg(unix)]
fn monotonic_ns() -> Option<i128> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Some(i128::from(now.tv_sec) * 1_000_000_000 + i128::from(now.tv_nsec))
}

/// The launch bench runs on Linux only.
#[cfg(not(unix))]
fn monotonic_ns() -> Option<i128> {
    None
}

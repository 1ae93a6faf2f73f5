//! `opentill`: the cashier desktop app. A thin Tauri v2 shell over `till` (STYLE.md): the
//! commands are one line each over [`shell::Shell`], inputs and outputs are the `dto` types,
//! errors cross as `{code, message_id, args}` and the UI (ui/, served from ui/dist) localises
//! them with the same Fluent files as every other front end.
//!
//! Design choices:
//! - **The till opens before the window.** Recovery (T8) runs in `setup`, so the first screen
//!   can already say what happened to every unfinished transaction.
//! - **Devices as configured, simulated otherwise.** `DATA_DIR/till.toml` chooses the printer,
//!   PIN pad and host as for the CLI; the demo till simulates all of them, with a customer who
//!   takes a moment at the PIN pad and a camera that is a folder of images.
//! - **Events, not polling, for what the customer does**: PIN pad progress, camera frames,
//!   codes read and the customer display's mirror are pushed as they happen; the status bar is
//!   refreshed every 2 s by one background task.
//!
//! Options: `--data-dir DIR` (env `TILL_DATA_DIR`; default `target/demo-till` when run from the
//! repository, else the OS data folder), `--lang en|zh-Hant|zh-Hans` (env `TILL_LANG`),
//! `--fullscreen` (env `OPENTILL_FULLSCREEN=1`), `--customer-display` (env
//! `OPENTILL_CUSTOMER_DISPLAY=1`: the Slint customer screen in a window, when till.toml's
//! `[display]` names none), `OPENTILL_RELAUNCH=0` (after installing an update, the updater does
//! not start the app again: a kiosk session or systemd does).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod devices;
mod dto;
mod events;
mod preview;
mod setup;
mod shell;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use tauri::Manager;
use till_i18n::Lang;

#[derive(Debug, Default)]
struct Args {
    data_dir: Option<PathBuf>,
    lang: Option<Lang>,
    fullscreen: bool,
    customer_display: bool,
    /// A new data folder becomes the demo till instead of opening the setup wizard.
    demo: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        data_dir: std::env::var_os("TILL_DATA_DIR").map(PathBuf::from),
        lang: std::env::var("TILL_LANG").ok().and_then(|t| Lang::from_tag(&t)),
        fullscreen: std::env::var("OPENTILL_FULLSCREEN").is_ok_and(|v| v == "1"),
        customer_display: std::env::var("OPENTILL_CUSTOMER_DISPLAY").is_ok_and(|v| v == "1"),
        demo: std::env::var("OPENTILL_DEMO").is_ok_and(|v| v == "1"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data-dir" => args.data_dir = Some(it.next().context("--data-dir needs a folder")?.into()),
            "--lang" => {
                let tag = it.next().context("--lang needs en, zh-Hant or zh-Hans")?;
                args.lang =
                    Some(Lang::from_tag(&tag).ok_or_else(|| anyhow!("--lang: {tag:?} is not en, zh-Hant or zh-Hans"))?);
            }
            "--fullscreen" => args.fullscreen = true,
            "--customer-display" => args.customer_display = true,
            "--demo" => args.demo = true,
            "--help" | "-h" => {
                println!(
                    "opentill [--data-dir DIR] [--lang en|zh-Hant|zh-Hans] [--fullscreen] [--customer-display] [--demo]"
                );
                std::process::exit(0);
            }
            other => return Err(anyhow!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

/// `target/demo-till` when run from the repository (by cargo, or from its folder), like
/// `cargo xtask run`; the OS data folder otherwise.
fn default_data_dir() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let from_cargo = std::env::var_os("CARGO").is_some() && repo.join("Cargo.toml").exists();
    let cwd = std::env::current_dir().unwrap_or_default();
    if from_cargo {
        repo.join("target/demo-till")
    } else if cwd.join("src-tauri/Cargo.toml").exists() {
        cwd.join("target/demo-till")
    } else {
        till::store::default_data_dir()
    }
}

/// The language of the screens shown before the till is open (the wizard, a start failure).
#[derive(Debug)]
pub struct StartLang(pub Lang);

/// Why the till could not be opened: the window shows it (`start_error`).
#[derive(Debug)]
pub struct StartFailure(pub dto::Error);

/// Opens the till; while another process still holds its journal (the previous run of the app
/// ending after a crash or a kill, or the till command finishing), waits for it up to
/// `OPENTILL_OPEN_WAIT_MS` (15 s) before giving up.
async fn open_waiting(
    ui: events::Ui,
    dir: &std::path::Path,
    lang: Option<Lang>,
    customer_display: bool,
) -> Result<shell::Shell, till::TillError> {
    let wait = std::env::var("OPENTILL_OPEN_WAIT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15_000u64);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(wait);
    let journal = dir.join("journal.sqlite");
    let mut said = false;
    // Claimed first, before any device is opened: a retry never opens a device twice.
    std::fs::create_dir_all(dir).map_err(|e| till::TillError::Config(format!("{}: {e}", dir.display())))?;
    let _hold = loop {
        match till_journal::hold(&journal) {
            Ok(hold) => break hold,
            Err(till_journal::JournalError::InUse { .. }) if std::time::Instant::now() < deadline => {
                if !std::mem::replace(&mut said, true) {
                    eprintln!("opentill: the journal in {} is in use; waiting for it", dir.display());
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    shell::Shell::open(ui, dir, lang, customer_display).await
}

/// The till is open: the screens may call it, and its status and sync run.
pub fn start(app: &tauri::AppHandle, shell: shell::Shell) {
    app.manage(Arc::new(shell));
    events::spawn_status(app.clone());
    events::spawn_sync(app.clone());
    events::spawn_updates(app.clone());
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    tauri::Builder::default()
        .setup(move |app| {
            app.manage(StartLang(shell::start_lang(&dir, args.lang)));
            if setup::needed(&dir) && !args.demo {
                // A new till: the wizard first (setup.rs); the till opens when it finishes.
                app.manage(Arc::new(setup::Pending::new(
                    dir.clone(),
                    args.lang,
                    args.customer_display,
                )));
            } else {
                let ui = events::Ui::new(app.handle().clone());
                match tauri::async_runtime::block_on(open_waiting(ui, &dir, args.lang, args.customer_display)) {
                    Ok(shell) => start(app.handle(), shell),
                    // The window says why, in the operator's language, instead of the app dying.
                    Err(e) => {
                        eprintln!("opentill: {}: {e}", dir.display());
                        app.manage(StartFailure(e.into()));
                    }
                }
            }
            if args.fullscreen
                && let Some(w) = app.get_webview_window("main")
            {
                w.set_fullscreen(true)?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::setup_needed,
            commands::start_error,
            commands::start_lang,
            commands::setup_ports,
            commands::setup_test,
            commands::setup_enrol,
            commands::setup_finish,
            commands::app_info,
            commands::status,
            commands::login,
            commands::change_pin,
            commands::logout,
            commands::session,
            commands::set_lang,
            commands::quote,
            commands::sale,
            commands::cancel,
            commands::void,
            commands::refund,
            commands::history,
            commands::reprint,
            commands::receipt_preview,
            commands::last_receipts,
            commands::totals,
            commands::x_report,
            commands::settle,
            commands::balance,
            commands::operators,
            commands::add_operator,
            commands::remove_operator,
            commands::set_refund_pin,
            commands::set_copies,
            commands::test_device,
            commands::device_settings,
            commands::try_device,
            commands::set_device,
            commands::scanner_keys,
            commands::host_state,
            commands::host_enrol,
            commands::host_leave,
            commands::update_state,
            commands::update_check,
            commands::update_install,
            commands::ui_ready,
        ])
        .run(tauri::generate_context!())
        .context("the app window")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;
    use till_i18n::{Catalog, Lang};

    /// Message ids written literally in the UI's sources (`t("…")`, `format(lang, "…")`) and
    /// in this crate (`"app-…"`).
    fn literal_ids(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                literal_ids(&path, out);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if !matches!(ext, "ts" | "tsx" | "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let markers: &[&str] = if ext == "rs" {
                &["\"app-"]
            } else {
                &["t(\"", "format(lang, \"", "\"app-"]
            };
            for marker in markers {
                let mut pieces = text.split(marker);
                let mut before = pieces.next().unwrap_or_default();
                for piece in pieces {
                    // `t("…")` itself, not the end of another name (`emit("…")`).
                    let called = before
                        .chars()
                        .last()
                        .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
                    before = piece;
                    if marker.starts_with('t') && !called {
                        continue;
                    }
                    let id: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                        .collect();
                    let id = if *marker == "\"app-" { format!("app-{id}") } else { id };
                    let closed = piece[id.len().min(piece.len())..].starts_with('"') || *marker == "\"app-";
                    if id.len() > 4 && closed && !id.ends_with('-') {
                        out.insert(id);
                    }
                }
            }
        }
    }

    #[test]
    fn every_message_id_of_the_ui_and_the_shell_exists_in_all_three_languages() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut ids = BTreeSet::new();
        literal_ids(&root.join("../ui/src"), &mut ids);
        literal_ids(&root.join("src"), &mut ids);
        assert!(ids.len() > 100, "the scan found the UI's ids: {}", ids.len());
        // Ids the UI builds from data: every value the dto sends.
        let means = till_domain::PaymentMeans::ALL.map(|m| format!("means-{}", m.id()));
        let dynamic = [
            "status-pending",
            "status-approved",
            "status-declined",
            "status-cancelled",
            "status-unknown",
            "status-reversed",
            "status-voided",
            "kind-sale",
            "kind-void",
            "kind-refund",
            "app-role-cashier",
            "app-role-supervisor",
            "app-role-manager",
            "app-wallet-alipay",
            "app-wallet-wechat-pay",
            "app-wallet-unionpay",
            "app-wallet-fps",
            "app-wallet-paynow",
            "app-wallet-other",
            "app-device-name-terminal",
            "app-device-name-printer",
            "app-device-name-scanner",
            "app-device-name-display",
            "app-device-name-host",
            "app-device-name-stored-value",
            "app-recovery-kind-approved",
            "app-recovery-kind-declined",
            "app-recovery-kind-reversed",
            "app-recovery-kind-pending",
        ];
        ids.extend(means);
        ids.extend(dynamic.iter().map(|s| (*s).to_owned()));
        let c = Catalog::global();
        for lang in Lang::ALL {
            let missing: Vec<_> = ids.iter().filter(|id| !c.has(lang, id)).collect();
            assert!(missing.is_empty(), "{lang}: no message for {missing:?}");
        }
    }
}

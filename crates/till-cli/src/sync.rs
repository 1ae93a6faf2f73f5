//! `till enrol` and `till sync`: the till's side of the back office. The host's address and
//! this till's device credential live in the `[host]` section of till.toml, written by
//! `till enrol`; without it the till works alone (the demo's in-process host).

use std::path::Path;
use std::sync::Arc;
use till::sync::{Backoff, SyncStatus};
use till::{Till, TillError};
use till_devices::{HostSection, host_error};
use till_domain::TillConfig;
use till_sync::{EnrolRequest, HttpHost, WIRE_VERSION};

use crate::output::Out;

/// Writes `[host]` into till.toml, keeping everything else.
fn save_section(dir: &Path, section: &HostSection) -> Result<(), TillError> {
    let path = dir.join("till.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    let value = toml::Value::try_from(section).map_err(|e| TillError::Config(e.to_string()))?;
    table.insert("host".to_owned(), value);
    let out = toml::to_string_pretty(&table).map_err(|e| TillError::Config(e.to_string()))?;
    std::fs::write(&path, out).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))
}

/// `till enrol --host URL --code CODE` (H3 "set up POS", the till's half).
pub async fn enrol(dir: &Path, config: &TillConfig, url: &str, code: &str, out: &Out) -> Result<u8, TillError> {
    let req = EnrolRequest {
        v: WIRE_VERSION,
        code: code.to_owned(),
        till_id: config.till_id.clone(),
        serial: config.serial.clone(),
        software: format!("opentill {}", env!("CARGO_PKG_VERSION")),
    };
    let e = till_sync::enrol(url, &req).await.map_err(host_error)?;
    save_section(
        dir,
        &HostSection {
            url: Some(url.trim().to_owned()),
            token: Some(e.token.clone()),
            batch: None,
        },
    )?;
    // A new credential starts a new command stream.
    let _ = std::fs::remove_file(dir.join("host-commands.ack"));
    out.message(
        "host-enrolled",
        &[
            ("merchant", e.merchant.clone()),
            ("shop", e.shop.clone()),
            ("pos", e.pos_name.clone()),
        ],
        &serde_json::json!({"device_id": e.device_id, "merchant": e.merchant, "shop": e.shop, "pos": e.pos_name}),
    );
    Ok(0)
}

fn report(out: &Out, status: &SyncStatus) {
    match (&status.error, &status.last) {
        (Some(err), _) => out.message(
            "sync-retry",
            &[
                ("error", err.clone()),
                ("backlog", status.backlog.to_string()),
                ("seconds", status.next_in.as_secs().to_string()),
            ],
            &serde_json::json!({"error": err, "backlog": status.backlog, "retry_in_s": status.next_in.as_secs()}),
        ),
        (None, Some(pass)) => out.message(
            "sync-done",
            &[
                ("uploaded", pass.uploaded.to_string()),
                ("commands", pass.commands.to_string()),
                ("backlog", pass.backlog.to_string()),
            ],
            &serde_json::json!({
                "uploaded": pass.uploaded, "commands": pass.commands, "backlog": pass.backlog,
                "settings_changed": pass.settings_changed, "diagnostics_sent": pass.diagnostics_sent,
            }),
        ),
        (None, None) => {}
    }
}

/// Says the till has no back office (with what waits for one): exit code 2.
pub fn not_enrolled(till: &Till, out: &Out) -> Result<u8, TillError> {
    out.message(
        "sync-not-enrolled",
        &[("backlog", till.sync_backlog()?.to_string())],
        &serde_json::json!({"enrolled": false}),
    );
    Ok(2)
}

/// `till sync [--watch] [--status]`.
pub async fn run(
    till: &Till,
    host: Option<Arc<HttpHost>>,
    dir: &Path,
    watch: bool,
    status: bool,
    out: &Out,
) -> Result<u8, TillError> {
    if status {
        let backlog = till.sync_backlog()?;
        let enrolled = host.is_some();
        out.message(
            if enrolled { "sync-status" } else { "sync-not-enrolled" },
            &[("backlog", backlog.to_string())],
            &serde_json::json!({"enrolled": enrolled, "backlog": backlog}),
        );
        return Ok(0);
    }
    let Some(host) = host else {
        return not_enrolled(till, out);
    };
    if watch {
        // Runs until the process is stopped; the journal is the queue, so stopping loses nothing.
        let (_keep, stop) = tokio::sync::watch::channel(false);
        till::sync::run_uploader(till, host.as_ref(), Some(dir), Backoff::default(), stop, |s| {
            report(out, s)
        })
        .await?;
        return Ok(0);
    }
    let pass = till::sync::sync_once(till, host.as_ref(), Some(dir)).await?;
    report(
        out,
        &SyncStatus {
            backlog: pass.backlog,
            last: Some(pass),
            ..SyncStatus::default()
        },
    );
    Ok(0)
}

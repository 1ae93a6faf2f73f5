//! Store and forward: the loop around [`Till::sync`] that a till runs while it is open.
//!
//! The queue is the journal itself (events after the host's acknowledged sequence), so it
//! survives restarts and needs no second store. A pass uploads the backlog, applies the host's
//! commands (S4), then reads the portal's settings for this till (T11 receipt header and
//! copies, written to `till.toml`) and, when the portal asks, sends a diagnostics bundle (T12).
//! When the host is down the loop backs off, doubling the pause up to a ceiling, and resumes
//! from the journal's acknowledged sequence: nothing is sent twice, nothing is skipped.

use std::path::Path;
use std::time::Duration;
use till_domain::ports::{DiagnosticsReport, HostLink, HostSettings};

use crate::Till;
use crate::error::{Result, TillError};

/// How often the uploader runs and how it backs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The pause after the first failure.
    pub first: Duration,
    /// The longest pause between attempts while the host is down.
    pub max: Duration,
    /// The pause between passes while the host is up.
    pub interval: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(300),
            interval: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The pause after a failed pass, given the pause before it (`None` after a success).
    pub fn after_failure(&self, previous: Option<Duration>) -> Duration {
        match previous {
            None => self.first.min(self.max),
            Some(p) => (p * 2).clamp(self.first, self.max),
        }
    }
}

/// What one pass did, for the status bar and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Events the host acknowledged in this pass.
    pub uploaded: u64,
    /// Host commands applied.
    pub commands: usize,
    /// Whether `till.toml` took new receipt settings (they apply when the till next opens).
    pub settings_changed: bool,
    /// Whether a diagnostics bundle was sent.
    pub diagnostics_sent: bool,
    /// Events still waiting for the host.
    pub backlog: u64,
}

/// The uploader's state between passes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub last: Option<Pass>,
    /// Why the last pass failed, if it did.
    pub error: Option<String>,
    /// The pause before the next attempt.
    pub next_in: Duration,
    pub backlog: u64,
}

/// T12: what the till says about itself. No card data: versions, counts, device states.
pub async fn diagnostics(till: &Till) -> DiagnosticsReport {
    let (journal_events, journal_intact, mut notes) = match till.verify_journal() {
        Ok(r) => (r.events, true, Vec::new()),
        Err(e) => (0, false, vec![format!("journal: {e}")]),
    };
    let terminal = match till.terminal_status().await {
        Ok(s) => format!("{s:?}"),
        Err(e) => format!("error: {e}"),
    };
    match till.blocks() {
        Ok(b) => notes.push(format!("blocks: pos={} refund={}", b.pos, b.refund)),
        Err(e) => notes.push(format!("blocks: {e}")),
    }
    DiagnosticsReport {
        created_at: till.now(),
        till_id: till.config().till_id.clone(),
        serial: till.config().serial.clone(),
        software: format!("opentill {}", env!("CARGO_PKG_VERSION")),
        journal_events,
        journal_intact,
        backlog: till.sync_backlog().unwrap_or(0),
        devices: vec![("terminal".to_owned(), terminal)],
        notes,
    }
}

/// Writes the portal's receipt settings into `dir/till.toml`; true when anything changed.
pub fn apply_settings(dir: &Path, settings: &HostSettings) -> Result<bool> {
    crate::store::load_or_create_config(dir)?;
    let path = dir.join("till.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    let before = table.clone();
    if let Some(toml::Value::Table(merchant)) = table.get_mut("merchant") {
        if let Some(name) = &settings.receipt_name {
            merchant.insert("name".to_owned(), toml::Value::String(name.clone()));
        }
        if let Some(address) = &settings.receipt_address {
            merchant.insert("address".to_owned(), toml::Value::String(address.clone()));
        }
    }
    if let Some(copies) = settings.copies {
        let mut t = toml::Table::new();
        t.insert("merchant".to_owned(), toml::Value::Boolean(copies.merchant));
        t.insert("customer".to_owned(), toml::Value::Boolean(copies.customer));
        table.insert("copies".to_owned(), toml::Value::Table(t));
    }
    if table == before {
        return Ok(false);
    }
    let out = toml::to_string_pretty(&table).map_err(|e| TillError::Config(e.to_string()))?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, out)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    Ok(true)
}

/// One pass: upload, commands, settings, diagnostics. `dir` is where `till.toml` lives (none:
/// settings are not written).
pub async fn sync_once(till: &Till, host: &dyn HostLink, dir: Option<&Path>) -> Result<Pass> {
    let (uploaded, commands) = till.sync().await?;
    let device = TillError::device("host");
    let mut pass = Pass {
        uploaded,
        commands,
        ..Pass::default()
    };
    if let Some(settings) = host.pull_settings().await.map_err(device)? {
        if let Some(dir) = dir {
            pass.settings_changed = apply_settings(dir, &settings)?;
        }
        if settings.diagnostics_requested {
            host.upload_diagnostics(&diagnostics(till).await)
                .await
                .map_err(device)?;
            pass.diagnostics_sent = true;
        }
    }
    pass.backlog = till.sync_backlog()?;
    Ok(pass)
}

/// Runs passes until `stop` turns true: every `backoff.interval` while the host answers, with
/// doubling pauses while it does not. `report` sees the status after every pass.
pub async fn run_uploader(
    till: &Till,
    host: &dyn HostLink,
    dir: Option<&Path>,
    backoff: Backoff,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut report: impl FnMut(&SyncStatus),
) -> Result<()> {
    let mut status = SyncStatus::default();
    let mut failing: Option<Duration> = None;
    while !*stop.borrow() {
        match sync_once(till, host, dir).await {
            Ok(pass) => {
                failing = None;
                status.backlog = pass.backlog;
                status.last = Some(pass);
                status.error = None;
                status.next_in = backoff.interval;
            }
            Err(e) => {
                let pause = backoff.after_failure(failing);
                failing = Some(pause);
                status.error = Some(e.to_string());
                status.backlog = till.sync_backlog()?;
                status.next_in = pause;
            }
        }
        report(&status);
        tokio::select! {
            _ = tokio::time::sleep(status.next_in) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let b = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(5),
            interval: Duration::from_secs(10),
        };
        let mut pauses = Vec::new();
        let mut prev = None;
        for _ in 0..5 {
            let p = b.after_failure(prev);
            pauses.push(p.as_secs());
            prev = Some(p);
        }
        assert_eq!(pauses, vec![1, 2, 4, 5, 5], "doubling, capped at max");
    }

    #[test]
    fn settings_land_in_till_toml_once() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-sync-settings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = HostSettings {
            receipt_name: Some("Kowloon Tea House".into()),
            receipt_address: None,
            copies: Some(till_domain::ReceiptCopies {
                merchant: false,
                customer: true,
            }),
            diagnostics_requested: false,
        };
        assert!(apply_settings(&dir, &settings)?, "the first write changes the file");
        let config = crate::store::load_or_create_config(&dir)?;
        assert_eq!(config.merchant.name, "Kowloon Tea House");
        assert!(!config.copies.merchant && config.copies.customer);
        assert_eq!(
            config.merchant.address,
            till_domain::TillConfig::demo().merchant.address,
            "None keeps the till's own"
        );
        assert!(
            !apply_settings(&dir, &settings)?,
            "the same settings again change nothing"
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}

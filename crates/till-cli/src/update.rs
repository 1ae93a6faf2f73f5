//! `till update [--install | --download-only]` (issue 14): the till asks its back office whether
//! its shop's channel (or pinned version) has a newer release, downloads the package, verifies
//! its signature against the key built into this build, and installs it with the system's own
//! installer — never beside a running app (which holds the journal), so never mid-transaction.
//! `till update --apply` is the updater the app (and this command on Windows) leaves behind
//! when it exits: see `till_devices::update`.

use std::path::Path;
use std::sync::Arc;
use till::{Till, TillError};
use till_devices::update::{self, CURRENT, Fetch};
use till_sync::HttpHost;

use crate::output::Out;

pub async fn run(
    till: &Till,
    host: Option<Arc<HttpHost>>,
    dir: &Path,
    install: bool,
    download_only: bool,
    out: &Out,
) -> Result<u8, TillError> {
    let Some(host) = host else {
        return crate::sync::not_enrolled(till, out);
    };
    let none = |out: &Out| {
        out.message(
            "update-none",
            &[("version", CURRENT.to_owned())],
            &serde_json::json!({"current": CURRENT, "update": null}),
        )
    };
    if !install && !download_only {
        return match host
            .check_update(&till_sync::update::platform(), CURRENT)
            .await
            .map_err(till_devices::host_error)?
        {
            None => {
                none(out);
                Ok(0)
            }
            Some(m) => {
                out.message(
                    "update-available",
                    &[("version", m.version.clone()), ("notes", m.notes.clone())],
                    &serde_json::json!({"current": CURRENT, "update": {"version": m.version, "notes": m.notes}}),
                );
                Ok(0)
            }
        };
    }
    // Installing replaces the program: a manager's decision. It never lands mid-transaction:
    // while the app sells, it holds the journal, and this command could not have opened it;
    // and a transaction left unresolved or a batch left settling holds it back too.
    till.may(till_domain::Action::Settings)?;
    let refused = |out: &Out, reason: String| {
        out.message(
            "update-refused",
            &[("version", CURRENT.to_owned()), ("reason", reason.clone())],
            &serde_json::json!({"installed": false, "reason": reason}),
        );
        Ok(6)
    };
    let fetched = match update::fetch(&host, dir).await.map_err(till_devices::host_error)? {
        Fetch::UpToDate => {
            none(out);
            return Ok(0);
        }
        Fetch::NoKey => {
            out.message(
                "update-no-key",
                &[],
                &serde_json::json!({"installed": false, "reason": "no-key"}),
            );
            return Ok(7);
        }
        Fetch::Refused { reason, .. } => return refused(out, reason),
        Fetch::Ready(f) => f,
    };
    let data = serde_json::json!({"version": fetched.version, "package": fetched.path});
    if download_only {
        out.message(
            "update-downloaded",
            &[
                ("version", fetched.version.clone()),
                ("path", fetched.path.display().to_string()),
            ],
            &data,
        );
        return Ok(0);
    }
    let _held = till.hold_for_update()?;
    out.message("update-installing", &[("version", fetched.version.clone())], &data);
    if cfg!(windows) {
        // A running till.exe cannot be replaced: the updater installs once this has exited.
        return match update::spawn_updater(dir, &fetched.path, None) {
            Ok(()) => Ok(0),
            Err(reason) => refused(out, reason),
        };
    }
    match update::install(&fetched.path) {
        Ok(()) => {
            out.message("update-installed", &[("version", fetched.version.clone())], &data);
            Ok(0)
        }
        Err(reason) => refused(out, reason.to_string()),
    }
}

/// `till update --apply PACKAGE [--relaunch APP [--relaunch-arg=ARG]...]`: the updater (it
/// opens no till).
pub fn apply(dir: &Path, package: &Path, relaunch: Option<update::Relaunch>, out: &Out) -> u8 {
    let outcome = update::apply(dir, package, relaunch.as_ref());
    let data = serde_json::to_value(&outcome).unwrap_or_default();
    match &outcome.reason {
        None => {
            out.message("update-applied", &[("package", outcome.package.clone())], &data);
            0
        }
        Some(reason) => {
            out.message(
                "update-refused",
                &[("version", CURRENT.to_owned()), ("reason", reason.clone())],
                &data,
            );
            6
        }
    }
}

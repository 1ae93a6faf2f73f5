//! `till update [--install | --download-only]` (issue 14): the till asks its back office whether
//! its shop's channel (or pinned version) has a newer release, downloads the package, verifies
//! its signature against the key built into this build, and installs it with the system's own
//! installer — never beside a running app (which holds the journal), so never mid-transaction.

use std::path::Path;
use std::sync::Arc;
use till::{Till, TillError};
use till_sync::update::{self, UpdateError, UpdateKey};
use till_sync::{HttpHost, SyncError};

use crate::output::Out;

fn is_root() -> bool {
    #[cfg(unix)]
    {
        std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

pub async fn run(
    till: &Till,
    host: Option<Arc<HttpHost>>,
    dir: &Path,
    install: bool,
    download_only: bool,
    out: &Out,
) -> Result<u8, TillError> {
    let current = env!("CARGO_PKG_VERSION");
    let platform = update::platform();
    let Some(host) = host else {
        return crate::sync::not_enrolled(till, out);
    };
    let none = |out: &Out| {
        out.message(
            "update-none",
            &[("version", current.to_owned())],
            &serde_json::json!({"current": current, "update": null}),
        )
    };
    if !install && !download_only {
        return match host
            .check_update(&platform, current)
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
                    &serde_json::json!({"current": current, "update": {"version": m.version, "notes": m.notes}}),
                );
                Ok(0)
            }
        };
    }
    // Installing replaces the program: a manager's decision. It never lands mid-transaction:
    // while the app sells, it holds the journal, and this command could not have opened it.
    till.may(till_domain::Action::Settings)?;
    let key = match UpdateKey::for_this_build() {
        Ok(k) => k,
        Err(UpdateError::NoKey) => {
            out.message(
                "update-no-key",
                &[],
                &serde_json::json!({"installed": false, "reason": "no-key"}),
            );
            return Ok(7);
        }
        Err(e) => return Err(TillError::Config(e.to_string())),
    };
    let fetched = match host.fetch_update(&platform, current, &key, &dir.join("updates")).await {
        Ok(None) => {
            none(out);
            return Ok(0);
        }
        Ok(Some(f)) => f,
        Err(SyncError::Update(e)) => {
            out.message(
                "update-refused",
                &[("version", current.to_owned()), ("reason", e.to_string())],
                &serde_json::json!({"installed": false, "reason": e.to_string()}),
            );
            return Ok(6);
        }
        Err(e) => return Err(till_devices::host_error(e)),
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
    let Some(argv) = update::install_command(&fetched.path, is_root()) else {
        return Err(TillError::Config(format!(
            "{}: not an installer this till knows",
            fetched.path.display()
        )));
    };
    out.message("update-installing", &[("version", fetched.version.clone())], &data);
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .map_err(|e| TillError::Config(format!("{}: {e}", argv[0].to_string_lossy())))?;
    if status.success() {
        out.message("update-installed", &[("version", fetched.version.clone())], &data);
        Ok(0)
    } else {
        out.message(
            "update-refused",
            &[("version", current.to_owned()), ("reason", format!("{status}"))],
            &serde_json::json!({"installed": false, "reason": status.to_string()}),
        );
        Ok(6)
    }
}

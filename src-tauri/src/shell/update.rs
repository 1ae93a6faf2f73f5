//! Updates in the cashier app (issue 14). The app asks its back office at start and daily (and
//! when a manager presses "Check for updates"); what the shop's channel offers is downloaded and
//! verified in the background, and the status bar says so. It installs only when no flow runs,
//! no transaction waits for recovery and the batch is not settling: when the cashier confirms,
//! or by itself in the nightly restart window (S2) when nobody is logged in. Installing hands
//! the package to the updater (`till update --apply`) and closes the app; the updater starts it
//! again, and the next start says what happened.

use serde::Serialize;
use till::TillError;
use till_devices::update::{self, CURRENT, Fetch};
use till_sync::update::FetchedUpdate;

use super::{Shell, lock};
use crate::dto::Res;

/// What the status bar and Settings show about updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateOut {
    /// The version running now.
    pub current: String,
    /// `none` (up to date, or no back office), `ready` (downloaded and verified), `refused`
    /// (the offered package failed: `reason`), `no-key` (this build cannot verify updates),
    /// `unreachable` (the back office did not answer: `reason`), `checking`.
    pub state: &'static str,
    pub version: Option<String>,
    pub notes: String,
    pub reason: Option<String>,
    /// Why, as a message id (`app-update-reason-signature`, …), when `refused`.
    pub reason_id: Option<String>,
    /// What the last update did, once, after the restart it caused.
    pub last: Option<LastUpdate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastUpdate {
    pub installed: bool,
    /// Why not, as a message id (`app-update-reason-installer`, …), and the detail.
    pub reason_id: Option<String>,
    pub reason: Option<String>,
}

impl UpdateOut {
    pub fn new(last: Option<update::Outcome>) -> UpdateOut {
        UpdateOut {
            current: CURRENT.to_owned(),
            state: "none",
            version: None,
            notes: String::new(),
            reason: None,
            reason_id: None,
            last: last.map(|o| LastUpdate {
                installed: o.installed,
                reason_id: o.kind.map(|k| format!("app-update-reason-{k}")),
                reason: o.reason,
            }),
        }
    }
}

/// What is kept between the check and the install.
#[derive(Debug)]
pub struct Updates {
    pub out: std::sync::Mutex<UpdateOut>,
    pub ready: std::sync::Mutex<Option<FetchedUpdate>>,
    /// One check at a time (the daily one and a manager's).
    pub checking: tokio::sync::Mutex<()>,
}

impl Updates {
    pub fn new(data_dir: &std::path::Path) -> Updates {
        Updates {
            out: std::sync::Mutex::new(UpdateOut::new(update::take_outcome(data_dir))),
            ready: std::sync::Mutex::new(None),
            checking: tokio::sync::Mutex::new(()),
        }
    }
}

impl Shell {
    pub fn update_state(&self) -> UpdateOut {
        lock(&self.updates.out).clone()
    }

    fn set_update(&self, f: impl FnOnce(&mut UpdateOut)) -> UpdateOut {
        let out = {
            let mut out = lock(&self.updates.out);
            f(&mut out);
            out.clone()
        };
        self.ui.emit("update", &out);
        out
    }

    /// Asks the back office now, and downloads and verifies what it offers.
    pub async fn check_update(&self) -> UpdateOut {
        let _one = self.updates.checking.lock().await;
        let host = match till_devices::host(&self.dir) {
            Ok(Some(host)) => host,
            // No back office: nothing is offered (a till.toml that cannot be read says so
            // in the status bar's host dot already).
            _ => {
                *lock(&self.updates.ready) = None;
                return self.set_update(|o| {
                    o.state = "none";
                    o.version = None;
                    o.reason = None;
                });
            }
        };
        self.set_update(|o| o.state = "checking");
        let fetched = update::fetch(&host, &self.dir).await;
        let ready = match &fetched {
            Ok(Fetch::Ready(f)) => Some(f.clone()),
            _ => None,
        };
        *lock(&self.updates.ready) = ready;
        self.set_update(|o| {
            o.version = None;
            o.notes = String::new();
            o.reason = None;
            o.reason_id = None;
            match fetched {
                Ok(Fetch::UpToDate) => o.state = "none",
                Ok(Fetch::Ready(f)) => {
                    o.state = "ready";
                    o.version = Some(f.version);
                    o.notes = f.notes;
                }
                Ok(Fetch::Refused { version, kind, reason }) => {
                    o.state = "refused";
                    o.version = version;
                    o.reason = Some(reason);
                    o.reason_id = Some(format!("app-update-reason-{kind}"));
                }
                Ok(Fetch::NoKey) => o.state = "no-key",
                Err(e) => {
                    o.state = "unreachable";
                    o.reason = Some(e.to_string());
                }
            }
        })
    }

    /// The cashier confirmed (`nightly`: the restart window, nobody logged in). Refused while a
    /// flow runs, a transaction is unresolved or the batch settles; otherwise the updater is
    /// started and the caller closes the app — with the till held, so no sale starts first.
    pub fn install_update(&self, nightly: bool) -> Res<()> {
        let till = self.till();
        if !nightly && till.session().is_none() {
            return Err(TillError::NotLoggedIn.into());
        }
        let package = lock(&self.updates.ready)
            .clone()
            .ok_or_else(|| TillError::Config("no update is ready to install".to_owned()))?;
        let held = till.hold_for_update()?;
        // A till whose session restarts the app itself (a kiosk session, systemd) says
        // OPENTILL_RELAUNCH=0, so the updater does not start a second one.
        let relaunch =
            update::Relaunch::this_program().filter(|_| std::env::var_os("OPENTILL_RELAUNCH").is_none_or(|v| v != "0"));
        update::spawn_updater(&self.dir, &package.path, relaunch.as_ref()).map_err(TillError::Config)?;
        // The app exits next; until then no flow may start.
        std::mem::forget(held);
        till.logout();
        self.set_update(|o| o.state = "installing");
        Ok(())
    }

    /// The status loop's nightly turn: an update that is ready installs by itself in the
    /// restart window when nobody is logged in. True when the app should now close.
    pub fn nightly_update_due(&self) -> bool {
        let till = self.till();
        let config = till.config();
        lock(&self.updates.ready).is_some()
            && till.session().is_none()
            && config.session.in_restart_window(till.now(), config.offset())
            && self.install_update(true).is_ok()
    }
}

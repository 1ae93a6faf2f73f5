//! What the cashier desktop app needs beyond the flows: device checks for the settings screen
//! (T13) and the status bar, a cancel that reaches the PIN pad, and settings that change while
//! the till runs. Kept apart from the flows so that lib.rs stays the map of T1–T10.

use std::path::Path;
use std::sync::atomic::Ordering;

use till_domain::ports::{DeviceStatus, DisplaySnapshot, PrinterStatus};
use till_domain::receipt::ReceiptDoc;
use till_journal::{AuthStore, Journal};

use crate::error::{Result, TillError};
use crate::{Devices, Till, lock};

impl Till {
    /// The cashier pressed Cancel while a device works: a merchant-presented QR stops waiting
    /// (and is cancelled at the gateway), and the PIN pad is asked to abort — a real terminal
    /// then answers the running request as cancelled. The running flow records what the device
    /// says, so nothing is lost if the customer was quicker than the cashier.
    pub async fn abort_flow(&self) -> Result<()> {
        self.request_cancel();
        self.devices
            .terminal
            .abort()
            .await
            .map_err(TillError::device("terminal"))
    }

    /// Whether the logged-in operator may do `action` now (S2, S3): for screens whose changes
    /// are not themselves till calls (settings written to till.toml).
    pub fn may(&self, action: till_domain::Action) -> Result<()> {
        self.authorize(action).map(|_| ())
    }

    /// Whether a flow (sale, void, refund, settlement) is running now.
    pub fn is_busy(&self) -> bool {
        self.flow.try_lock().is_err()
    }

    /// D2: the printer's sensors, for the status bar (paper out, cover open).
    pub async fn printer_status(&self) -> Result<PrinterStatus> {
        self.devices
            .printer
            .status()
            .await
            .map_err(TillError::device("printer"))
    }

    /// Prints a document that is not a transaction's (a test page), with the same status check
    /// first as every receipt: paper out or cover open is an error before anything is sent.
    pub async fn print_document(&self, doc: &ReceiptDoc) -> Result<()> {
        self.print_docs(std::slice::from_ref(doc))
            .await
            .map_or(Ok(()), |e| Err(TillError::device("printer")(e)))
    }

    /// T13: the display's test button — shows `snapshot` on the customer display.
    pub async fn show_on_display(&self, snapshot: &DisplaySnapshot) -> Result<()> {
        self.devices
            .display
            .show(snapshot)
            .await
            .map_err(TillError::device("display"))
    }

    /// T13: the terminal's test button — its status, needing no permission beyond a session.
    pub async fn test_terminal(&self) -> Result<DeviceStatus> {
        if self.session().is_none() {
            return Err(TillError::NotLoggedIn);
        }
        self.terminal_status().await
    }

    /// T13: settings changed in `dir/till.toml` while the till runs (receipt copies): a till
    /// over the same journal and the same devices, with the new configuration, in the same
    /// language and with the same operator logged in. Refused while a flow runs; the caller
    /// replaces this till with the one returned.
    pub fn reopened(&self, dir: &Path) -> Result<Till> {
        let _flow = self.flow.try_lock().map_err(|_| {
            TillError::from(till_domain::DomainError::IllegalTransition {
                what: "settings".into(),
                state: "busy".into(),
            })
        })?;
        self.reopened_with(dir, self.devices.clone())
    }

    /// Waits until no flow (sale, void, refund, settlement, recovery) runs on this till and
    /// keeps the next one from starting while the guard lives: a device change made while a
    /// sale is in flight waits for it to end, then swaps the till under the guard.
    pub async fn quiesce(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.flow.lock().await
    }

    /// Issue 14: the moment an update may install. Takes the flow, so no sale, void, refund or
    /// settlement starts while the guard lives (the app keeps it until it exits for the
    /// installer), and refuses while a flow runs, a transaction waits for recovery (T8) or the
    /// batch is settling (T10).
    pub fn hold_for_update(&self) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        let guard = self
            .flow
            .try_lock()
            .map_err(|_| TillError::UpdateHeld { reason: "busy" })?;
        if !self.journal().unresolved()?.is_empty() {
            return Err(TillError::UpdateHeld { reason: "unresolved" });
        }
        if self
            .journal()
            .current_batch()?
            .is_some_and(|b| b.status == till_domain::BatchStatus::Settling)
        {
            return Err(TillError::UpdateHeld { reason: "settling" });
        }
        Ok(guard)
    }

    /// [`Till::reopened`] with other devices (a PIN pad or printer changed in Settings), for a
    /// caller that holds [`Till::quiesce`]'s guard.
    pub fn reopened_with(&self, dir: &Path, devices: Devices) -> Result<Till> {
        let config = crate::store::load_or_create_config(dir)?;
        let journal = Journal::open(&dir.join("journal.sqlite"))?;
        let auth = AuthStore::open(&dir.join("auth.sqlite"))?;
        let mut opts = crate::TillOptions::new(config);
        opts.lang = self.lang();
        opts.clock = self.clock.clone();
        opts.progress = self.progress.clone();
        opts.qr_poll_interval = self.qr_poll_interval;
        opts.qr_poll_limit = self.qr_poll_limit;
        let till = Till::open(journal, auth, devices, opts)?;
        *lock(&till.session) = self.session();
        till.cancel.store(false, Ordering::SeqCst);
        Ok(till)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sims, SystemClock, TillOptions};
    use std::sync::Arc;
    use till_domain::TillConfig;
    use till_domain::operator::default_pin;

    fn demo(dir: &Path) -> Result<(Till, Sims)> {
        let config = crate::store::load_or_create_config(dir)?;
        let clock = Arc::new(SystemClock);
        let sims =
            Sims::open(None, clock.clone(), config.currency, 48).map_err(|e| TillError::Config(e.to_string()))?;
        let mut opts = TillOptions::new(config);
        opts.clock = clock;
        let till = Till::open_dir(dir, sims.devices(), opts)?;
        Ok((till, sims))
    }

    #[test]
    fn a_reopened_till_takes_new_copies_and_keeps_the_session() -> Result<()> {
        let tmp = till_testkit::TempDir::new("till-app-reopen");
        let dir = tmp.path().to_path_buf();
        let (till, _sims) = demo(&dir)?;
        let serial = till.config().serial.clone();
        till.change_pin("1", &default_pin(&serial), "246810")?;
        till.login("1", "246810")?;
        assert!(till.config().copies.customer, "the demo prints a customer copy");
        let mut config: TillConfig = crate::store::load_or_create_config(&dir)?;
        config.copies.customer = false;
        std::fs::write(
            dir.join("till.toml"),
            toml::to_string_pretty(&config).map_err(|e| TillError::Config(e.to_string()))?,
        )
        .map_err(|e| TillError::Config(e.to_string()))?;
        let again = till.reopened(&dir)?;
        assert!(!again.config().copies.customer, "the new till reads till.toml again");
        assert_eq!(again.session().map(|s| s.operator), Some("1".to_owned()));
        assert!(again.totals().is_ok(), "same journal, same open batch");
        Ok(())
    }

    #[tokio::test]
    async fn a_test_page_is_refused_when_the_printer_has_no_paper() -> Result<()> {
        let tmp = till_testkit::TempDir::new("till-app-print");
        let (till, sims) = demo(tmp.path())?;
        let doc = ReceiptDoc { lines: Vec::new() };
        till.print_document(&doc).await?;
        assert_eq!(sims.printer.printed().len(), 1);
        sims.printer.set_status(PrinterStatus {
            paper_out: true,
            cover_open: false,
        });
        let refused = till.print_document(&doc).await;
        assert!(
            matches!(&refused, Err(TillError::Device { device: "printer", .. })),
            "{refused:?}"
        );
        assert_eq!(sims.printer.printed().len(), 1, "nothing sent without paper");
        assert!(till.printer_status().await?.paper_out);
        Ok(())
    }
}

//! The ESC/POS driver: a [`ReceiptPrinter`] over a [`Connection`] and a [`Profile`].
//!
//! - **Status before printing.** `status()` asks DLE EOT 1 and, when the printer says it is
//!   offline, DLE EOT 2 and 4 for the cause: paper out or cover open reach the cashier before
//!   a receipt is sent, so none is lost. No answer means "status unknown", not "offline"
//!   (ESCPOS.md §7): the job is sent and its confirmation decides.
//! - **Confirmed jobs.** Each job ends with GS r 1, which the printer answers only after
//!   everything before it: a reply means the receipt was processed (and says whether paper ran
//!   out); no reply, or a line that drops, is an error the till reports, and the receipt can
//!   be printed again from history.
//! - **Reconnect on the next call.** A failed connection is dropped; the next status or print
//!   opens it again, so a printer plugged back in just works.

use async_trait::async_trait;
use std::time::Duration;
use till_domain::ports::{DeviceError, PrinterStatus, ReceiptPrinter};
use till_domain::receipt::ReceiptDoc;

use crate::profile::Profile;
use crate::render::{DRAWER_KICK, PAPER_STATUS, dle_eot, render};
use crate::transport::{Connection, Link};

/// Time limits of the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection (TCP connect).
    pub connect: Duration,
    /// A DLE EOT answer (printers answer at once, even offline).
    pub status: Duration,
    /// The job's confirmation, on top of the time the bytes take on a serial line.
    pub print: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(3),
            status: Duration::from_millis(1500),
            print: Duration::from_secs(15),
        }
    }
}

pub struct EscPosPrinter {
    profile: Profile,
    connection: Connection,
    timeouts: Timeouts,
    /// Wait for GS r 1 after each job (a printer that never answers it can turn this off).
    confirm: bool,
    link: tokio::sync::Mutex<Option<Box<dyn Link>>>,
}

impl std::fmt::Debug for EscPosPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EscPosPrinter")
            .field("connection", &self.connection)
            .field("paper", &self.profile.paper)
            .field("chinese", &self.profile.chinese)
            .finish()
    }
}

impl EscPosPrinter {
    pub fn new(profile: Profile, connection: Connection) -> EscPosPrinter {
        EscPosPrinter {
            profile,
            connection,
            timeouts: Timeouts::default(),
            confirm: true,
            link: tokio::sync::Mutex::new(None),
        }
    }

    pub fn with_timeouts(mut self, timeouts: Timeouts) -> EscPosPrinter {
        self.timeouts = timeouts;
        self
    }

    pub fn with_confirmation(mut self, confirm: bool) -> EscPosPrinter {
        self.confirm = confirm;
        self
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    fn unavailable(&self, e: std::io::Error) -> DeviceError {
        DeviceError::Unavailable(format!("{}: {e}", self.connection.describe()))
    }

    fn lost(&self, e: std::io::Error) -> DeviceError {
        DeviceError::LineLost(format!("{}: {e}", self.connection.describe()))
    }

    async fn link<'a>(&self, slot: &'a mut Option<Box<dyn Link>>) -> Result<&'a mut Box<dyn Link>, DeviceError> {
        if slot.is_none() {
            let link = self
                .connection
                .open(self.timeouts.connect)
                .await
                .map_err(|e| self.unavailable(e))?;
            *slot = Some(link);
        }
        slot.as_mut()
            .ok_or_else(|| DeviceError::Unavailable(self.connection.describe()))
    }

    async fn query(&self, link: &mut Box<dyn Link>, n: u8) -> std::io::Result<Option<u8>> {
        link.write_all(&dle_eot(n)).await?;
        link.read_byte(self.timeouts.status).await
    }

    async fn ask_status(&self, link: &mut Box<dyn Link>) -> std::io::Result<PrinterStatus> {
        // Answers to an earlier query that came too late would be taken for this one.
        drain(link).await?;
        let mut status = PrinterStatus::default();
        let Some(printer) = self.query(link, 1).await? else {
            return Ok(status);
        };
        if printer & 0x08 != 0 {
            if let Some(cause) = self.query(link, 2).await? {
                status.cover_open = cause & 0x04 != 0;
                status.paper_out = cause & 0x20 != 0;
            }
            if let Some(roll) = self.query(link, 4).await? {
                status.paper_out |= roll & 0x60 == 0x60;
            }
        }
        Ok(status)
    }

    /// Sends a job (already rendered bytes) and waits for its confirmation.
    pub async fn send(&self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut slot = self.link.lock().await;
        let link = self.link(&mut slot).await?;
        let confirm = self.confirm && link.answers();
        if confirm {
            // Stale bytes from before would be read as the confirmation.
            if let Err(e) = drain(link).await {
                *slot = None;
                return Err(self.unavailable(e));
            }
        }
        let mut job = bytes.to_vec();
        if confirm {
            job.extend_from_slice(&PAPER_STATUS);
        }
        if let Err(e) = link.write_all(&job).await {
            *slot = None;
            return Err(self.lost(e));
        }
        if !confirm {
            return Ok(());
        }
        let limit = self.timeouts.print + self.connection.transfer_time(job.len());
        match link.read_byte(limit).await {
            Ok(Some(paper)) if paper & 0x0c == 0x0c => Err(DeviceError::PaperOut),
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                *slot = None;
                Err(DeviceError::Timeout)
            }
            Err(e) => {
                *slot = None;
                Err(self.lost(e))
            }
        }
    }
}

async fn drain(link: &mut Box<dyn Link>) -> std::io::Result<()> {
    while link.read_byte(Duration::from_millis(1)).await?.is_some() {}
    Ok(())
}

#[async_trait]
impl ReceiptPrinter for EscPosPrinter {
    async fn status(&self) -> Result<PrinterStatus, DeviceError> {
        let mut slot = self.link.lock().await;
        let link = self.link(&mut slot).await?;
        if !link.answers() {
            return Ok(PrinterStatus::default());
        }
        match self.ask_status(link).await {
            Ok(s) => Ok(s),
            Err(e) => {
                // Nothing was printed: the printer is not there.
                *slot = None;
                Err(self.unavailable(e))
            }
        }
    }

    async fn print(&self, doc: &ReceiptDoc) -> Result<(), DeviceError> {
        let bytes = render(doc, &self.profile);
        self.send(&bytes).await
    }

    async fn kick_drawer(&self) -> Result<(), DeviceError> {
        let mut slot = self.link.lock().await;
        let link = self.link(&mut slot).await?;
        if let Err(e) = link.write_all(&DRAWER_KICK).await {
            *slot = None;
            return Err(self.lost(e));
        }
        Ok(())
    }
}

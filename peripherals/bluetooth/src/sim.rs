//! A simulated Bluetooth reader for the demo till and the tests: the ZVT simulator
//! ([`till_terminal::ZvtSim`]) behind a serial-framed byte stream, as a real reader sits behind
//! its RFCOMM channel. It can be switched off (it reboots, sleeps, leaves range) and on again,
//! and says so as a platform does, so the supervisor's reconnection is exercised for real.

use std::sync::Arc;

use async_trait::async_trait;
use till_terminal::ZvtSim;
use till_terminal::serial::{SerialLink, Timings};
use tokio::sync::watch;

use crate::supervisor::{Connected, Connector};
use crate::{Address, BtError};

/// A reader that is the ZVT simulator.
#[derive(Debug)]
pub struct SimReader {
    address: Address,
    sim: Arc<ZvtSim>,
    power: watch::Sender<bool>,
    battery: Option<u8>,
}

impl SimReader {
    /// A reader at `address`, switched on, its terminal `sim`.
    pub fn new(address: Address, sim: Arc<ZvtSim>) -> SimReader {
        let (power, _) = watch::channel(true);
        SimReader {
            address,
            sim,
            power,
            battery: Some(87),
        }
    }

    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The terminal behind the reader.
    pub fn terminal(&self) -> &Arc<ZvtSim> {
        &self.sim
    }

    /// Switches the reader off (its link drops at once, in the middle of whatever it was doing)
    /// or on.
    pub fn set_power(&self, on: bool) {
        self.power.send_replace(on);
    }

    pub fn is_on(&self) -> bool {
        *self.power.borrow()
    }
}

#[async_trait]
impl Connector for SimReader {
    async fn connect(&self, reader: &Address) -> Result<Connected, BtError> {
        if reader != &self.address {
            return Err(BtError::NotFound(reader.clone()));
        }
        if !self.is_on() {
            return Err(BtError::Unreachable("the reader is switched off".to_owned()));
        }
        let (ours, theirs) = tokio::io::duplex(4096);
        let sim = self.sim.clone();
        let mut power = self.power.subscribe();
        let (gone_tx, gone_rx) = tokio::sync::oneshot::channel::<String>();
        tokio::spawn(async move {
            let mut link = SerialLink::new(theirs, Timings::default());
            let why = tokio::select! {
                served = sim.serve(&mut link) => match served {
                    Ok(()) => "the till closed the link".to_owned(),
                    Err(e) => e.to_string(),
                },
                _ = power.wait_for(|on| !*on) => "the reader was switched off".to_owned(),
            };
            // The reader's end goes with the task: the till's end reads end-of-file.
            drop(link);
            let _ = gone_tx.send(why);
        });
        Ok(Connected {
            stream: Box::new(ours),
            gone: Box::pin(async move { gone_rx.await.unwrap_or_else(|_| "the link closed".to_owned()) }),
            battery: self.battery,
        })
    }

    async fn seen(&self, reader: &Address) {
        if reader != &self.address {
            return std::future::pending().await;
        }
        let mut power = self.power.subscribe();
        // Seen when it comes on: a change to on, not a reader that was on all along.
        power.mark_unchanged();
        loop {
            if power.changed().await.is_err() {
                return std::future::pending().await;
            }
            if *power.borrow_and_update() {
                return;
            }
        }
    }
}

//! Keeps the link to the paired reader. Readers reboot at night, sleep after a few minutes and
//! leave range with the merchant; users of other tills complain most of links that never come
//! back. So the supervisor never gives up: it reconnects at once when the platform sees the
//! reader again, else on a backoff capped at a few seconds, and says what it is doing through
//! [`LinkState`]. It lends the live stream to the PIN pad driver as a
//! [`till_terminal::StreamSource`], and refuses when the link is down: a transaction never
//! starts on a dead link. A link that drops under a transaction ends the driver's stream, so
//! that transaction becomes Unknown and the till's recovery (T8) settles it on the next link.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use till_terminal::{ByteStream, LinkStream, StreamSource};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{Address, BtError, LinkState};

/// A platform's way to reach a reader (BlueZ, WinRT, the simulated reader).
#[async_trait]
pub trait Connector: Send + Sync + std::fmt::Debug + 'static {
    /// Opens the link to `reader`.
    async fn connect(&self, reader: &Address) -> Result<Connected, BtError>;
    /// Resolves when the platform sees `reader` again (advertising, powered on, asking to
    /// connect): the supervisor tries at once instead of waiting out its backoff. Never
    /// resolves by default.
    async fn seen(&self, _reader: &Address) {
        std::future::pending::<()>().await;
    }
}

/// An open link.
pub struct Connected {
    pub stream: Box<dyn ByteStream>,
    /// Resolves, with why, when the link goes (switched off, out of range, closed).
    pub gone: Pin<Box<dyn Future<Output = String> + Send>>,
    /// Battery level in percent, when the reader reports it.
    pub battery: Option<u8>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("battery", &self.battery)
            .finish_non_exhaustive()
    }
}

/// When to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt; it doubles after each one…
    pub first: Duration,
    /// …up to this.
    pub most: Duration,
    /// After this many failed attempts in a row the link is called lost (still retried).
    pub lost_after: u32,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_millis(250),
            most: Duration::from_secs(5),
            lost_after: 8,
        }
    }
}

impl Backoff {
    /// The wait after failed attempt `attempt` (from 1).
    pub fn wait(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.most)
    }
}

struct Slot {
    stream: Option<Box<dyn ByteStream>>,
    generation: u64,
    up: bool,
}

struct Inner {
    reader: Address,
    slot: Mutex<Slot>,
    state: watch::Sender<LinkState>,
}

impl Inner {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The link to one paired reader, kept up by a task on the current Tokio runtime until the
/// supervisor is dropped.
pub struct Supervisor {
    inner: Arc<Inner>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("reader", &self.inner.reader)
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Supervisor {
    /// Starts keeping the link to `reader` through `connector`.
    pub fn start(reader: Address, connector: Arc<dyn Connector>, backoff: Backoff) -> Supervisor {
        let (state, _) = watch::channel(LinkState::Connecting);
        let inner = Arc::new(Inner {
            reader,
            slot: Mutex::new(Slot {
                stream: None,
                generation: 0,
                up: false,
            }),
            state,
        });
        let task = tokio::spawn(keep(inner.clone(), connector, backoff));
        Supervisor { inner, task }
    }

    pub fn reader(&self) -> &Address {
        &self.inner.reader
    }

    /// The link's state now.
    pub fn state(&self) -> LinkState {
        self.inner.state.borrow().clone()
    }

    /// Every change of the link's state, for the status bar and the customer display.
    pub fn watch(&self) -> watch::Receiver<LinkState> {
        self.inner.state.subscribe()
    }
}

async fn keep(inner: Arc<Inner>, connector: Arc<dyn Connector>, backoff: Backoff) {
    let mut attempt = 0u32;
    loop {
        match connector.connect(&inner.reader).await {
            Ok(link) => {
                attempt = 0;
                {
                    let mut slot = inner.slot();
                    slot.generation += 1;
                    slot.stream = Some(link.stream);
                    slot.up = true;
                }
                inner.state.send_replace(LinkState::Connected { battery: link.battery });
                let _why = link.gone.await;
                {
                    let mut slot = inner.slot();
                    slot.up = false;
                    slot.stream = None;
                }
                inner.state.send_replace(LinkState::Reconnecting { attempt: 1 });
            }
            Err(e) => {
                attempt = attempt.saturating_add(1);
                inner.state.send_replace(if attempt > backoff.lost_after {
                    LinkState::Lost { reason: e.to_string() }
                } else {
                    LinkState::Reconnecting { attempt }
                });
                tokio::select! {
                    () = tokio::time::sleep(backoff.wait(attempt)) => {}
                    () = connector.seen(&inner.reader) => {}
                }
            }
        }
    }
}

#[async_trait]
impl StreamSource for Supervisor {
    async fn open(&self) -> Result<LinkStream, String> {
        let mut slot = self.inner.slot();
        if !slot.up {
            return Err(match &*self.inner.state.borrow() {
                LinkState::Lost { reason } => format!("the reader {} is lost: {reason}", self.inner.reader),
                _ => format!("the reader {} is reconnecting", self.inner.reader),
            });
        }
        let generation = slot.generation;
        match slot.stream.take() {
            Some(stream) => Ok(LinkStream { stream, generation }),
            // Lent already and given up by the driver: the link closes with it and comes back
            // as a new connection.
            None => Err(format!("the reader {} is reconnecting", self.inner.reader)),
        }
    }

    fn live(&self, generation: u64) -> bool {
        let slot = self.inner.slot();
        slot.up && slot.generation == generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let b = Backoff::default();
        let waits: Vec<u128> = (1..=7).map(|n| b.wait(n).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(b.wait(u32::MAX), b.most);
    }
}

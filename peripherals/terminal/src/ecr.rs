//! Sequences [P15 ch. 2, P16 §5.1]: the ECR sends a command and hands master rights to the
//! PT, which answers `80 00 00` within T3 and then sends intermediate status, status
//! information and print lines — each acknowledged — until Completion (06 0F) or Abort (06 1E).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::apdu::Apdu;
use crate::bmp::Field;
use crate::error::ZvtError;
use crate::packet::Packet;
use crate::transport::Transport;

#[derive(Debug, Clone, Copy)]
pub struct SequenceTimings {
    /// T3: the PT's answer to a command.
    pub t3: Duration,
    /// T4: from the PT's 80 00 to its 06 0F / 06 1E, restarted by every message.
    pub t4: Duration,
}

impl Default for SequenceTimings {
    fn default() -> Self {
        SequenceTimings {
            t3: Duration::from_secs(5),
            t4: Duration::from_secs(180),
        }
    }
}

/// How a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// 06 0F: finished; `data` is the completion's data.
    Completed { data: Vec<u8> },
    /// 06 1E: the PT aborted with a result code.
    Aborted { code: u8 },
    /// The PT refused the command itself (84 xx).
    Refused { code: u8 },
    /// A command with no completion (06 B0, 06 02): just acknowledged.
    Acknowledged,
}

/// What came back over one sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ending: Ending,
    /// The last status information (04 0F) received, if any.
    pub status: Option<Vec<Field>>,
    /// Whether that status information was acknowledged (the PT books only then).
    pub status_acked: bool,
    pub prints: Vec<Packet>,
}

/// Failure of a sequence, and whether the PT may have acted on the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceError {
    pub error: ZvtError,
    /// The PT acknowledged the command (80 00 00) before things went wrong.
    pub accepted: bool,
    /// Status information received and acknowledged before things went wrong.
    pub status: Option<Vec<Field>>,
}

/// The ECR side of the protocol over any transport.
pub struct Ecr<T> {
    pub transport: T,
    pub timings: SequenceTimings,
    /// Set by another task to abort the running sequence (06 B0) at the next message.
    pub abort: Arc<AtomicBool>,
}

impl<T> std::fmt::Debug for Ecr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ecr").field("timings", &self.timings).finish()
    }
}

impl<T: Transport> Ecr<T> {
    pub fn new(transport: T, timings: SequenceTimings) -> Ecr<T> {
        Ecr {
            transport,
            timings,
            abort: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs one command to its end. `on_status` sees each intermediate status (04 FF) as it
    /// arrives, for the cashier's progress display.
    pub async fn run(
        &mut self,
        command: &Packet,
        on_status: &mut (dyn FnMut(u8) + Send),
    ) -> Result<Reply, SequenceError> {
        let fail = |error, accepted, status: &Option<Vec<Field>>| SequenceError {
            error,
            accepted,
            status: status.clone(),
        };
        let mut reply = Reply {
            ending: Ending::Acknowledged,
            status: None,
            status_acked: false,
            prints: Vec::new(),
        };
        self.abort.store(false, Ordering::SeqCst);
        if let Err(e) = self.transport.send(&command.to_apdu()).await {
            return Err(fail(e, false, &None));
        }
        let no_completion = matches!(command, Packet::Abort { .. } | Packet::LogOff);
        // The command's answer. Some PTs skip 80 00 00 and send their next message at once.
        let first = match self.transport.recv(self.timings.t3).await {
            Ok(a) => a,
            Err(e) => return Err(fail(e, false, &None)),
        };
        let mut next = match Packet::from_apdu(&first) {
            Ok(Packet::Ack { .. }) if no_completion => return Ok(reply),
            Ok(Packet::Ack { .. }) => None,
            Ok(Packet::Nack { code, .. }) => {
                reply.ending = Ending::Refused { code };
                return Ok(reply);
            }
            Ok(other) => Some(other),
            Err(e) => return Err(fail(e, true, &None)),
        };
        loop {
            let packet = match next.take() {
                Some(p) => p,
                None => {
                    let got = self.recv_with_abort().await;
                    match got.and_then(|a| Packet::from_apdu(&a)) {
                        Ok(p) => p,
                        Err(e) => return Err(fail(e, true, &reply.status.filter(|_| reply.status_acked))),
                    }
                }
            };
            // Every PT message is acknowledged, except an answer to our own 06 B0.
            if matches!(packet, Packet::Ack { .. } | Packet::Nack { .. }) {
                continue;
            }
            let ack = self.transport.send(&Apdu::ack()).await;
            match packet {
                Packet::IntermediateStatus { status, .. } => on_status(status),
                Packet::StatusInformation { fields } => {
                    reply.status_acked = ack.is_ok();
                    reply.status = Some(fields);
                }
                p @ (Packet::PrintLine { .. } | Packet::PrintTextBlock { .. }) => reply.prints.push(p),
                Packet::Completion { data } => {
                    reply.ending = Ending::Completed { data };
                    return Ok(reply);
                }
                Packet::PtAbort { code, .. } => {
                    reply.ending = Ending::Aborted { code };
                    return Ok(reply);
                }
                _ => {}
            }
            if let Err(e) = ack {
                return Err(fail(e, true, &None));
            }
        }
    }

    /// Waits for the PT's next message within T4, sending 06 B0 once if an abort is asked.
    async fn recv_with_abort(&mut self) -> Result<Apdu, ZvtError> {
        let deadline = tokio::time::Instant::now() + self.timings.t4;
        loop {
            let slice = Duration::from_millis(100).min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            if slice.is_zero() {
                return Err(ZvtError::Timeout("completion"));
            }
            match self.transport.recv(slice).await {
                Err(ZvtError::Timeout(_)) => {
                    if self.abort.swap(false, Ordering::SeqCst) {
                        self.transport
                            .send(&Packet::Abort { fields: Vec::new() }.to_apdu())
                            .await?;
                    }
                }
                other => return other,
            }
        }
    }
}

//! S4: commands from the host (blocks, operators, PIN resets) and the sync of the journal.

use super::*;

impl Till {
    /// Applies a command from the host (S4, H3).
    pub fn apply_host_command(&self, cmd: &HostCommand) -> Result<Blocks> {
        let now = self.now();
        let mut blocks = self.journal().blocks()?;
        let event = match cmd {
            HostCommand::BlockPos | HostCommand::UnblockPos => {
                blocks.pos = matches!(cmd, HostCommand::BlockPos);
                EventBody::Blocks { blocks }
            }
            HostCommand::BlockRefund | HostCommand::UnblockRefund => {
                blocks.refund = matches!(cmd, HostCommand::BlockRefund);
                EventBody::Blocks { blocks }
            }
            HostCommand::ResetPin { operator } => {
                self.journal()
                    .operator(operator)?
                    .ok_or_else(|| DomainError::UnknownOperator {
                        operator: operator.clone(),
                    })?;
                let pin_hash = hash_pin(&default_pin(&self.config.serial), &rand::thread_rng().r#gen())?;
                EventBody::Operator {
                    event: OperatorEvent::PinReset {
                        id: operator.clone(),
                        pin_hash,
                    },
                }
            }
            HostCommand::ResetRefundPin { operator } => {
                self.journal()
                    .operator(operator)?
                    .ok_or_else(|| DomainError::UnknownOperator {
                        operator: operator.clone(),
                    })?;
                EventBody::Operator {
                    event: OperatorEvent::RefundPinChanged {
                        id: operator.clone(),
                        refund_pin_hash: None,
                    },
                }
            }
        };
        self.commit(&[Event { at: now, body: event }])?;
        Ok(blocks)
    }

    /// Store and forward: uploads the journal's events the host has not acknowledged (in
    /// order, keyed by sequence so a retry never duplicates), then applies the host's commands
    /// (S4). Returns (events uploaded, commands applied). With the host down, nothing is lost:
    /// the events stay in the journal and go with the next sync.
    pub async fn sync(&self) -> Result<(u64, usize)> {
        let host = &self.devices.host;
        let mut sent = 0;
        loop {
            let acked = self.journal().host_acked()?;
            let batch = self.journal().events_after(acked, 500)?;
            let Some(&(last, _)) = batch.last() else { break };
            let held = host.upload(&batch).await.map_err(TillError::device("host"))?;
            self.journal().set_host_acked(held.min(last))?;
            sent += held.min(last).saturating_sub(acked);
            if held < last {
                break;
            }
        }
        let commands = host.pull_commands().await.map_err(TillError::device("host"))?;
        for c in &commands {
            self.apply_host_command(c)?;
        }
        Ok((sent, commands.len()))
    }

    /// Journal events not yet held by the host (the status bar's backlog).
    pub fn sync_backlog(&self) -> Result<u64> {
        let j = self.journal();
        Ok(j.event_count()?.saturating_sub(j.host_acked()?))
    }

    pub fn blocks(&self) -> Result<Blocks> {
        Ok(self.journal().blocks()?)
    }
}

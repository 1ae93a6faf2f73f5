//! T8: recovery — every Pending/Unknown transaction is resolved before the next one starts.

use super::*;

impl Till {
    /// T8: resolves one Pending/Unknown transaction from the device's own record.
    pub(crate) async fn resolve(&self, txn: &Transaction) -> Result<Recovered> {
        let original = match &txn.original {
            Some(o) => self.journal().txn(&o.id)?,
            None => None,
        };
        let d = &self.devices;
        let total = txn.total();
        let learned: std::result::Result<Ending, DeviceError> = match txn.means {
            PaymentMeans::Card | PaymentMeans::TapAndGo => match d.terminal.last_result().await {
                Ok(Some(last)) if self.is_this_transaction(&last, txn)? => Ok(Ending::Device(last.outcome)),
                Ok(_) => d.terminal.reverse(txn.trace, total).await.map(|_| Ending::Reversed),
                Err(e) => Err(e),
            },
            PaymentMeans::QrCustomer | PaymentMeans::QrMerchant => {
                let id = &txn.id;
                match d.qr.query(id).await {
                    Ok(QrStatus::Paid(a)) => Ok(Ending::Device(Outcome::Approved(a))),
                    Ok(QrStatus::Failed(dcl)) => Ok(Ending::Device(Outcome::Declined(dcl))),
                    Ok(QrStatus::Waiting) => match d.qr.cancel(id).await {
                        Ok(QrStatus::Paid(a)) => Ok(Ending::Device(Outcome::Approved(a))),
                        Ok(_) => Ok(Ending::Reversed),
                        Err(e) => Err(e),
                    },
                    Ok(_) if txn.kind == TxnKind::Void => {
                        // A void is the cancellation of its original: did it take?
                        match original.as_ref().map(|o| o.id.clone()) {
                            Some(oid) => match d.qr.query(&oid).await {
                                Ok(QrStatus::Cancelled) => Ok(Ending::Device(Outcome::Approved(Approval::default()))),
                                Ok(_) => Ok(Ending::Reversed),
                                Err(e) => Err(e),
                            },
                            None => Ok(Ending::Reversed),
                        }
                    }
                    Ok(_) => Ok(Ending::Reversed),
                    Err(e) => Err(e),
                }
            }
            PaymentMeans::StoredValue => match d.stored_value.find(&txn.id).await {
                Ok(Some(o)) => Ok(Ending::Device(o)),
                Ok(None) => Ok(Ending::Reversed),
                Err(e) => Err(e),
            },
            // The drawer opens only after approval: an unfinished cash sale took no money.
            PaymentMeans::Cash => Ok(Ending::Reversed),
        };
        match learned {
            Ok(ending) => {
                let resolution = if matches!(ending, Ending::Reversed) {
                    None
                } else {
                    Some(Resolution::LastResult)
                };
                let step = complete(txn, original.as_ref(), ending, resolution, self.now())?;
                self.commit(&step.events)?;
                let done = step.txns[0].clone();
                let kind = match done.status {
                    TxnStatus::Approved => RecoveryKind::Approved,
                    TxnStatus::Reversed => RecoveryKind::Reversed,
                    _ => RecoveryKind::Declined,
                };
                Ok(Recovered { txn: done, kind })
            }
            Err(_) => {
                let mut current = txn.clone();
                if current.status == TxnStatus::Pending {
                    let step = complete(
                        txn,
                        original.as_ref(),
                        Ending::Unknown {
                            cause: "device unreachable in recovery".into(),
                        },
                        None,
                        self.now(),
                    )?;
                    self.commit(&step.events)?;
                    current = step.txns[0].clone();
                }
                Ok(Recovered {
                    txn: current,
                    kind: RecoveryKind::StillUnresolved,
                })
            }
        }
    }

    /// Whether the terminal's last result is `txn`'s: by trace number when the terminal echoes
    /// it; otherwise by amount and a reference that no recorded transaction has (a terminal
    /// that keeps its own numbering — only one transaction is ever in flight).
    pub(crate) fn is_this_transaction(&self, last: &LastResult, txn: &Transaction) -> Result<bool> {
        if last.amount != txn.total() {
            return Ok(false);
        }
        match (&last.trace, &last.reference) {
            (Some(trace), _) => Ok(*trace == txn.trace),
            (None, Some(reference)) => Ok(!self.journal().reference_recorded(reference)?),
            (None, None) => Ok(false),
        }
    }

    /// T8 at start: resolves every Pending/Unknown transaction and says what happened to each.
    pub async fn recover(&self) -> Result<Vec<Recovered>> {
        let _flow = self.flow.lock().await;
        self.recover_locked().await
    }

    pub(crate) async fn recover_locked(&self) -> Result<Vec<Recovered>> {
        let pending = self.journal().unresolved()?;
        let mut out = Vec::new();
        for txn in pending {
            out.push(self.resolve(&txn).await?);
        }
        Ok(out)
    }

    pub(crate) async fn ensure_resolved(&self) -> Result<()> {
        for r in self.recover_locked().await? {
            if r.kind == RecoveryKind::StillUnresolved {
                return Err(TillError::Unresolved {
                    trace: r.txn.trace.to_string(),
                });
            }
        }
        Ok(())
    }
}

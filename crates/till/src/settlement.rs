//! T10: X report, settlement (Z), balance, journal verify and the terminal's own end of day.

use super::*;

impl Till {
    pub(crate) fn current_batch(&self) -> Result<Batch> {
        self.journal().current_batch()?.ok_or_else(|| {
            DomainError::IllegalTransition {
                what: "report".into(),
                state: "no batch".into(),
            }
            .into()
        })
    }

    /// The open batch's totals by means.
    pub fn totals(&self) -> Result<BatchTotals> {
        let batch = self.current_batch()?;
        Ok(self.journal().totals(batch.no, self.config.currency)?)
    }

    /// T10: PRINT SUMMARY (X report).
    pub async fn x_report(&self) -> Result<Report> {
        self.authorize(Action::XReport)?;
        let batch = self.current_batch()?;
        let totals = self.journal().totals(batch.no, self.config.currency)?;
        let doc = receipt::x_report(&batch, &totals, &self.config, self.now()).resolve(&self.labels());
        let print_error = self.print_docs(std::slice::from_ref(&doc)).await;
        Ok(Report {
            batch,
            totals,
            terminal: None,
            docs: vec![doc],
            print_error,
            next_batch: None,
        })
    }

    /// T10: SETTLE. Closes the batch with the terminal (end-of-day), prints the settlement slip
    /// with any difference and the transaction list, and opens the next batch.
    pub async fn settle(&self) -> Result<Report> {
        let _flow = self.flow.lock().await;
        self.authorize(Action::Settle)?;
        self.ensure_resolved().await?;
        let batch = self.current_batch()?;
        let now = self.now();
        if batch.status == BatchStatus::Open {
            self.commit(&[Event {
                at: now,
                body: EventBody::SettlementStarted { batch: batch.no },
            }])?;
        }
        let terminal = if self
            .config
            .accepted
            .iter()
            .any(|m| matches!(m, PaymentMeans::Card | PaymentMeans::TapAndGo))
        {
            Some(
                self.devices
                    .terminal
                    .end_of_day()
                    .await
                    .map_err(TillError::device("terminal"))?,
            )
        } else {
            None
        };
        let totals = self.journal().totals(batch.no, self.config.currency)?;
        let next = BatchNo(batch.no.0 + 1);
        self.commit(&[
            Event {
                at: now,
                body: EventBody::Settled {
                    batch: batch.no,
                    till: Box::new(totals.clone()),
                    terminal,
                },
            },
            Event {
                at: now,
                body: EventBody::BatchOpened { batch: next },
            },
        ])?;
        let settled = self.journal().batch(batch.no)?.unwrap_or(batch);
        let txns = self.journal().batch_txns(settled.no)?;
        let labels = self.labels();
        let docs = vec![
            receipt::settlement_slip(&settled, &totals, terminal.as_ref(), &self.config, now).resolve(&labels),
            receipt::transaction_list(&settled, &txns, &self.config).resolve(&labels),
        ];
        let print_error = self.print_docs(&docs).await;
        Ok(Report {
            batch: settled,
            totals,
            terminal,
            docs,
            print_error,
            next_batch: Some(next),
        })
    }

    /// The means that settle by themselves at 00:00 (T10): every accepted one but those the
    /// card terminal settles at the manager's SETTLE (card, Tap & Go).
    pub fn auto_settled_means(&self) -> Vec<PaymentMeans> {
        self.config
            .accepted
            .iter()
            .copied()
            .filter(|m| !matches!(m, PaymentMeans::Card | PaymentMeans::TapAndGo))
            .collect()
    }

    /// T10: the automatic settlement at 00:00, asked for by the app's status loop. Due once a transaction of a means that settles by itself, still open in
    /// the batch, was started before the last local midnight: those transactions are closed
    /// with their totals (journaled, no operator: nobody asks for it) and the slip and list
    /// printed; card stays open for the manager's SETTLE. Never waits: while a flow runs, or
    /// while the batch is settling, it does nothing and is tried again at the next call.
    pub async fn auto_settle_if_due(&self) -> Result<Option<Report>> {
        let means = self.auto_settled_means();
        if means.is_empty() {
            return Ok(None);
        }
        let Ok(_flow) = self.flow.try_lock() else {
            return Ok(None);
        };
        let now = self.now();
        let offset = self.config.offset();
        let Some(midnight) = now
            .with_timezone(&offset)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|m| m.and_local_timezone(offset).single())
            .map(|m| m.with_timezone(&chrono::Utc))
        else {
            return Ok(None);
        };
        let Some(batch) = self.journal().current_batch()? else {
            return Ok(None);
        };
        if batch.status != BatchStatus::Open {
            return Ok(None);
        }
        let closing: Vec<Transaction> = self
            .journal()
            .batch_txns(batch.no)?
            .into_iter()
            .filter(|t| {
                means.contains(&t.means)
                    && t.started_at < midnight
                    && !matches!(t.status, TxnStatus::Pending | TxnStatus::Unknown)
            })
            .collect();
        if closing.is_empty() {
            return Ok(None);
        }
        let totals = BatchTotals::fold(batch.no, self.config.currency, &closing);
        // Through the last instant before midnight: a sale at 00:00:00 belongs to the new day.
        let through = midnight - chrono::Duration::microseconds(1);
        self.commit(&[Event {
            at: now,
            body: EventBody::MeansSettled {
                batch: batch.no,
                means: means.clone(),
                through,
                till: Box::new(totals.clone()),
            },
        }])?;
        let labels = self.labels();
        let docs = vec![
            receipt::auto_settlement_slip(&batch, &totals, through, &self.config, now).resolve(&labels),
            receipt::transaction_list(&batch, &closing, &self.config).resolve(&labels),
        ];
        let print_error = self.print_docs(&docs).await;
        Ok(Some(Report {
            batch,
            totals,
            terminal: None,
            docs,
            print_error,
            next_batch: None,
        }))
    }

    /// T5: stored-value balance and the last transactions made on this till.
    pub async fn balance(&self) -> Result<StoredValueBalance> {
        self.authorize(Action::Balance)?;
        self.devices
            .stored_value
            .balance(self.progress.as_ref())
            .await
            .map_err(TillError::device("stored-value"))
    }

    /// Walks the journal's hash chain and re-folds its events.
    pub fn verify_journal(&self) -> Result<VerifyReport> {
        Ok(self.journal().verify()?)
    }

    /// The terminal's own end-of-day, for technicians (a till settlement does this as part of
    /// SETTLE). Needs the settle permission.
    pub async fn terminal_end_of_day(&self) -> Result<TerminalTotals> {
        let _flow = self.flow.lock().await;
        self.authorize(Action::Settle)?;
        self.devices
            .terminal
            .end_of_day()
            .await
            .map_err(TillError::device("terminal"))
    }

    /// Device status for diagnostics.
    pub async fn terminal_status(&self) -> Result<DeviceStatus> {
        self.devices
            .terminal
            .status()
            .await
            .map_err(TillError::device("terminal"))
    }
}

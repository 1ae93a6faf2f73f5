//! The run of one transaction: journal the step, ask its device, journal the answer, print.

use super::*;

impl Till {
    /// Journals a started transaction, asks its device, journals the answer, then prints.
    pub(crate) async fn run(
        &self,
        step: Step,
        original: Option<Transaction>,
        code: Option<String>,
    ) -> Result<TxnResult> {
        self.commit(&step.events)?;
        let txn = step
            .txns
            .into_iter()
            .next()
            .ok_or_else(|| DomainError::IllegalTransition {
                what: "start".into(),
                state: "empty".into(),
            })?;
        let mut ending = None;
        for effect in &step.effects {
            match effect {
                Effect::ShowAmount { .. } => self.show_amount(&txn).await,
                Effect::Authorize { .. } => {
                    ending = Some(self.ask_device(&txn, original.as_ref(), code.as_deref()).await)
                }
                _ => {}
            }
        }
        let ending = ending.unwrap_or(Ending::Device(Outcome::Approved(Approval::default())));
        let unknown = matches!(ending, Ending::Unknown { .. });
        let mut result = self.finish(&txn, original.as_ref(), ending, None).await?;
        if unknown {
            // T8 at once: the device may still remember; otherwise recovery resolves it later.
            let recovered = self.resolve(&result.txn).await?;
            result.txn = recovered.txn.clone();
            if recovered.kind == RecoveryKind::Approved {
                result = self.after_completion(result.txn.clone()).await;
            }
        }
        if self.late_payment.swap(false, Ordering::SeqCst) && result.txn.status == TxnStatus::Approved {
            result = self.refund_late_payment(result).await?;
        }
        Ok(result)
    }

    /// T3: the customer paid after the cashier cancelled. The payment is recorded (it happened)
    /// and refunded at once, whatever the blocks — the customer must not pay for nothing — and
    /// the cashier is told.
    pub(crate) async fn refund_late_payment(&self, mut paid: TxnResult) -> Result<TxnResult> {
        let sale = paid.txn.clone();
        let (batch, _blocks, trace) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks: Blocks::default(),
            batch: &batch,
        };
        let now = self.now();
        let step = rules.start_refund(
            &sale,
            None,
            NewTxn {
                id: self.new_txn_id(now),
                trace,
                operator: &sale.operator,
                now,
            },
        )?;
        self.commit(&step.events)?;
        let refund = step.txns[0].clone();
        let ending = self.ask_device(&refund, Some(&sale), None).await;
        let done = self.finish(&refund, Some(&sale), ending, None).await?;
        paid.txn = self.journal().txn(&sale.id)?.unwrap_or(sale);
        paid.receipts.extend(done.receipts);
        paid.notices.push(if done.txn.status == TxnStatus::Approved {
            "notice-late-payment-refunded"
        } else {
            "notice-late-payment-refund-failed"
        });
        Ok(paid)
    }

    /// Applies an ending, commits it, and carries out the effects.
    pub(crate) async fn finish(
        &self,
        txn: &Transaction,
        original: Option<&Transaction>,
        ending: Ending,
        resolution: Option<Resolution>,
    ) -> Result<TxnResult> {
        let step = complete(txn, original, ending, resolution, self.now())?;
        self.commit(&step.events)?;
        let mut done = step.txns[0].clone();
        if step.effects.iter().any(|e| matches!(e, Effect::PrintReceipts { .. })) {
            done = self.signature(done).await?;
        }
        let mut result = TxnResult {
            txn: done.clone(),
            notices: Vec::new(),
            receipts: Vec::new(),
            print_error: None,
        };
        for effect in &step.effects {
            match effect {
                Effect::PrintReceipts { .. } => {
                    let (docs, err) = self.print_receipts(&done, false).await;
                    result.receipts = docs;
                    result.print_error = err;
                }
                Effect::KickDrawer => {
                    let _ = self.devices.printer.kick_drawer().await;
                }
                Effect::ShowResult { approved } => self.show_result(*approved).await,
                _ => {}
            }
        }
        Ok(result)
    }

    /// D4: when the card's CVM asks for a signature, the customer signs on the display; the
    /// strokes are journaled with the sale and print on the merchant copy. A display that
    /// cannot capture one (or a customer who cancels) leaves the paper signature line.
    pub(crate) async fn signature(&self, txn: Transaction) -> Result<Transaction> {
        let asks = txn.kind == TxnKind::Sale
            && txn.status == TxnStatus::Approved
            && txn
                .approval
                .as_ref()
                .and_then(|a| a.card.as_ref())
                .is_some_and(|c| c.cvm == Cvm::Signature);
        if !asks {
            return Ok(txn);
        }
        let l = self.localizer();
        let request = DisplaySnapshot::Signature {
            total: l.money(txn.total()),
            prompt: l.text("display-sign-here", &[]),
            clear: l.text("display-sign-clear", &[]),
            done: l.text("display-sign-done", &[]),
        };
        self.progress.progress(Progress::SignatureRequired);
        let signature = match self.devices.display.capture_signature(&request).await {
            Ok(Some(s)) if !s.is_blank() && s.is_valid() => s,
            _ => return Ok(txn),
        };
        let event = TxnEvent::Signed { signature };
        let mut signed = txn.clone();
        signed.apply(&event, self.now())?;
        self.commit(&[Event {
            at: self.now(),
            body: EventBody::Txn {
                id: txn.id.clone(),
                event,
            },
        }])?;
        Ok(signed)
    }

    /// Receipts and display for a transaction approved through recovery.
    pub(crate) async fn after_completion(&self, txn: Transaction) -> TxnResult {
        let (receipts, print_error) = self.print_receipts(&txn, false).await;
        if txn.means == PaymentMeans::Cash {
            let _ = self.devices.printer.kick_drawer().await;
        }
        self.show_result(true).await;
        TxnResult {
            txn,
            notices: Vec::new(),
            receipts,
            print_error,
        }
    }

    pub(crate) fn card_request(txn: &Transaction) -> CardRequest {
        CardRequest {
            txn: txn.id.clone(),
            trace: txn.trace,
            amount: txn.total(),
            tip: txn.tip,
        }
    }

    pub(crate) fn ending(result: std::result::Result<Outcome, DeviceError>) -> Ending {
        match result {
            Ok(o) => Ending::Device(o),
            Err(e) if e.outcome_unknown() => Ending::Unknown { cause: e.to_string() },
            Err(DeviceError::Busy) => Ending::Device(Outcome::Declined(Decline {
                code: "busy".into(),
                message_id: "decline-device-busy".into(),
            })),
            Err(_) => Ending::Device(Outcome::Declined(Decline {
                code: "unavailable".into(),
                message_id: "decline-device-unavailable".into(),
            })),
        }
    }

    /// Carries out the Authorize effect: the device of the transaction's means.
    pub(crate) async fn ask_device(
        &self,
        txn: &Transaction,
        original: Option<&Transaction>,
        code: Option<&str>,
    ) -> Ending {
        let p = self.progress.as_ref();
        let d = &self.devices;
        let total = txn.total();
        match (txn.kind, txn.means) {
            (_, PaymentMeans::Cash) => Ending::Device(Outcome::Approved(Approval::default())),
            (TxnKind::Sale, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                Till::ending(d.terminal.authorize(&Till::card_request(txn), p).await)
            }
            (TxnKind::Void, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                let target = VoidTarget {
                    trace: original.map_or(txn.trace, |o| o.trace),
                    reference: original
                        .and_then(|o| o.approval.as_ref())
                        .and_then(|a| a.reference.clone()),
                };
                Till::ending(d.terminal.void(&Till::card_request(txn), &target, p).await)
            }
            (TxnKind::Refund, PaymentMeans::Card | PaymentMeans::TapAndGo) => {
                Till::ending(d.terminal.refund(&Till::card_request(txn), p).await)
            }
            (TxnKind::Sale, PaymentMeans::QrCustomer) => {
                let charge = QrCharge {
                    txn: txn.id.clone(),
                    amount: total,
                    code: code.unwrap_or_default().to_owned(),
                };
                Till::ending(d.qr.charge(&charge).await)
            }
            (TxnKind::Sale, PaymentMeans::QrMerchant) => self.merchant_qr(txn).await,
            (TxnKind::Void, PaymentMeans::QrCustomer | PaymentMeans::QrMerchant) => {
                let Some(orig) = original else { return Ending::Reversed };
                match d.qr.cancel(&orig.id).await {
                    Ok(QrStatus::Cancelled) => Ending::Device(Outcome::Approved(Approval::default())),
                    Ok(_) => Ending::Device(Outcome::Declined(Decline {
                        code: "void-refused".into(),
                        message_id: "decline-generic".into(),
                    })),
                    Err(e) => Till::ending(Err(e)),
                }
            }
            (TxnKind::Refund, PaymentMeans::QrCustomer | PaymentMeans::QrMerchant) => {
                let Some(orig) = original else { return Ending::Reversed };
                Till::ending(d.qr.refund(&orig.id, &txn.id, total).await)
            }
            (TxnKind::Sale, PaymentMeans::StoredValue) => Till::ending(d.stored_value.pay(&txn.id, total, p).await),
            // The rules never start these (stored value allows no void or refund).
            (TxnKind::Void | TxnKind::Refund, PaymentMeans::StoredValue) => {
                Ending::Device(Outcome::Declined(Decline {
                    code: "not-allowed".into(),
                    message_id: "decline-generic".into(),
                }))
            }
        }
    }

    /// T3: create the order, show its code, and learn the result from the gateway.
    pub(crate) async fn merchant_qr(&self, txn: &Transaction) -> Ending {
        self.cancel.store(false, Ordering::SeqCst);
        let scheme = txn.qr_scheme.unwrap_or(QrScheme::Fps);
        let order = match self.devices.qr.create_order(&txn.id, txn.total(), scheme).await {
            Ok(o) => o,
            Err(e) => return Till::ending(Err(e)),
        };
        let l = self.localizer();
        let _ = self
            .devices
            .display
            .show(&DisplaySnapshot::QrToScan {
                payload: order.payload.clone(),
                total: l.money(txn.total()),
                prompt: l.text("progress-waiting-for-customer", &[]),
                expires_at: order.expires_at,
            })
            .await;
        self.progress.progress(Progress::WaitingForCustomer);
        for _ in 0..self.qr_poll_limit {
            if self.cancel.swap(false, Ordering::SeqCst) {
                break;
            }
            match self.devices.qr.query(&txn.id).await {
                Ok(QrStatus::Paid(a)) => return Ending::Device(Outcome::Approved(a)),
                Ok(QrStatus::Failed(d)) => return Ending::Device(Outcome::Declined(d)),
                Ok(QrStatus::Expired) => {
                    return Ending::Device(Outcome::Declined(Decline {
                        code: "expired".into(),
                        message_id: "decline-expired".into(),
                    }));
                }
                Ok(QrStatus::Cancelled | QrStatus::NotFound) => return Ending::Device(Outcome::Cancelled),
                Ok(QrStatus::Waiting) | Err(_) => {}
            }
            if !self.qr_poll_interval.is_zero() {
                tokio::time::sleep(self.qr_poll_interval).await;
            }
        }
        // Cancelled by the cashier or given up: cancel at the gateway. A payment that landed
        // meanwhile is recorded and then refunded automatically (see `refund_late_payment`).
        match self.devices.qr.cancel(&txn.id).await {
            Ok(QrStatus::Paid(a)) => {
                self.late_payment.store(true, Ordering::SeqCst);
                Ending::Device(Outcome::Approved(a))
            }
            Ok(_) => Ending::Device(Outcome::Cancelled),
            Err(e) => Till::ending(Err(e)),
        }
    }
}

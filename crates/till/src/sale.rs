//! T1–T4: a sale (card, QR either way, stored value, cash), and what every transaction starts from.

use super::*;

impl Till {
    pub(crate) fn commit(&self, events: &[Event]) -> Result<()> {
        self.journal().commit(events)?;
        Ok(())
    }

    pub(crate) fn new_txn_id(&self, now: DateTime<Utc>) -> TxnId {
        TxnId(format!(
            "{}-{}-{:08x}",
            self.config.till_id,
            now.timestamp_millis(),
            rand::thread_rng().r#gen::<u32>()
        ))
    }

    /// The open batch, blocks and next trace number, read together.
    pub(crate) fn rules_state(&self) -> Result<(Batch, Blocks, TraceNo)> {
        let j = self.journal();
        let batch = j.current_batch()?.ok_or_else(|| DomainError::IllegalTransition {
            what: "transaction".into(),
            state: "no batch".into(),
        })?;
        let trace = j.last_trace()?.map_or(TraceNo::FIRST, TraceNo::next);
        Ok((batch, j.blocks()?, trace))
    }

    /// Asks the cashier's front end to stop waiting (merchant-presented QR).
    pub fn request_cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// T1–T4: a sale.
    pub async fn sale(&self, input: SaleInput) -> Result<TxnResult> {
        let _flow = self.flow.lock().await;
        let session = self.authorize(Action::Sale)?;
        self.ensure_resolved().await?;
        let (batch, blocks, trace) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks,
            batch: &batch,
        };
        let mut req = SaleRequest {
            amount: input.amount,
            tip: input.tip,
            means: input.means,
            qr_scheme: input.qr_scheme,
        };
        let now = self.now();
        let new = |id| NewTxn {
            id,
            trace,
            operator: &session.operator,
            now,
        };
        // Validate before touching the scanner, so a refused sale asks nothing of any device.
        rules.start_sale(&req, new(TxnId(String::new())))?;
        let code = match input.means {
            PaymentMeans::QrCustomer => {
                let code = match input.code {
                    Some(c) => c,
                    None => {
                        self.progress.progress(Progress::ScanCode);
                        let scanned = self.devices.scanner.next_code().await;
                        scanned.map_err(TillError::device("scanner"))?.text
                    }
                };
                req.qr_scheme = Some(self.wallet_of(&code)?);
                Some(code)
            }
            PaymentMeans::QrMerchant => {
                let scheme = req.qr_scheme.unwrap_or(match self.config.currency {
                    Currency::Sgd => QrScheme::PayNow,
                    _ => QrScheme::Fps,
                });
                self.check_wallet(scheme)?;
                req.qr_scheme = Some(scheme);
                None
            }
            _ => None,
        };
        let step = rules.start_sale(&req, new(self.new_txn_id(now)))?;
        self.run(step, None, code).await
    }

    /// T2: which wallet a scanned customer code belongs to, by the wallets' documented length
    /// and prefix rules; refused unless this till takes that wallet.
    pub(crate) fn wallet_of(&self, code: &str) -> Result<QrScheme> {
        let scheme = match till_qr::classify(code) {
            till_qr::CustomerCode::WeChatPay { .. } => QrScheme::WechatPay,
            till_qr::CustomerCode::Alipay => QrScheme::Alipay,
            till_qr::CustomerCode::UnionPay | till_qr::CustomerCode::EmvCpm => QrScheme::UnionPay,
            _ => {
                let shown: String = code.chars().take(32).collect();
                return Err(DomainError::NotAPaymentCode { scanned: shown }.into());
            }
        };
        self.check_wallet(scheme)?;
        Ok(scheme)
    }

    pub(crate) fn check_wallet(&self, scheme: QrScheme) -> Result<()> {
        if self.config.wallets.contains(&scheme) {
            Ok(())
        } else {
            Err(DomainError::WalletNotAccepted {
                wallet: scheme.id().to_owned(),
            }
            .into())
        }
    }
}

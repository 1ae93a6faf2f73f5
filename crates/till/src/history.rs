//! T9: history and reprint.

use super::*;

impl Till {
    /// T9: history search; without criteria, the current batch.
    pub fn history(&self, mut q: HistoryQuery) -> Result<Vec<Transaction>> {
        self.authorize(Action::History)?;
        let j = self.journal();
        if q.trace.is_none()
            && q.last4.is_none()
            && q.auth_code.is_none()
            && q.amount_minor.is_none()
            && q.from.is_none()
            && q.batch.is_none()
        {
            q.batch = j.current_batch()?.map(|b| b.no);
        }
        Ok(j.search(&q)?)
    }

    /// T9: reprint a transaction's receipts, marked REPRINT.
    pub async fn reprint(&self, trace: TraceNo) -> Result<TxnResult> {
        self.authorize(Action::Reprint)?;
        let txn = self.by_trace(trace)?;
        if !matches!(txn.status, TxnStatus::Approved | TxnStatus::Voided) {
            return Err(DomainError::NotApprovedSale {
                trace: trace.to_string(),
                status: txn.status.id().to_owned(),
            }
            .into());
        }
        let (receipts, print_error) = self.print_receipts(&txn, true).await;
        Ok(TxnResult {
            txn,
            notices: Vec::new(),
            receipts,
            print_error,
        })
    }
}

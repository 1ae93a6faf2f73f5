//! Receipts and the customer display, in the till's language.

use super::*;

impl Till {
    pub(crate) fn labels(&self) -> ReceiptLabels {
        ReceiptLabels::for_lang(self.lang())
    }

    /// The receipts of a transaction as documents, resolved in the till's language.
    pub fn receipts_for(&self, txn: &Transaction, reprint: bool) -> Vec<ReceiptDoc> {
        let labels = self.labels();
        let now = self.now();
        let mut copies = Vec::new();
        if self.config.copies.merchant {
            copies.push(ReceiptCopy::Merchant);
        }
        if self.config.copies.customer {
            copies.push(ReceiptCopy::Customer);
        }
        copies
            .into_iter()
            .map(|c| receipt::transaction_receipt(txn, &self.config, c, reprint, now).resolve(&labels))
            .collect()
    }

    /// Prints documents after asking the printer's status: paper out or cover open is reported
    /// before printing, never as a lost receipt.
    pub(crate) async fn print_docs(&self, docs: &[ReceiptDoc]) -> Option<DeviceError> {
        match self.devices.printer.status().await {
            Ok(s) if s.paper_out => return Some(DeviceError::PaperOut),
            Ok(s) if s.cover_open => return Some(DeviceError::CoverOpen),
            Err(e) => return Some(e),
            Ok(_) => {}
        }
        for doc in docs {
            if let Err(e) = self.devices.printer.print(doc).await {
                return Some(e);
            }
        }
        None
    }

    pub(crate) async fn print_receipts(
        &self,
        txn: &Transaction,
        reprint: bool,
    ) -> (Vec<ReceiptDoc>, Option<DeviceError>) {
        let docs = self.receipts_for(txn, reprint);
        let err = self.print_docs(&docs).await;
        (docs, err)
    }

    pub(crate) async fn show_amount(&self, txn: &Transaction) {
        let l = self.localizer();
        let snapshot = DisplaySnapshot::Amount {
            amount: l.money(txn.amount),
            tip: l.money(txn.tip),
            total: l.money(txn.total()),
            labels: [
                l.text("receipt-amount", &[]),
                l.text("receipt-tip", &[]),
                l.text("receipt-total", &[]),
            ],
        };
        let _ = self.devices.display.show(&snapshot).await;
    }

    pub(crate) async fn show_result(&self, approved: bool) {
        let l = self.localizer();
        let text = l.text(if approved { "result-approved" } else { "result-declined" }, &[]);
        let _ = self
            .devices
            .display
            .show(&DisplaySnapshot::Result { approved, text })
            .await;
    }
}

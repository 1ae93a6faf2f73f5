//! T6–T7: void and refund, both against an original found by its trace number.

use super::*;

impl Till {
    /// Looks up the newest transaction with this trace number.
    pub(crate) fn by_trace(&self, trace: TraceNo) -> Result<Transaction> {
        self.journal()
            .search(&HistoryQuery {
                trace: Some(trace),
                limit: Some(1),
                ..HistoryQuery::default()
            })?
            .into_iter()
            .next()
            .ok_or_else(|| {
                DomainError::UnknownTrace {
                    trace: trace.to_string(),
                }
                .into()
            })
    }

    /// T6: void by trace number, with a supervisor's PIN.
    pub async fn void(&self, trace: TraceNo, supervisor: &Credentials) -> Result<TxnResult> {
        self.against_original(trace, supervisor, Action::Void, |rules, original, new| {
            rules.start_void(original, new)
        })
        .await
    }

    /// T7: refund by trace number (all that remains, or `amount`), with a refund PIN.
    pub async fn refund(&self, trace: TraceNo, amount: Option<Money>, authorizer: &Credentials) -> Result<TxnResult> {
        self.against_original(trace, authorizer, Action::Refund, |rules, original, new| {
            rules.start_refund(original, amount, new)
        })
        .await
    }

    /// A void or refund: the rules are checked before the PIN prompt (a refused command costs
    /// no PIN attempt), and again after recovery, against the state it left.
    pub(crate) async fn against_original<F>(
        &self,
        trace: TraceNo,
        creds: &Credentials,
        action: Action,
        start: F,
    ) -> Result<TxnResult>
    where
        F: Fn(&Rules<'_>, &Transaction, NewTxn<'_>) -> std::result::Result<Step, DomainError>,
    {
        let _flow = self.flow.lock().await;
        let session = self.authorize(Action::History)?;
        let now = self.now();
        self.start_against(trace, TxnId(String::new()), &session.operator, now, &start)?;
        let op = self.authorize_with(creds, action)?;
        self.ensure_resolved().await?;
        let (step, original) = self.start_against(trace, self.new_txn_id(now), &op.id, now, &start)?;
        self.run(step, Some(original), None).await
    }

    pub(crate) fn start_against<F>(
        &self,
        trace: TraceNo,
        id: TxnId,
        operator: &str,
        now: DateTime<Utc>,
        start: &F,
    ) -> Result<(Step, Transaction)>
    where
        F: Fn(&Rules<'_>, &Transaction, NewTxn<'_>) -> std::result::Result<Step, DomainError>,
    {
        let original = self.by_trace(trace)?;
        let (batch, blocks, next) = self.rules_state()?;
        let rules = Rules {
            config: &self.config,
            blocks,
            batch: &batch,
        };
        let step = start(
            &rules,
            &original,
            NewTxn {
                id,
                trace: next,
                operator,
                now,
            },
        )?;
        Ok((step, original))
    }
}

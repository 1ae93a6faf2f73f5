//! Generated history for the benchmarks and the tests that need a long journal.

use chrono::{DateTime, Utc};
use till_domain::{
    BatchNo, BatchTotals, Currency, Event, EventBody, Money, PaymentMeans, TraceNo, Transaction, TxnEvent, TxnId,
    TxnKind,
};

use crate::Result;

use crate::Journal;

/// Generated history for benchmarks and tests: `count` approved sales spread over `batches`
/// batches, committed `chunk` events per SQLite transaction through the normal commit path.
pub fn fill_for_benchmark(journal: &mut Journal, count: u64, batches: u32, start: DateTime<Utc>) -> Result<()> {
    use till_domain::{Approval, CardData, Cvm, EntryMode};
    let per_batch = count.div_ceil(u64::from(batches.max(1)));
    let mut events = Vec::with_capacity(20_000);
    let mut trace = journal.last_trace()?.unwrap_or(TraceNo::FIRST);
    let first_batch = journal.current_batch()?.map_or(1, |b| b.no.0 + 1);
    for i in 0..count {
        let batch = BatchNo(first_batch + (i / per_batch) as u32);
        let at = start + chrono::Duration::seconds(i as i64 * 7);
        if i % per_batch == 0 {
            if batch.0 > first_batch {
                events.push(Event {
                    at,
                    body: EventBody::Settled {
                        batch: BatchNo(batch.0 - 1),
                        till: Box::new(BatchTotals::empty(BatchNo(batch.0 - 1), Currency::Hkd)),
                        terminal: None,
                    },
                });
            }
            events.push(Event {
                at,
                body: EventBody::BatchOpened { batch },
            });
        }
        trace = trace.next();
        let minor = 100 + (i as i64 * 7919) % 200_000;
        let pan = format!("4{:015}", i * 104_729 % 1_000_000_000_000_000);
        let (masked_pan, last4) = CardData::mask(&pan);
        let id = TxnId(format!("bench-{i:08}"));
        let means = PaymentMeans::ALL[(i % 6) as usize];
        let txn = Transaction {
            id: id.clone(),
            kind: TxnKind::Sale,
            means,
            amount: Money::new(minor, Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
            trace,
            batch,
            original: None,
            operator: "1".into(),
            qr_scheme: None,
            started_at: at,
            updated_at: at,
            status: till_domain::TxnStatus::Pending,
            approval: None,
            decline: None,
            refunded: Money::zero(Currency::Hkd),
            voided_by: None,
            resolution: None,
            signature: None,
            settled_at: None,
        };
        let card = (means == PaymentMeans::Card).then(|| CardData {
            masked_pan,
            last4,
            scheme: "VISA".into(),
            entry_mode: EntryMode::Chip,
            aid: Some("A0000000031010".into()),
            app_label: Some("VISA CREDIT".into()),
            cryptogram: None,
            cvm: Cvm::PinVerified,
        });
        let approval = Approval {
            auth_code: Some(format!("{:06}", (i * 31) % 1_000_000)),
            reference: None,
            card,
            ..Approval::default()
        };
        events.push(Event {
            at,
            body: EventBody::Txn {
                id: id.clone(),
                event: TxnEvent::Started { txn: Box::new(txn) },
            },
        });
        events.push(Event {
            at,
            body: EventBody::Txn {
                id,
                event: TxnEvent::Approved {
                    approval,
                    resolution: None,
                },
            },
        });
        if events.len() >= 20_000 {
            journal.commit(&events)?;
            events.clear();
        }
    }
    journal.commit(&events)?;
    Ok(())
}

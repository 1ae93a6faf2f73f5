//! Random command sequences against a till; the invariants of the money are checked after
//! every step.

use crate::support::*;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use till::TillError;
use till_domain::ports::HostCommand;
use till_domain::{BatchTotals, PaymentMeans, Transaction, TxnKind, TxnStatus};
use till_journal::HistoryQuery;

#[derive(Debug, Clone)]
enum Cmd {
    Sale { minor: i64, tip: i64, means: PaymentMeans },
    Void { pick: usize },
    Refund { pick: usize, part: Option<u8> },
    Settle,
    RefundBlock(bool),
}

fn amount() -> impl Strategy<Value = i64> {
    // Plain amounts and the simulators' magic endings (declines, time-outs, dropped lines...).
    prop_oneof![
        4 => 1i64..50_000,
        1 => (1i64..400).prop_flat_map(|d| prop::sample::select(vec![51, 52, 53, 54, 55, 56, 61, 91, 92, 93]).prop_map(move |c| d * 100 + c)),
    ]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let means = prop::sample::select(PaymentMeans::ALL.to_vec());
    prop_oneof![
        6 => (amount(), prop_oneof![3 => Just(0i64), 1 => 1i64..2_000], means).prop_map(|(minor, tip, means)| Cmd::Sale { minor, tip, means }),
        2 => any::<usize>().prop_map(|pick| Cmd::Void { pick }),
        2 => (any::<usize>(), prop::option::of(1u8..=100)).prop_map(|(pick, part)| Cmd::Refund { pick, part }),
        1 => Just(Cmd::Settle),
        1 => any::<bool>().prop_map(Cmd::RefundBlock),
    ]
}

fn all_txns(r: &Rig) -> Result<Vec<Transaction>, TillError> {
    r.till.history(HistoryQuery {
        from: Some(chrono::DateTime::UNIX_EPOCH),
        limit: Some(1_000_000),
        ..Default::default()
    })
}

/// The invariants of FLOWS.md over everything the journal holds.
fn check(r: &Rig) -> Result<(), String> {
    let txns = all_txns(r).map_err(|e| e.to_string())?;
    let batch = r.till.totals().map_err(|e| e.to_string())?.batch;
    // Batch totals (SQL) equal the pure fold, and approved minus voided minus refunded.
    let sql = r.till.totals().map_err(|e| e.to_string())?;
    let fold = BatchTotals::fold(batch, sql.currency, &txns);
    if sql != fold {
        return Err(format!("SQL totals {sql:?} differ from the fold {fold:?}"));
    }
    let in_batch = txns.iter().filter(|t| t.batch == batch);
    let expected: i64 = in_batch
        .map(|t| match (t.kind, t.status) {
            (TxnKind::Sale, TxnStatus::Approved) => t.total().minor,
            (TxnKind::Refund, TxnStatus::Approved) => -t.total().minor,
            _ => 0,
        })
        .sum();
    if sql.net().minor != expected {
        return Err(format!(
            "net {} but approved - voided - refunded = {expected}",
            sql.net().minor
        ));
    }
    let by_id: HashMap<_, _> = txns.iter().map(|t| (t.id.clone(), t)).collect();
    let mut refunded: HashMap<_, i64> = HashMap::new();
    let mut traces: HashSet<(u32, u32)> = HashSet::new();
    for t in &txns {
        if t.status.is_unresolved() {
            return Err(format!("{} left unresolved", t.trace));
        }
        if !traces.insert((t.batch.0, t.trace.value())) {
            return Err(format!("trace {} twice in batch {}", t.trace, t.batch));
        }
        if let Some(o) = &t.original {
            let orig = by_id.get(&o.id).ok_or("original missing")?;
            if t.status == TxnStatus::Approved {
                match t.kind {
                    TxnKind::Void => {
                        if orig.batch != t.batch || !orig.means.allows_void() || orig.status != TxnStatus::Voided {
                            return Err(format!("void {} of {} breaks the rules", t.trace, orig.trace));
                        }
                    }
                    TxnKind::Refund => {
                        if !orig.means.allows_refund() {
                            return Err(format!("refund on {:?}", orig.means));
                        }
                        *refunded.entry(o.id.clone()).or_default() += t.total().minor;
                    }
                    TxnKind::Sale => {}
                }
            }
        }
    }
    for t in txns.iter().filter(|t| t.kind == TxnKind::Sale) {
        let sum = refunded.get(&t.id).copied().unwrap_or(0);
        if t.refunded.minor != sum || sum > t.total().minor {
            return Err(format!(
                "sale {} refunded {} of {}, refunds sum {sum}",
                t.trace,
                t.refunded.minor,
                t.total().minor
            ));
        }
    }
    Ok(())
}

fn is_refusal(e: &TillError) -> bool {
    matches!(e, TillError::Domain(_))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_command(cmds in prop::collection::vec(cmd(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let r = rig();
        rt.block_on(async {
            for c in cmds {
                r.clock.advance(chrono::Duration::seconds(5));
                let sales: Vec<Transaction> = all_txns(&r).expect("history").into_iter().filter(|t| t.kind == TxnKind::Sale).collect();
                let pick = |i: usize| sales.get(i % sales.len().max(1)).map(|t| t.trace);
                let result = match &c {
                    Cmd::Sale { minor, tip, means } => r.sale_tip(*minor, *tip, *means).await.map(|_| ()),
                    Cmd::Void { pick: i } => match pick(*i) {
                        Some(t) => r.till.void(t, &manager()).await.map(|_| ()),
                        None => Ok(()),
                    },
                    Cmd::Refund { pick: i, part } => match (pick(*i), sales.get(*i % sales.len().max(1))) {
                        (Some(t), Some(s)) => {
                            let amount = part.map(|p| hkd((s.total().minor * i64::from(p) / 100).max(1)));
                            r.till.refund(t, amount, &manager()).await.map(|_| ())
                        }
                        _ => Ok(()),
                    },
                    Cmd::Settle => r.till.settle().await.map(|_| ()),
                    Cmd::RefundBlock(on) => r.till.apply_host_command(if *on { &HostCommand::BlockRefund } else { &HostCommand::UnblockRefund }).map(|_| ()),
                };
                if let Err(e) = &result {
                    prop_assert!(is_refusal(e), "{c:?} failed with a non-refusal: {e:?}");
                }
                if let Err(msg) = check(&r) {
                    prop_assert!(false, "after {c:?}: {msg}");
                }
            }
            r.till.verify_journal().map_err(|e| TestCaseError::fail(e.to_string()))?;
            Ok(())
        })?;
    }
}

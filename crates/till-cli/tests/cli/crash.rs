//! Crash safety: a child process running random flows is killed with SIGKILL at random points
//! (a real file, a real kill), then the till is reopened. After every restart: recovery leaves
//! nothing unresolved, `journal verify` passes, and the journal agrees with what each simulated
//! device really did — no approved transaction lost, none charged twice.
//!
//! 200 kills by default; OPENTILL_CRASH_ITERATIONS=10000 for the long run.

use crate::support::*;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::Arc;
use till::{RecoveryKind, Sims, SystemClock, Till, TillOptions};
use till_domain::ports::Outcome;
use till_domain::{PaymentMeans, Transaction, TxnKind, TxnStatus};
use till_journal::HistoryQuery;

/// Reopens the till after a kill and checks it; returns (transactions, how many recovery resolved).
pub fn check(dir: &std::path::Path) -> Result<(usize, usize), String> {
    let config = till::store::load_or_create_config(dir).map_err(|e| e.to_string())?;
    let sims =
        Sims::open(Some(&dir.join("sim")), Arc::new(SystemClock), config.currency, 32).map_err(|e| e.to_string())?;
    let till = Till::open_dir(dir, sims.devices(), TillOptions::new(config)).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let recovered = rt.block_on(till.recover()).map_err(|e| e.to_string())?;
    if let Some(r) = recovered.iter().find(|r| r.kind == RecoveryKind::StillUnresolved) {
        return Err(format!("{} left unresolved", r.txn.trace));
    }
    till.verify_journal().map_err(|e| format!("journal verify: {e}"))?;
    till.login("1", PIN).map_err(|e| e.to_string())?;
    let txns: Vec<Transaction> = till
        .history(HistoryQuery {
            from: Some(chrono::DateTime::UNIX_EPOCH),
            limit: Some(10_000_000),
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
    if let Some(t) = txns.iter().find(|t| t.status.is_unresolved()) {
        return Err(format!("{} is {:?} after recovery", t.trace, t.status));
    }
    let done = |t: &&Transaction| matches!(t.status, TxnStatus::Approved | TxnStatus::Voided);
    let on_terminal = |t: &&Transaction| matches!(t.means, PaymentMeans::Card | PaymentMeans::TapAndGo);

    // Card terminal: every approved, unreversed record is one approved transaction, and back.
    let records = sims.terminal.records();
    let charged: Vec<_> = records
        .iter()
        .filter(|r| !r.reversed && matches!(r.outcome, Outcome::Approved(_)))
        .collect();
    for t in txns.iter().filter(on_terminal) {
        let hits = charged
            .iter()
            .filter(|r| r.trace == t.trace && r.amount == t.total() && r.kind == t.kind)
            .count();
        match (done(&t), hits) {
            (true, 1) | (false, 0) => {}
            (ok, n) => {
                return Err(format!(
                    "{:?} {} is {:?} in the journal but the terminal holds {n} charges (approved: {ok})",
                    t.kind, t.trace, t.status
                ));
            }
        }
        if t.kind == TxnKind::Sale && done(&t) {
            let voided_on_terminal = charged
                .iter()
                .any(|r| r.trace == t.trace && r.kind == TxnKind::Sale && r.voided);
            if voided_on_terminal != (t.status == TxnStatus::Voided) {
                return Err(format!("sale {} void state differs from the terminal", t.trace));
            }
        }
    }
    let terminal_txns = txns.iter().filter(on_terminal).filter(done).count();
    if terminal_txns != charged.len() {
        return Err(format!(
            "terminal holds {} charges, journal {} approved card transactions",
            charged.len(),
            terminal_txns
        ));
    }

    // QR gateway: paid ids are exactly the approved, unvoided QR sales and approved QR refunds.
    let qr = |t: &&Transaction| matches!(t.means, PaymentMeans::QrCustomer | PaymentMeans::QrMerchant);
    let journal_paid: HashSet<_> = txns
        .iter()
        .filter(qr)
        .filter(|t| t.status == TxnStatus::Approved && t.kind != TxnKind::Void)
        .map(|t| t.id.clone())
        .collect();
    let gateway: HashMap<_, _> = sims
        .qr
        .paid()
        .into_iter()
        .map(|(id, _, refunded)| (id, refunded))
        .collect();
    let gateway_paid: HashSet<_> = gateway.keys().cloned().collect();
    if journal_paid != gateway_paid {
        return Err(format!(
            "QR: journal {} paid, gateway {} paid",
            journal_paid.len(),
            gateway_paid.len()
        ));
    }
    for t in txns
        .iter()
        .filter(qr)
        .filter(|t| t.kind == TxnKind::Sale && t.status == TxnStatus::Approved)
    {
        if gateway.get(&t.id).copied() != Some(t.refunded.minor) {
            return Err(format!(
                "QR sale {} refunded {} in the journal, not at the gateway",
                t.trace, t.refunded.minor
            ));
        }
    }

    // Stored value: the card's payments are exactly the approved stored-value sales.
    let sv_journal: HashSet<_> = txns
        .iter()
        .filter(|t| t.means == PaymentMeans::StoredValue && t.status == TxnStatus::Approved)
        .map(|t| t.id.clone())
        .collect();
    let sv_card: HashSet<_> = sims.stored_value.payments().into_iter().map(|(id, _)| id).collect();
    if sv_journal != sv_card {
        return Err(format!(
            "stored value: journal {} payments, card {}",
            sv_journal.len(),
            sv_card.len()
        ));
    }
    Ok((txns.len(), recovered.len()))
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_charges_nothing_twice() -> TestResult {
    let iterations: u64 = std::env::var("OPENTILL_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = fresh("crash");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_121);
    let mut last = 0;
    let mut resolved = 0;
    for i in 0..iterations {
        let mut child = Command::new(env!("CARGO_BIN_EXE_till-soak"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--seed", &i.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(20..150)));
        if let Some(status) = child.try_wait()? {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().ok_or("stderr")?, &mut err)?;
            return Err(format!("the soak child stopped by itself ({status}): {err}").into());
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        let (count, recovered) = check(dir.path()).map_err(|e| format!("after kill {i}: {e}"))?;
        last = count;
        resolved += recovered;
    }
    assert!(
        last as u64 >= iterations / 2,
        "the children did real work: {last} transactions in {iterations} runs"
    );
    assert!(
        resolved > 0,
        "some kills landed mid-transaction and recovery resolved them"
    );
    eprintln!("{iterations} kills, {last} transactions, {resolved} resolved by recovery");
    Ok(())
}

//! Serial faults between the driver (on a real pseudo-terminal) and the simulator: none loses
//! or duplicates a payment.

use crate::support::*;
use std::sync::Arc;
use till::TillError;
use till_domain::TxnStatus;
use till_terminal::ZvtSim;
use till_terminal::driver::{Connection, ZvtTerminal};
use till_terminal::sim::Kind;

/// Runs one card sale through a faulty line; returns the sale's status and the simulator.
async fn sale_through(
    rule: Rule,
    minor: i64,
) -> Result<(TxnStatus, Arc<ZvtSim>, till_testkit::TempDir), Box<dyn std::error::Error>> {
    let dir = till_testkit::TempDir::new("zvt-fault");
    let sim = Arc::new(ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    let line = fault_line(sim.clone(), rule)?;
    let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Serial {
        path: line.path,
        baud: 9600,
    })));
    let till = till_with(terminal, dir.path())?;
    let status = match till.sale(card(minor)).await {
        Ok(r) => r.txn.status,
        Err(TillError::Unresolved { .. }) => TxnStatus::Unknown,
        Err(e) => return Err(e.into()),
    };
    Ok((status, sim, dir))
}

fn booked_sales(sim: &ZvtSim) -> usize {
    sim.records()
        .iter()
        .filter(|r| r.kind == Kind::Sale && !r.reversed)
        .count()
}

/// A rule that applies `action` to the first unit matching `pick`, and forwards the rest.
fn once(mut pick: impl FnMut(Dir, &[u8]) -> bool + Send + 'static, action: Action) -> Rule {
    let mut done = false;
    Box::new(move |dir, unit| {
        if !done && pick(dir, unit) {
            done = true;
            action
        } else {
            Action::Forward
        }
    })
}

#[tokio::test]
async fn corrupted_crc_is_naked_and_repeated() -> TestResult {
    let rule = once(|dir, u| dir == Dir::EcrToPt && is(u, 0x06, 0x01), Action::Corrupt);
    let (status, sim, _dir) = sale_through(rule, 2500).await?;
    assert_eq!(status, TxnStatus::Approved);
    assert_eq!(booked_sales(&sim), 1, "exactly one payment");
    Ok(())
}

#[tokio::test]
async fn a_dropped_ack_does_not_send_the_command_twice() -> TestResult {
    let mut after_auth = false;
    let mut done = false;
    let rule: Rule = Box::new(move |dir, u| {
        if dir == Dir::EcrToPt && is(u, 0x06, 0x01) {
            after_auth = true;
        }
        if after_auth && !done && dir == Dir::PtToEcr && is_ack_byte(u) {
            done = true;
            return Action::Drop;
        }
        Action::Forward
    });
    let (status, sim, _dir) = sale_through(rule, 2600).await?;
    assert_eq!(status, TxnStatus::Approved);
    assert_eq!(
        booked_sales(&sim),
        1,
        "the repeat (if any) is recognised, not booked again"
    );
    Ok(())
}

#[tokio::test]
async fn a_lost_byte_in_the_result_is_naked_and_repeated() -> TestResult {
    let rule = once(|dir, u| dir == Dir::PtToEcr && is(u, 0x04, 0x0F), Action::LoseByte);
    let (status, sim, _dir) = sale_through(rule, 2700).await?;
    assert_eq!(status, TxnStatus::Approved);
    assert_eq!(booked_sales(&sim), 1);
    Ok(())
}

#[tokio::test]
async fn a_late_reply_within_t3_is_fine() -> TestResult {
    let rule = once(|dir, u| dir == Dir::PtToEcr && is(u, 0x80, 0x00), Action::Delay(900));
    let (status, sim, _dir) = sale_through(rule, 2800).await?;
    assert_eq!(status, TxnStatus::Approved);
    assert_eq!(booked_sales(&sim), 1);
    Ok(())
}

#[tokio::test]
async fn a_busy_terminal_declines_without_charging() -> TestResult {
    let (status, sim, _dir) = sale_through(Box::new(|_, _| Action::Forward), 2993).await?;
    assert_eq!(status, TxnStatus::Declined);
    assert_eq!(booked_sales(&sim), 0);
    Ok(())
}

/// The line is cut mid-authorization (after the card prompt): the sale is Unknown, the till
/// refuses new sales until it is resolved, and a restart resolves it from the terminal's record:
/// not booked (the PT never had its result acknowledged), so reversed — the customer was not
/// charged.
#[tokio::test]
async fn line_cut_mid_authorization_is_unknown_then_resolved_at_start() -> TestResult {
    let dir = till_testkit::TempDir::new("zvt-cut");
    let sim = Arc::new(ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    {
        let rule = once(|dir, u| dir == Dir::PtToEcr && is(u, 0x04, 0xFF), Action::Cut);
        let line = fault_line(sim.clone(), rule)?;
        let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Serial {
            path: line.path,
            baud: 9600,
        })));
        let till = till_with(terminal, dir.path())?;
        let sale = till.sale(card(3100)).await?;
        assert_eq!(sale.txn.status, TxnStatus::Unknown, "{:?}", sale.txn);
        let next = till.sale(card(500)).await;
        assert!(
            matches!(next, Err(TillError::Unresolved { .. })),
            "no new sale while one is unknown: {next:?}"
        );
    }
    // The cable is back (a new line to the same terminal); the till restarts.
    let line = fault_line(sim.clone(), Box::new(|_, _| Action::Forward))?;
    let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Serial {
        path: line.path,
        baud: 9600,
    })));
    let till = till_with(terminal, dir.path())?;
    let recovered = till.recover().await?;
    assert_eq!(recovered.len(), 1);
    assert_eq!(
        recovered[0].kind,
        till::RecoveryKind::Reversed,
        "never booked: not charged"
    );
    assert_eq!(booked_sales(&sim), 0);
    let after = till.sale(card(500)).await?;
    assert_eq!(after.txn.status, TxnStatus::Approved, "the till takes sales again");
    till.verify_journal()?;
    Ok(())
}

/// Cut after the ECR acknowledged the result: the PT has booked it, the completion never
/// arrives — the payment stands, once.
#[tokio::test]
async fn line_cut_after_the_result_keeps_the_payment() -> TestResult {
    let mut seen_result = false;
    let rule: Rule = Box::new(move |dir, u| {
        if dir == Dir::PtToEcr && is(u, 0x04, 0x0F) {
            seen_result = true;
        }
        if seen_result && dir == Dir::PtToEcr && (is(u, 0x04, 0xFF) || is(u, 0x06, 0x0F)) {
            return Action::Cut;
        }
        Action::Forward
    });
    let (status, sim, _dir) = sale_through(rule, 3200).await?;
    assert_eq!(status, TxnStatus::Approved);
    assert_eq!(booked_sales(&sim), 1);
    Ok(())
}

/// The cashier aborts while the PT waits for the card: the ECR sends 06 B0, the PT answers
/// 06 1E 6C, and nothing is booked.
#[tokio::test]
async fn an_abort_mid_payment_is_answered_06_1e_6c() -> TestResult {
    let dir = till_testkit::TempDir::new("zvt-abort");
    let sim = Arc::new(ZvtSim::open(None)?);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let rule: Rule = Box::new(move |dir, unit| {
        if let Some(apdu) = apdu_of(unit) {
            log.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((dir, apdu));
        }
        Action::Forward
    });
    let line = fault_line(sim.clone(), rule)?;
    let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Serial {
        path: line.path,
        baud: 9600,
    })));
    let till = till_with(terminal, dir.path())?;
    let (sale, aborted) = tokio::join!(till.sale(card(2957)), async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while !sim.waiting_for_card() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        till.abort_flow().await
    });
    aborted?;
    assert_eq!(sale?.txn.status, TxnStatus::Cancelled);
    let seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let abort = seen
        .iter()
        .position(|(d, a)| *d == Dir::EcrToPt && a.starts_with(&[0x06, 0xB0]))
        .ok_or("the ECR sent 06 B0")?;
    assert!(
        seen[abort..]
            .iter()
            .any(|(d, a)| *d == Dir::PtToEcr && a.starts_with(&[0x06, 0x1E]) && a.get(3) == Some(&0x6C)),
        "the PT answered 06 1E 6C after it: {seen:02X?}"
    );
    assert_eq!(booked_sales(&sim), 0, "nothing booked");
    Ok(())
}

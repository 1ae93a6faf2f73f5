//! Issue 14: an update installs only when the till is idle — never while a flow runs, a
//! transaction waits for recovery (T8) or the batch is settling (T10) — and while the app
//! holds the moment for the installer, no new flow starts.

use crate::support::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use till::{SaleInput, Sims, Till, TillError, TillOptions};
use till_domain::PaymentMeans;

fn card(minor: i64) -> SaleInput {
    SaleInput {
        amount: hkd(minor),
        tip: hkd(0),
        means: PaymentMeans::Card,
        qr_scheme: None,
        code: None,
    }
}

fn held_for(e: TillError) -> Option<&'static str> {
    match e {
        TillError::UpdateHeld { reason } => Some(reason),
        _ => None,
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_update_waits_for_a_sale_in_flight_an_unresolved_transaction_and_a_settling_batch() -> TestResult {
    let dir = till_testkit::TempDir::new("update-hold");
    let clock = Arc::new(till::ManualClock::new(till_testkit::t0()));
    let config = config();
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let pad = Pad::holding(sims.terminal.clone());
    let mut devices = sims.devices();
    devices.terminal = pad.clone();
    let mut opts = TillOptions::new(config);
    opts.clock = clock.clone();
    let till = Arc::new(Till::open_dir(dir.path(), devices, opts)?);
    till.change_pin("1", "0001", PIN)?;
    till.login("1", PIN)?;

    // A sale in flight: the customer is at the PIN pad.
    let sale = tokio::spawn({
        let till = till.clone();
        async move { till.sale(card(4200)).await }
    });
    pad.at_prompt.notified().await;
    let refused = till.hold_for_update().map(|_| ()).expect_err("no update mid-sale");
    assert_eq!(held_for(refused), Some("busy"));
    pad.hold.store(false, Ordering::SeqCst);
    pad.go.add_permits(1);
    assert_eq!(sale.await??.txn.status, till_domain::TxnStatus::Approved);

    // Idle: the update may go; while its guard lives, the next sale cannot start.
    let guard = till.hold_for_update()?;
    let mut next = Box::pin(till.sale(card(1000)));
    assert!(
        tokio::time::timeout(Duration::ZERO, &mut next).await.is_err(),
        "no sale starts while the installer has the till"
    );
    drop(guard);
    assert_eq!(next.await?.txn.status, till_domain::TxnStatus::Approved);

    // The PIN pad stops answering during an authorization: the sale is Unknown and T8 cannot
    // resolve it yet. No update until it is.
    pad.down.store(true, Ordering::SeqCst);
    let lost = till.sale(card(2500)).await;
    assert!(
        lost.as_ref().map_or(true, |r| r.txn.status.is_unresolved()),
        "a sale whose answer was lost is not approved: {lost:?}"
    );
    let refused = till
        .hold_for_update()
        .map(|_| ())
        .expect_err("no update with an unresolved sale");
    assert_eq!(held_for(refused), Some("unresolved"));
    pad.down.store(false, Ordering::SeqCst);
    assert!(
        till.recover()
            .await?
            .iter()
            .all(|r| r.kind != till::RecoveryKind::StillUnresolved)
    );
    drop(till.hold_for_update()?);

    // Settlement starts, then the PIN pad's end of day is lost: the batch stays settling.
    pad.down.store(true, Ordering::SeqCst);
    till.settle()
        .await
        .map(|_| ())
        .expect_err("the terminal did not answer the end of day");
    let refused = till
        .hold_for_update()
        .map(|_| ())
        .expect_err("no update while settling");
    assert_eq!(held_for(refused), Some("settling"));
    pad.down.store(false, Ordering::SeqCst);
    till.settle().await?;
    drop(till.hold_for_update()?);
    Ok(())
}

//! T13: a device changed while a sale is in flight. The change waits for the sale to end —
//! [`Till::quiesce`] holds until the flow is over — and the till then goes on with the new
//! device, same journal, same operator.

use crate::support::*;
use std::sync::Arc;
use std::time::Duration;
use till::{SaleInput, Sims, Till, TillOptions};
use till_domain::PaymentMeans;

#[tokio::test(flavor = "current_thread")]
async fn t13_a_device_change_waits_for_the_sale_in_flight_then_the_till_uses_the_new_device() -> TestResult {
    let dir = till_testkit::TempDir::new("device-change");
    let clock = Arc::new(till::ManualClock::new(till_testkit::t0()));
    let config = config();
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let held = Pad::holding(sims.terminal.clone());
    let mut devices = sims.devices();
    devices.terminal = held.clone();
    let mut opts = TillOptions::new(config);
    opts.clock = clock.clone();
    let till = Arc::new(Till::open_dir(dir.path(), devices.clone(), opts)?);
    till.change_pin("1", "0001", PIN)?;
    till.login("1", PIN)?;

    let sale = tokio::spawn({
        let till = till.clone();
        async move {
            till.sale(SaleInput {
                amount: hkd(4200),
                tip: hkd(0),
                means: PaymentMeans::Card,
                qr_scheme: None,
                code: None,
            })
            .await
        }
    });
    held.at_prompt.notified().await;
    // The customer is at the PIN pad: the change cannot begin.
    let mut change = Box::pin(till.quiesce());
    assert!(
        tokio::time::timeout(Duration::ZERO, &mut change).await.is_err(),
        "a device change must wait while a sale is in flight"
    );
    held.go.add_permits(1);
    let done = sale.await??;
    assert_eq!(done.txn.status, till_domain::TxnStatus::Approved);
    let guard = change.await;
    // The sale is over: the change goes ahead, and the till goes on with the new PIN pad.
    let mut with_new = devices.clone();
    with_new.terminal = sims.terminal.clone();
    till.record_setting("terminal", Some("held".into()), "simulator".into())?;
    let changed = till.reopened_with(dir.path(), with_new)?;
    drop(guard);
    // Were the next sale to reach the held PIN pad, it would go on (and be counted).
    held.go.add_permits(1);
    assert_eq!(
        changed.session().map(|s| s.operator),
        Some("1".to_owned()),
        "still logged in"
    );
    let next = changed
        .sale(SaleInput {
            amount: hkd(1500),
            tip: hkd(0),
            means: PaymentMeans::Card,
            qr_scheme: None,
            code: None,
        })
        .await?;
    assert_eq!(
        next.txn.status,
        till_domain::TxnStatus::Approved,
        "the next sale goes through the new PIN pad"
    );
    assert_eq!(
        held.asked.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the old PIN pad saw only the sale that was in flight"
    );
    Ok(())
}

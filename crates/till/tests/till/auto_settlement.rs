//! T10: the means other than card settle by themselves at 00:00 (local time); card stays open
//! for the manager's SETTLE. A manual clock walks the till from 23:50 to 00:01.

use crate::support::*;
use chrono::Duration;
use till::TillError;
use till_domain::{DomainError, PaymentMeans, TxnStatus};

#[tokio::test]
async fn t10_cash_and_qr_settle_at_midnight_card_stays_open_for_the_manager() -> TestResult {
    let r = rig();
    // t0 is 10:00 in Hong Kong: 23:50 is 13 h 50 min later.
    r.clock.advance(Duration::minutes(13 * 60 + 50));
    r.till.login("1", PIN)?;
    let cash = r.sale(1_000, PaymentMeans::Cash).await?;
    let qr = r.sale(2_000, PaymentMeans::QrCustomer).await?;
    let card = r.sale(3_000, PaymentMeans::Card).await?;
    assert!(
        r.till.auto_settle_if_due().await?.is_none(),
        "before midnight nothing settles by itself"
    );

    // 00:01: the day has turned. A cash sale of the new day is not part of it.
    r.clock.advance(Duration::minutes(11));
    r.till.login("1", PIN)?;
    let after = r.sale(500, PaymentMeans::Cash).await?;
    let printed_before = r.sims.printer.printed().len();
    let auto = r.till.auto_settle_if_due().await?.ok_or("due after midnight")?;
    let sales = |m: PaymentMeans| auto.totals.by_means.get(&m).map(|t| (t.sales.count, t.sales.minor));
    assert_eq!(sales(PaymentMeans::Cash), Some((1, 1_000)));
    assert_eq!(sales(PaymentMeans::QrCustomer), Some((1, 2_000)));
    assert_eq!(auto.totals.by_means.len(), 2, "cash and QR, not card");
    assert_eq!(auto.totals.net().minor, 3_000);
    assert!(auto.next_batch.is_none(), "the batch stays open for card");
    // Its slip and transaction list are printed.
    let printed = r.sims.printer.printed();
    assert_eq!(printed.len(), printed_before + 2);
    let slip = &printed[printed_before];
    assert!(
        slip.contains("AUTOMATIC SETTLEMENT") && slip.contains("30.00"),
        "{slip}"
    );
    let list = &printed[printed_before + 1];
    assert!(
        list.contains(&cash.txn.trace.to_string()) && list.contains(&qr.txn.trace.to_string()),
        "{list}"
    );
    assert!(!list.contains(&card.txn.trace.to_string()), "card is not in it: {list}");
    assert!(
        r.till.auto_settle_if_due().await?.is_none(),
        "once a night: nothing more is due"
    );

    // What is left open: card, and the cash sale made after midnight.
    let open = r.till.totals()?;
    let left: Vec<(PaymentMeans, i64)> = open.by_means.iter().map(|(m, t)| (*m, t.net_minor())).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&(PaymentMeans::Card, 3_000)) && left.contains(&(PaymentMeans::Cash, 500)));
    // A transaction closed at midnight can no longer be voided; one of the new day can.
    let late = r.till.void(qr.txn.trace, &manager()).await;
    assert!(
        matches!(late, Err(TillError::Domain(DomainError::VoidAfterSettlement { .. }))),
        "{late:?}"
    );
    let voided = r.till.void(after.txn.trace, &manager()).await?;
    assert_eq!(voided.txn.status, TxnStatus::Approved);

    // The manager's SETTLE closes card (compared with the terminal) and the rest.
    let z = r.till.settle().await?;
    assert_eq!(
        z.totals.by_means.get(&PaymentMeans::Card).map(|t| t.net_minor()),
        Some(3_000)
    );
    assert!(
        !z.totals.by_means.contains_key(&PaymentMeans::QrCustomer),
        "QR was settled at midnight"
    );
    let slip = till_domain::receipt::render_text(&z.docs[0], 48);
    assert!(slip.contains("TERMINAL TOTALS MATCH"), "{slip}");
    // The journal's fold agrees with its tables.
    r.till.verify_journal()?;
    Ok(())
}

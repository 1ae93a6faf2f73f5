use crate::support::*;
use till::{Credentials, RecoveryKind, SaleInput, TillError};
use till_domain::ports::{DisplaySnapshot, HostCommand, PrinterStatus};
use till_domain::{Cvm, DomainError, EntryMode, PaymentMeans, Signature, TxnKind, TxnStatus};
use till_journal::HistoryQuery;

#[tokio::test]
async fn t1_card_sale_approved_prints_both_copies_with_emv_data() -> TestResult {
    let r = rig();
    let res = r.sale_tip(3850, 500, PaymentMeans::Card).await?;
    assert_eq!(res.txn.status, TxnStatus::Approved);
    assert_eq!(res.txn.total(), hkd(4350));
    let card = res
        .txn
        .approval
        .as_ref()
        .and_then(|a| a.card.clone())
        .ok_or("card data")?;
    assert_eq!(card.cvm, Cvm::PinVerified);
    assert!(
        card.masked_pan.starts_with("************"),
        "only the last 4 digits are kept"
    );
    let printed = r.sims.printer.printed();
    assert_eq!(printed.len(), 2, "merchant and customer copies");
    assert!(printed[0].contains("MERCHANT COPY") && printed[1].contains("CUSTOMER COPY"));
    for text in &printed {
        assert!(text.contains("HKD 43.50") && text.contains("A0000000031010") && text.contains("PIN VERIFIED"));
    }
    let shown = r.sims.display.shown();
    assert!(
        matches!(shown.first(), Some(DisplaySnapshot::Amount { .. })),
        "the amount is shown first: {shown:?}"
    );
    assert!(matches!(
        shown.last(),
        Some(DisplaySnapshot::Result { approved: true, .. })
    ));
    Ok(())
}

#[tokio::test]
async fn t1_declined_sale_prints_nothing_and_counts_nothing() -> TestResult {
    let r = rig();
    let res = r.sale(1051, PaymentMeans::Card).await?;
    assert_eq!(res.txn.status, TxnStatus::Declined);
    assert_eq!(res.txn.decline.as_ref().map(|d| d.code.as_str()), Some("51"));
    assert!(
        r.sims.printer.printed().is_empty(),
        "only a successful transaction prints a sale receipt"
    );
    assert!(r.till.totals()?.by_means.is_empty());
    Ok(())
}

#[tokio::test]
async fn t1_signature_and_contactless_cvm_lines() -> TestResult {
    let r = rig();
    let sig = r.sale(1052, PaymentMeans::Card).await?;
    let card = sig.txn.approval.and_then(|a| a.card).ok_or("card")?;
    assert_eq!(card.cvm, Cvm::Signature);
    let printed = r.sims.printer.printed();
    assert!(printed[0].contains("X____"), "the merchant copy has a signature line");
    assert!(!printed[1].contains("X____"), "the customer copy does not");
    let tap = r.sale(1053, PaymentMeans::Card).await?;
    let card = tap.txn.approval.and_then(|a| a.card).ok_or("card")?;
    assert_eq!(
        (card.entry_mode, card.cvm),
        (EntryMode::Contactless, Cvm::NoSignatureRequired)
    );
    let swiped = r.sale(1054, PaymentMeans::Card).await?;
    assert_eq!(
        swiped.txn.decline.map(|d| d.message_id),
        Some("decline-insert-chip".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn d4_signature_on_the_display_is_journaled_and_printed_on_the_merchant_copy() -> TestResult {
    let r = rig();
    // A "Z" drawn on a 400 x 200 pad.
    let signed = Signature {
        width: 400,
        height: 200,
        strokes: vec![vec![[20, 20], [380, 20], [20, 180], [380, 180]]],
    };
    r.sims.display.push_signature(Some(signed.clone()));
    let res = r.sale(2052, PaymentMeans::Card).await?;
    assert_eq!(res.txn.signature.as_ref(), Some(&signed));
    assert!(
        r.sims
            .display
            .shown()
            .iter()
            .any(|s| matches!(s, DisplaySnapshot::Signature { prompt, .. } if prompt == "Please sign below")),
        "the display was asked for a signature"
    );
    // Kept with the sale: the journal's row has it, and a reprint prints it again.
    let stored = r.till.history(HistoryQuery::default())?;
    assert_eq!(stored[0].signature.as_ref(), Some(&signed));
    let printed = r.sims.printer.printed();
    assert!(
        !printed[0].contains("X____"),
        "a captured signature replaces the paper line"
    );
    // The Z's top and bottom strokes are full rows of the drawing (a masked PAN has 12 stars).
    let drawn = |copy: &str| copy.lines().filter(|l| l.matches('*').count() >= 20).count();
    assert_eq!(
        drawn(&printed[0]),
        2,
        "the merchant copy draws the strokes:\n{}",
        printed[0]
    );
    assert_eq!(drawn(&printed[1]), 0, "the customer copy has no signature");
    // The journal re-folds with the signature event (verify fails on any drift).
    assert!(r.till.verify_journal()?.events > 0);

    // The customer cancels: the paper line stays; a display that cannot capture, the same.
    r.sims.display.push_signature(None);
    let unsigned = r.sale(2152, PaymentMeans::Card).await?;
    assert_eq!(unsigned.txn.signature, None);
    // A signature outside its own pad is refused (not stored), and the sale stands.
    r.sims.display.push_signature(Some(Signature {
        width: 10,
        height: 10,
        strokes: vec![vec![[0, 0], [50, 50]]],
    }));
    let bad = r.sale(2252, PaymentMeans::Card).await?;
    assert_eq!((bad.txn.status, bad.txn.signature), (TxnStatus::Approved, None));
    // A PIN-verified sale never asks.
    let before = r.sims.display.shown().len();
    r.sale(2000, PaymentMeans::Card).await?;
    assert!(
        !r.sims.display.shown()[before..]
            .iter()
            .any(|s| matches!(s, DisplaySnapshot::Signature { .. }))
    );
    Ok(())
}

#[tokio::test]
async fn t2_customer_qr_sale_from_the_scanner() -> TestResult {
    let r = rig();
    r.sims.scanner.push("284567890123456789");
    let res = r
        .till
        .sale(SaleInput {
            amount: hkd(1200),
            tip: hkd(0),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
        .await?;
    assert_eq!(res.txn.status, TxnStatus::Approved);
    assert_eq!(
        res.txn.approval.and_then(|a| a.qr_scheme),
        Some(till_domain::QrScheme::Alipay)
    );
    // No code to scan: refused before anything is journaled.
    let before = r.till.history(HistoryQuery::default())?.len();
    let err = r
        .till
        .sale(SaleInput {
            amount: hkd(1200),
            tip: hkd(0),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
        .await;
    assert!(
        matches!(err, Err(TillError::Device { device: "scanner", .. })),
        "{err:?}"
    );
    assert_eq!(r.till.history(HistoryQuery::default())?.len(), before);
    Ok(())
}

#[tokio::test]
async fn t3_merchant_qr_is_confirmed_by_the_gateway_not_the_cashier() -> TestResult {
    let r = rig();
    let paid = r.sale(2000, PaymentMeans::QrMerchant).await?;
    assert_eq!(paid.txn.status, TxnStatus::Approved);
    assert!(
        r.sims
            .display
            .shown()
            .iter()
            .any(|s| matches!(s, DisplaySnapshot::QrToScan { .. })),
        "the code is shown to the customer"
    );
    let expired = r.sale(2061, PaymentMeans::QrMerchant).await?;
    assert_eq!(expired.txn.status, TxnStatus::Declined);
    assert_eq!(
        expired.txn.decline.map(|d| d.message_id),
        Some("decline-expired".to_owned())
    );
    // Never paid: the till gives up after its poll limit and cancels the order.
    let never = r.sale(2062, PaymentMeans::QrMerchant).await?;
    assert_eq!(never.txn.status, TxnStatus::Cancelled);
    Ok(())
}

#[tokio::test]
async fn t4_t5_stored_value_sale_and_balance() -> TestResult {
    let r = rig();
    let res = r.sale(4000, PaymentMeans::StoredValue).await?;
    assert_eq!(res.txn.status, TxnStatus::Approved);
    let bal = r.till.balance().await?;
    assert_eq!(bal.remaining, hkd(46_000));
    assert_eq!(bal.last.len(), 1);
    let too_much = r.sale(50_000, PaymentMeans::StoredValue).await?;
    assert_eq!(too_much.txn.status, TxnStatus::Declined);
    Ok(())
}

#[tokio::test]
async fn t6_void_needs_a_supervisor_pin_and_marks_the_sale_voided() -> TestResult {
    let r = rig();
    let sale = r.sale(5000, PaymentMeans::Card).await?;
    r.till.logout();
    let logged_out = r
        .till
        .add_operator("9", "Cashier", till_domain::Role::Cashier, "222222");
    assert!(matches!(logged_out, Err(TillError::NotLoggedIn)), "{logged_out:?}");
    r.till.login("1", PIN)?;
    let cashier = r.login_cashier();
    let refused = r.till.void(sale.txn.trace, &cashier).await;
    assert!(
        matches!(refused, Err(TillError::Domain(DomainError::PermissionDenied { .. }))),
        "{refused:?}"
    );
    let wrong = r
        .till
        .void(
            sale.txn.trace,
            &Credentials {
                operator: "1".into(),
                pin: "000000".into(),
            },
        )
        .await;
    assert!(
        matches!(wrong, Err(TillError::Domain(DomainError::PinWrong { remaining: 4 }))),
        "{wrong:?}"
    );
    let void = r.till.void(sale.txn.trace, &manager()).await?;
    let pan = |t: &till_domain::Transaction| {
        t.approval
            .as_ref()
            .and_then(|a| a.card.as_ref())
            .map(|c| c.masked_pan.clone())
    };
    assert_eq!(pan(&void.txn), pan(&sale.txn), "the void receipt shows the sale's card");
    assert_eq!((void.txn.kind, void.txn.status), (TxnKind::Void, TxnStatus::Approved));
    let orig = r.till.history(HistoryQuery {
        trace: Some(sale.txn.trace),
        ..Default::default()
    })?;
    assert_eq!(orig[0].status, TxnStatus::Voided);
    let again = r.till.void(sale.txn.trace, &manager()).await;
    assert!(matches!(
        again,
        Err(TillError::Domain(DomainError::AlreadyVoided { .. }))
    ));
    let totals = r.till.totals()?;
    assert_eq!(totals.net().minor, 0, "a voided sale nets to zero");
    Ok(())
}

#[tokio::test]
async fn t7_partial_refunds_up_to_what_remains() -> TestResult {
    let r = rig();
    let sale = r.sale_tip(10_000, 1_000, PaymentMeans::Card).await?;
    let first = r.till.refund(sale.txn.trace, Some(hkd(4_000)), &manager()).await?;
    assert_eq!(first.txn.status, TxnStatus::Approved);
    let over = r.till.refund(sale.txn.trace, Some(hkd(7_001)), &manager()).await;
    assert!(
        matches!(over, Err(TillError::Domain(DomainError::RefundAboveRemaining { .. }))),
        "{over:?}"
    );
    let rest = r.till.refund(sale.txn.trace, None, &manager()).await?;
    assert_eq!(rest.txn.total(), hkd(7_000), "the default refund is all that remains");
    let none_left = r.till.refund(sale.txn.trace, None, &manager()).await;
    assert!(
        matches!(none_left, Err(TillError::Domain(DomainError::AmountZero))),
        "{none_left:?}"
    );
    assert!(
        rest.receipts[0]
            .lines
            .iter()
            .any(|l| format!("{l:?}").contains("REFUND"))
    );
    assert_eq!(r.till.totals()?.net().minor, 0);
    Ok(())
}

#[tokio::test]
async fn t8_lost_answer_is_resolved_from_the_terminals_last_result() -> TestResult {
    let r = rig();
    let res = r.sale(1091, PaymentMeans::Card).await?;
    assert_eq!(
        res.txn.status,
        TxnStatus::Approved,
        "the terminal charged: the sale stands, once"
    );
    assert_eq!(res.txn.resolution, Some(till_domain::Resolution::LastResult));
    assert_eq!(r.sims.printer.printed().len(), 2, "receipts print after resolution");
    let dropped = r.sale(1092, PaymentMeans::Card).await?;
    assert_eq!(
        dropped.txn.status,
        TxnStatus::Reversed,
        "never reached the terminal: a failed sale"
    );
    let busy = r.sale(1093, PaymentMeans::Card).await?;
    assert_eq!(busy.txn.status, TxnStatus::Declined);
    let charged: Vec<_> = r
        .sims
        .terminal
        .records()
        .into_iter()
        .filter(|x| matches!(x.outcome, till_domain::ports::Outcome::Approved(_)))
        .collect();
    assert_eq!(charged.len(), 1, "exactly one charge on the terminal");
    Ok(())
}

#[tokio::test]
async fn t8_recovery_at_start_resolves_pending_from_a_crash() -> TestResult {
    let dir = till_testkit::TempDir::new("recovery");
    let clock = std::sync::Arc::new(till::ManualClock::new(till_testkit::t0()));
    let sims = till::Sims::open(
        Some(&dir.path().join("sim")),
        clock.clone(),
        till_domain::Currency::Hkd,
        48,
    )?;
    let mut opts = till::TillOptions::new(config());
    opts.clock = clock.clone();
    // A till whose terminal charges, then "crashes" before the answer is journaled: we get
    // there by journaling only the intent, exactly as the crash would leave it.
    {
        let till = till::Till::open_dir(dir.path(), sims.devices(), opts.clone())?;
        till.change_pin("1", "0001", PIN)?;
        till.login("1", PIN)?;
        till.sale(SaleInput {
            amount: hkd(700),
            tip: hkd(0),
            means: PaymentMeans::Cash,
            qr_scheme: None,
            code: None,
        })
        .await?;
    }
    let mut journal = till_journal::Journal::open(&dir.path().join("journal.sqlite"))?;
    let batch = journal.current_batch()?.ok_or("batch")?;
    let config = config();
    let rules = till_domain::flow::Rules {
        config: &config,
        blocks: Default::default(),
        batch: &batch,
    };
    let mut traces = Vec::new();
    for (i, minor) in [(0u32, 1500i64), (1, 1600)] {
        let trace = journal
            .last_trace()?
            .map_or(till_domain::TraceNo::FIRST, till_domain::TraceNo::next);
        let req = till_domain::flow::SaleRequest {
            amount: hkd(minor),
            tip: hkd(0),
            means: PaymentMeans::Card,
            qr_scheme: None,
        };
        let step = rules.start_sale(
            &req,
            till_domain::flow::NewTxn {
                id: till_domain::TxnId(format!("crash-{i}")),
                trace,
                operator: "1",
                now: clock.now(),
            },
        )?;
        journal.commit(&step.events)?;
        traces.push(trace);
        if i == 1 {
            // The terminal got the second one and approved it; the answer was never journaled.
            use till_domain::ports::PaymentTerminal;
            let req = till_domain::ports::CardRequest {
                txn: step.txns[0].id.clone(),
                trace,
                amount: hkd(minor),
                tip: hkd(0),
            };
            sims.terminal.authorize(&req, &till_domain::ports::NoProgress).await?;
        }
    }
    drop(journal);
    let till = till::Till::open_dir(dir.path(), sims.devices(), opts)?;
    let recovered = till.recover().await?;
    assert_eq!(recovered.len(), 2, "both unfinished transactions are reported");
    assert_eq!(
        recovered[0].kind,
        RecoveryKind::Reversed,
        "the terminal never had the first: not charged"
    );
    assert_eq!(
        recovered[1].kind,
        RecoveryKind::Approved,
        "the terminal's last result approves the second"
    );
    assert_eq!(recovered[1].message_id(), "recovery-approved");
    assert!(till.recover().await?.is_empty(), "nothing is left unresolved");
    till.verify_journal()?;
    Ok(())
}

use till::Clock as _;

#[tokio::test]
async fn t9_history_search_and_reprint() -> TestResult {
    let r = rig();
    let a = r.sale(1234, PaymentMeans::Card).await?;
    r.sale(999, PaymentMeans::Cash).await?;
    let card = a.txn.approval.clone().and_then(|x| x.card).ok_or("card")?;
    let by_last4 = r.till.history(HistoryQuery {
        last4: Some(card.last4.clone()),
        ..Default::default()
    })?;
    assert_eq!(by_last4.len(), 1);
    let auth = a.txn.approval.clone().and_then(|x| x.auth_code).ok_or("auth")?;
    assert_eq!(
        r.till.history(HistoryQuery {
            auth_code: Some(auth),
            ..Default::default()
        })?[0]
            .id,
        a.txn.id
    );
    assert_eq!(
        r.till
            .history(HistoryQuery {
                amount_minor: Some(999),
                ..Default::default()
            })?
            .len(),
        1
    );
    assert_eq!(r.till.history(HistoryQuery::default())?.len(), 2, "today's batch");
    let re = r.till.reprint(a.txn.trace).await?;
    let text = till_domain::receipt::render_text(&re.receipts[0], 48);
    assert!(text.contains("REPRINT"), "{text}");
    Ok(())
}

#[tokio::test]
async fn t10_settlement_resets_totals_and_matches_the_terminal() -> TestResult {
    let r = rig();
    let s1 = r.sale(10_000, PaymentMeans::Card).await?;
    r.sale(2_000, PaymentMeans::Card).await?;
    r.sale(3_000, PaymentMeans::Cash).await?;
    r.till.void(s1.txn.trace, &manager()).await?;
    let x = r.till.x_report().await?;
    assert_eq!(x.totals.net().minor, 5_000);
    let z = r.till.settle().await?;
    let term = z.terminal.ok_or("terminal totals")?;
    assert_eq!(
        (term.sales.count, term.sales.minor),
        (1, 2_000),
        "voided sales are not in the terminal's totals"
    );
    let slip = till_domain::receipt::render_text(&z.docs[0], 48);
    assert!(slip.contains("TERMINAL TOTALS MATCH"), "{slip}");
    assert_eq!(z.next_batch.map(|b| b.0), Some(2));
    assert!(r.till.totals()?.by_means.is_empty(), "totals reset to zero");
    let late = r
        .till
        .void(till_domain::TraceNo::new(2).ok_or("trace")?, &manager())
        .await;
    assert!(
        matches!(late, Err(TillError::Domain(DomainError::VoidAfterSettlement { .. }))),
        "{late:?}"
    );
    // A refund of a settled sale is still possible (T7).
    let refund = r
        .till
        .refund(till_domain::TraceNo::new(2).ok_or("trace")?, None, &manager())
        .await?;
    assert_eq!(refund.txn.status, TxnStatus::Approved);
    Ok(())
}

#[tokio::test]
async fn s1_lockout_after_five_wrong_pins_for_fifteen_minutes() -> TestResult {
    let r = rig();
    for expected in [4, 3, 2, 1] {
        let e = r.till.login("1", "000000");
        assert!(
            matches!(e, Err(TillError::Domain(DomainError::PinWrong { remaining })) if remaining == expected),
            "{e:?}"
        );
    }
    assert!(matches!(
        r.till.login("1", "000000"),
        Err(TillError::Domain(DomainError::OperatorLocked { .. }))
    ));
    assert!(
        matches!(
            r.till.login("1", PIN),
            Err(TillError::Domain(DomainError::OperatorLocked { .. }))
        ),
        "even the right PIN is refused while locked"
    );
    r.clock.advance(chrono::Duration::minutes(15));
    r.till.login("1", PIN)?;
    Ok(())
}

#[tokio::test]
async fn s1_default_pin_must_change_to_six_digits() -> TestResult {
    let r = rig();
    r.till.login("1", PIN)?;
    r.till.add_operator("3", "New", till_domain::Role::Cashier, "111111")?;
    assert!(matches!(
        r.till.login("3", "111111"),
        Err(TillError::Domain(DomainError::PinChangeRequired))
    ));
    assert!(matches!(
        r.till.change_pin("3", "111111", "12345"),
        Err(TillError::Domain(DomainError::PinFormat))
    ));
    assert!(matches!(
        r.till.change_pin("3", "111111", "111111"),
        Err(TillError::Domain(DomainError::PinUnchanged))
    ));
    r.till.change_pin("3", "111111", "987654")?;
    r.till.login("3", "987654")?;
    Ok(())
}

#[tokio::test]
async fn s2_idle_timeout_and_restart_window_ask_for_the_pin_again() -> TestResult {
    let r = rig();
    r.clock.advance(chrono::Duration::minutes(31));
    let e = r.sale(100, PaymentMeans::Cash).await;
    assert!(
        matches!(e, Err(TillError::Domain(DomainError::SessionExpired))),
        "{e:?}"
    );
    r.till.login("1", PIN)?;
    // t0 is 10:00 in Hong Kong; keep busy until after midnight.
    for _ in 0..30 {
        r.clock.advance(chrono::Duration::minutes(29));
        if r.sale(100, PaymentMeans::Cash).await.is_err() {
            return Ok(());
        }
    }
    Err("the session survived the daily restart window".into())
}

/// S2 on screen (the app asks every second): a session idle past the timeout ends by itself,
/// with nothing else done; a fresh one does not.
#[tokio::test]
async fn s2_an_idle_session_ends_without_an_action() -> TestResult {
    let r = rig();
    r.clock.advance(chrono::Duration::minutes(29));
    assert!(!r.till.end_session_if_due(), "29 minutes idle: still logged in");
    assert!(r.till.session().is_some());
    r.clock.advance(chrono::Duration::minutes(2));
    assert!(r.till.end_session_if_due(), "31 minutes idle: ended");
    assert!(r.till.session().is_none());
    assert!(!r.till.end_session_if_due(), "nothing left to end");
    Ok(())
}

#[tokio::test]
async fn s3_cashier_cannot_settle_or_manage() -> TestResult {
    let r = rig();
    r.login_cashier();
    assert!(matches!(
        r.till.settle().await,
        Err(TillError::Domain(DomainError::PermissionDenied { .. }))
    ));
    assert!(matches!(
        r.till.x_report().await,
        Err(TillError::Domain(DomainError::PermissionDenied { .. }))
    ));
    assert!(matches!(
        r.till.operators(),
        Err(TillError::Domain(DomainError::PermissionDenied { .. }))
    ));
    r.sale(100, PaymentMeans::Cash).await?;
    Ok(())
}

#[tokio::test]
async fn s4_blocks_from_the_host() -> TestResult {
    let r = rig();
    let sale = r.sale(1000, PaymentMeans::Card).await?;
    r.till.apply_host_command(&HostCommand::BlockRefund)?;
    let e = r.till.refund(sale.txn.trace, None, &manager()).await;
    assert!(matches!(e, Err(TillError::Domain(DomainError::RefundBlocked))), "{e:?}");
    r.sale(1000, PaymentMeans::Cash).await?;
    r.till.apply_host_command(&HostCommand::BlockPos)?;
    assert!(matches!(
        r.sale(1000, PaymentMeans::Cash).await,
        Err(TillError::Domain(DomainError::PosBlocked))
    ));
    r.till.apply_host_command(&HostCommand::UnblockPos)?;
    r.till.apply_host_command(&HostCommand::UnblockRefund)?;
    r.till.refund(sale.txn.trace, None, &manager()).await?;
    Ok(())
}

#[tokio::test]
async fn cash_opens_the_drawer_and_printer_trouble_is_reported_not_lost() -> TestResult {
    let r = rig();
    r.sale(500, PaymentMeans::Cash).await?;
    assert_eq!(r.sims.printer.drawer_kicks(), 1);
    r.sims.printer.set_status(PrinterStatus {
        paper_out: true,
        cover_open: false,
    });
    let res = r.sale(600, PaymentMeans::Cash).await?;
    assert_eq!(res.txn.status, TxnStatus::Approved, "the sale stands");
    assert_eq!(res.print_error, Some(till_domain::ports::DeviceError::PaperOut));
    r.sims.printer.set_status(PrinterStatus::default());
    let again = r.till.reprint(res.txn.trace).await?;
    assert!(again.print_error.is_none());
    Ok(())
}

#[tokio::test]
async fn s4_host_commands_arrive_by_sync_and_events_go_up_exactly_once() -> TestResult {
    let r = rig();
    r.sale(1000, PaymentMeans::Cash).await?;
    r.sims.host.set_down(true);
    assert!(matches!(
        r.till.sync().await,
        Err(TillError::Device { device: "host", .. })
    ));
    r.sale(2000, PaymentMeans::Cash).await?;
    let backlog = r.till.sync_backlog()?;
    assert!(backlog >= 6, "offline, the till keeps selling and queues: {backlog}");
    r.sims.host.set_down(false);
    r.sims.host.queue(HostCommand::BlockPos);
    let (sent, applied) = r.till.sync().await?;
    assert_eq!((sent, applied), (backlog, 1));
    assert_eq!(r.till.sync_backlog()?, 1, "the block itself is a new event to upload");
    let e = r.sale(100, PaymentMeans::Cash).await;
    assert!(matches!(e, Err(TillError::Domain(DomainError::PosBlocked))), "{e:?}");
    r.till.sync().await?;
    let held = r.sims.host.events();
    let seqs: Vec<u64> = held.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=held.len() as u64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert_eq!(r.till.sync().await?, (0, 0), "nothing is sent twice");
    Ok(())
}

#[tokio::test]
async fn t3_the_till_shows_an_emvco_fps_code_with_amount_and_reference() -> TestResult {
    let r = rig();
    r.sale(2000, PaymentMeans::QrMerchant).await?;
    let payload = r
        .sims
        .display
        .shown()
        .into_iter()
        .find_map(|s| match s {
            DisplaySnapshot::QrToScan { payload, .. } => Some(payload),
            _ => None,
        })
        .ok_or("a QR on the customer display")?;
    let parsed = till_qr::parse(&payload)?;
    assert_eq!(parsed.payload.amount_text(), Some("20.00"), "{payload}");
    assert_eq!(parsed.payload.currency(), Some("344"));
    assert!(
        parsed.payload.account_by_guid("hk.com.hkicl").is_some(),
        "an FPS account template: {payload}"
    );
    assert!(
        parsed.payload.additional_data(5).is_some(),
        "the bill reference identifies the order"
    );
    Ok(())
}

#[tokio::test]
async fn t3_a_payment_landing_after_cancel_is_refunded_and_the_cashier_told() -> TestResult {
    let r = rig();
    // Ends in 63: the customer pays just as the till cancels the order.
    let res = r.sale(2063, PaymentMeans::QrMerchant).await?;
    assert_eq!(res.notices, vec!["notice-late-payment-refunded"]);
    assert_eq!(
        res.txn.status,
        TxnStatus::Approved,
        "the payment happened and is recorded"
    );
    assert_eq!(res.txn.refundable().minor, 0, "and refunded in full");
    let paid = r.sims.qr.paid();
    let sale = paid
        .iter()
        .find(|(id, _, _)| *id == res.txn.id)
        .ok_or("the gateway has the payment")?;
    assert_eq!(sale.2, 2063, "the gateway refunded it");
    assert_eq!(r.till.totals()?.net().minor, 0, "nothing kept");
    Ok(())
}

#[tokio::test]
async fn t2_refuses_what_is_not_a_payment_code_or_a_wallet_not_taken() -> TestResult {
    let mut config = config();
    config.wallets = vec![till_domain::QrScheme::WechatPay];
    let r = rig_with(config);
    let sale = |code: &str| SaleInput {
        amount: hkd(1200),
        tip: hkd(0),
        means: PaymentMeans::QrCustomer,
        qr_scheme: None,
        code: Some(code.to_owned()),
    };
    let url = r.till.sale(sale("https://example.com/not-a-wallet")).await;
    assert!(
        matches!(url, Err(TillError::Domain(DomainError::NotAPaymentCode { .. }))),
        "{url:?}"
    );
    let alipay = r.till.sale(sale("284567890123456789")).await;
    assert!(
        matches!(alipay, Err(TillError::Domain(DomainError::WalletNotAccepted { .. }))),
        "{alipay:?}"
    );
    assert!(
        r.till.history(HistoryQuery::default())?.is_empty(),
        "no transaction was made"
    );
    let wechat = r.till.sale(sale("134567890123456789")).await?;
    assert_eq!(wechat.txn.qr_scheme, Some(till_domain::QrScheme::WechatPay));
    Ok(())
}

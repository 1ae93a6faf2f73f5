//! The driver and the simulator over a real pseudo-terminal pair (tokio-serial opening the
//! device) and over TCP, through whole sale, void, refund and end-of-day flows via `Till`.

use crate::support::*;
use std::sync::Arc;
use till_domain::{Cvm, EntryMode, TxnStatus};
use till_terminal::ZvtSim;
use till_terminal::driver::{Connection, ZvtTerminal};
use till_terminal::pty::PtyMaster;
use till_terminal::serial::{SerialLink, Timings};
use till_terminal::sim::Kind;
use till_terminal::transport::ApduStream;

async fn flows(till: &till::Till, sim: &ZvtSim) -> TestResult {
    let sale = till.sale(card(4200)).await?;
    assert_eq!(sale.txn.status, TxnStatus::Approved, "{:?}", sale.txn);
    let data = sale
        .txn
        .approval
        .clone()
        .and_then(|a| a.card)
        .ok_or("card data from 04 0F")?;
    assert_eq!((data.entry_mode, data.cvm), (EntryMode::Chip, Cvm::PinVerified));
    assert_eq!(
        data.aid.as_deref(),
        Some("A0000000031010"),
        "AID from the TLV container (tag 43)"
    );
    assert!(data.masked_pan.ends_with(&data.last4) && data.masked_pan.starts_with("****"));
    assert_eq!(sale.receipts.len(), 2);

    let declined = till.sale(card(1051)).await?;
    assert_eq!(declined.txn.status, TxnStatus::Declined);
    assert_eq!(
        declined.txn.decline.map(|d| d.message_id),
        Some("decline-insufficient-funds".to_owned())
    );
    let tap = till.sale(card(1053)).await?;
    let tap_card = tap.txn.approval.and_then(|a| a.card).ok_or("card")?;
    assert_eq!(
        (tap_card.entry_mode, tap_card.cvm),
        (EntryMode::Contactless, Cvm::NoSignatureRequired)
    );
    let cancelled = till.sale(card(1055)).await?;
    assert_eq!(cancelled.txn.status, TxnStatus::Cancelled);

    let void = till.void(tap.txn.trace, &manager()).await?;
    assert_eq!(
        void.txn.status,
        TxnStatus::Approved,
        "06 30 with the sale's receipt number"
    );
    let refund = till.refund(sale.txn.trace, Some(hkd(1200)), &manager()).await?;
    assert_eq!(refund.txn.status, TxnStatus::Approved);

    let status = till.terminal_status().await?;
    assert!(status.ready, "{status:?}");
    let z = till.settle().await?;
    let term = z.terminal.ok_or("terminal totals")?;
    assert!(term.net_only);
    assert_eq!(
        term.sales.minor,
        4200 - 1200,
        "the terminal's net: sales - voids - refunds"
    );
    let slip = till_domain::receipt::render_text(&z.docs[0], 48);
    assert!(slip.contains("TERMINAL TOTALS MATCH"), "{slip}");

    let records = sim.records();
    let kinds: Vec<Kind> = records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![Kind::Sale, Kind::Sale, Kind::Reversal, Kind::Refund],
        "one record per booked payment"
    );
    assert!(records[1].reversed && records.iter().all(|r| r.settled));
    till.verify_journal()?;
    Ok(())
}

#[tokio::test]
async fn sale_void_refund_end_of_day_over_a_pseudo_terminal() -> TestResult {
    let dir = till_testkit::TempDir::new("zvt-pty");
    let sim = Arc::new(ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    let pty = PtyMaster::open()?;
    let path = pty.path().display().to_string();
    let served = sim.clone();
    tokio::spawn(async move {
        let mut link = SerialLink::new(pty, Timings::default());
        loop {
            let _ = served.serve(&mut link).await;
        }
    });
    let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Serial { path, baud: 115_200 })));
    let till = till_with(terminal, dir.path())?;
    flows(&till, &sim).await
}

#[tokio::test]
async fn sale_void_refund_end_of_day_over_tcp() -> TestResult {
    let dir = till_testkit::TempDir::new("zvt-tcp");
    let sim = Arc::new(ZvtSim::open(None)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let served = sim.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = served.serve(&mut ApduStream::new(socket)).await;
        }
    });
    let terminal = Arc::new(ZvtTerminal::new(fast(Connection::Tcp { address })));
    let till = till_with(terminal, dir.path())?;
    flows(&till, &sim).await
}

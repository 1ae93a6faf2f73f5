//! One flow suite, two protocols: each card flow of the till runs unchanged against the ZVT
//! driver + simulator (over a real pseudo-terminal) and the nexo driver + simulator (over real
//! TLS on loopback), and must leave the same journal outcome behind. A scenario is written once
//! against a [`Rig`]; `on_both!` runs it over each [`Protocol`] and compares the journals.

use crate::nexo_support;
use crate::support::*;
use std::sync::Arc;
use std::time::Duration;
use till::Till;
use till_domain::ports::PaymentTerminal;
use till_domain::{Cvm, EntryMode, TxnKind, TxnStatus};
use till_journal::HistoryQuery;
use till_terminal::ZvtSim;
use till_terminal::driver::{Connection, ZvtTerminal};
use till_terminal::nexo::NexoTerminal;
use till_terminal::pty::PtyMaster;
use till_terminal::serial::{SerialLink, Timings};

type Error = Box<dyn std::error::Error>;

#[derive(Debug, Clone, Copy)]
pub enum Protocol {
    Zvt,
    Nexo,
}

/// A till wired to one protocol's driver and simulator, in its own folder.
pub struct Rig {
    pub till: Till,
    /// The driver, to open the till again over the same terminal.
    terminal: Arc<dyn PaymentTerminal>,
    waiting: Box<dyn Fn() -> bool + Send + Sync>,
    dir: till_testkit::TempDir,
}

impl Rig {
    /// Whether the simulator is waiting for a card (the moment a cashier's abort lands).
    pub fn waiting_for_card(&self) -> bool {
        (self.waiting)()
    }

    /// The till restarted (a crash), over the same terminal and journal.
    pub fn restart(self) -> Result<Rig, Error> {
        drop(self.till);
        let till = till_with(self.terminal.clone(), self.dir.path())?;
        Ok(Rig { till, ..self })
    }
}

impl Protocol {
    pub async fn rig(self) -> Result<Rig, Error> {
        match self {
            Protocol::Zvt => {
                let dir = till_testkit::TempDir::new("flows-zvt");
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
                let terminal: Arc<dyn PaymentTerminal> =
                    Arc::new(ZvtTerminal::new(fast(Connection::Serial { path, baud: 115_200 })));
                let till = till_with(terminal.clone(), dir.path())?;
                Ok(Rig {
                    till,
                    terminal,
                    waiting: Box::new(move || sim.waiting_for_card()),
                    dir,
                })
            }
            Protocol::Nexo => {
                let dir = till_testkit::TempDir::new("flows-nexo");
                let key = nexo_support::key("throwaway passphrase for the flow suite");
                let sim = nexo_support::sim(&key, Some(&dir.path().join("terminal.jsonl")))?;
                let pki = nexo_support::pki(nexo_support::POIID)?;
                let config = nexo_support::serve(&pki, sim.clone(), key).await?;
                let terminal: Arc<dyn PaymentTerminal> = Arc::new(NexoTerminal::new(config)?);
                let till = till_with(terminal.clone(), dir.path())?;
                Ok(Rig {
                    till,
                    terminal,
                    waiting: Box::new(move || sim.waiting_for_card()),
                    dir,
                })
            }
        }
    }
}

/// What the journal says of one transaction, without what differs by protocol or terminal
/// (trace references, auth code values, card digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    kind: TxnKind,
    status: TxnStatus,
    total: i64,
    refunded: i64,
    decline: Option<String>,
    entry_mode: Option<EntryMode>,
    cvm: Option<Cvm>,
    masked: bool,
    auth_code: bool,
    resolved: bool,
}

/// The current batch's journal, oldest first.
pub fn journal(till: &Till) -> Result<Vec<Row>, Error> {
    let mut rows: Vec<Row> = till
        .history(HistoryQuery::default())?
        .into_iter()
        .map(|t| {
            let card = t.approval.as_ref().and_then(|a| a.card.clone());
            Row {
                kind: t.kind,
                status: t.status,
                total: t.total().minor,
                refunded: t.refunded.minor,
                decline: t.decline.map(|d| d.message_id),
                entry_mode: card.as_ref().map(|c| c.entry_mode),
                cvm: card.as_ref().map(|c| c.cvm),
                masked: card
                    .as_ref()
                    .is_some_and(|c| c.masked_pan.starts_with("**") && c.masked_pan.ends_with(&c.last4)),
                auth_code: t.approval.as_ref().is_some_and(|a| a.auth_code.is_some()),
                resolved: t.resolution.is_some(),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.kind == TxnKind::Sale, r.total));
    Ok(rows)
}

/// Waits for a condition, polling, with a generous deadline only as a failure guard.
async fn until(what: &str, f: impl Fn() -> bool) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f() {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

macro_rules! on_both {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() -> TestResult {
            let zvt = scenarios::$name(Protocol::Zvt.rig().await?).await?;
            let nexo = scenarios::$name(Protocol::Nexo.rig().await?).await?;
            assert_eq!(zvt, nexo, "the same journal outcome over ZVT and over nexo");
            Ok(())
        }
    };
}

on_both!(approve_with_pin);
on_both!(decline);
on_both!(signature);
on_both!(contactless);
on_both!(cancel_on_the_pad);
on_both!(cashier_abort);
on_both!(void);
on_both!(partial_refund);
on_both!(unknown_outcome_resolved);
on_both!(line_cut_resolved_as_not_charged);
on_both!(end_of_day_totals_on_the_z_slip);
on_both!(a_sale_with_a_tip);

mod scenarios {
    use super::*;

    type Journal = Result<Vec<Row>, Error>;

    pub async fn approve_with_pin(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4200)).await?;
        assert_eq!(sale.txn.status, TxnStatus::Approved, "{:?}", sale.txn);
        let c = sale.txn.approval.and_then(|a| a.card).ok_or("card data")?;
        assert_eq!((c.entry_mode, c.cvm), (EntryMode::Chip, Cvm::PinVerified));
        assert_eq!(c.aid.as_deref(), Some("A0000000031010"));
        assert_eq!(sale.receipts.len(), 2, "merchant and customer copies");
        journal(&rig.till)
    }

    pub async fn decline(rig: Rig) -> Journal {
        let funds = rig.till.sale(card(1051)).await?;
        assert_eq!(funds.txn.status, TxnStatus::Declined);
        assert_eq!(
            funds.txn.decline.map(|d| d.message_id).as_deref(),
            Some("decline-insufficient-funds")
        );
        let honour = rig.till.sale(card(1056)).await?;
        assert_eq!(
            honour.txn.decline.map(|d| d.message_id).as_deref(),
            Some("decline-do-not-honour")
        );
        let unreadable = rig.till.sale(card(1054)).await?;
        assert_eq!(
            unreadable.txn.decline.map(|d| d.message_id).as_deref(),
            Some("decline-card-unreadable")
        );
        journal(&rig.till)
    }

    pub async fn signature(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(1052)).await?;
        let c = sale.txn.approval.and_then(|a| a.card).ok_or("card data")?;
        assert_eq!((c.entry_mode, c.cvm), (EntryMode::Chip, Cvm::Signature));
        journal(&rig.till)
    }

    pub async fn contactless(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(1053)).await?;
        let c = sale.txn.approval.and_then(|a| a.card).ok_or("card data")?;
        assert_eq!(
            (c.entry_mode, c.cvm),
            (EntryMode::Contactless, Cvm::NoSignatureRequired)
        );
        journal(&rig.till)
    }

    pub async fn cancel_on_the_pad(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(1055)).await?;
        assert_eq!(sale.txn.status, TxnStatus::Cancelled);
        assert!(sale.receipts.is_empty(), "no sale receipt for a cancelled sale");
        journal(&rig.till)
    }

    pub async fn cashier_abort(rig: Rig) -> Journal {
        let (sale, aborted) = tokio::join!(rig.till.sale(card(1057)), async {
            until("the terminal to wait for the card", || rig.waiting_for_card()).await?;
            rig.till.abort_flow().await.map_err(Error::from)
        });
        aborted?;
        let sale = sale?;
        assert_eq!(
            sale.txn.status,
            TxnStatus::Cancelled,
            "the pad ended the payment as aborted"
        );
        let next = rig.till.sale(card(4200)).await?;
        assert_eq!(next.txn.status, TxnStatus::Approved, "the terminal takes the next sale");
        journal(&rig.till)
    }

    pub async fn void(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4200)).await?;
        let void = rig.till.void(sale.txn.trace, &manager()).await?;
        assert_eq!(void.txn.status, TxnStatus::Approved, "{:?}", void.txn);
        journal(&rig.till)
    }

    pub async fn partial_refund(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4200)).await?;
        let refund = rig.till.refund(sale.txn.trace, Some(hkd(1200)), &manager()).await?;
        assert_eq!(refund.txn.status, TxnStatus::Approved, "{:?}", refund.txn);
        journal(&rig.till)
    }

    /// 91: the terminal books the payment and its answer is lost. ZVT has the acknowledged
    /// status information; nexo asks TransactionStatus. Either way the payment stands, once.
    pub async fn unknown_outcome_resolved(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4291)).await?;
        assert_eq!(sale.txn.status, TxnStatus::Approved, "{:?}", sale.txn);
        let rig = rig.restart()?;
        assert!(rig.till.recover().await?.is_empty(), "nothing left to resolve");
        journal(&rig.till)
    }

    /// 92: the line drops after the request, before the terminal books anything. The sale is
    /// resolved as not charged (reversed), now or at the next start.
    pub async fn line_cut_resolved_as_not_charged(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4292)).await?;
        assert!(
            matches!(sale.txn.status, TxnStatus::Unknown | TxnStatus::Reversed),
            "{:?}",
            sale.txn
        );
        let rig = rig.restart()?;
        rig.till.recover().await?;
        let after = rig.till.sale(card(500)).await?;
        assert_eq!(after.txn.status, TxnStatus::Approved, "the till takes sales again");
        let rows = journal(&rig.till)?;
        assert!(
            rows.iter().any(|r| r.total == 4292 && r.status == TxnStatus::Reversed),
            "not charged: {rows:?}"
        );
        Ok(rows)
    }

    pub async fn end_of_day_totals_on_the_z_slip(rig: Rig) -> Journal {
        let sale = rig.till.sale(card(4200)).await?;
        let tap = rig.till.sale(card(1053)).await?;
        rig.till.void(tap.txn.trace, &manager()).await?;
        rig.till.refund(sale.txn.trace, Some(hkd(1200)), &manager()).await?;
        let rows = journal(&rig.till)?;
        let z = rig.till.settle().await?;
        let term = z.terminal.ok_or("the terminal's totals")?;
        assert_eq!(
            term.sales.minor - term.refunds.minor,
            4200 - 1200,
            "the terminal's net: sales - voids - refunds"
        );
        let slip = till_domain::receipt::render_text(&z.docs[0], 48);
        assert!(slip.contains("TERMINAL TOTALS MATCH"), "{slip}");
        Ok(rows)
    }

    /// 38.50 and a 5.00 tip: the card is charged 43.50 (nexo sends the tip as TipAmount; the
    /// terminal's totals on the Z slip hold it).
    pub async fn a_sale_with_a_tip(rig: Rig) -> Journal {
        let mut input = card(3850);
        input.tip = hkd(500);
        let sale = rig.till.sale(input).await?;
        assert_eq!(sale.txn.status, TxnStatus::Approved, "{:?}", sale.txn);
        assert_eq!(sale.txn.total().minor, 4350);
        let rows = journal(&rig.till)?;
        let z = rig.till.settle().await?;
        let term = z.terminal.ok_or("the terminal's totals")?;
        assert_eq!(term.sales.minor, 4350, "the terminal charged the amount and the tip");
        Ok(rows)
    }
}

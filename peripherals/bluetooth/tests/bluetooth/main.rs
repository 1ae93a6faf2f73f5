//! A paired reader on a Bluetooth link (here the simulated reader: the ZVT simulator behind the
//! link's byte stream) taking card sales through the real ZVT driver and a real till: the link
//! drops while idle and comes back, and drops under an authorization.

use std::sync::Arc;
use std::time::Duration;

use till::{ManualClock, Sims, Till, TillError, TillOptions};
use till_bluetooth::sim::SimReader;
use till_bluetooth::supervisor::{Backoff, Supervisor};
use till_bluetooth::{Address, LinkState};
use till_domain::{TillConfig, TxnStatus};
use till_journal::{AuthStore, Journal};
use till_terminal::driver::{Connection, ZvtConfig, ZvtTerminal};
use till_terminal::ecr::SequenceTimings;
use till_terminal::sim::Kind;
use till_terminal::{StreamSource, ZvtSim};
use tokio::sync::watch;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PIN: &str = "135790";

struct Counter {
    reader: Arc<SimReader>,
    link: Arc<Supervisor>,
    till: Till,
    _dir: till_testkit::TempDir,
}

/// A till whose PIN pad is the reader at `address`, reached through a supervised link.
fn counter(name: &str) -> Result<Counter, Box<dyn std::error::Error>> {
    let dir = till_testkit::TempDir::new(name);
    let address: Address = "00:1B:10:55:0A:01".parse()?;
    let sim = Arc::new(ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    let reader = Arc::new(SimReader::new(address.clone(), sim));
    let link = Arc::new(Supervisor::start(address.clone(), reader.clone(), Backoff::default()));
    let mut config = ZvtConfig::new(
        Connection::Bluetooth {
            address: address.to_string(),
        },
        344,
    );
    config.sequence = SequenceTimings {
        t3: Duration::from_millis(1500),
        t4: Duration::from_millis(2500),
    };
    config.streams = Some(link.clone() as Arc<dyn StreamSource>);
    let terminal = Arc::new(ZvtTerminal::new(config));
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let config = TillConfig::demo();
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let mut devices = sims.devices();
    devices.terminal = terminal;
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    let journal = Journal::open(&dir.path().join("journal.sqlite"))?;
    let till = Till::open(
        journal,
        AuthStore::open(&dir.path().join("auth.sqlite"))?,
        devices,
        opts,
    )?;
    till.change_pin("1", "0001", PIN)?;
    till.login("1", PIN)?;
    Ok(Counter {
        reader,
        link,
        till,
        _dir: dir,
    })
}

fn card(minor: i64) -> till::SaleInput {
    till::SaleInput {
        amount: till_domain::Money::new(minor, till_domain::Currency::Hkd),
        tip: till_domain::Money::new(0, till_domain::Currency::Hkd),
        means: till_domain::PaymentMeans::Card,
        qr_scheme: None,
        code: None,
    }
}

/// Waits (on the link's own signal, not a sleep) until its state satisfies `ok`; a generous
/// bound only so a broken link fails the test instead of hanging it.
async fn until(link: &Supervisor, ok: impl Fn(&LinkState) -> bool) -> Result<LinkState, String> {
    let mut states: watch::Receiver<LinkState> = link.watch();
    let seen = tokio::time::timeout(Duration::from_secs(30), states.wait_for(|s| ok(s)))
        .await
        .map_err(|_| format!("the link stayed {:?}", link.state()))?
        .map_err(|e| e.to_string())?
        .clone();
    Ok(seen)
}

fn booked_sales(reader: &SimReader) -> usize {
    reader
        .terminal()
        .records()
        .iter()
        .filter(|r| r.kind == Kind::Sale && !r.reversed)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_go_through_the_reader_and_resume_after_it_comes_back() -> TestResult {
    let c = counter("bt-return")?;
    let up = until(&c.link, LinkState::is_connected).await?;
    assert_eq!(up, LinkState::Connected { battery: Some(87) });

    let first = c.till.sale(card(1200)).await?;
    assert_eq!(first.txn.status, TxnStatus::Approved, "{:?}", first.txn);
    let data = first
        .txn
        .approval
        .as_ref()
        .and_then(|a| a.card.as_ref())
        .ok_or("no card data from the reader")?;
    assert!(data.masked_pan.contains('*'), "masked: {}", data.masked_pan);
    assert!(!data.masked_pan.is_empty());

    // The reader sleeps while the counter is idle.
    c.reader.set_power(false);
    until(&c.link, |s| !s.is_connected()).await?;
    let refused = c.till.sale(card(800)).await?;
    assert_eq!(
        refused.txn.status,
        TxnStatus::Declined,
        "no sale starts on a dead link: {:?}",
        refused.txn
    );
    assert_eq!(booked_sales(&c.reader), 1, "nothing reached the reader");

    // It wakes: the supervisor sees it and reconnects without waiting out its backoff.
    c.reader.set_power(true);
    until(&c.link, LinkState::is_connected).await?;
    let second = c.till.sale(card(2000)).await?;
    assert_eq!(second.txn.status, TxnStatus::Approved, "{:?}", second.txn);
    assert_eq!(booked_sales(&c.reader), 2);
    c.till.verify_journal()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cut_under_an_authorization_is_unknown_then_resolved_once_back() -> TestResult {
    let c = counter("bt-cut")?;
    until(&c.link, LinkState::is_connected).await?;
    // Amounts ending in 57: the reader waits for the card; the link goes while it waits.
    let sale = {
        let till = &c.till;
        let cut = async {
            let sim = c.reader.terminal().clone();
            tokio::time::timeout(Duration::from_secs(30), async {
                while !sim.waiting_for_card() {
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await
            .map_err(|_| "the reader never asked for the card")?;
            c.reader.set_power(false);
            Ok::<(), &str>(())
        };
        let (sale, cut) = tokio::join!(till.sale(card(3157)), cut);
        cut?;
        sale?
    };
    assert_eq!(sale.txn.status, TxnStatus::Unknown, "{:?}", sale.txn);
    let next = c.till.sale(card(500)).await;
    assert!(
        matches!(next, Err(TillError::Unresolved { .. })),
        "no new sale while one is unknown: {next:?}"
    );

    c.reader.set_power(true);
    until(&c.link, LinkState::is_connected).await?;
    let recovered = c.till.recover().await?;
    assert_eq!(recovered.len(), 1);
    assert_eq!(
        recovered[0].kind,
        till::RecoveryKind::Reversed,
        "never booked: not charged"
    );
    assert_eq!(booked_sales(&c.reader), 0, "no double charge");
    let after = c.till.sale(card(500)).await?;
    assert_eq!(after.txn.status, TxnStatus::Approved);
    c.till.verify_journal()?;
    Ok(())
}

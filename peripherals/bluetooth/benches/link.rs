//! `cargo xtask bench` (Bluetooth part), in one run against the simulated reader (the ZVT
//! simulator behind the link's byte stream):
//! - the time from the reader's return (switched on again) to a link a sale can use, against
//!   the 2 s;
//! - the cost a Bluetooth link adds to a card authorization: the same authorization through the
//!   same driver and simulator over the supervised byte stream and over a pseudo-terminal.
//!
//! Radio time is not in it (no radio here): this is what OpenTill's own layers add.

use std::sync::Arc;
use std::time::{Duration, Instant};

use till_bluetooth::sim::SimReader;
use till_bluetooth::supervisor::{Backoff, Supervisor};
use till_bluetooth::{Address, LinkState};
use till_domain::ports::{CardRequest, NoProgress, PaymentTerminal};
use till_domain::{Currency, Money, TraceNo, TxnId};
use till_terminal::driver::{Connection, ZvtConfig, ZvtTerminal};
use till_terminal::pty::PtyMaster;
use till_terminal::serial::{SerialLink, Timings};
use till_terminal::{StreamSource, ZvtSim};

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (
        times[times.len() / 2],
        times[(times.len() * 99 / 100).min(times.len() - 1)],
    )
}

async fn authorizations(terminal: &dyn PaymentTerminal, n: usize) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let req = CardRequest {
            txn: TxnId(format!("bench-{i}")),
            trace: TraceNo::new(i as u32 + 1).expect("trace"),
            amount: Money::new(1000 + (i as i64 % 40), Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
        };
        let t = Instant::now();
        let outcome = terminal.authorize(&req, &NoProgress).await.expect("authorization");
        let took = t.elapsed();
        assert!(matches!(outcome, till_domain::ports::Outcome::Approved(_)), "approved");
        if i >= 20 {
            times.push(took);
        }
    }
    percentiles(times)
}

async fn wait(link: &Supervisor, ok: impl Fn(&LinkState) -> bool) {
    let mut states = link.watch();
    states.wait_for(|s| ok(s)).await.expect("the link's state");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let address: Address = "00:1B:10:55:0A:01".parse().expect("address");
        let reader = Arc::new(SimReader::new(
            address.clone(),
            Arc::new(ZvtSim::open(None).expect("simulator")),
        ));
        let link = Arc::new(Supervisor::start(address.clone(), reader.clone(), Backoff::default()));
        wait(&link, LinkState::is_connected).await;

        // The reader's return: off, seen gone, on, usable.
        let mut returns = Vec::new();
        for _ in 0..50 {
            reader.set_power(false);
            wait(&link, |s| !s.is_connected()).await;
            let t = Instant::now();
            reader.set_power(true);
            wait(&link, LinkState::is_connected).await;
            returns.push(t.elapsed());
        }
        let (back_p50, back_p99) = percentiles(returns);

        let n = 300;
        let mut config = ZvtConfig::new(
            Connection::Bluetooth {
                address: address.to_string(),
            },
            344,
        );
        config.streams = Some(link.clone() as Arc<dyn StreamSource>);
        let (bt_p50, bt_p99) = authorizations(&ZvtTerminal::new(config), n).await;

        let sim = Arc::new(ZvtSim::open(None).expect("simulator"));
        let pty = PtyMaster::open().expect("pseudo-terminal");
        let path = pty.path().display().to_string();
        tokio::spawn(async move {
            let mut line = SerialLink::new(pty, Timings::default());
            loop {
                let _ = sim.serve(&mut line).await;
            }
        });
        let wired = ZvtTerminal::new(ZvtConfig::new(Connection::Serial { path, baud: 115_200 }, 344));
        let (pty_p50, pty_p99) = authorizations(&wired, n).await;

        let ms = till_testkit::ms;
        let added = ms(bt_p50) - ms(pty_p50);
        println!("\n{:<52} measured", "Bluetooth reader (simulated, no radio)");
        println!("{}", "-".repeat(96));
        println!(
            "{:<52} p50 {:.3} ms, p99 {:.3} ms (goal: within 2 s) {}",
            "reader back -> usable link",
            ms(back_p50),
            ms(back_p99),
            if back_p99 <= Duration::from_secs(2) {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "{:<52} p50 {:.3} ms, p99 {:.3} ms",
            "authorization over the Bluetooth byte stream",
            ms(bt_p50),
            ms(bt_p99)
        );
        println!(
            "{:<52} p50 {:.3} ms, p99 {:.3} ms",
            "the same authorization over a pseudo-terminal",
            ms(pty_p50),
            ms(pty_p99)
        );
        println!("{:<52} {added:+.3} ms p50", "Bluetooth stream minus pty");
        let json = serde_json::json!({
            "reader_back_to_link_ms": {"p50": ms(back_p50), "p99": ms(back_p99), "goal": 2000.0},
            "authorization_bluetooth_ms": {"p50": ms(bt_p50), "p99": ms(bt_p99)},
            "authorization_pty_ms": {"p50": ms(pty_p50), "p99": ms(pty_p99)},
            "bluetooth_minus_pty_p50_ms": added,
        });
        let out = till_testkit::bench_dir().expect("bench dir");
        std::fs::write(
            out.join("bluetooth.json"),
            serde_json::to_string_pretty(&json).expect("json"),
        )
        .expect("write");
        println!("\nwritten: {}", out.join("bluetooth.json").display());
    });
}

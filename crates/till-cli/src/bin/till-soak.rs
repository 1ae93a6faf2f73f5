//! `till-soak`: runs random flows against a till's data directory until stopped — a soak and
//! crash-test load for technicians and for the test that kills it with SIGKILL. Every device is
//! simulated and keeps its own record in `DIR/sim`, as real devices would across a till crash.
//!
//! Usage: `till-soak --data-dir DIR --seed N [--count N] [--ready] [--terminate-after MS]`;
//! operator 1 must have PIN 123456. `--ready` prints `ready` once the till is open and logged in.
//!
//! `--terminate-after MS` makes this process the killer instead: it starts itself again with the
//! other arguments and kills that child after MS milliseconds, as the OS kills a process —
//! SIGKILL on Linux, `TerminateProcess` on Windows — so the crash test can kill a Windows till
//! from inside Windows (under Wine in the tests). Exit 0 when the child was killed, 3 when it
//! stopped by itself first (its error on stderr).

use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::sync::Arc;
use till::{Credentials, SaleInput, Sims, SystemClock, Till, TillError, TillOptions};
use till_domain::ports::HostCommand;
use till_domain::{Money, PaymentMeans, TxnKind};
use till_journal::HistoryQuery;

const PIN: &str = "123456";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn amount(rng: &mut rand::rngs::StdRng) -> i64 {
    let base = rng.gen_range(1..800) * 100;
    if rng.gen_bool(0.3) {
        base + [51, 52, 53, 54, 55, 91, 92, 93, 61][rng.gen_range(0..9)]
    } else {
        base + rng.gen_range(0..50)
    }
}

/// `--terminate-after`: run the soak as a child and kill it after `ms`.
fn terminate_after(ms: u64) -> Result<std::process::ExitCode, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--terminate-after" {
            i += 2;
        } else {
            rest.push(args[i].clone());
            i += 1;
        }
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .args(&rest)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(std::time::Duration::from_millis(ms));
    if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        eprintln!("the soak stopped by itself ({status}): {err}");
        return Ok(std::process::ExitCode::from(3));
    }
    child.kill().map_err(|e| e.to_string())?; // SIGKILL / TerminateProcess
    child.wait().map_err(|e| e.to_string())?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn main() -> Result<std::process::ExitCode, String> {
    if let Some(ms) = arg("--terminate-after") {
        return terminate_after(
            ms.parse()
                .map_err(|_| format!("--terminate-after {ms}: not milliseconds"))?,
        );
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(soak())
        .map(|()| std::process::ExitCode::SUCCESS)
}

async fn soak() -> Result<(), String> {
    let dir = PathBuf::from(arg("--data-dir").ok_or("--data-dir DIR is required")?);
    let seed: u64 = arg("--seed").and_then(|s| s.parse().ok()).unwrap_or(0);
    let count: u64 = arg("--count").and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let config = till::store::load_or_create_config(&dir).map_err(|e| e.to_string())?;
    let clock = Arc::new(SystemClock);
    let sims = Sims::open(Some(&dir.join("sim")), clock.clone(), config.currency, 32).map_err(|e| e.to_string())?;
    let currency = config.currency;
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    opts.qr_poll_limit = 4;
    let till = Till::open_dir(&dir, sims.devices(), opts).map_err(|e| e.to_string())?;
    till.recover().await.map_err(|e| e.to_string())?;
    till.login("1", PIN).map_err(|e| e.to_string())?;
    if std::env::args().any(|a| a == "--ready") {
        use std::io::Write;
        println!("ready");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
    }
    let boss = Credentials {
        operator: "1".into(),
        pin: PIN.into(),
    };
    let means = [
        PaymentMeans::Card,
        PaymentMeans::Card,
        PaymentMeans::QrCustomer,
        PaymentMeans::QrMerchant,
        PaymentMeans::StoredValue,
        PaymentMeans::Cash,
        PaymentMeans::TapAndGo,
    ];
    for _ in 0..count {
        let recent: Vec<_> = till
            .history(HistoryQuery {
                limit: Some(20),
                from: Some(chrono::DateTime::UNIX_EPOCH),
                ..HistoryQuery::default()
            })
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|t| t.kind == TxnKind::Sale)
            .collect();
        let roll = rng.gen_range(0..100);
        let result: Result<(), TillError> = if roll < 60 || recent.is_empty() {
            let m = means[rng.gen_range(0..means.len())];
            let code =
                (m == PaymentMeans::QrCustomer).then(|| format!("13{:016}", rng.gen_range(0..10_000_000_000u64)));
            let input = SaleInput {
                amount: Money::new(amount(&mut rng), currency),
                tip: Money::zero(currency),
                means: m,
                qr_scheme: None,
                code,
            };
            till.sale(input).await.map(|_| ())
        } else {
            let t = &recent[rng.gen_range(0..recent.len())];
            if roll < 75 {
                till.void(t.trace, &boss).await.map(|_| ())
            } else if roll < 93 {
                let part = (t.total().minor * rng.gen_range(10..=100) / 100).max(1);
                till.refund(t.trace, Some(Money::new(part, currency)), &boss)
                    .await
                    .map(|_| ())
            } else if roll < 96 {
                till.settle().await.map(|_| ())
            } else {
                let cmd = if rng.gen_bool(0.5) {
                    HostCommand::BlockRefund
                } else {
                    HostCommand::UnblockRefund
                };
                till.apply_host_command(&cmd).map(|_| ())
            }
        };
        match result {
            Ok(()) | Err(TillError::Domain(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

//! `cargo xtask bench`: the till's speed goals, measured, printed as a table and written as
//! JSON (target/bench/till.json).
//!
//! - a sale end to end through `Till` with a zero-latency simulated terminal (p50, p99,
//!   sales/s), beside a loop of raw SQLite WAL commits with synchronous=FULL on the same disk,
//!   measured in the same run; goal: a sale costs at most 1.5x two raw commits (a sale is two
//!   durable commits: the intent, then the outcome);
//! - history search over 1,000,000 transactions; goal: p50 <= 10 ms;
//! - batch totals over 10,000 transactions; goal: <= 5 ms.

use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use till::{ManualClock, SaleInput, Sims, Till, TillOptions};
use till_domain::{Currency, Money, PaymentMeans, TillConfig, TraceNo};
use till_journal::{AuthStore, HistoryQuery, Journal};
use till_testkit::ms;

/// Operations run before measuring, in each measured loop.
const WARM_UP: usize = 30;

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    Stats {
        p50: at(0.5),
        p99: at(0.99),
        mean,
    }
}

fn workdir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("bench-work");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench work dir");
    dir
}

fn raw_commits(dir: &Path, n: usize) -> Vec<Duration> {
    std::fs::create_dir_all(dir).expect("raw dir");
    let path = dir.join("raw.sqlite");
    let conn = rusqlite::Connection::open(&path).expect("open raw db");
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
        .expect("raw schema");
    let body = "x".repeat(400);
    // The first commits grow the file and warm the caches: not measured.
    (0..n + WARM_UP)
        .map(|i| {
            let t = Instant::now();
            conn.execute(
                "INSERT INTO t (id, body) VALUES (?1, ?2)",
                rusqlite::params![i as i64, body],
            )
            .expect("insert");
            t.elapsed()
        })
        .skip(WARM_UP)
        .collect()
}

fn sales(dir: &Path, n: usize) -> Vec<Duration> {
    std::fs::create_dir_all(dir).expect("sale dir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let config = TillConfig::demo();
    let sims = Sims::open(None, clock.clone(), config.currency, 48).expect("sims");
    let mut opts = TillOptions::new(config);
    opts.clock = clock.clone();
    let journal = Journal::open(&dir.join("journal.sqlite")).expect("journal");
    let till = Till::open(
        journal,
        AuthStore::open_in_memory().expect("auth"),
        sims.devices(),
        opts,
    )
    .expect("till");
    till.change_pin("1", "0001", "135790").expect("pin");
    till.login("1", "135790").expect("login");
    let hkd = |m| Money::new(m, Currency::Hkd);
    rt.block_on(async {
        let mut out = Vec::with_capacity(n);
        for i in 0..n + WARM_UP {
            clock.advance(chrono::Duration::milliseconds(10));
            let input = SaleInput {
                amount: hkd(1000 + (i as i64 % 40)),
                tip: hkd(0),
                means: PaymentMeans::Card,
                qr_scheme: None,
                code: None,
            };
            let t = Instant::now();
            let r = till.sale(input).await.expect("sale");
            out.push(t.elapsed());
            assert!(r.receipts.len() == 2, "receipts printed");
        }
        out.split_off(WARM_UP)
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--profile-sales") {
        // For a profiler: only the sale loop.
        let s = stats(sales(&workdir().join("p"), 300));
        println!("sale p50 {:.3} ms", ms(s.p50));
        return;
    }
    let dir = workdir();
    let n = 600;
    let history_size: u64 = if quick { 100_000 } else { 1_000_000 };
    let mut rows: Vec<(String, String, String, bool)> = Vec::new();
    let mut json = serde_json::Map::new();

    // 1. Raw commits and sales, interleaved in halves so both see the same disk conditions.
    let mut raw = raw_commits(&dir, n / 2);
    let mut sale = sales(&dir.join("a"), n / 2).into_iter().collect::<Vec<_>>();
    raw.extend(raw_commits(&dir.join("b"), n / 2));
    sale.extend(sales(&dir.join("c"), n / 2));
    let raw = stats(raw);
    let total: Duration = sale.iter().sum();
    let per_sec = sale.len() as f64 / total.as_secs_f64();
    let sale = stats(sale);
    let ratio = sale.p50.as_secs_f64() / (2.0 * raw.p50.as_secs_f64());
    rows.push((
        "raw WAL commit (sync=FULL)".into(),
        format!("p50 {:.3} ms, p99 {:.3} ms", ms(raw.p50), ms(raw.p99)),
        "-".into(),
        true,
    ));
    rows.push((
        "sale end to end (card, sim)".into(),
        format!("p50 {:.3} ms, p99 {:.3} ms, {per_sec:.0}/s", ms(sale.p50), ms(sale.p99)),
        "-".into(),
        true,
    ));
    rows.push((
        "sale / two raw commits (p50)".into(),
        format!("{ratio:.2}x"),
        "<= 1.5x".into(),
        ratio <= 1.5,
    ));
    json.insert(
        "raw_commit_ms".into(),
        serde_json::json!({"p50": ms(raw.p50), "p99": ms(raw.p99), "mean": ms(raw.mean)}),
    );
    json.insert(
        "sale_ms".into(),
        serde_json::json!({"p50": ms(sale.p50), "p99": ms(sale.p99), "mean": ms(sale.mean), "per_second": per_sec}),
    );
    json.insert("sale_to_two_commits_ratio".into(), serde_json::json!(ratio));

    // 2. History search over a large journal.
    let mut big = Journal::open(&dir.join("history.sqlite")).expect("history journal");
    let t = Instant::now();
    till_journal::fill_for_benchmark(
        &mut big,
        history_size,
        200,
        chrono::Utc::now() - chrono::Duration::days(400),
    )
    .expect("fill");
    let fill = t.elapsed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut searches = Vec::new();
    for i in 0..400u64 {
        let k = rng.gen_range(0..history_size);
        let q = match i % 4 {
            0 => HistoryQuery {
                trace: TraceNo::new((k % 999_999 + 1) as u32),
                limit: Some(50),
                ..Default::default()
            },
            1 => HistoryQuery {
                last4: Some(format!("{:04}", k % 10_000)),
                limit: Some(50),
                ..Default::default()
            },
            2 => HistoryQuery {
                auth_code: Some(format!("{:06}", (k * 31) % 1_000_000)),
                limit: Some(50),
                ..Default::default()
            },
            _ => HistoryQuery {
                amount_minor: Some(100 + (k as i64 * 7919) % 200_000),
                limit: Some(50),
                ..Default::default()
            },
        };
        let t = Instant::now();
        let found = big.search(&q).expect("search");
        searches.push(t.elapsed());
        std::hint::black_box(found);
    }
    let search = stats(searches);
    rows.push((
        format!("history search, {history_size} txns"),
        format!(
            "p50 {:.3} ms, p99 {:.3} ms (fill {:.0} s)",
            ms(search.p50),
            ms(search.p99),
            fill.as_secs_f64()
        ),
        "p50 <= 10 ms".into(),
        ms(search.p50) <= 10.0,
    ));
    json.insert(
        "history_search_ms".into(),
        serde_json::json!({"transactions": history_size, "p50": ms(search.p50), "p99": ms(search.p99)}),
    );
    drop(big);

    // 3. Batch totals over one batch of 10,000.
    let mut batch = Journal::open(&dir.join("totals.sqlite")).expect("totals journal");
    till_journal::fill_for_benchmark(&mut batch, 10_000, 1, chrono::Utc::now()).expect("fill");
    let no = batch.current_batch().expect("batch").expect("a batch").no;
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let totals = batch.totals(no, Currency::Hkd).expect("totals");
        times.push(t.elapsed());
        assert_eq!(totals.grand().sales.count, 10_000, "all 10,000 counted");
    }
    let totals = stats(times);
    rows.push((
        "batch totals, 10000 txns".into(),
        format!("p50 {:.3} ms, p99 {:.3} ms", ms(totals.p50), ms(totals.p99)),
        "<= 5 ms".into(),
        ms(totals.p50) <= 5.0,
    ));
    json.insert(
        "batch_totals_ms".into(),
        serde_json::json!({"transactions": 10_000, "p50": ms(totals.p50), "p99": ms(totals.p99)}),
    );

    println!("\n{:<34} {:<50} {:<14} met", "benchmark", "measured", "goal");
    println!("{}", "-".repeat(106));
    for (name, value, goal, ok) in &rows {
        println!("{name:<34} {value:<50} {goal:<14} {}", if *ok { "yes" } else { "NO" });
    }
    let out = dir
        .parent()
        .map(|p| p.join("bench"))
        .unwrap_or_else(|| PathBuf::from("bench"));
    std::fs::create_dir_all(&out).expect("bench output dir");
    let file = out.join("till.json");
    json.insert("goals_met".into(), serde_json::json!(rows.iter().all(|r| r.3)));
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&serde_json::Value::Object(json)).expect("json"),
    )
    .expect("write json");
    println!("\nwritten: {}", file.display());
    let _ = std::fs::remove_dir_all(&dir);
}

//! `cargo xtask bench` (printer part): a bilingual card receipt (Traditional Chinese, the
//! merchant copy of a chip-and-PIN sale with tip) on 80 mm paper, measured, printed as a table
//! and written as JSON (target/bench/printer.json). Goals: text mode ≤ 2 KB and generated in
//! ≤ 1 ms; raster fallback ≤ 40 KB and ≤ 20 ms; the time the bytes take on a serial line at
//! 9600 and 115200 baud is computed from their size (10 bits a byte). The receipts themselves
//! are left beside the JSON (.bin, and .png as the virtual printer draws them) to look at.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use till::{ManualClock, SaleInput, Sims, Till, TillOptions};
use till_domain::receipt::ReceiptDoc;
use till_domain::{Currency, Money, PaymentMeans, TillConfig};
use till_i18n::Lang;
use till_journal::{AuthStore, Journal};
use till_printer::{ChineseMode, DoubleByte, Paper, Profile, Settings, interpret, render};
use till_testkit::ms;

const RUNS: usize = 300;

fn card_receipt() -> ReceiptDoc {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = TillConfig::demo();
        let clock = Arc::new(ManualClock::new(till_testkit::t0()));
        let sims = Sims::open(None, clock.clone(), config.currency, 48).expect("sims");
        let mut opts = TillOptions::new(config);
        opts.clock = clock;
        opts.lang = Lang::ZhHant;
        let journal = Journal::open_in_memory().expect("journal");
        let auth = AuthStore::open_in_memory().expect("auth");
        let till = Till::open(journal, auth, sims.devices(), opts).expect("till");
        till.change_pin("1", "0001", "135790").expect("pin");
        till.login("1", "135790").expect("login");
        let hkd = |m| Money::new(m, Currency::Hkd);
        let sale = till
            .sale(SaleInput {
                amount: hkd(3850),
                tip: hkd(500),
                means: PaymentMeans::Card,
                qr_scheme: None,
                code: None,
            })
            .await
            .expect("sale");
        sale.receipts.into_iter().next().expect("a receipt")
    })
}

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn out_dir() -> PathBuf {
    till_testkit::bench_dir().expect("bench dir")
}

struct Measured {
    bytes: Vec<u8>,
    p50: Duration,
}

fn measure(doc: &ReceiptDoc, profile: &Profile) -> Measured {
    // The first render loads the font and fills the glyph cache, as a till's first receipt does.
    let bytes = render(doc, profile);
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let b = render(doc, profile);
        times.push(t.elapsed());
        assert_eq!(b, bytes, "rendering is deterministic");
    }
    Measured { bytes, p50: p50(times) }
}

fn main() {
    let doc = card_receipt();
    let dir = out_dir();
    let text = measure(&doc, &Profile::new(Paper::Mm80, ChineseMode::Big5));
    let raster = measure(&doc, &Profile::new(Paper::Mm80, ChineseMode::Raster));
    for (name, m) in [("text", &text), ("raster", &raster)] {
        std::fs::write(dir.join(format!("receipt-80mm-{name}.bin")), &m.bytes).expect("write bin");
        let (pages, _) = interpret(&m.bytes, Settings::new(576, DoubleByte::Big5));
        if let Some(page) = pages.first() {
            std::fs::write(
                dir.join(format!("receipt-80mm-{name}.png")),
                page.on_paper().to_png().expect("png"),
            )
            .expect("write png");
        }
    }
    let line_time = |bytes: usize, baud: f64| bytes as f64 * 10.0 / baud;
    let rows = [
        (
            "text mode, 80 mm: size".to_owned(),
            format!("{} bytes", text.bytes.len()),
            "<= 2048 bytes",
            text.bytes.len() <= 2048,
        ),
        (
            "text mode: generation p50".to_owned(),
            format!("{:.3} ms", ms(text.p50)),
            "<= 1 ms",
            text.p50 <= Duration::from_millis(1),
        ),
        (
            "raster fallback, 80 mm: size".to_owned(),
            format!("{} bytes", raster.bytes.len()),
            "<= 40960 bytes",
            raster.bytes.len() <= 40960,
        ),
        (
            "raster fallback: generation p50".to_owned(),
            format!("{:.3} ms", ms(raster.p50)),
            "<= 20 ms",
            raster.p50 <= Duration::from_millis(20),
        ),
        (
            "text mode on the line".to_owned(),
            format!(
                "{:.2} s at 9600, {:.3} s at 115200 baud",
                line_time(text.bytes.len(), 9600.0),
                line_time(text.bytes.len(), 115_200.0)
            ),
            "(computed)",
            true,
        ),
        (
            "raster fallback on the line".to_owned(),
            format!(
                "{:.2} s at 9600, {:.3} s at 115200 baud",
                line_time(raster.bytes.len(), 9600.0),
                line_time(raster.bytes.len(), 115_200.0)
            ),
            "(computed)",
            true,
        ),
    ];
    println!("\n{:<34} {:<50} {:<16} met", "printer benchmark", "measured", "goal");
    println!("{}", "-".repeat(108));
    for (name, value, goal, ok) in &rows {
        println!("{name:<34} {value:<50} {goal:<16} {}", if *ok { "yes" } else { "NO" });
    }
    let json = serde_json::json!({
        "receipt": "bilingual card receipt (zh-Hant, merchant copy), 80 mm",
        "text": {
            "bytes": text.bytes.len(),
            "generation_p50_ms": ms(text.p50),
            "seconds_at_9600": line_time(text.bytes.len(), 9600.0),
            "seconds_at_115200": line_time(text.bytes.len(), 115_200.0),
        },
        "raster": {
            "bytes": raster.bytes.len(),
            "generation_p50_ms": ms(raster.p50),
            "seconds_at_9600": line_time(raster.bytes.len(), 9600.0),
            "seconds_at_115200": line_time(raster.bytes.len(), 115_200.0),
        },
        "goals_met": rows.iter().all(|r| r.3),
    });
    let file = dir.join("printer.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json).expect("json")).expect("write json");
    println!("\nwritten: {} (and the receipts beside it)", file.display());
}

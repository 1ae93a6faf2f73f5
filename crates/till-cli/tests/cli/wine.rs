//! The Windows build (`till.exe`, cross-built by `cargo xtask test`) under Wine: the same flows,
//! the same refusals and the same crash safety as on Linux, on Windows paths, through the
//! Windows serial API and killed with `TerminateProcess`.
//!
//! These tests need `OPENTILL_WINE_BIN` and `WINEPREFIX`, which `cargo xtask test` sets after
//! the cross build; a plain `cargo test` says so and skips them.

use crate::bad_input::bad_input_changes_nothing_through;
use crate::crash::check;
use crate::support::*;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn wine() -> Option<Bin> {
    let bin = Bin::wine();
    if bin.is_none() {
        eprintln!("skipped: no Windows build (OPENTILL_WINE_BIN); `cargo xtask test` provides it");
    }
    bin
}

fn prefix(bin: &Bin) -> PathBuf {
    match bin {
        Bin::Wine { prefix, .. } => prefix.clone(),
        Bin::Native => PathBuf::new(),
    }
}

/// The flows of a shop's day through till.exe, on its default data folder
/// `%ProgramData%\OpenTill`, in English and 繁體中文.
#[test]
fn till_exe_runs_a_day_of_flows_in_program_data() -> TestResult {
    let Some(bin) = wine() else { return Ok(()) };
    let data = prefix(&bin).join("drive_c/ProgramData/OpenTill");
    let _ = std::fs::remove_dir_all(&data);
    // No --data-dir: the Windows default.
    let run = |lang: &str, args: &[&str]| {
        bin.command("till")
            .args(["--lang", lang, "--operator", "1", "--pin", PIN])
            .args(args)
            .env_remove("TILL_DATA_DIR")
            .output()
            .expect("till.exe runs")
    };
    let first = bin
        .command("till")
        .args([
            "--operator",
            "1",
            "--pin",
            "0001",
            "operator",
            "change-pin",
            "--new-pin",
            PIN,
        ])
        .env_remove("TILL_DATA_DIR")
        .output()?;
    assert!(first.status.success(), "first PIN change: {}", text(&first));
    assert!(
        data.join("journal.sqlite").exists() && data.join("till.toml").exists(),
        "the journal and till.toml live in C:\\ProgramData\\OpenTill"
    );
    let json = |lang: &str, args: &[&str]| {
        let o = run(lang, &[&["--json"], args].concat());
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        v
    };
    let card = run("en", &["sale", "38.50", "--tip", "5", "--means", "card"]);
    let out = text(&card);
    assert!(card.status.success(), "{out}");
    assert!(
        out.contains("TOTAL 總額") && out.contains("HKD 43.50") && out.contains("Sale 000001: Approved, HK$43.50"),
        "the card receipt and result: {out}"
    );
    let qr = run(
        "zh-Hant",
        &[
            "sale",
            "12.00",
            "--means",
            "qr-customer",
            "--code",
            "134567890123456789",
        ],
    );
    assert!(qr.status.success(), "{}", text(&qr));
    assert!(
        text(&qr).contains("已批核"),
        "Chinese output through a pipe is UTF-8: {}",
        text(&qr)
    );
    let cash = json("en", &["sale", "20.00", "--means", "cash"]);
    let cash_trace = format!("{:06}", cash["data"]["txn"]["trace"].as_u64().unwrap_or(0));
    let void = run("en", &["void", "--trace", &cash_trace]);
    assert!(
        void.status.success() && text(&void).contains("Approved"),
        "{}",
        text(&void)
    );
    let refund = run("zh-Hant", &["refund", "--trace", "000001", "--amount", "10"]);
    assert!(refund.status.success(), "{}", text(&refund));
    let history = run("zh-Hant", &["history"]);
    let h = text(&history);
    assert!(
        history.status.success() && h.contains("信用卡") && h.contains("已撤銷") && h.contains("43.50"),
        "{h}"
    );
    let x = run("en", &["report", "x"]);
    assert!(x.status.success() && text(&x).contains("SUMMARY (X)"), "{}", text(&x));
    let settle = run("zh-Hant", &["settle"]);
    assert!(settle.status.success(), "{}", text(&settle));
    let settled = json("en", &["history", "--trace", "000001"]);
    assert_eq!(settled["data"][0]["refunded"]["minor"], 1000, "{settled}");
    let verify = run("en", &["journal", "verify"]);
    assert!(
        verify.status.success() && text(&verify).contains("hash chain intact"),
        "{}",
        text(&verify)
    );
    // The journal written by Windows is the same format: the Linux build verifies it too.
    let native = Bin::Native.till(&data, "en", &["journal", "verify"]);
    assert!(
        native.status.success(),
        "Linux reads Windows' journal: {}",
        text(&native)
    );
    Ok(())
}

#[test]
fn till_exe_refuses_bad_input_and_changes_nothing() -> TestResult {
    let Some(bin) = wine() else { return Ok(()) };
    bad_input_changes_nothing_through(&bin)
}

/// The crash test on Windows: `till-soak.exe` killed with TerminateProcess (by its Windows
/// parent, `--terminate-after`) at random points, 50 times; after each, the till reopens with
/// nothing lost, nothing charged twice and every Unknown resolved.
#[test]
fn terminate_process_at_random_points_loses_nothing() -> TestResult {
    let Some(bin) = wine() else { return Ok(()) };
    let iterations: u64 = std::env::var("OPENTILL_WINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = bin.fresh("wine-crash");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_205);
    let (mut last, mut resolved) = (0, 0);
    for i in 0..iterations {
        let ms = rng.gen_range(300..1500).to_string();
        let o = bin
            .command("till-soak")
            .arg("--data-dir")
            .arg(bin.path(dir.path()))
            .args(["--seed", &i.to_string(), "--terminate-after", &ms])
            .output()?;
        assert!(o.status.success(), "kill {i}: {}", text(&o));
        let (count, recovered) = check(dir.path()).map_err(|e| format!("after kill {i}: {e}"))?;
        last = count;
        resolved += recovered;
    }
    assert!(
        last as u64 >= iterations / 2,
        "the children did real work: {last} transactions in {iterations} runs"
    );
    eprintln!("{iterations} TerminateProcess kills, {last} transactions, {resolved} resolved by recovery");
    Ok(())
}

/// Maps `COMn` of the Wine prefix to `device` (a Linux pseudo-terminal), as
/// `HKLM\Software\Wine\Ports` would: Wine opens COM ports through `dosdevices/comN`.
fn map_com_port(bin: &Bin, n: u32, device: &Path) -> std::io::Result<()> {
    let link = prefix(bin).join(format!("dosdevices/com{n}"));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(device, &link)
}

/// A card sale from till.exe through the Windows serial API: COM port -> pseudo-terminal ->
/// the ZVT simulator. Then the line is cut mid-authorization: the sale is Unknown, and the
/// next start resolves it as not charged, as on Linux.
#[test]
fn a_card_sale_over_a_com_port() -> TestResult {
    let Some(bin) = wine() else { return Ok(()) };
    let dir = bin.fresh("wine-com");
    let sim = Arc::new(till_terminal::ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    let com = 20 + std::process::id() % 200;
    map_com_port(&bin, com, &zvt_on_a_pty(sim.clone())?)?;
    let config = std::fs::read_to_string(dir.path().join("till.toml"))?;
    std::fs::write(
        dir.path().join("till.toml"),
        format!(
            "{config}\n[terminal]\nkind = \"zvt\"\nconnection = {{ kind = \"serial\", path = \"COM{com}\", baud = 9600 }}\n"
        ),
    )?;
    let sale = bin.till(dir.path(), "en", &["sale", "25.00", "--means", "card"]);
    assert!(
        sale.status.success() && text(&sale).contains("Sale 000001: Approved, HK$25.00"),
        "{}",
        text(&sale)
    );
    assert!(
        text(&sale).contains("************"),
        "the receipt masks the PAN: {}",
        text(&sale)
    );
    // x.92: the line drops after the request; nothing is booked on the terminal.
    let cut = bin.till(dir.path(), "en", &["sale", "31.92", "--means", "card"]);
    assert_ne!(cut.status.code(), Some(0), "not approved: {}", text(&cut));
    let next = bin.till(dir.path(), "en", &["--json", "sale", "5.00", "--means", "card"]);
    assert!(next.status.success(), "{}", text(&next));
    let history = bin.till(dir.path(), "en", &["--json", "history"]);
    let v: serde_json::Value = serde_json::from_slice(&history.stdout)?;
    let rows = v["data"].as_array().ok_or("history rows")?;
    let cut_row = rows
        .iter()
        .find(|r| r["amount"]["minor"] == 3192)
        .ok_or_else(|| format!("the cut sale is in history: {v}\ncut: {}", text(&cut)))?;
    assert!(
        cut_row["status"] == "failed" || cut_row["status"] == "reversed" || cut_row["status"] == "declined",
        "the cut sale was not charged: {cut_row}"
    );
    let booked: Vec<u64> = sim
        .records()
        .into_iter()
        .filter(|r| r.kind == till_terminal::sim::Kind::Sale && !r.reversed)
        .map(|r| r.amount)
        .collect();
    assert_eq!(
        booked,
        vec![2500, 500],
        "the terminal booked exactly the approved sales"
    );
    Ok(())
}

/// `till.exe print test` to a TCP 9100 printer sends exactly the bytes the Linux build sends
/// (both given the same CJK font file: Noto, by a Windows path under Wine).
#[test]
fn print_test_sends_the_same_bytes_as_linux() -> TestResult {
    let Some(wine) = wine() else { return Ok(()) };
    let font = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let mut captured = Vec::new();
    for b in [Bin::Native, wine] {
        let dir = b.fresh("wine-print");
        let config = std::fs::read_to_string(dir.path().join("till.toml"))?;
        std::fs::write(
            dir.path().join("till.toml"),
            format!(
                "{config}\n[printer]\nconnection = {{ kind = \"tcp\", address = \"127.0.0.1:{port}\" }}\npaper = \"80mm\"\nchinese = \"raster\"\n"
            ),
        )?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (l, st) = (listener.try_clone()?, stop.clone());
        let printer = std::thread::spawn(move || tcp_printer(l, st));
        let o = b
            .command("till")
            .arg("--data-dir")
            .arg(b.path(dir.path()))
            .args(["--lang", "en", "print", "test"])
            .env("OPENTILL_CJK_FONT", b.path(font))
            .output()?;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let job = printer.join().map_err(|_| "printer thread")??;
        assert!(o.status.success(), "{b:?}: {}", text(&o));
        captured.push(job);
    }
    assert!(
        captured[0].len() > 1000,
        "a test page reached the printer: {} bytes",
        captured[0].len()
    );
    assert!(
        captured[0] == captured[1],
        "Windows and Linux send the same ESC/POS bytes ({} vs {})",
        captured[0].len(),
        captured[1].len()
    );
    Ok(())
}

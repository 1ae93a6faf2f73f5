//! Launch time and memory of the cashier app, each measured in the same run as the floor: the
//! smallest Tauri v2 window (tools/tauri-floor, same tauri version, features and cargo profile).
//! Run by `cargo xtask bench` in the dev profile (dependencies at opt-level 2, the way the app is
//! run and tested); prints a table and writes target/bench/app.json.
//!
//! - **Launch**: from just before the process is spawned to the ready line it prints once a
//!   screen is interactive: `OPENTILL_READY screen=<name> monotonic_ns=<CLOCK_MONOTONIC>` on
//!   stdout, only when `OPENTILL_BENCH_READY=1` (the UI tells the Rust side after the screen has
//!   rendered and its handlers are attached). The clock in the line is the one read here before
//!   spawning, so the time does not depend on when this process gets to read the pipe.
//! - **Login**: the app keeps no session across launches, so a launch ends on the login screen.
//!   The bench then logs in on the keyboard with real X key events (xdotool): operator, Enter,
//!   PIN, and measures from the last Enter to the sale screen's ready line. The data folder is a
//!   copy of one whose operator 1 already has a 6-digit PIN (set here through `till`).
//! - **Memory**: the summed PSS (/proc/<pid>/smaps_rollup) of the process and everything below
//!   it (WebKitWebProcess, WebKitNetworkProcess), 2 s after the last ready line.
//!
//! One warm-up launch of each is discarded; then `OPENTILL_BENCH_RUNS` (default 5) launches of
//! each, alternating which goes first. Goals (issue 6): interactive within 1.0 s, memory within
//! 1.3x the floor's.

#[allow(dead_code)]
#[path = "../tests/e2e/support/display.rs"]
mod display;
#[allow(dead_code)]
#[path = "../tests/e2e/support/procs.rs"]
mod procs;

use display::{Display, Size};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

const PIN: &str = "246810";
const SETTLE: Duration = Duration::from_secs(2);
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const GOAL_LAUNCH_MS: f64 = 1000.0;
const GOAL_MEMORY_RATIO: f64 = 1.3;

fn monotonic_ns() -> i128 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

fn out_dir() -> Result<PathBuf, Error> {
    Ok(till_testkit::bench_dir()?)
}

/// A ready line: the screen and the CLOCK_MONOTONIC it was printed at (or, if the line has
/// none, when it was read).
#[derive(Debug)]
struct Ready {
    screen: String,
    at_ns: i128,
}

fn parse_ready(line: &str, read_at: i128) -> Option<Ready> {
    let rest = line.trim().strip_prefix("OPENTILL_READY")?;
    let mut screen = String::new();
    let mut at_ns = read_at;
    for field in rest.split_whitespace() {
        if let Some(s) = field.strip_prefix("screen=") {
            screen = s.to_owned();
        } else if let Some(ns) = field.strip_prefix("monotonic_ns=").and_then(|n| n.parse().ok()) {
            at_ns = ns;
        }
    }
    Some(Ready { screen, at_ns })
}

/// One measured launch.
#[derive(Debug)]
struct Run {
    /// Launch to the first interactive screen.
    launch_ms: f64,
    /// Last Enter of the login to the sale screen (the app only).
    login_ms: Option<f64>,
    /// The whole tree.
    memory: procs::Memory,
    /// By process, for the JSON.
    processes: Vec<(String, procs::Memory)>,
}

#[derive(Debug)]
struct Subject {
    name: &'static str,
    binary: PathBuf,
    /// The screen whose ready line ends the launch.
    first_screen: &'static str,
    /// Prepared data folder, copied for every run (the app only).
    template: Option<PathBuf>,
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A till data folder whose operator 1 has changed the default PIN to [`PIN`], as the first
/// login in the app would leave it.
fn prepare_till(dir: &Path) -> Result<(), Error> {
    let config = till::store::load_or_create_config(dir)?;
    let serial = config.serial.clone();
    let clock = Arc::new(till::SystemClock);
    let sims = till::Sims::open(Some(&dir.join("sim")), clock.clone(), config.currency, 48)?;
    let mut opts = till::TillOptions::new(config);
    opts.clock = clock;
    let till = till::Till::open_dir(dir, sims.devices(), opts)?;
    till.change_pin("1", &till_domain::operator::default_pin(&serial), PIN)?;
    till.login("1", PIN)?;
    Ok(())
}

fn xdotool(display: &Display, args: &[&str]) -> Result<(), Error> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display.name())
        .output()
        .map_err(|e| format!("xdotool could not start (apt-get install xdotool): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "xdotool {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into())
    }
}

fn wait_ready(rx: &mpsc::Receiver<Ready>, screen: &str, log: &Path) -> Result<Ready, Error> {
    let deadline = std::time::Instant::now() + READY_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(r) if r.screen == screen => return Ok(r),
            Ok(_) => {}
            Err(_) => {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = log
                    .lines()
                    .rev()
                    .take(15)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return Err(format!(
                    "no `OPENTILL_READY screen={screen}` line within {} s: is the UI built (ui/dist, else the \
                     app shows a placeholder) and does it report its screens with OPENTILL_BENCH_READY=1? \
                     The end of the process's stderr:\n{}",
                    READY_TIMEOUT.as_secs(),
                    tail.join("\n")
                )
                .into());
            }
        }
    }
}

fn run_once(subject: &Subject, display: &Display, work: &Path) -> Result<Run, Error> {
    let data = work.join("data");
    let _ = std::fs::remove_dir_all(&data);
    if let Some(template) = &subject.template {
        copy_dir(template, &data)?;
    } else {
        std::fs::create_dir_all(&data)?;
    }
    let log = work.join(format!("{}.log", subject.name));
    let start = monotonic_ns();
    let mut child = Command::new(&subject.binary)
        .env("DISPLAY", display.name())
        .env_remove("WAYLAND_DISPLAY")
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("OPENTILL_BENCH_READY", "1")
        .env("TILL_DATA_DIR", &data)
        .env("OPENTILL_DEMO", "1")
        .env("TILL_LANG", "en")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .map_err(|e| format!("{}: {e}", subject.binary.display()))?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(r) = parse_ready(&line, monotonic_ns()) {
                let _ = tx.send(r);
            }
        }
    });
    let measured = (|| -> Result<Run, Error> {
        let first = wait_ready(&rx, subject.first_screen, &log)?;
        let launch_ms = (first.at_ns - start) as f64 / 1e6;
        let mut login_ms = None;
        if subject.first_screen == "login" {
            // The login screen focuses the operator field; Enter there moves to the PIN.
            xdotool(display, &["mousemove", "512", "384"])?;
            xdotool(display, &["type", "--delay", "0", "1"])?;
            xdotool(display, &["key", "Return"])?;
            xdotool(display, &["type", "--delay", "0", PIN])?;
            let enter = monotonic_ns();
            xdotool(display, &["key", "Return"])?;
            let sale = wait_ready(&rx, "sale", &log)?;
            login_ms = Some((sale.at_ns - enter) as f64 / 1e6);
        }
        std::thread::sleep(SETTLE);
        let tree = procs::tree(pid);
        let processes: Vec<(String, procs::Memory)> = tree
            .iter()
            .map(|p| (p.comm.clone(), procs::memory_kib(p.pid).unwrap_or_default()))
            .collect();
        let memory = processes
            .iter()
            .fold(procs::Memory::default(), |sum, (_, m)| procs::Memory {
                pss: sum.pss + m.pss,
                private: sum.private + m.private,
                rss: sum.rss + m.rss,
            });
        Ok(Run {
            launch_ms,
            login_ms,
            memory,
            processes,
        })
    })();
    procs::terminate(&procs::tree(pid), Duration::from_secs(5));
    let _ = child.kill();
    let _ = child.wait();
    measured
}

/// Median and 90th percentile (nearest rank).
fn median_p90(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    (median, rank(0.9))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn summary(runs: &[Run]) -> Value {
    let launch: Vec<f64> = runs.iter().map(|r| r.launch_ms).collect();
    let login: Vec<f64> = runs.iter().filter_map(|r| r.login_ms).collect();
    let pss: Vec<f64> = runs.iter().map(|r| mib(r.memory.pss)).collect();
    let uss: Vec<f64> = runs.iter().map(|r| mib(r.memory.private)).collect();
    let rss: Vec<f64> = runs.iter().map(|r| mib(r.memory.rss)).collect();
    let (launch_median, launch_p90) = median_p90(&launch);
    let mut j = json!({
        "launch_ms": launch,
        "launch_ms_median": launch_median,
        "launch_ms_p90": launch_p90,
        "pss_mib": pss,
        "pss_mib_median": median_p90(&pss).0,
        "uss_mib_median": median_p90(&uss).0,
        "rss_mib_median": median_p90(&rss).0,
        "processes_last_run": runs.last().map(|r| r.processes.iter().map(|(name, m)| json!({
            "name": name, "pss_kib": m.pss, "uss_kib": m.private, "rss_kib": m.rss,
        })).collect::<Vec<_>>()),
    });
    if !login.is_empty() {
        let (m, p) = median_p90(&login);
        j["login_to_sale_ms"] = json!(login);
        j["login_to_sale_ms_median"] = json!(m);
        j["login_to_sale_ms_p90"] = json!(p);
    }
    j
}

/// The 1-minute load average: the machine is shared, and launch times follow it.
fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), Error> {
    let n: usize = std::env::var("OPENTILL_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let app = PathBuf::from(env!("CARGO_BIN_EXE_opentill"));
    let floor = app.with_file_name("tauri-floor");
    if !floor.is_file() {
        return Err(format!(
            "{} is missing: build it in the same profile first (`cargo build -p tauri-floor`; `cargo xtask bench` does)",
            floor.display()
        )
        .into());
    }
    let work = std::env::temp_dir().join(format!("opentill-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let template = work.join("till-template");
    std::fs::create_dir_all(&template)?;
    prepare_till(&template)?;
    let subjects = [
        Subject {
            name: "floor",
            binary: floor,
            first_screen: "floor",
            template: None,
        },
        Subject {
            name: "opentill",
            binary: app,
            first_screen: "login",
            template: Some(template),
        },
    ];
    let size = Size::XGA;
    let display = Display::start(size)?;
    eprintln!(
        "bench: {} and {} on Xvfb {} {}, 1 warm-up + {n} runs each",
        subjects[0].binary.display(),
        subjects[1].binary.display(),
        display.name(),
        size.label()
    );
    let load_before = load();
    for s in &subjects {
        run_once(s, &display, &work)?;
    }
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for i in 0..n {
        let order: [usize; 2] = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let r = run_once(&subjects[k], &display, &work)?;
            eprintln!(
                "bench: {} run {}: launch {:.0} ms{}, PSS {:.1} MiB",
                subjects[k].name,
                i + 1,
                r.launch_ms,
                r.login_ms
                    .map(|l| format!(", login→sale {l:.0} ms"))
                    .unwrap_or_default(),
                mib(r.memory.pss)
            );
            runs[k].push(r);
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    drop(display);
    let _ = std::fs::remove_dir_all(&work);

    let load_after = load();
    let floor_s = summary(&runs[0]);
    let app_s = summary(&runs[1]);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let ratio = f(&app_s, "pss_mib_median") / f(&floor_s, "pss_mib_median");
    let above_floor = f(&app_s, "launch_ms_median") - f(&floor_s, "launch_ms_median");
    let launch_ok = f(&app_s, "launch_ms_median") <= GOAL_LAUNCH_MS;
    let memory_ok = ratio <= GOAL_MEMORY_RATIO;
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };

    println!(
        "\napp launch: {n} runs each after a warm-up, dev profile, Xvfb {}, load average {load_before:.1} → {load_after:.1}",
        size.label()
    );
    println!(
        "{:32} {:>9} {:>7} {:>8} {:>8} {:>13}",
        "", "median ms", "p90 ms", "PSS MiB", "USS MiB", "PSS vs floor"
    );
    let row = |label: &str, s: &Value, prefix: &str, memory: bool, vs: f64| {
        let ms = |k: &str| f(s, &format!("{prefix}{k}"));
        let mem = |k: &str| {
            if memory {
                format!("{:.1}", f(s, k))
            } else {
                String::new()
            }
        };
        println!(
            "{label:32} {:>9.0} {:>7.0} {:>8} {:>8} {:>13}",
            ms("_median"),
            ms("_p90"),
            mem("pss_mib_median"),
            mem("uss_mib_median"),
            if memory { format!("{vs:.3}") } else { String::new() }
        );
    };
    row("floor: launch → page ready", &floor_s, "launch_ms", true, 1.0);
    row("opentill: launch → login ready", &app_s, "launch_ms", false, 0.0);
    row("opentill: login → sale ready", &app_s, "login_to_sale_ms", true, ratio);
    println!("(memory 2 s after the last ready line: the floor's page, the app's sale screen)");
    println!(
        "goals: interactive within {GOAL_LAUNCH_MS:.0} ms (launch → login): {} (the floor alone: {:.0} ms, the app {above_floor:+.0} ms above it); \
         memory within {GOAL_MEMORY_RATIO}x the floor: {}",
        mark(launch_ok),
        f(&floor_s, "launch_ms_median"),
        mark(memory_ok)
    );
    let json = json!({
        "profile": "dev (dependencies at opt-level 2)",
        "screen": size.label(),
        "runs": n,
        "settle_ms": SETTLE.as_millis() as u64,
        "load_average": [load_before, load_after],
        "floor": floor_s,
        "app": app_s,
        "pss_ratio_app_to_floor": ratio,
        "launch_ms_above_floor": above_floor,
        "goals": {
            "launch_ms": GOAL_LAUNCH_MS,
            "launch_met": launch_ok,
            "memory_ratio": GOAL_MEMORY_RATIO,
            "memory_met": memory_ok,
        },
    });
    let path = out_dir()?.join("app.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    println!("written: {}", path.display());
    Ok(())
}

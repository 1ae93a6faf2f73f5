//! The Windows build under Wine against the native Linux build, in one run (to know, not a
//! goal): the same loops through `till.exe` and `till`.
//!
//! - **sale, one process each:** `till sale 12.34 --means cash`, 20 times — what a script or a
//!   technician sees, process start included (Wine's start-up dominates).
//! - **soak loop:** `till-soak --count 300 --seed 7`: the same 300 random flows (sales, voids,
//!   refunds, settlements) inside one process, through the journal and the simulators.
//!
//! Needs the Windows build: `cargo xtask bench` builds it and sets `OPENTILL_WINE_BIN` and
//! `WINEPREFIX`. Prints a table and writes target/bench/windows.json.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PIN: &str = "123456";
const SALES: usize = 20;
const SOAK_OPS: &str = "300";

struct Runner {
    name: &'static str,
    wine: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Runner {
    fn command(&self, program: &str) -> Command {
        match &self.wine {
            None => Command::new(match program {
                "till" => env!("CARGO_BIN_EXE_till"),
                _ => env!("CARGO_BIN_EXE_till-soak"),
            }),
            Some((bin, prefix)) => {
                let mut c = Command::new("/usr/lib/wine/wine64");
                c.arg(bin.join(format!("{program}.exe")))
                    .env("WINEPREFIX", prefix)
                    .env("WINEDEBUG", "-all")
                    .env_remove("DISPLAY");
                c
            }
        }
    }

    fn path(&self, p: &Path) -> String {
        match self.wine {
            None => p.display().to_string(),
            Some(_) => format!("Z:{}", p.display()).replace('/', "\\"),
        }
    }

    fn run(&self, program: &str, dir: &Path, args: &[&str]) -> Duration {
        let start = Instant::now();
        let o = self
            .command(program)
            .arg("--data-dir")
            .arg(self.path(dir))
            .args(args)
            .output()
            .expect("the program runs");
        let took = start.elapsed();
        assert!(
            o.status.success(),
            "{} {program} {args:?}: {}",
            self.name,
            String::from_utf8_lossy(&o.stderr)
        );
        took
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let Some(bin) = std::env::var_os("OPENTILL_WINE_BIN") else {
        eprintln!("wine bench: no Windows build (OPENTILL_WINE_BIN); run it through `cargo xtask bench`");
        return;
    };
    let prefix = std::env::var_os("WINEPREFIX").expect("WINEPREFIX with OPENTILL_WINE_BIN");
    let runners = [
        Runner {
            name: "linux",
            wine: None,
        },
        Runner {
            name: "wine",
            wine: Some((bin.into(), prefix.into())),
        },
    ];
    let mut rows = Vec::new();
    for r in &runners {
        let dir = std::env::temp_dir().join(format!("opentill-bench-wine-{}-{}", r.name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bench dir");
        r.run(
            "till",
            &dir,
            &[
                "--operator",
                "1",
                "--pin",
                "0001",
                "operator",
                "change-pin",
                "--new-pin",
                PIN,
            ],
        );
        let mut sales: Vec<Duration> = (0..SALES)
            .map(|_| {
                r.run(
                    "till",
                    &dir,
                    &["--operator", "1", "--pin", PIN, "sale", "12.34", "--means", "cash"],
                )
            })
            .collect();
        sales.sort();
        let soak = r.run("till-soak", &dir, &["--seed", "7", "--count", SOAK_OPS]);
        rows.push((r.name, sales[SALES / 2], soak));
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (linux, wine) = (&rows[0], &rows[1]);
    println!(
        "{:<28} {:>12} {:>12} {:>8}",
        "windows vs linux", "linux", "wine", "ratio"
    );
    println!(
        "{:<28} {:>9.1} ms {:>9.1} ms {:>7.2}x",
        "sale, one process (p50)",
        ms(linux.1),
        ms(wine.1),
        ms(wine.1) / ms(linux.1)
    );
    println!(
        "{:<28} {:>9.1} ms {:>9.1} ms {:>7.2}x",
        format!("soak, {SOAK_OPS} flows"),
        ms(linux.2),
        ms(wine.2),
        ms(wine.2) / ms(linux.2)
    );
    let json = format!(
        "{{\"sale_process_p50_ms\":{{\"linux\":{:.1},\"wine\":{:.1},\"ratio\":{:.2}}},\"soak_{SOAK_OPS}_ms\":{{\"linux\":{:.1},\"wine\":{:.1},\"ratio\":{:.2}}}}}\n",
        ms(linux.1),
        ms(wine.1),
        ms(wine.1) / ms(linux.1),
        ms(linux.2),
        ms(wine.2),
        ms(wine.2) / ms(linux.2)
    );
    let out = till_testkit::bench_dir().expect("bench dir").join("windows.json");
    std::fs::write(&out, json).expect("write windows.json");
    println!("written: {}", out.display());
}

use std::path::Path;
use std::process::{Command, Output};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const PIN: &str = "123456";

/// Runs `till` against `dir` as operator 1, in `lang`.
pub fn till(dir: &Path, lang: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_till"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--lang", lang, "--operator", "1", "--pin", PIN])
        .args(args)
        .env_remove("TILL_OPERATOR")
        .env_remove("TILL_PIN")
        .output()
        .expect("the till binary runs")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A data dir whose operator 1 has PIN 123456 (the first-login change done).
pub fn fresh(tag: &str) -> till_testkit::TempDir {
    let dir = till_testkit::TempDir::new(tag);
    let o = Command::new(env!("CARGO_BIN_EXE_till"))
        .arg("--data-dir")
        .arg(dir.path())
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
        .output()
        .expect("the till binary runs");
    assert!(o.status.success(), "first PIN change: {}", text(&o));
    dir
}

/// The trace number of a `--json` sale/void/refund output.
pub fn trace_of(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    v["data"]["txn"]["trace"]
        .as_u64()
        .map(|t| format!("{t:06}"))
        .expect("a trace number")
}

//! Side by side with an independent parser: for every vector, our parse equals what PyPI
//! `qriskit` (a Python QRIS library, pinned) prints for `qriskit decode --json`, field for field.
//!
//! `cargo xtask test` installs the oracle into the virtual environment `target/oracle-venv`
//! (`OPENTILL_ORACLE_VENV` names another). Without it this test fails and says how to install
//! it: an oracle that is not there must not pass for one that agreed. The command line is run
//! in one Python process for all vectors (its own `main` with the same arguments, output
//! captured), since starting Python 67 times takes seconds.
//!
//! qriskit's JSON is a summary (QRIS-minded names: `pan`, `criteria`, `nmid`), so our parse is
//! put in the same shape below, from our own accessors; each value is compared. Left out:
//! `acquirer`, a lookup of the PAN's first 8 digits in qriskit's copy of Bank Indonesia's
//! acquirer list — data, not parsing (the 8 digits themselves, `nns`, are compared).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Map, Value as Json, json};
use till_qr::{Amount, Parsed, Tip, parse};

use crate::support::{TestResult, Vector, fixture, load, shared};

/// The version whose JSON shape this module mirrors.
const QRISKIT_VERSION: &str = "0.2.0";

/// Where they differ on purpose: (a piece of the payload, the field, why).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "5407999.123",
    "amount",
    "qriskit allows at most 2 decimals (a QRIS rule); EMVCo MPM §4.7.4 only asks for digits and one \
     point (decimals \"should\" match the currency), so we read JPY 999.123 as written",
)];

/// Runs `qriskit ARGS...` for each argument list in one interpreter: JSON lines in on stdin,
/// `{"exit", "stdout", "stderr"}` lines out.
const DRIVER: &str = r#"
import contextlib, io, json, sys
from qriskit.cli import main
for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(json.loads(line))
    print(json.dumps({"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue()}), flush=True)
"#;

/// The oracle's Python, after checking that it is the pinned qriskit.
fn oracle() -> Result<PathBuf, String> {
    let venv = match std::env::var_os("OPENTILL_ORACLE_VENV") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/oracle-venv"),
    };
    let (python, qriskit) = (venv.join("bin/python"), venv.join("bin/qriskit"));
    if !qriskit.exists() {
        return Err(format!(
            "the qriskit oracle is not installed in {}. `cargo xtask test` installs it; by hand: \
             python3 -m venv target/oracle-venv && target/oracle-venv/bin/pip install qriskit=={QRISKIT_VERSION}",
            venv.display()
        ));
    }
    let version = Command::new(&qriskit)
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    if version != format!("qriskit {QRISKIT_VERSION}") {
        return Err(format!(
            "{} is {version:?}; this test reads qriskit {QRISKIT_VERSION}'s JSON",
            qriskit.display()
        ));
    }
    Ok(python)
}

/// A decimal as Python's `str(Decimal(text))` writes it — which for a valid field 54 is what
/// [`Amount`]'s display writes (`007` → `7`, `1.0` → `1.0`).
fn decimal(text: Option<&str>) -> Option<Amount> {
    text.and_then(|t| Amount::parse(t).ok())
}

/// Our parse in the shape of qriskit's `to_dict`.
fn ours(parsed: &Parsed) -> Json {
    let payload = &parsed.payload;
    let at_most = |amount: Amount, max_minor: u64, max_decimals: u32| {
        u128::from(amount.minor_units()) * 10u128.pow(max_decimals)
            <= u128::from(max_minor) * 10u128.pow(u32::from(amount.decimals()))
    };
    let tip = match payload.tip() {
        Some(Tip::Prompt) => json!({"kind": "prompt", "value": null}),
        Some(Tip::FixedFee(fee)) => match decimal(Some(&fee)) {
            Some(fee) => json!({"kind": "fixed", "value": fee.to_string()}),
            None => Json::Null,
        },
        Some(Tip::PercentageFee(rate)) => match decimal(Some(&rate)) {
            Some(rate) if at_most(rate, 9999, 2) => json!({"kind": "percent", "value": rate.to_string()}),
            _ => Json::Null,
        },
        None => Json::Null,
    };
    let accounts: Vec<Json> = payload
        .fields()
        .iter()
        .filter(|f| (26..=51).contains(&f.id()))
        .map(|account| {
            let pan = account.child_text(1);
            let nns = pan
                .and_then(|p| p.get(..8))
                .filter(|head| head.bytes().all(|b| b.is_ascii_digit()));
            json!({
                "tag": format!("{:02}", account.id()),
                "guid": account.child_text(0),
                "pan": pan,
                "merchant_id": account.child_text(2),
                "criteria": account.child_text(3),
                "nns": nns,
            })
        })
        .collect();
    let nmid = payload.get(51).and_then(|national| national.child_text(2));
    let names = [
        "bill_number",
        "mobile_number",
        "store_label",
        "loyalty_number",
        "reference_label",
        "customer_label",
        "terminal_label",
        "purpose",
        "consumer_data_request",
        "merchant_tax_id",
        "merchant_channel",
    ];
    let mut additional = Map::new();
    for sub in payload.get(62).map(|f| f.children()).unwrap_or_default() {
        let name = match names.get(usize::from(sub.id()).wrapping_sub(1)) {
            Some(name) => (*name).to_owned(),
            None => format!("{:02}", sub.id()),
        };
        additional.insert(name, json!(sub.as_text()));
    }
    json!({
        "payload": payload.clone().with_crc().encode(),
        "version": payload.format_indicator(),
        "point_of_initiation": payload.point_of_initiation(),
        "merchant_name": payload.merchant_name(),
        "merchant_city": payload.merchant_city(),
        "postal_code": payload.postal_code(),
        "country": payload.country(),
        "mcc": payload.merchant_category_code(),
        "currency": payload.currency(),
        "amount": decimal(payload.amount_text()).map(|a| a.to_string()),
        "tip": tip,
        "nmid": nmid,
        "merchant_accounts": accounts,
        "additional_data": additional,
        "crc": payload.crc(),
    })
}

/// qriskit's JSON for each payload: `qriskit decode --json PAYLOAD`.
fn theirs(python: &PathBuf, vectors: &[Vector]) -> Result<Vec<Json>, Box<dyn std::error::Error>> {
    let mut input = String::new();
    for vector in vectors {
        input.push_str(&json!(["decode", "--json", vector.payload]).to_string());
        input.push('\n');
    }
    let mut child = Command::new(python)
        .args(["-c", DRIVER])
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or("stdin")?.write_all(input.as_bytes())?;
    let done = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "the oracle driver failed: {stderr}");
    let mut out = Vec::with_capacity(vectors.len());
    for (line, vector) in String::from_utf8(done.stdout)?.lines().zip(vectors) {
        let run: Json = serde_json::from_str(line)?;
        assert_eq!(
            run["exit"], 0,
            "{}: qriskit refused it: {}",
            vector.origin, run["stderr"]
        );
        out.push(serde_json::from_str(run["stdout"].as_str().ok_or("stdout")?)?);
    }
    assert_eq!(out.len(), vectors.len(), "one answer per vector: {stderr}");
    Ok(out)
}

#[test]
fn every_vector_parses_as_qriskit_parses_it() -> TestResult {
    let python = oracle()?;
    let shared =
        shared("vectors.jsonl").ok_or("../shared/testdata/emv-mpm/vectors.jsonl is missing beside the repo")?;
    let mut vectors = load(&shared)?;
    // The fixtures are a sample of the shared file; any that are not are compared too.
    for vector in load(&fixture("emv-mpm-vectors-sample.jsonl"))? {
        if !vectors.iter().any(|v| v.payload == vector.payload) {
            vectors.push(vector);
        }
    }
    let answers = theirs(&python, &vectors)?;

    let mut differences = Vec::new();
    let mut known_seen = vec![false; KNOWN_DIFFERENCES.len()];
    let mut fields = 0;
    for (vector, mut theirs) in vectors.iter().zip(answers) {
        if let Some(Json::Array(accounts)) = theirs.get_mut("merchant_accounts") {
            accounts.iter_mut().filter_map(Json::as_object_mut).for_each(|a| {
                a.remove("acquirer");
            });
        }
        let ours = ours(&parse(&vector.payload).map_err(|e| format!("{}: {e}", vector.origin))?);
        let (Json::Object(ours), Json::Object(theirs)) = (ours, theirs) else {
            return Err(format!("{}: not a JSON object", vector.origin).into());
        };
        let keys: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
        for key in keys {
            fields += 1;
            if ours.get(key) == theirs.get(key) {
                continue;
            }
            let known = KNOWN_DIFFERENCES
                .iter()
                .position(|(piece, field, _)| vector.payload.contains(piece) && field == key);
            match known {
                Some(index) => known_seen[index] = true,
                None => differences.push(format!(
                    "{} {key}: ours {:?}, qriskit {:?}",
                    vector.origin,
                    ours.get(key),
                    theirs.get(key)
                )),
            }
        }
    }
    assert!(vectors.len() >= 67, "the 67 shared vectors at least");
    assert!(
        differences.is_empty(),
        "{} differences: {differences:#?}",
        differences.len()
    );
    for (seen, (piece, field, why)) in known_seen.iter().zip(KNOWN_DIFFERENCES) {
        assert!(
            seen,
            "the known difference in {field} of {piece} ({why}) no longer shows: remove it"
        );
    }
    eprintln!(
        "{fields} fields of {} vectors agree with qriskit {QRISKIT_VERSION}",
        vectors.len()
    );
    Ok(())
}

//! `till config set`: a good value is saved and journaled with who changed it; a bad one is
//! refused with exit code 2 in the operator's language and till.toml stays byte for byte.

use crate::support::*;
#[cfg(unix)]
use std::sync::Arc;
use till_testkit::fingerprint;

#[test]
fn config_set_refuses_bad_values_and_journals_good_ones() -> TestResult {
    let dir = fresh("config-set");
    let show = till(dir.path(), "en", &["config", "show"]);
    assert!(show.status.success(), "{}", text(&show));
    assert!(text(&show).contains("till_id"), "the file is shown: {}", text(&show));
    for (key, value, en, zh_hant) in [
        (
            "printer.paper",
            "59mm",
            "refused and nothing was changed",
            "此設定被拒絕",
        ),
        ("printer.papre", "58mm", "printer.papre", "printer.papre"),
        ("max_amount_minor", "lots", "max_amount_minor", "max_amount_minor"),
        (
            "terminal.connection",
            "{ kind = \"serial\", path = \"/dev/ttyNOPE9\", baud = 9600 }",
            "There is no port /dev/ttyNOPE9",
            "沒有連接埠 /dev/ttyNOPE9",
        ),
    ] {
        for (lang, expected) in [("en", en), ("zh-Hant", zh_hant)] {
            let before = fingerprint(dir.path(), "till.toml");
            let journal = fingerprint(dir.path(), "journal.sqlite");
            let o = till(dir.path(), lang, &["config", "set", key, value]);
            assert_eq!(o.status.code(), Some(2), "{key} = {value} in {lang}: {}", text(&o));
            assert!(
                text(&o).contains(expected),
                "{key} in {lang} says {expected:?}: {}",
                text(&o)
            );
            assert!(
                before == fingerprint(dir.path(), "till.toml"),
                "{key} changed till.toml"
            );
            assert!(
                journal == fingerprint(dir.path(), "journal.sqlite"),
                "{key} changed the journal"
            );
        }
    }
    let o = till(dir.path(), "en", &["config", "set", "printer.paper", "58mm"]);
    assert!(o.status.success(), "{}", text(&o));
    let toml = std::fs::read_to_string(dir.path().join("till.toml"))?;
    assert!(toml.contains("paper = \"58mm\""), "{toml}");
    assert!(!dir.path().join("till.toml.new").exists(), "no temporary file is left");
    let journal = till_journal::Journal::open(&dir.path().join("journal.sqlite"))?;
    let events = journal.events_after(0, 10_000)?;
    let change = events
        .iter()
        .find(|(_, e)| e.contains("\"setting\"") || e.contains("Setting"))
        .ok_or("the change is journaled")?;
    assert!(
        change.1.contains("printer.paper") && change.1.contains("58mm") && change.1.contains("\"operator\":\"1\""),
        "who changed what to what: {}",
        change.1
    );
    Ok(())
}

/// A change to a PIN pad or printer is saved only when the device answers: a malformed address
/// is refused (2), a device that does not answer is refused (6) with the setting that was there
/// kept; one that answers is saved and its test button works. A cashier may change nothing.
#[test]
#[cfg(unix)]
fn device_settings_are_tested_before_they_are_saved() -> TestResult {
    let dir = fresh("config-devices");
    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    for (key, value, code, en, zh_hant) in [
        (
            "terminal.connection",
            "{ kind = \"tcp\", address = \"10.0.0.5:99999\" }".to_owned(),
            2,
            "is not a port",
            "此設定被拒絕",
        ),
        (
            "printer.connection",
            "{ kind = \"tcp\", address = \"front printer:9100\" }".to_owned(),
            2,
            "is not an address",
            "此設定被拒絕",
        ),
        (
            "terminal.kind",
            "\"zvt\"".to_owned(),
            2,
            "needs a connection",
            "此設定被拒絕",
        ),
        (
            "terminal.nexo",
            "{ address = \"10.0.0.7:8443\", poiid = \"V400m-1\", root_certificate = \"/root.pem\", \
             key_identifier = \"k\", key_version = 1, passphrase = \"p\", listen = \"0.0.0.0\" }"
                .to_owned(),
            2,
            "needs a port",
            "此設定被拒絕",
        ),
        (
            "printer.connection",
            format!("{{ kind = \"tcp\", address = \"127.0.0.1:{closed}\" }}"),
            6,
            "was not saved",
            "未儲存",
        ),
        (
            "terminal",
            format!("{{ kind = \"zvt\", connection = {{ kind = \"tcp\", address = \"127.0.0.1:{closed}\" }} }}"),
            6,
            "was not saved",
            "未儲存",
        ),
    ] {
        for (lang, expected) in [("en", en), ("zh-Hant", zh_hant)] {
            let before = fingerprint(dir.path(), "till.toml");
            let journal = fingerprint(dir.path(), "journal.sqlite");
            let o = till(dir.path(), lang, &["config", "set", key, &value]);
            assert_eq!(o.status.code(), Some(code), "{key} = {value} in {lang}: {}", text(&o));
            assert!(
                text(&o).contains(expected),
                "{key} = {value} in {lang} says {expected:?}: {}",
                text(&o)
            );
            assert!(
                before == fingerprint(dir.path(), "till.toml"),
                "{key} = {value} changed till.toml"
            );
            assert!(
                journal == fingerprint(dir.path(), "journal.sqlite"),
                "{key} = {value} changed the journal"
            );
        }
    }

    // A printer that answers (a TCP 9100 listener of the test): saved, and its test page prints.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let printer = {
        let stop = stop.clone();
        std::thread::spawn(move || tcp_printer(listener, stop))
    };
    let address = format!("{{ kind = \"tcp\", address = \"127.0.0.1:{port}\" }}");
    let o = till(dir.path(), "en", &["config", "set", "printer.connection", &address]);
    assert!(o.status.success(), "{}", text(&o));
    let o = till(dir.path(), "en", &["config", "test", "printer"]);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let job = printer.join().map_err(|_| "the printer thread")??;
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        job.windows(4).any(|w| w == b"TEST") || job.windows(7).any(|w| w == b"PRINTER"),
        "the test page reached the printer ({} bytes)",
        job.len()
    );

    // A PIN pad on a serial port — a pseudo-terminal whose other end is the ZVT simulator.
    let sim = Arc::new(till_terminal::ZvtSim::open(Some(&dir.path().join("pt.jsonl")))?);
    let path = zvt_on_a_pty(sim)?.to_string_lossy().into_owned();
    let serial = format!("{{ kind = \"zvt\", connection = {{ kind = \"serial\", path = \"{path}\", baud = 9600 }} }}");
    let o = till(dir.path(), "en", &["config", "set", "terminal", &serial]);
    assert!(o.status.success(), "{}", text(&o));
    let o = till(dir.path(), "zh-Hant", &["config", "test", "terminal"]);
    assert!(o.status.success() && text(&o).contains("READY"), "{}", text(&o));

    let o = till(dir.path(), "en", &["config", "test", "display"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = till(dir.path(), "en", &["config", "test", "toaster"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("toaster"), "{}", text(&o));

    // Every saved change is journaled, with who made it.
    let journal = till_journal::Journal::open(&dir.path().join("journal.sqlite"))?;
    let changes: Vec<String> = journal
        .events_after(0, 10_000)?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.contains("\"setting\"") || e.contains("Setting"))
        .collect();
    assert_eq!(changes.len(), 2, "the printer and the PIN pad: {changes:?}");
    drop(journal);

    // A cashier may not change devices.
    let o = till(
        dir.path(),
        "en",
        &[
            "operator",
            "add",
            "7",
            "--name",
            "Kit",
            "--role",
            "cashier",
            "--new-pin",
            "246810",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let as_cashier = |pin: &str, args: &[&str]| {
        Bin::Native
            .command("till")
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--lang", "en", "--operator", "7", "--pin", pin])
            .args(args)
            .env_remove("TILL_OPERATOR")
            .env_remove("TILL_PIN")
            .output()
    };
    let o = as_cashier("246810", &["operator", "change-pin", "--new-pin", "135791"])?;
    assert!(o.status.success(), "{}", text(&o));
    let before = fingerprint(dir.path(), "till.toml");
    let journal = fingerprint(dir.path(), "journal.sqlite");
    let o = as_cashier("135791", &["config", "set", "printer.paper", "58mm"])?;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        before == fingerprint(dir.path(), "till.toml"),
        "a cashier changed till.toml"
    );
    assert!(
        journal == fingerprint(dir.path(), "journal.sqlite"),
        "a cashier's refusal changed the journal"
    );
    Ok(())
}

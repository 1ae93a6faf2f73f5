//! `till config set`: a good value is saved and journaled with who changed it; a bad one is
//! refused with exit code 2 in the operator's language and till.toml stays byte for byte.

use crate::support::*;
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
            "/dev/ttyNOPE9 does not exist",
            "/dev/ttyNOPE9",
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

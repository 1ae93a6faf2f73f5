//! Bad input: each refused with a clear message in the operator's language, a meaningful exit
//! code, and the journal file byte-for-byte unchanged.

use crate::support::*;
use till_testkit::fingerprint;

struct Case {
    args: Vec<String>,
    code: i32,
    en: &'static str,
    zh_hant: &'static str,
}

fn case(args: &[&str], code: i32, en: &'static str, zh_hant: &'static str) -> Case {
    Case {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code,
        en,
        zh_hant,
    }
}

fn refused(bin: &Bin, dir: &std::path::Path, case: &Case) {
    for (lang, expected) in [("en", case.en), ("zh-Hant", case.zh_hant)] {
        let before = fingerprint(dir, "journal.sqlite");
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let o = bin.till(dir, lang, &args);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(case.code), "{:?} in {lang}: {out}", case.args);
        assert!(
            out.contains(expected),
            "{:?} in {lang} should say {expected:?}: {out}",
            case.args
        );
        assert!(
            before == fingerprint(dir, "journal.sqlite"),
            "{:?} changed the journal",
            case.args
        );
    }
}

#[test]
fn bad_input_changes_nothing() -> TestResult {
    bad_input_changes_nothing_through(&Bin::Native)
}

/// The bad-input table through `bin` (the native build, or Windows' under Wine).
pub fn bad_input_changes_nothing_through(bin: &Bin) -> TestResult {
    let dir = bin.fresh("bad-input");
    let d = dir.path();
    let till = |d: &std::path::Path, lang: &str, args: &[&str]| bin.till(d, lang, args);
    let sale = |args: &[&str]| {
        let o = till(d, "en", &[&["--json"], args].concat());
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        trace_of(&o)
    };
    let settled = sale(&["sale", "8.00", "--means", "card"]);
    assert!(till(d, "en", &["settle"]).status.success());
    let card = sale(&["sale", "20.00", "--means", "card"]);
    let voided = sale(&["sale", "5.00", "--means", "cash"]);
    assert!(till(d, "en", &["void", "--trace", &voided]).status.success());
    let refunded = sale(&["sale", "30.00", "--means", "card"]);
    assert!(
        till(d, "en", &["refund", "--trace", &refunded, "--amount", "10.00"])
            .status
            .success()
    );
    let fps = sale(&["sale", "15.00", "--means", "qr-merchant", "--wallet", "fps"]);
    let sv = sale(&["sale", "4.00", "--means", "stored-value"]);

    let cases = [
        case(
            &["sale", "0", "--means", "cash"],
            2,
            "greater than zero",
            "金額必須大於零",
        ),
        case(
            &["sale", "-5", "--means", "cash"],
            2,
            "cannot be negative",
            "不可為負數",
        ),
        case(
            &["sale", "abc", "--means", "cash"],
            2,
            "“abc” is not an amount",
            "「abc」不是金額",
        ),
        case(
            &["sale", "1.234", "--means", "cash"],
            2,
            "too many decimals: at most 2",
            "最多 2 位",
        ),
        case(
            &["sale", "50000.01", "--means", "cash"],
            2,
            "above this till's limit",
            "超過本機單筆交易上限",
        ),
        case(
            &["sale", "10", "--means", "bitcoin"],
            2,
            "“bitcoin” is not a payment means",
            "不是付款方式",
        ),
        case(
            &["void", "--trace", "999999"],
            5,
            "No transaction with trace number 999999",
            "找不到追蹤號 999999",
        ),
        case(&["void", "--trace", "12a"], 2, "not a trace number", "不是追蹤號"),
        case(
            &["refund", "--trace", "999998"],
            5,
            "No transaction with trace number",
            "找不到追蹤號",
        ),
        case(&["void", "--trace", &refunded], 2, "has been refunded", "已有退款"),
        case(&["void", "--trace", &voided], 2, "already voided", "已經取消"),
        case(&["void", "--trace", &settled], 2, "settled batch", "已結算"),
        case(
            &["refund", "--trace", &refunded, "--amount", "20.01"],
            2,
            "more than the 20.00 that remains",
            "超過此銷售尚餘的 20.00",
        ),
        case(&["void", "--trace", &fps], 2, "cannot be voided", "不能取消"),
        case(
            &["void", "--trace", &sv],
            2,
            "stored-value payments cannot be voided",
            "不能取消",
        ),
        case(&["refund", "--trace", &sv], 2, "cannot be refunded", "不能退款"),
    ];
    for c in &cases {
        refused(bin, d, c);
    }

    // A POS blocked by the host refuses every transaction; refund block refuses refunds.
    assert!(till(d, "en", &["host", "block-pos"]).status.success());
    refused(
        bin,
        d,
        &case(
            &["sale", "10", "--means", "cash"],
            4,
            "blocked by the back office",
            "已被後台停用",
        ),
    );
    assert!(till(d, "en", &["host", "unblock-pos"]).status.success());
    assert!(till(d, "en", &["host", "block-refund"]).status.success());
    refused(
        bin,
        d,
        &case(
            &["refund", "--trace", &card],
            4,
            "Refunds are blocked",
            "退款功能已被後台停用",
        ),
    );

    // Wrong PIN five times: the operator is locked; the journal is untouched throughout.
    let before = fingerprint(d, "journal.sqlite");
    for i in 1..=5 {
        let o = bin
            .command("till")
            .arg("--data-dir")
            .arg(bin.path(d))
            .args(["--lang", "en", "--operator", "1", "--pin", "000000", "history"])
            .output()?;
        assert_eq!(o.status.code(), Some(3));
        let expected = if i < 5 {
            "Wrong PIN"
        } else {
            "is locked after 5 wrong PINs"
        };
        assert!(text(&o).contains(expected), "attempt {i}: {}", text(&o));
    }
    let locked = till(d, "zh-Hant", &["history"]);
    assert_eq!(locked.status.code(), Some(3));
    assert!(
        text(&locked).contains("已被鎖定"),
        "the right PIN is refused while locked: {}",
        text(&locked)
    );
    assert!(
        before == fingerprint(d, "journal.sqlite"),
        "PIN failures do not touch the journal"
    );
    Ok(())
}

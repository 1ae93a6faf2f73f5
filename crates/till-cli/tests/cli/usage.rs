use crate::support::*;
use std::io::BufRead;
use std::process::Stdio;

#[test]
fn a_sale_history_and_verify_in_three_languages() -> TestResult {
    let dir = fresh("usage");
    let sale = till(dir.path(), "en", &["sale", "12.50", "--tip", "1.50", "--means", "card"]);
    assert!(sale.status.success(), "{}", text(&sale));
    let out = text(&sale);
    assert!(
        out.contains("TOTAL 總額") && out.contains("HKD 14.00"),
        "the receipt prints: {out}"
    );
    assert!(out.contains("Sale 000001: Approved, HK$14.00"), "{out}");
    let declined = till(dir.path(), "en", &["sale", "10.51", "--means", "card"]);
    assert_eq!(declined.status.code(), Some(1), "a declined sale exits 1");
    assert!(text(&declined).contains("insufficient funds"));
    let zh = till(dir.path(), "zh-Hant", &["history"]);
    let out = text(&zh);
    assert!(
        zh.status.success() && out.contains("已批核") && out.contains("已拒絕") && out.contains("信用卡"),
        "{out}"
    );
    let hans = till(dir.path(), "zh-Hans", &["history"]);
    assert!(text(&hans).contains("已批准"), "{}", text(&hans));
    let json = till(dir.path(), "en", &["--json", "history", "--trace", "000001"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    assert_eq!(v["data"][0]["status"], "approved");
    assert_eq!(
        v["data"][0]["approval"]["card"]["masked_pan"].as_str().map(|s| s.len()),
        Some(16)
    );
    let verify = till(dir.path(), "en", &["journal", "verify"]);
    assert!(
        verify.status.success() && text(&verify).contains("hash chain intact"),
        "{}",
        text(&verify)
    );
    Ok(())
}

#[test]
fn the_scripted_demo_prints_a_receipt() -> TestResult {
    let dir = till_testkit::TempDir::new("demo");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_till"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--lang", "en", "demo", "--script"])
        .output()?;
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("CUSTOMER COPY") && out.contains("SUMMARY (X)") && out.contains("Refund 000003: Approved"),
        "{out}"
    );
    Ok(())
}

#[test]
fn a_tampered_journal_fails_verification_at_the_edited_event() -> TestResult {
    let dir = fresh("tamper");
    for amount in ["1.00", "2.00", "3.00"] {
        assert!(
            till(dir.path(), "en", &["sale", amount, "--means", "cash"])
                .status
                .success()
        );
    }
    let conn = rusqlite_free_edit(dir.path())?;
    assert!(conn > 0);
    let verify = till(dir.path(), "en", &["journal", "verify"]);
    assert_eq!(verify.status.code(), Some(7), "{}", text(&verify));
    // Events: batch, operator, PIN change, then two per sale: the third sale's intent is 8.
    assert!(
        text(&verify).contains("at event 8"),
        "the first break is named: {}",
        text(&verify)
    );
    Ok(())
}

/// Edits one stored event's amount in place (bytes of the file), as a tamperer would.
fn rusqlite_free_edit(dir: &std::path::Path) -> Result<usize, Box<dyn std::error::Error>> {
    let path = dir.join("journal.sqlite");
    let mut bytes = std::fs::read(&path)?;
    // The third sale's intent carries "minor":300 in its event body; make it 900.
    let needle = b"\"minor\":300,";
    let hits: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    for &pos in &hits {
        bytes[pos + 8] = b'9';
    }
    std::fs::write(&path, &bytes)?;
    Ok(hits.len())
}

#[test]
fn zvt_and_emv_decoders_print_json_without_card_numbers() -> TestResult {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_till"))
            .args(args)
            .output()
    };
    // A status information with a PAN the PT did not mask: the decoder masks it.
    let o = run(&["zvt", "decode", "040F1427000400000000250022F0F84761739001010010"])?;
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
    assert_eq!(v["packet"], "status-information");
    assert_eq!(v["fields"][1]["decoded"], 2500);
    assert_eq!(v["fields"][2]["value"], "************0010");
    assert!(!text(&o).contains("4761739001010010"), "the full PAN never prints");
    let framed = run(&["zvt", "decode", "10020501031234561003E043"])?;
    let v: serde_json::Value = serde_json::from_slice(&framed.stdout)?;
    assert_eq!(
        v["packet"], "status-enquiry",
        "a serial frame is unwrapped (CRC checked)"
    );
    let emv = run(&["emv", "decode", "9F34035E03009F2701809F2608CBFC767977111F15"])?;
    assert!(emv.status.success(), "{}", text(&emv));
    let v: serde_json::Value = serde_json::from_slice(&emv.stdout)?;
    assert_eq!(v[0]["tag"], "9F34");
    assert!(v.to_string().contains("ARQC"), "CID decoded: {v}");
    let bad = run(&["zvt", "decode", "06"])?;
    assert_eq!(
        bad.status.code(),
        Some(2),
        "truncated input is refused input, not a panic"
    );
    assert!(text(&bad).contains("Could not decode"), "{}", text(&bad));
    Ok(())
}

#[test]
fn nexo_decode_prints_typed_json_and_refuses_bad_input_precisely() -> TestResult {
    use till_terminal::nexo::{DerivedKey, SecurityKey, TerminalApi, encode_secured};
    let dir = till_testkit::TempDir::new("nexo-decode");
    let run = |lang: &str, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_till"))
            .args(["--lang", lang, "nexo", "decode"])
            .args(args)
            .env_remove("OPENTILL_NEXO_PASSPHRASE")
            .output()
    };
    // A payment response whose terminal sent the PAN unmasked: the decoder masks it.
    let plain = r#"{"SaleToPOIResponse":{"MessageHeader":{"ProtocolVersion":"3.0","MessageClass":"Service",
        "MessageCategory":"Payment","MessageType":"Response","ServiceID":"P000042","SaleID":"till-1",
        "POIID":"V400m-324688179"},"PaymentResponse":{"Response":{"Result":"Success"},"SaleData":{
        "SaleTransactionID":{"TransactionID":"000042","TimeStamp":"2026-12-05T16:00:00.000Z"}},
        "PaymentResult":{"PaymentInstrumentData":{"PaymentInstrumentType":"Card","CardData":{
        "MaskedPan":"4761739001010010","PaymentBrand":"visa","EntryMode":["ICC"]}},
        "AmountsResp":{"Currency":"HKD","AuthorizedAmount":25.5}}}}}"#;
    let path = dir.path().join("response.json");
    std::fs::write(&path, plain)?;
    let file = path.display().to_string();
    let o = run("en", &[&file])?;
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
    let card = &v["SaleToPOIResponse"]["PaymentResponse"]["PaymentResult"]["PaymentInstrumentData"]["CardData"];
    assert_eq!(card["MaskedPan"], "************0010");
    assert_eq!(
        v["SaleToPOIResponse"]["PaymentResponse"]["PaymentResult"]["AmountsResp"]["AuthorizedAmount"],
        25.5
    );
    assert!(!text(&o).contains("4761739001010010"), "the full PAN never prints");

    // The same message encrypted with a throwaway key.
    let key = SecurityKey {
        passphrase: "throwaway decode passphrase".to_owned(),
        key_identifier: "till".to_owned(),
        key_version: 3,
        crypto_version: 1,
    };
    let message: TerminalApi = serde_json::from_str(plain)?;
    let sealed = encode_secured(&message, &DerivedKey::derive(&key));
    let sealed_path = dir.path().join("sealed.json");
    std::fs::write(&sealed_path, &sealed)?;
    let sealed_file = sealed_path.display().to_string();
    let ok = run("en", &[&sealed_file, "--passphrase", &key.passphrase])?;
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&ok.stdout)?,
        v,
        "decrypted to the same"
    );

    let refused = |o: &std::process::Output, says: &str| {
        assert_eq!(o.status.code(), Some(2), "refused input: {}", text(o));
        assert!(text(o).contains(says), "{says:?} in {}", text(o));
    };
    refused(&run("en", &[&sealed_file])?, "The message is encrypted");
    refused(
        &run("en", &[&sealed_file, "--passphrase", "not the passphrase"])?,
        "does not decrypt with this passphrase",
    );
    refused(
        &run(
            "en",
            &[&sealed_file, "--passphrase", &key.passphrase, "--key-version", "1"],
        )?,
        "another key identifier or version",
    );
    let mut tampered: serde_json::Value = serde_json::from_slice(&sealed)?;
    tampered["SaleToPOIResponse"]["SecurityTrailer"]["Hmac"] =
        serde_json::Value::String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned());
    std::fs::write(&sealed_path, serde_json::to_vec(&tampered)?)?;
    refused(
        &run("en", &[&sealed_file, "--passphrase", &key.passphrase])?,
        "HMAC does not match",
    );
    std::fs::write(&path, "{\"SaleToPOIRequest\": 42}")?;
    refused(&run("en", &[&file])?, "Not a Terminal API message");
    refused(&run("zh-Hant", &[&file])?, "不是 Terminal API 訊息");
    refused(&run("zh-Hans", &[&file])?, "不是 Terminal API 消息");
    Ok(())
}

/// A second till process on the same journal is refused, in the operator's language, on both
/// systems; the first keeps running.
#[test]
fn a_second_till_on_one_journal_is_refused() -> TestResult {
    let mut bins = vec![Bin::Native];
    bins.extend(Bin::wine());
    for bin in bins {
        let dir = bin.fresh("second-till");
        let mut soak = bin
            .command("till-soak")
            .arg("--data-dir")
            .arg(bin.path(dir.path()))
            .args(["--seed", "1", "--ready"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        std::io::BufReader::new(soak.stdout.take().ok_or("stdout")?).read_line(&mut line)?;
        assert_eq!(line.trim(), "ready", "the soak till is running");
        for (lang, expected) in [
            ("en", "Only one till runs per data folder"),
            ("zh-Hant", "每個資料夾只能執行一個收銀機"),
        ] {
            let o = bin.till(dir.path(), lang, &["history"]);
            assert_eq!(o.status.code(), Some(7), "{bin:?}: {}", text(&o));
            assert!(text(&o).contains(expected), "{bin:?} in {lang}: {}", text(&o));
        }
        assert!(soak.try_wait()?.is_none(), "the first till keeps running");
        soak.kill()?;
        soak.wait()?;
        let after = bin.till(dir.path(), "en", &["journal", "verify"]);
        assert!(after.status.success(), "free again once it exits: {}", text(&after));
    }
    Ok(())
}

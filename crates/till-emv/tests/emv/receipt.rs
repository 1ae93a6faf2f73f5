//! What reaches a receipt and the JSON view from real terminal data.

use till_emv::{CardSummary, CryptogramType, CvmLine, parse_hex, view};

use crate::support::{TestResult, all_vectors};

/// The evsinev/ber-tlv terminal dump (VISA test card "CARD3/EMV").
fn terminal_dump() -> Result<(String, serde_json::Value), Box<dyn std::error::Error>> {
    let vector = all_vectors()?
        .into_iter()
        .find(|v| v.str("source").is_some_and(|s| s.contains("(testParse)")))
        .ok_or("the testParse vector is in the fixtures")?;
    let hex = vector.str("hex").ok_or("hex")?.to_owned();
    let oracle = vector.json["oracle_decode_pyemv_1_5_0"].clone();
    Ok((hex, oracle))
}

#[test]
fn card_summary_of_a_terminal_dump() -> TestResult {
    let (hex, _) = terminal_dump()?;
    let summary = CardSummary::from_tlvs(&parse_hex(&hex)?);
    assert_eq!(
        summary.aid.as_deref(),
        Some("A0000000031010"),
        "84, as the dump has no 4F"
    );
    assert_eq!(summary.application_label.as_deref(), Some("VISA"));
    assert_eq!(summary.masked_pan.as_deref(), Some("************0033"));
    assert_eq!(summary.pan_last_four.as_deref(), Some("0033"));
    assert_eq!(summary.cryptogram.as_deref(), Some("CBFC767977111F15"));
    assert_eq!(summary.cryptogram_type, Some(CryptogramType::Arqc));
    assert_eq!(
        summary.cvm,
        Some(CvmLine::Signature),
        "9F34 5E0300: signature, if supported"
    );
    Ok(())
}

#[test]
fn no_full_pan_in_summary_view_or_debug() -> TestResult {
    let (hex, oracle) = terminal_dump()?;
    let pan = oracle["5A"].as_str().ok_or("oracle has 5A")?;
    let track2 = oracle["57"].as_str().ok_or("oracle has 57")?;
    let list = parse_hex(&hex)?;
    let outputs = [
        serde_json::to_string(&view(&list))?,
        format!("{:?}", view(&list)),
        format!("{list:?}"),
        serde_json::to_string(&CardSummary::from_tlvs(&list))?,
        format!("{:?}", CardSummary::from_tlvs(&list)),
    ];
    for output in &outputs {
        assert!(!output.contains(pan), "PAN leaked: {output}");
        assert!(!output.contains(&track2[..12]), "track 2 leaked: {output}");
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[0])?;
    let pan_view = json
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["tag"] == "5A")
        .ok_or("5A is in the view")?;
    assert_eq!(pan_view["masked"], true);
    assert_eq!(pan_view["text"], "************0033");
    assert_eq!(pan_view["length"], 8, "the length is not secret");
    Ok(())
}

#[test]
fn json_view_shape() -> TestResult {
    let list = parse_hex(
        "E1359F1E083136303231343337EF12DF0D084D3030302D4D5049DF7F04312D3232EF14DF0D0B4D3030302D544553544F53DF7F03362D35",
    )?;
    let json = serde_json::to_value(view(&list))?;
    let root = &json[0];
    assert_eq!(root["tag"], "E1");
    assert_eq!(root["constructed"], true);
    assert_eq!(root["name"], "Proprietary template (private class)");
    assert_eq!(root["children"][0]["name"], "Interface Device (IFD) Serial Number");
    assert_eq!(root["children"][0]["text"], "16021437");
    assert_eq!(root["children"][0]["value"], "3136303231343337");
    assert_eq!(root["children"][2]["children"][0]["text"], "M000-TESTOS");
    assert!(
        root.get("value").is_none(),
        "constructed objects carry children, not hex"
    );
    Ok(())
}

//! Every payload of `emv-mpm/vectors.jsonl` parses with a valid CRC, matches its `derived_tlv`
//! and `expected` fields, and re-encodes byte for byte.

use serde_json::{Map, Value as Json};
use till_qr::{FieldValue, Payload, PointOfInitiation, Tip, WarningKind, parse};

use crate::support::{TestResult, Vector, fixture, load, positives, shared};

/// The payload as the vectors' `derived_tlv` writes it: ID to text, or to a map for templates.
fn derived(payload: &Payload) -> Json {
    let mut map = Map::new();
    for field in payload.fields() {
        let value = match field.value() {
            FieldValue::Text(text) => Json::String(text.clone()),
            FieldValue::Template(children) => Json::Object(
                children
                    .iter()
                    .map(|c| {
                        (
                            format!("{:02}", c.id()),
                            Json::String(c.as_text().unwrap_or_default().to_owned()),
                        )
                    })
                    .collect(),
            ),
        };
        map.insert(format!("{:02}", field.id()), value);
    }
    Json::Object(map)
}

#[test]
fn every_payload_parses_matches_derived_fields_and_re_encodes() -> TestResult {
    let vectors = positives()?;
    assert!(vectors.len() >= 13, "the fixtures alone hold 13 vectors");
    for vector in &vectors {
        let parsed = parse(&vector.payload).map_err(|e| format!("{}: {e}", vector.origin))?;
        assert_eq!(
            parsed.payload.encode(),
            vector.payload,
            "{}: byte-exact re-encoding",
            vector.origin
        );
        if let Some(tlv) = vector.json.get("derived_tlv") {
            assert_eq!(&derived(&parsed.payload), tlv, "{}: fields", vector.origin);
        }
        if let Some(crc) = vector.json["crc_hex"].as_str() {
            assert_eq!(parsed.payload.crc(), Some(crc), "{}", vector.origin);
            assert!(
                crc.eq_ignore_ascii_case(&parsed.payload.expected_crc()),
                "{}: CRC valid",
                vector.origin
            );
        }
        let lowercase_warned = parsed.warnings.iter().any(|w| w.kind == WarningKind::CrcLowercase);
        let lowercase = vector.json["crc_lowercase"].as_bool().unwrap_or(false);
        assert_eq!(
            lowercase_warned, lowercase,
            "{}: lowercase CRC is reported",
            vector.origin
        );
        if let Some(expected) = vector.json.get("expected").and_then(Json::as_object) {
            for (key, want) in expected {
                check_expected(vector, &parsed.payload, key, want)?;
            }
        }
    }
    Ok(())
}

fn check_expected(vector: &Vector, payload: &Payload, key: &str, want: &Json) -> TestResult {
    let origin = &vector.origin;
    match key {
        // Checked by the builders module for FPS and PayNow; other schemes' generators
        // (PromptPay, VietQR) are not ours.
        "generator_inputs" => {}
        "parse_strict_ok" | "crc_valid" => {
            assert_eq!(want, &Json::Bool(true), "{origin}: parsed, CRC valid")
        }
        "roundtrip" => assert_eq!(payload.encode(), vector.payload, "{origin}"),
        "qriskit_expect" => check_qriskit(vector, payload, want)?,
        // qriskit's own QRIS house rules and notes, not EMVCo: nothing of ours to compare.
        "qriskit_issues" | "qriskit_source_class" | "description" => {}
        _ => {
            // "tag29.sub01": a sub-field's value.
            let (tag, sub) = key
                .strip_prefix("tag")
                .and_then(|k| k.split_once(".sub"))
                .ok_or_else(|| format!("{origin}: uninterpreted expectation {key:?}"))?;
            let field = payload
                .get(tag.parse()?)
                .ok_or_else(|| format!("{origin}: no field {tag}"))?;
            assert_eq!(field.child_text(sub.parse()?), want.as_str(), "{origin}: {key}");
        }
    }
    Ok(())
}

fn check_qriskit(vector: &Vector, payload: &Payload, want: &Json) -> TestResult {
    let origin = &vector.origin;
    for (key, value) in want.as_object().into_iter().flatten() {
        let got: Option<String> = match key.as_str() {
            "nmid" => payload
                .account_by_guid("ID.CO.QRIS.WWW")
                .and_then(|f| f.child_text(2))
                .map(str::to_owned),
            "postal_code" => payload.postal_code().map(str::to_owned),
            "point_of_initiation" => payload.point_of_initiation().map(|p| match p {
                PointOfInitiation::Static => "static".to_owned(),
                PointOfInitiation::Dynamic => "dynamic".to_owned(),
            }),
            "amount" => payload.amount_text().map(str::to_owned),
            "tip_kind" => payload.tip().map(|t| match t {
                Tip::Prompt => "prompt".to_owned(),
                Tip::FixedFee(_) => "fixed".to_owned(),
                Tip::PercentageFee(_) => "percentage".to_owned(),
            }),
            "tip_value" => payload.tip().and_then(|t| match t {
                Tip::FixedFee(v) | Tip::PercentageFee(v) => Some(v),
                Tip::Prompt => None,
            }),
            "reference_label" => payload.additional_data(5).map(str::to_owned),
            "terminal_label" => payload.additional_data(7).map(str::to_owned),
            other => return Err(format!("{origin}: uninterpreted qriskit field {other}").into()),
        };
        assert_eq!(got.as_deref(), value.as_str(), "{origin}: {key}");
    }
    Ok(())
}

#[test]
fn known_leniencies_are_reported_as_warnings() -> TestResult {
    let find = |needle: &str| -> Result<Vector, Box<dyn std::error::Error>> {
        let vectors = positives()?;
        vectors
            .into_iter()
            .find(|v| v.payload.contains(needle))
            .ok_or_else(|| format!("no vector contains {needle}").into())
    };
    // DuitNow writes format indicator 02.
    let duitnow = parse(&find("A0000006150001")?.payload)?;
    assert!(
        duitnow
            .warnings
            .iter()
            .any(|w| matches!(&w.kind, WarningKind::UnexpectedFormatIndicator { found } if found == "02"))
    );
    // A PromptPay-style plain value in 81 (UTF-16 hex) is kept as text.
    let plain_81 = parse(&find("814800480065")?.payload)?;
    assert!(
        plain_81
            .warnings
            .iter()
            .any(|w| w.field == "81" && matches!(w.kind, WarningKind::TemplateNotParsed { .. }))
    );
    // PayNow with an empty merchant name and amount 0.
    let empty = parse(&find("59006009")?.payload)?;
    assert!(
        empty
            .warnings
            .iter()
            .any(|w| w.field == "59" && w.kind == WarningKind::EmptyValue)
    );
    assert!(
        empty
            .warnings
            .iter()
            .any(|w| w.field == "54" && matches!(w.kind, WarningKind::InvalidValue { .. }))
    );
    Ok(())
}

#[test]
fn fixtures_are_verbatim_copies_of_shared_vectors() -> TestResult {
    for (fixture_name, shared_name) in [
        ("emv-mpm-vectors-sample.jsonl", "vectors.jsonl"),
        ("emv-mpm-negatives.jsonl", "negatives.jsonl"),
    ] {
        let Some(shared_path) = shared(shared_name) else {
            eprintln!("shared test data not found beside the repo: nothing to compare");
            return Ok(());
        };
        let shared_text = std::fs::read_to_string(shared_path)?;
        for vector in load(&fixture(fixture_name))? {
            assert!(
                shared_text
                    .lines()
                    .any(|l| l.contains(&format!("\"payload\": \"{}\"", vector.payload))),
                "{}: not in the shared file (provenance lost?)",
                vector.origin
            );
            assert!(vector.json["source"].is_string(), "{}: keeps its source", vector.origin);
        }
    }
    Ok(())
}

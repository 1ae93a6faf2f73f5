//! The FPS and PayNow builders reproduce the codes of the generators the vectors come from.

use serde_json::Value as Json;
use till_qr::{Amount, FpsProxy, FpsQr, HKD, PayNowProxy, PayNowQr, Payload, PointOfInitiation, SGD};

use crate::support::{TestResult, positives};

/// Builds the payload the vector's `generator_inputs` describe; `None` for a generator that is
/// not FPS or PayNow (PromptPay, VietQR).
fn build(inputs: &Json) -> Result<Option<Payload>, Box<dyn std::error::Error>> {
    let text = |key: &str| inputs[key].as_str().unwrap_or_default();
    if inputs.get("lib").is_some() {
        return Ok(None);
    }
    let amount = Amount::parse(text("amount"))?;
    let (name, city, reference) = (text("merchant_name"), text("merchant_city"), text("reference"));
    // Odoo, where these vectors come from, always writes a dynamic code (01 = 12).
    let dynamic = PointOfInitiation::Dynamic;
    let payload = match (text("currency"), text("proxy_type")) {
        ("HKD", kind) => {
            let value = text("proxy_value").to_owned();
            let proxy = match kind {
                "mobile" => FpsProxy::Mobile(value),
                "email" => FpsProxy::Email(value),
                "fps_id" => FpsProxy::FpsId(value),
                other => return Err(format!("unknown FPS proxy type {other}").into()),
            };
            FpsQr::new(proxy, name, city)
                .currency(HKD)
                .point_of_initiation(dynamic)
                .amount(amount)
                .reference(reference)
                .build()?
        }
        ("SGD", kind) => {
            let value = text("proxy_value").to_owned();
            let proxy = match kind {
                "mobile" => PayNowProxy::Mobile(value),
                "uen" => PayNowProxy::Uen(value),
                other => return Err(format!("unknown PayNow proxy type {other}").into()),
            };
            PayNowQr::new(proxy, name, city)
                .point_of_initiation(dynamic)
                .amount(amount)
                .reference(reference)
                .build()?
        }
        _ => return Ok(None),
    };
    Ok(Some(payload))
}

#[test]
fn builders_reproduce_every_fps_and_paynow_generator_vector() -> TestResult {
    let mut built = 0;
    for vector in positives()? {
        let Some(inputs) = vector.json.pointer("/expected/generator_inputs") else {
            continue;
        };
        let Some(payload) = build(inputs).map_err(|e| format!("{}: {e}", vector.origin))? else {
            continue;
        };
        assert_eq!(payload.encode(), vector.payload, "{}", vector.origin);
        built += 1;
    }
    assert!(
        built >= 2,
        "the fixtures hold an FPS and a PayNow generator vector, built {built}"
    );
    Ok(())
}

#[test]
fn fps_email_static_code_matches_hkqr_fps() -> TestResult {
    let vector = positives()?
        .into_iter()
        .find(|v| {
            v.json["source"]
                .as_str()
                .is_some_and(|s| s.contains("DemChing/hkqr-fps"))
        })
        .ok_or("the hkqr-fps vector is in the fixtures")?;
    let payload = FpsQr::new(FpsProxy::Email("FPS_Identifier_CRC201D@ird.gov.hk".into()), "NA", "HK")
        .amount(Amount::new(1989, 0)?)
        .build()?;
    assert_eq!(payload.encode(), vector.payload);
    Ok(())
}

#[test]
fn built_codes_carry_uppercase_crc_and_parse_cleanly() -> TestResult {
    let payload = PayNowQr::new(PayNowProxy::Uen("201403121W".into()), "KOPI TIAM", "Singapore")
        .point_of_initiation(PointOfInitiation::Dynamic)
        .amount(Amount::new(450, 2)?)
        .amount_editable(false)
        .reference("ORDER-42")
        .build()?;
    let text = payload.encode();
    let crc = &text[text.len() - 4..];
    assert_eq!(crc, crc.to_uppercase());
    let parsed = till_qr::parse(&text)?;
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.payload.currency(), Some(&*format!("{SGD}")));
    Ok(())
}

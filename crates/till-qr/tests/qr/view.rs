//! The JSON view for `till qr parse`: every field, nested, with character offsets that point at
//! the field in the payload.

use till_qr::{FieldView, PayloadView, parse};

use crate::support::{TestResult, positives};

fn check_offsets(chars: &[char], fields: &[FieldView], origin: &str) {
    for field in fields {
        let id: String = chars[field.offset..field.offset + 2].iter().collect();
        assert_eq!(id, field.id, "{origin}: offset {} points at the ID", field.offset);
        if let Some(value) = &field.value {
            let start = field.offset + 4;
            let found: String = chars[start..start + field.length].iter().collect();
            assert_eq!(&found, value, "{origin}: value {} at {start}", field.id);
        }
        check_offsets(chars, &field.children, origin);
    }
}

#[test]
fn offsets_point_at_every_field_in_every_vector() -> TestResult {
    for vector in positives()? {
        let view = PayloadView::new(&parse(&vector.payload)?);
        let chars: Vec<char> = vector.payload.chars().collect();
        check_offsets(&chars, &view.fields, &vector.origin);
        assert!(view.crc.valid, "{}", vector.origin);
    }
    Ok(())
}

#[test]
fn json_shape_for_a_khmer_khqr() -> TestResult {
    let vector = positives()?
        .into_iter()
        .find(|v| v.payload.contains("ចន ស្មីន"))
        .ok_or("the KHQR vector with a Khmer name is in the fixtures")?;
    let json = serde_json::to_value(PayloadView::new(&parse(&vector.payload)?))?;
    let fields = json["fields"].as_array().ok_or("fields")?;
    let language = fields.iter().find(|f| f["id"] == "64").ok_or("field 64")?;
    assert_eq!(language["name"], "Merchant Information - Language Template");
    assert_eq!(language["children"][1]["name"], "Merchant Name - Alternate Language");
    assert_eq!(language["children"][1]["value"], "ចន ស្មីន");
    assert_eq!(
        language["children"][1]["length"], 8,
        "characters, combining marks included"
    );
    assert_eq!(json["crc"]["valid"], true);
    assert!(json["warnings"].is_array());
    Ok(())
}

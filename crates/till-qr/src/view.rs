//! A serialisable view of a payload for `till qr parse`: every field with its name, position and
//! value, templates nested, the CRC check and the warnings.

use crate::names::{field_name, scheme_by_guid, sub_field_name};
use crate::payload::{Field, FieldValue, Parsed, Payload, Warning, ids};

/// A payload, explained.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayloadView {
    /// The top-level fields, in order.
    pub fields: Vec<FieldView>,
    /// The CRC as written and as computed.
    pub crc: CrcView,
    /// What was unusual (empty for a built payload).
    pub warnings: Vec<WarningView>,
}

/// One field, explained.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldView {
    /// The ID, two digits.
    pub id: String,
    /// The field's name (EMVCo's, or the scheme's for sub-fields of a known account template).
    pub name: String,
    /// Character offset of the field's ID in the payload.
    pub offset: usize,
    /// The value's length in characters.
    pub length: usize,
    /// The text of a primitive field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The scheme of a merchant account or unreserved template, from its GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<&'static str>,
    /// The sub-fields of a template.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<FieldView>,
}

/// The CRC check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrcView {
    /// The value of field 63 as written, if there is one.
    pub found: Option<String>,
    /// The CRC computed over the payload.
    pub computed: String,
    /// Whether they agree (ignoring case).
    pub valid: bool,
}

/// One warning, explained.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WarningView {
    /// The field, e.g. `62.05`; empty for the payload as a whole.
    pub field: String,
    /// Character offset of the field.
    pub offset: usize,
    /// A stable code, e.g. `missing_field`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl PayloadView {
    /// The view of a parsed payload and its warnings.
    pub fn new(parsed: &Parsed) -> PayloadView {
        let mut view = PayloadView::of_payload(&parsed.payload);
        view.warnings = parsed.warnings.iter().map(warning_view).collect();
        view
    }

    /// The view of a payload (built or parsed) without warnings.
    pub fn of_payload(payload: &Payload) -> PayloadView {
        let mut offset = 0;
        let mut fields = Vec::with_capacity(payload.fields().len());
        for field in payload.fields() {
            fields.push(field_view(field, None, offset));
            offset += field.encoded_len();
        }
        let found = payload.crc().map(str::to_owned);
        let computed = payload.expected_crc();
        let valid = found.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(&computed));
        PayloadView {
            fields,
            crc: CrcView { found, computed, valid },
            warnings: Vec::new(),
        }
    }
}

fn field_view(field: &Field, parent: Option<(u8, Option<&str>)>, offset: usize) -> FieldView {
    let name = match parent {
        None => field_name(field.id()).to_owned(),
        Some((parent_id, guid)) => sub_field_name(parent_id, field.id(), guid).into_owned(),
    };
    let mut view = FieldView {
        id: format!("{:02}", field.id()),
        name,
        offset,
        length: field.value_len(),
        value: None,
        scheme: None,
        children: Vec::new(),
    };
    match field.value() {
        FieldValue::Text(text) => view.value = Some(text.clone()),
        FieldValue::Template(children) => {
            let guid = field.child_text(ids::GUID);
            view.scheme = guid.and_then(scheme_by_guid).map(|s| s.name);
            let mut child_offset = offset + 4;
            for child in children {
                view.children
                    .push(field_view(child, Some((field.id(), guid)), child_offset));
                child_offset += child.encoded_len();
            }
        }
    }
    view
}

fn warning_view(warning: &Warning) -> WarningView {
    WarningView {
        field: warning.field.clone(),
        offset: warning.offset,
        code: warning.kind.code(),
        message: warning.kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::QrError;
    use crate::payload::parse;

    #[test]
    fn nested_view_with_offsets_names_and_scheme() -> Result<(), QrError> {
        let text = "00020101021226330012hk.com.hkicl0313+852-6789123452040000530334454031005802HK5914company_1_data6002HK62170513INV/TEST/00016304A154";
        let view = PayloadView::new(&parse(text)?);
        let account = &view.fields[2];
        assert_eq!(account.id, "26");
        assert_eq!(account.offset, 12);
        assert_eq!(account.scheme, Some("HK FPS"));
        assert_eq!(account.children[1].name, "Mobile number");
        assert_eq!(account.children[1].offset, 32, "26 at 12, + 4, + 16 for sub-field 00");
        assert_eq!(account.children[1].value.as_deref(), Some("+852-67891234"));
        let reference = &view.fields[9].children[0];
        assert_eq!(reference.name, "Reference Label");
        assert_eq!(&text[reference.offset..reference.offset + 4], "0513");
        assert!(view.crc.valid);
        assert_eq!(view.crc.computed, "A154");
        Ok(())
    }
}

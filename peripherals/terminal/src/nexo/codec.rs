//! Messages on the wire: plain JSON, or the same JSON sealed in a `NexoBlob`. The outer
//! `MessageHeader` of a sealed message is a copy of the inner one (it routes the message).

use super::NexoError;
use super::crypto::DerivedKey;
use super::message::{SecuredApi, SecuredMessage, TerminalApi};

/// A message read from the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub message: TerminalApi,
    /// Whether it came sealed in a `NexoBlob`.
    pub encrypted: bool,
}

pub fn encode_plain(message: &TerminalApi) -> Vec<u8> {
    // Serialising these types cannot fail: no maps with non-string keys, no NaN amounts.
    serde_json::to_vec(message).unwrap_or_default()
}

pub fn encode_secured(message: &TerminalApi, key: &DerivedKey) -> Vec<u8> {
    let plain = encode_plain(message);
    let (nexo_blob, security_trailer) = key.seal(&plain);
    let secured = SecuredMessage {
        message_header: message.header().clone(),
        nexo_blob,
        security_trailer,
    };
    let outer = match message {
        TerminalApi::Request(_) => SecuredApi::Request(secured),
        TerminalApi::Response(_) => SecuredApi::Response(secured),
    };
    serde_json::to_vec(&outer).unwrap_or_default()
}

fn json(e: serde_json::Error) -> NexoError {
    NexoError::Json(e.to_string())
}

/// Reads a message, opening it with `key` when it is sealed.
pub fn decode(bytes: &[u8], key: Option<&DerivedKey>) -> Result<Decoded, NexoError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json)?;
    let sealed = value
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|inner| inner.get("NexoBlob"))
        .is_some();
    if !sealed {
        let message = serde_json::from_value(value).map_err(json)?;
        return Ok(Decoded {
            message,
            encrypted: false,
        });
    }
    let secured: SecuredApi = serde_json::from_value(value).map_err(json)?;
    let key = key.ok_or(NexoError::NeedKey)?;
    let (SecuredApi::Request(s) | SecuredApi::Response(s)) = &secured;
    let plain = key.open(&s.nexo_blob, &s.security_trailer)?;
    let message: TerminalApi = serde_json::from_slice(&plain).map_err(json)?;
    let same_side = matches!(
        (&secured, &message),
        (SecuredApi::Request(_), TerminalApi::Request(_)) | (SecuredApi::Response(_), TerminalApi::Response(_))
    );
    if !same_side {
        return Err(NexoError::Json(
            "the sealed message is not the kind its envelope says".to_owned(),
        ));
    }
    Ok(Decoded {
        message,
        encrypted: true,
    })
}

//! Version 1 of the till <-> host protocol: JSON bodies over HTTP(S).
//!
//! | path | method | body -> answer |
//! |---|---|---|
//! | [`paths::ENROL`] | POST | [`EnrolRequest`] -> [`Enrolment`] (no credential: the activation code is one) |
//! | [`paths::EVENTS`] | POST | [`UploadBatch`] -> [`UploadAck`] |
//! | [`paths::COMMANDS`] | GET `?ack=ID` | -> [`CommandBatch`] |
//! | [`paths::SETTINGS`] | GET | -> [`SettingsBody`] |
//! | [`paths::DIAGNOSTICS`] | POST | [`DiagnosticsBundle`] -> [`Accepted`] |
//!
//! Every request but enrolment carries `Authorization: Bearer <device token>`. Errors come back
//! as [`WireError`] with an HTTP status and a stable `code`.

use serde::{Deserialize, Serialize};
use till_domain::ReceiptCopies;
use till_domain::ports::{DiagnosticsReport, HostCommand, HostSettings};

/// The protocol version this crate speaks.
pub const WIRE_VERSION: u32 = 1;

/// Most events a till sends in one upload, and what the host accepts.
pub const MAX_BATCH_EVENTS: usize = 5_000;

/// The largest request body the host reads (bytes).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub mod paths {
    pub const ENROL: &str = "/api/v1/enrol";
    pub const EVENTS: &str = "/api/v1/events";
    pub const COMMANDS: &str = "/api/v1/commands";
    pub const SETTINGS: &str = "/api/v1/settings";
    pub const DIAGNOSTICS: &str = "/api/v1/diagnostics";
    /// `GET ?platform=…&current=…`: 200 with an update [`crate::update::Manifest`], or 204.
    pub const UPDATE: &str = "/api/v1/update";
}

/// Stable error codes in [`WireError::code`].
pub mod codes {
    pub const UNSUPPORTED_VERSION: &str = "unsupported-version";
    pub const MALFORMED: &str = "malformed";
    pub const TOO_LARGE: &str = "too-large";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const ACTIVATION_CODE_INVALID: &str = "activation-code-invalid";
    /// A code that was right, past its time: the portal makes a new one.
    pub const ACTIVATION_CODE_EXPIRED: &str = "activation-code-expired";
    /// A code another till has used: one code, one till.
    pub const ACTIVATION_CODE_USED: &str = "activation-code-used";
    pub const SEQUENCE_GAP: &str = "sequence-gap";
    pub const SEQUENCE_CONFLICT: &str = "sequence-conflict";
    pub const INTERNAL: &str = "internal";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub message: String,
    /// For sequence errors: the highest sequence the host holds, to resume from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<u64>,
}

/// H3 "set up POS": the till presents the one-time code the portal showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub v: u32,
    pub code: String,
    pub till_id: String,
    pub serial: String,
    pub software: String,
}

/// The device credential: shown once, stored hashed by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub v: u32,
    pub device_id: i64,
    pub token: String,
    pub merchant: String,
    pub shop: String,
    pub pos_name: String,
    /// What the till's receipts head with: the POS's receipt name and address as set in the
    /// portal, else its shop's (empty from hosts before they were sent).
    #[serde(default)]
    pub receipt_name: String,
    #[serde(default)]
    pub receipt_address: String,
}

/// One journal event: its sequence and its JSON exactly as the journal gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    pub seq: u64,
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadBatch {
    pub v: u32,
    pub events: Vec<WireEvent>,
}

/// The highest sequence the host holds without a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAck {
    pub v: u32,
    pub held: u64,
}

/// A command as it travels (S4, H3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CommandBody {
    BlockPos,
    UnblockPos,
    BlockRefund,
    UnblockRefund,
    ResetPin { operator: String },
    ResetRefundPin { operator: String },
}

impl From<CommandBody> for HostCommand {
    fn from(c: CommandBody) -> HostCommand {
        match c {
            CommandBody::BlockPos => HostCommand::BlockPos,
            CommandBody::UnblockPos => HostCommand::UnblockPos,
            CommandBody::BlockRefund => HostCommand::BlockRefund,
            CommandBody::UnblockRefund => HostCommand::UnblockRefund,
            CommandBody::ResetPin { operator } => HostCommand::ResetPin { operator },
            CommandBody::ResetRefundPin { operator } => HostCommand::ResetRefundPin { operator },
        }
    }
}

impl From<HostCommand> for CommandBody {
    fn from(c: HostCommand) -> CommandBody {
        match c {
            HostCommand::BlockPos => CommandBody::BlockPos,
            HostCommand::UnblockPos => CommandBody::UnblockPos,
            HostCommand::BlockRefund => CommandBody::BlockRefund,
            HostCommand::UnblockRefund => CommandBody::UnblockRefund,
            HostCommand::ResetPin { operator } => CommandBody::ResetPin { operator },
            HostCommand::ResetRefundPin { operator } => CommandBody::ResetRefundPin { operator },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireCommand {
    pub id: i64,
    pub command: CommandBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandBatch {
    pub v: u32,
    pub commands: Vec<WireCommand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireCopies {
    pub merchant: bool,
    pub customer: bool,
}

/// The portal's settings for one till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsBody {
    pub v: u32,
    pub receipt_name: Option<String>,
    pub receipt_address: Option<String>,
    pub copies: Option<WireCopies>,
    pub diagnostics_requested: bool,
}

impl From<SettingsBody> for HostSettings {
    fn from(s: SettingsBody) -> HostSettings {
        HostSettings {
            receipt_name: s.receipt_name,
            receipt_address: s.receipt_address,
            copies: s.copies.map(|c| ReceiptCopies {
                merchant: c.merchant,
                customer: c.customer,
            }),
            diagnostics_requested: s.diagnostics_requested,
        }
    }
}

/// T12.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticsBundle {
    pub v: u32,
    pub report: DiagnosticsReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub v: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_through_the_wire_names() -> Result<(), serde_json::Error> {
        let all = [
            HostCommand::BlockPos,
            HostCommand::UnblockPos,
            HostCommand::BlockRefund,
            HostCommand::UnblockRefund,
            HostCommand::ResetPin { operator: "1".into() },
            HostCommand::ResetRefundPin { operator: "2".into() },
        ];
        for c in all {
            let text = serde_json::to_string(&CommandBody::from(c.clone()))?;
            let back: CommandBody = serde_json::from_str(&text)?;
            assert_eq!(HostCommand::from(back), c, "{text} must come back as the same command");
        }
        let text = serde_json::to_string(&CommandBody::ResetPin { operator: "7".into() })?;
        assert_eq!(
            text, r#"{"type":"reset-pin","operator":"7"}"#,
            "the wire name is part of v1"
        );
        Ok(())
    }

    #[test]
    fn an_unknown_command_is_an_error_not_a_default() {
        let r: Result<CommandBody, _> = serde_json::from_str(r#"{"type":"format-disk"}"#);
        assert!(r.is_err(), "a till must not guess what an unknown command means");
    }
}

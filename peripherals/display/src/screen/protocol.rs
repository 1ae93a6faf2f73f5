//! The JSON-lines protocol between the till and the `till-display` process.
//!
//! In (the display's stdin), one object per line: a [`DisplaySnapshot`] exactly as serde encodes
//! the domain enum (`{"screen":"amount",...}`), or a [`Command`] (`{"cmd":"quit"}`).
//! Out (its stdout), one [`Event`] per line: `ready` once the window is up, `shown` after each
//! accepted snapshot, `rejected` for a line it could not use (the screen keeps what it showed),
//! `signature` or `cancel` from the signature screen. End of input closes the display.

use serde::{Deserialize, Serialize};
use till_domain::ports::{DisplaySnapshot, Signature};

/// The screens a snapshot may name, as on the wire.
pub const SCREENS: [&str; 7] = [
    "idle",
    "amount",
    "qr-to-scan",
    "prompt",
    "signature",
    "result",
    "thank-you",
];

/// A control line for the display process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case")]
pub enum Command {
    /// Close the window and exit (the same as the end of input).
    Quit,
}

/// One line of input, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Snapshot(DisplaySnapshot),
    Command(Command),
}

/// What the display process reports, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The window is shown and input is being read.
    Ready,
    /// Snapshot number `seq` (counting accepted snapshots of this process, from 1) is applied.
    Shown {
        screen: String,
        seq: u64,
        /// Where the signature screen's pad and buttons are (signature screen only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        layout: Option<SignatureLayout>,
    },
    /// Input line `line` (from 1) was not used; the screen is unchanged.
    Rejected { line: u64, reason: String },
    /// The customer signed and pressed done.
    Signature(Signature),
    /// The customer cancelled the signature (Escape, or closing the window).
    Cancel,
}

/// A rectangle in the window, in physical pixels from its top left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    /// The centre point.
    pub fn centre(&self) -> (i32, i32) {
        let half = |n: u32| i32::try_from(n / 2).unwrap_or(i32::MAX);
        (
            self.x.saturating_add(half(self.width)),
            self.y.saturating_add(half(self.height)),
        )
    }
}

/// The signature screen's geometry, for tests and diagnostics. Stroke points are in pad
/// coordinates: logical pixels from the pad's top left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignatureLayout {
    pub pad: Rect,
    pub clear: Rect,
    pub done: Rect,
    /// Physical pixels per logical pixel.
    pub scale: f32,
}

/// Reads one input line. The error is the reason to report in a `rejected` event.
///
/// # Errors
/// Malformed JSON, a line that is not an object, an unknown command or screen, or fields that do
/// not fit the named screen.
pub fn parse_line(line: &str) -> Result<Input, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("not a JSON object".to_owned());
    };
    if let Some(cmd) = object.get("cmd") {
        return serde_json::from_value::<Command>(value.clone())
            .map(Input::Command)
            .map_err(|_| format!("unknown command {cmd}"));
    }
    let screen = match object.get("screen") {
        None => return Err("no \"screen\" field".to_owned()),
        Some(serde_json::Value::String(screen)) if SCREENS.contains(&screen.as_str()) => screen.clone(),
        Some(other) => return Err(format!("unknown screen {other}")),
    };
    serde_json::from_value::<DisplaySnapshot>(value)
        .map(Input::Snapshot)
        .map_err(|e| format!("bad fields for screen \"{screen}\": {e}"))
}

/// The line a snapshot travels as (no newline).
pub fn snapshot_line(snapshot: &DisplaySnapshot) -> String {
    // A DisplaySnapshot is strings, a bool and a timestamp: serialising it cannot fail.
    serde_json::to_string(snapshot).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn every_screen_round_trips_through_a_line() -> TestResult {
        let snapshots = [
            DisplaySnapshot::Idle { text: "Welcome".into() },
            DisplaySnapshot::Prompt {
                text: "請插卡".into()
            },
            DisplaySnapshot::Signature {
                total: "HK$1.00".into(),
                prompt: "Sign".into(),
                clear: "Clear".into(),
                done: "Done".into(),
            },
            DisplaySnapshot::Result {
                approved: false,
                text: "DECLINED".into(),
            },
            DisplaySnapshot::ThankYou { text: "谢谢".into() },
        ];
        for snapshot in snapshots {
            let line = snapshot_line(&snapshot);
            assert!(
                line.contains(&format!("\"screen\":\"{}\"", snapshot.screen())),
                "{line}"
            );
            assert_eq!(
                parse_line(&line)?,
                Input::Snapshot(snapshot),
                "a snapshot survives its line"
            );
        }
        assert_eq!(SCREENS.len(), 7, "one name per DisplaySnapshot variant");
        Ok(())
    }

    #[test]
    fn bad_lines_say_why() {
        let reason = |line: &str| parse_line(line).err().unwrap_or_default();
        assert!(
            reason("{\"screen\":\"idle\"").starts_with("malformed JSON"),
            "cut short"
        );
        assert_eq!(reason("[1,2]"), "not a JSON object");
        assert_eq!(reason("{\"text\":\"hi\"}"), "no \"screen\" field");
        assert_eq!(reason("{\"screen\":\"lottery\"}"), "unknown screen \"lottery\"");
        assert_eq!(reason("{\"cmd\":\"reboot\"}"), "unknown command \"reboot\"");
        let bad_field = reason("{\"screen\":\"result\",\"approved\":\"yes\",\"text\":\"OK\"}");
        assert!(bad_field.starts_with("bad fields for screen \"result\""), "{bad_field}");
    }

    #[test]
    fn events_are_tagged_objects() -> TestResult {
        let signature = Event::Signature(Signature {
            width: 600,
            height: 200,
            strokes: vec![vec![[1, 2], [3, 4]]],
        });
        assert_eq!(
            serde_json::to_string(&signature)?,
            r#"{"event":"signature","width":600,"height":200,"strokes":[[[1,2],[3,4]]]}"#
        );
        let shown = Event::Shown {
            screen: "idle".into(),
            seq: 3,
            layout: None,
        };
        assert_eq!(
            serde_json::to_string(&shown)?,
            r#"{"event":"shown","screen":"idle","seq":3}"#
        );
        assert_eq!(parse_line(r#"{"cmd":"quit"}"#)?, Input::Command(Command::Quit));
        Ok(())
    }
}

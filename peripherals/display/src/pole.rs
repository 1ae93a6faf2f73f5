//! 2x20 VFD pole displays over serial: the two command sets most customer displays speak.
//!
//! - **Epson ESC/POS customer display** (DM-D series and compatibles): `ESC @` initialise,
//!   `CLR` (0C) clear, `US $ x y` (1F 24 x y) cursor to column x, row y (1-based),
//!   `US X n` (1F 58 n) brightness 1–4, `ESC t n` character table.
//! - **CD5220 / "Ultimate"** (many clones): `ESC @` initialise, `CLR` (0C) clear, `ESC Q A text CR`
//!   upper line, `ESC Q B text CR` lower line, `ESC * n` brightness 1–4.
//!
//! Chinese: displays with a Chinese font take GB18030 (Simplified) or Big5 (Traditional) double-
//! byte codes, entered with `FS &` and left with `FS .` as on ESC/POS printers; a CJK character
//! is two columns. Displays without one get `?` for what they cannot show.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use till_domain::ports::{CustomerDisplay, DeviceError, DisplaySnapshot};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;
use unicode_width::UnicodeWidthChar;

pub const COLUMNS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommandSet {
    #[default]
    EscPos,
    Cd5220,
}

/// Which double-byte font the display has, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Charset {
    /// ASCII only.
    #[default]
    Latin,
    Gb18030,
    Big5,
}

/// A key left out of `[display]` takes its default: ESC/POS commands, Latin, brightest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoleProfile {
    pub commands: CommandSet,
    pub charset: Charset,
    /// 1 (dim) to 4 (bright).
    pub brightness: u8,
}

impl Default for PoleProfile {
    fn default() -> Self {
        PoleProfile {
            commands: CommandSet::EscPos,
            charset: Charset::Latin,
            brightness: 4,
        }
    }
}

/// Cuts or pads `text` to exactly `COLUMNS` display columns (CJK = 2), aligned right when
/// `right` is set. A CJK character that would straddle the edge is left out.
pub fn fit(text: &str, right: bool) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if width + w > COLUMNS {
            break;
        }
        out.push(ch);
        width += w;
    }
    let pad = " ".repeat(COLUMNS - width);
    if right {
        format!("{pad}{out}")
    } else {
        format!("{out}{pad}")
    }
}

/// The two lines a snapshot shows on a pole display.
pub fn lines(snapshot: &DisplaySnapshot) -> (String, String) {
    match snapshot {
        DisplaySnapshot::Idle { text } | DisplaySnapshot::ThankYou { text } => (fit(text, false), fit("", false)),
        DisplaySnapshot::Amount { total, labels, .. } => (fit(&labels[2], false), fit(total, true)),
        DisplaySnapshot::QrToScan { total, prompt, .. } | DisplaySnapshot::Signature { total, prompt, .. } => {
            (fit(prompt, false), fit(total, true))
        }
        DisplaySnapshot::Prompt { text } | DisplaySnapshot::Result { text, .. } => {
            // Two lines of a longer prompt, broken at the 20th column.
            let first = fit(text, false);
            let used = first.trim_end().chars().count();
            let rest: String = text.chars().skip(used).collect();
            (first, fit(rest.trim_start(), false))
        }
    }
}

/// The bytes of one line's text in the display's charset.
fn encode_text(text: &str, charset: Charset) -> Vec<u8> {
    let mut out = Vec::new();
    let mut double = false;
    for ch in text.chars() {
        if ch.is_ascii() {
            if double {
                out.extend([0x1C, 0x2E]);
                double = false;
            }
            out.push(ch as u8);
            continue;
        }
        let encoding = match charset {
            Charset::Latin => None,
            Charset::Gb18030 => Some(encoding_rs::GB18030),
            Charset::Big5 => Some(encoding_rs::BIG5),
        };
        let mut buf = [0u8; 4];
        let encoded = encoding.map(|e| e.encode(ch.encode_utf8(&mut buf)));
        match encoded {
            Some((bytes, _, false)) if bytes.len() == 2 => {
                if !double {
                    out.extend([0x1C, 0x26]);
                    double = true;
                }
                out.extend(bytes.iter());
            }
            _ => {
                if double {
                    out.extend([0x1C, 0x2E]);
                    double = false;
                }
                // Keep the column count: a wide character becomes two placeholders.
                out.extend(std::iter::repeat_n(b'?', ch.width().unwrap_or(1).max(1)));
            }
        }
    }
    if double {
        out.extend([0x1C, 0x2E]);
    }
    out
}

/// The complete byte sequence that shows `snapshot`.
pub fn render(snapshot: &DisplaySnapshot, profile: &PoleProfile) -> Vec<u8> {
    let (top, bottom) = lines(snapshot);
    let mut out = Vec::new();
    match profile.commands {
        CommandSet::EscPos => {
            out.push(0x0C);
            out.extend([0x1F, 0x24, 1, 1]);
            out.extend(encode_text(&top, profile.charset));
            out.extend([0x1F, 0x24, 1, 2]);
            out.extend(encode_text(&bottom, profile.charset));
        }
        CommandSet::Cd5220 => {
            out.push(0x0C);
            out.extend([0x1B, b'Q', b'A']);
            out.extend(encode_text(&top, profile.charset));
            out.push(0x0D);
            out.extend([0x1B, b'Q', b'B']);
            out.extend(encode_text(&bottom, profile.charset));
            out.push(0x0D);
        }
    }
    out
}

/// Power-on setup: initialise, brightness, and the character table.
pub fn init(profile: &PoleProfile) -> Vec<u8> {
    let level = profile.brightness.clamp(1, 4);
    match profile.commands {
        CommandSet::EscPos => vec![0x1B, 0x40, 0x1F, 0x58, level, 0x1B, 0x74, 0x00, 0x0C],
        CommandSet::Cd5220 => vec![0x1B, 0x40, 0x1B, b'*', level, 0x0C],
    }
}

/// A pole display on any byte sink (a serial port, a pseudo-terminal in tests).
#[derive(Debug)]
pub struct PoleDisplay<W> {
    port: Mutex<W>,
    profile: PoleProfile,
}

impl<W: AsyncWrite + Unpin + Send> PoleDisplay<W> {
    pub async fn new(mut port: W, profile: PoleProfile) -> Result<PoleDisplay<W>, DeviceError> {
        port.write_all(&init(&profile))
            .await
            .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        port.flush()
            .await
            .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        Ok(PoleDisplay {
            port: Mutex::new(port),
            profile,
        })
    }
}

impl PoleDisplay<tokio_serial::SerialStream> {
    /// Opens a pole display on a serial port (9600 8N1 is what most ship with).
    pub async fn open(path: &str, baud: u32, profile: PoleProfile) -> Result<Self, DeviceError> {
        use tokio_serial::SerialPortBuilderExt;
        let port = tokio_serial::new(path, baud)
            .open_native_async()
            .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        PoleDisplay::new(port, profile).await
    }
}

#[async_trait]
impl<W: AsyncWrite + Unpin + Send> CustomerDisplay for PoleDisplay<W> {
    async fn show(&self, snapshot: &DisplaySnapshot) -> Result<(), DeviceError> {
        let bytes = render(snapshot, &self.profile);
        let mut port = self.port.lock().await;
        port.write_all(&bytes)
            .await
            .map_err(|e| DeviceError::LineLost(e.to_string()))?;
        port.flush().await.map_err(|e| DeviceError::LineLost(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_cjk_as_two_columns() {
        assert_eq!(fit("總額", false), format!("總額{}", " ".repeat(16)));
        assert_eq!(fit("HK$1,234.50", true), format!("{}HK$1,234.50", " ".repeat(9)));
        let long = "一二三四五六七八九十一";
        assert_eq!(
            fit(long, false),
            "一二三四五六七八九十",
            "the 11th character does not fit"
        );
    }

    #[test]
    fn amount_bytes_for_both_command_sets() {
        let snap = DisplaySnapshot::Amount {
            amount: "HK$10.00".into(),
            tip: "HK$0.00".into(),
            total: "HK$10.00".into(),
            labels: ["AMOUNT".into(), "TIP".into(), "TOTAL".into()],
        };
        let escpos = render(&snap, &PoleProfile::default());
        let mut expected = vec![0x0C, 0x1F, 0x24, 1, 1];
        expected.extend(b"TOTAL               ");
        expected.extend([0x1F, 0x24, 1, 2]);
        expected.extend(b"            HK$10.00");
        assert_eq!(escpos, expected);
        let cd = render(
            &snap,
            &PoleProfile {
                commands: CommandSet::Cd5220,
                ..PoleProfile::default()
            },
        );
        let mut expected = vec![0x0C, 0x1B, b'Q', b'A'];
        expected.extend(b"TOTAL               \r");
        expected.extend([0x1B, b'Q', b'B']);
        expected.extend(b"            HK$10.00\r");
        assert_eq!(cd, expected);
    }

    #[test]
    fn chinese_in_double_byte_mode_or_placeholders() {
        let gb = encode_text("合计 10", Charset::Gb18030);
        assert_eq!(
            gb,
            vec![0x1C, 0x26, 0xBA, 0xCF, 0xBC, 0xC6, 0x1C, 0x2E, b' ', b'1', b'0']
        );
        let big5 = encode_text("合計", Charset::Big5);
        assert_eq!(big5, vec![0x1C, 0x26, 0xA6, 0x58, 0xAD, 0x70, 0x1C, 0x2E]);
        assert_eq!(
            encode_text("合計", Charset::Latin),
            b"????".to_vec(),
            "two columns each, kept"
        );
    }
}

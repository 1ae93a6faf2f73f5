//! Receipt documents to ESC/POS bytes.
//!
//! Layout is by display width, as `till_domain::receipt::render_text` lays the same document
//! out as text: a CJK character is two columns. On paper the columns are made exact by the
//! printer rather than by counting on glyph widths: values are placed with ESC $ (absolute
//! position, in dots) so an amount ends at the right edge whatever the label before it, and
//! centred lines use ESC a 1.
//!
//! Characters go out three ways: ASCII as itself; a one-column non-ASCII character (é, ¥)
//! from the code page selected with ESC t; a two-column character in Chinese mode (FS & …
//! FS .) as two bytes of GB18030 or Big5. A line the printer cannot print as text (a raster
//! profile, or a character its encoding lacks) is drawn with a system font and sent as a
//! GS v 0 image one text line tall, so text it can print stays text and receipts stay small.

use std::sync::Arc;
use till_domain::receipt::{Line, ReceiptDoc, display_width, wrap};

use crate::bitmap::Bitmap;
use crate::code128;
use crate::codepage::{CodePage, DoubleByte};
use crate::font::Glyphs;
use crate::profile::{CELL_H, CELL_W, ChineseMode, LINE_PITCH, Profile};

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;
pub const FS: u8 = 0x1c;
pub const DLE: u8 = 0x10;
pub const LF: u8 = 0x0a;

/// ESC @: initialise.
pub const INIT: [u8; 2] = [ESC, b'@'];
/// FS &: enter Chinese (double-byte) mode.
pub const KANJI_ON: [u8; 2] = [FS, b'&'];
/// FS .: leave it.
pub const KANJI_OFF: [u8; 2] = [FS, b'.'];
/// GS V 66 0: feed to the cutter and cut, leaving a hinge (partial cut).
pub const CUT: [u8; 4] = [GS, b'V', 66, 0];
/// GS r 1: the paper sensor status, answered once everything before it has been processed.
pub const PAPER_STATUS: [u8; 3] = [GS, b'r', 1];
/// ESC p 0 50 250: drawer pin 2, on 100 ms, off 500 ms (on/(on+off) ≤ 0.2, ESCPOS.md §7).
pub const DRAWER_KICK: [u8; 5] = [ESC, b'p', 0, 50, 250];

/// DLE EOT n: real-time status query.
pub fn dle_eot(n: u8) -> [u8; 3] {
    [DLE, 0x04, n]
}

/// Whether a character takes two columns (CJK ideographs, fullwidth forms).
pub fn is_wide(c: char) -> bool {
    char_width(c) == 2
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    display_width(c.encode_utf8(&mut buf))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Normal,
    /// GS ! 0x11 (double width and height).
    Big,
    /// GS ! 0x01 (double height), with emphasis: totals.
    Tall,
}

/// One printed line: pieces of text at columns.
struct TextLine {
    align: Align,
    size: Size,
    pieces: Vec<(usize, String)>,
}

/// ESC/POS with the printer's modes tracked, so a mode command is sent only when it changes.
struct Out<'a> {
    profile: &'a Profile,
    bytes: Vec<u8>,
    align: Align,
    size: Size,
    code_page: CodePage,
    glyphs: Option<Arc<Glyphs>>,
    traditional: bool,
}

impl<'a> Out<'a> {
    fn set_align(&mut self, a: Align) {
        if self.align != a {
            self.bytes
                .extend_from_slice(&[ESC, b'a', if a == Align::Center { 1 } else { 0 }]);
            self.align = a;
        }
    }

    fn set_size(&mut self, s: Size) {
        if self.size != s {
            let (gs, bold) = match s {
                Size::Normal => (0x00, 0),
                Size::Big => (0x11, 0),
                Size::Tall => (0x01, 1),
            };
            let was_bold = self.size == Size::Tall;
            self.bytes.extend_from_slice(&[GS, b'!', gs]);
            if was_bold != (bold == 1) {
                self.bytes.extend_from_slice(&[ESC, b'E', bold]);
            }
            self.size = s;
        }
    }

    fn glyphs(&mut self) -> Arc<Glyphs> {
        let traditional = self.traditional;
        self.glyphs.get_or_insert_with(|| Glyphs::system(traditional)).clone()
    }

    fn feed_dots(&mut self, dots: usize) {
        if dots > 0 {
            let n = self.profile.feed_units(dots);
            self.bytes.extend_from_slice(&[ESC, b'J', n]);
        }
    }

    /// GS v 0: `image` printed at the current alignment, `m` = 0 normal, 2 double height,
    /// 3 double width and height; `bytes_per_row` may cut the image short on the right.
    fn raster(&mut self, image: &Bitmap, m: u8, bytes_per_row: usize) {
        let bpr = bytes_per_row.max(1);
        let [xl, xh] = u16::try_from(bpr).unwrap_or(u16::MAX).to_le_bytes();
        let [yl, yh] = u16::try_from(image.height()).unwrap_or(u16::MAX).to_le_bytes();
        self.bytes.extend_from_slice(&[GS, b'v', b'0', m, xl, xh, yl, yh]);
        self.bytes.extend(image.packed_rows(bpr));
    }

    fn line(&mut self, line: &TextLine) {
        let db = self.profile.chinese.double_byte();
        let encoded: Option<Vec<Vec<u8>>> = line
            .pieces
            .iter()
            .map(|(_, t)| encode_text(t, db, self.code_page))
            .collect();
        if let Some(pieces) = encoded {
            return self.text_line(line, &pieces);
        }
        // Not printable as text: draw it, if the font has every character that needs drawing.
        let glyphs = self.glyphs();
        let drawable = line.pieces.iter().all(|(_, t)| {
            t.chars()
                .all(|c| encode_text(c.encode_utf8(&mut [0; 4]), db, self.code_page).is_some() || glyphs.covers(c))
        });
        if drawable {
            return self.raster_line(line, &glyphs);
        }
        // Neither: keep the columns, print what can be printed, '?' for the rest.
        let pieces: Vec<Vec<u8>> = line
            .pieces
            .iter()
            .map(|(_, t)| {
                let mut out = Vec::new();
                for c in t.chars() {
                    match encode_text(c.encode_utf8(&mut [0; 4]), db, self.code_page) {
                        Some(b) => out.extend(b),
                        None => out.extend(std::iter::repeat_n(b'?', char_width(c))),
                    }
                }
                out
            })
            .collect();
        self.text_line(line, &pieces);
    }

    fn text_line(&mut self, line: &TextLine, pieces: &[Vec<u8>]) {
        self.set_align(line.align);
        self.set_size(line.size);
        for ((col, _), bytes) in line.pieces.iter().zip(pieces) {
            if *col > 0 {
                let [nl, nh] = u16::try_from(col * CELL_W).unwrap_or(0).to_le_bytes();
                self.bytes.extend_from_slice(&[ESC, b'$', nl, nh]);
            }
            self.bytes.extend_from_slice(bytes);
        }
        self.bytes.push(LF);
    }

    fn raster_line(&mut self, line: &TextLine, glyphs: &Glyphs) {
        let cols = match line.align {
            Align::Center => line.pieces.iter().map(|(c, t)| c + display_width(t)).max().unwrap_or(0),
            Align::Left => self.profile.columns(),
        };
        let mut image = Bitmap::new(cols.max(1) * CELL_W, CELL_H);
        for (col, text) in &line.pieces {
            let mut x = col * CELL_W;
            for c in text.chars() {
                let w = char_width(c);
                if w == 0 {
                    continue;
                }
                image.draw(&glyphs.glyph(c, w * CELL_W, CELL_H), x, 0);
                x += w * CELL_W;
            }
        }
        let (m, scale) = match line.size {
            Size::Normal => (0, 1),
            Size::Big => (3, 2),
            Size::Tall => {
                image = image.emboldened();
                (2, 2)
            }
        };
        let bpr = match line.align {
            Align::Center => image.width().div_ceil(8),
            Align::Left => image.inked_width_bytes(),
        };
        self.set_align(line.align);
        self.raster(&image, m, bpr);
        self.feed_dots(LINE_PITCH.saturating_sub(CELL_H * scale));
    }

    fn qr(&mut self, data: &str) {
        let Ok(code) = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) else {
            return self.line(&TextLine {
                align: Align::Center,
                size: Size::Normal,
                pieces: vec![(0, data.to_owned())],
            });
        };
        let width = code.width();
        let module = (self.profile.dots() / (width + 8)).clamp(1, 6);
        self.set_align(Align::Center);
        self.set_size(Size::Normal);
        if self.profile.native_qr {
            let quiet = 4 * module;
            self.feed_dots(quiet);
            let module = u8::try_from(module).unwrap_or(3);
            self.bytes
                .extend_from_slice(&[GS, b'(', b'k', 4, 0, 0x31, 0x41, 0x32, 0]);
            self.bytes
                .extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x43, module]);
            self.bytes.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x45, 0x31]);
            let [pl, ph] = u16::try_from(data.len() + 3).unwrap_or(0).to_le_bytes();
            self.bytes
                .extend_from_slice(&[GS, b'(', b'k', pl, ph, 0x31, 0x50, 0x30]);
            self.bytes.extend_from_slice(data.as_bytes());
            self.bytes.extend_from_slice(&[GS, b'(', b'k', 3, 0, 0x31, 0x51, 0x30]);
            self.feed_dots(quiet);
        } else {
            let image = qr_image(&code, module);
            let bpr = image.width().div_ceil(8);
            self.raster(&image, 0, bpr);
        }
    }

    fn barcode(&mut self, data: &str) {
        let Some(payload) = code128::gs_k_data(data) else {
            return self.line(&TextLine {
                align: Align::Center,
                size: Size::Normal,
                pieces: vec![(0, data.to_owned())],
            });
        };
        self.set_align(Align::Center);
        self.set_size(Size::Normal);
        self.feed_dots(CELL_H / 2);
        // Height 60 dots, module 2 dots, readable digits below in font A.
        self.bytes
            .extend_from_slice(&[GS, b'h', 60, GS, b'w', 2, GS, b'H', 2, GS, b'f', 0]);
        self.bytes
            .extend_from_slice(&[GS, b'k', 73, u8::try_from(payload.len()).unwrap_or(0)]);
        self.bytes.extend(payload);
        self.feed_dots(CELL_H / 2);
    }
}

/// A QR code as an image, `module` dots a module, with its 4-module quiet zone.
pub fn qr_image(code: &qrcode::QrCode, module: usize) -> Bitmap {
    let width = code.width();
    let side = (width + 8) * module;
    let mut image = Bitmap::new(side, side);
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            image.fill(x * module, y * module, module, module);
        }
    }
    image
}

/// `text` as printer bytes: ASCII, code-page bytes and Chinese-mode runs; `None` if a
/// character cannot be printed as text (no double-byte encoding, or not in it).
pub fn encode_text(text: &str, double_byte: Option<DoubleByte>, code_page: CodePage) -> Option<Vec<u8>> {
    enum Class {
        Ascii(u8),
        Single(u8),
        Double([u8; 2]),
    }
    let mut classes = Vec::with_capacity(text.len());
    for c in text.chars() {
        classes.push(if (' '..='~').contains(&c) {
            Class::Ascii(c as u8)
        } else {
            match char_width(c) {
                2 => Class::Double(double_byte?.encode(c)?),
                1 => Class::Single(code_page.encode(c)?),
                _ => return None,
            }
        });
    }
    let mut out = Vec::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < classes.len() {
        match &classes[i] {
            Class::Ascii(b) | Class::Single(b) => {
                out.push(*b);
                i += 1;
            }
            Class::Double(_) => {
                // One Chinese-mode run up to the last double-byte character before a
                // code-page character (ASCII prints as itself inside it).
                let mut end = i;
                for (j, c) in classes.iter().enumerate().skip(i) {
                    match c {
                        Class::Single(_) => break,
                        Class::Double(_) => end = j,
                        Class::Ascii(_) => {}
                    }
                }
                out.extend_from_slice(&KANJI_ON);
                for c in &classes[i..=end] {
                    match c {
                        Class::Ascii(b) | Class::Single(b) => out.push(*b),
                        Class::Double(d) => out.extend_from_slice(d),
                    }
                }
                out.extend_from_slice(&KANJI_OFF);
                i = end + 1;
            }
        }
    }
    Some(out)
}

fn text_lines(line: &Line, cols: usize) -> Vec<TextLine> {
    let left = |s: String| TextLine {
        align: Align::Left,
        size: Size::Normal,
        pieces: vec![(0, s)],
    };
    match line {
        Line::Center { text, big } => {
            let (size, width) = if *big {
                (Size::Big, cols / 2)
            } else {
                (Size::Normal, cols)
            };
            wrap(text.as_str(), width)
                .into_iter()
                .map(|s| TextLine {
                    align: Align::Center,
                    size,
                    pieces: vec![(0, s)],
                })
                .collect()
        }
        Line::Left { text } => wrap(text.as_str(), cols).into_iter().map(left).collect(),
        Line::Pair { label, value } | Line::Total { label, value } => {
            let size = if matches!(line, Line::Total { .. }) {
                Size::Tall
            } else {
                Size::Normal
            };
            let (label, lw, vw) = (label.as_str(), display_width(label.as_str()), display_width(value));
            if lw + 1 + vw <= cols {
                let mut pieces = vec![(0, label.to_owned())];
                if !value.is_empty() {
                    pieces.push((cols - vw, value.clone()));
                }
                return vec![TextLine {
                    align: Align::Left,
                    size,
                    pieces,
                }];
            }
            let mut out: Vec<TextLine> = wrap(label, cols)
                .into_iter()
                .map(|s| TextLine { size, ..left(s) })
                .collect();
            out.extend(wrap(value, cols).into_iter().map(|v| TextLine {
                align: Align::Left,
                size,
                pieces: vec![(cols.saturating_sub(display_width(&v)), v)],
            }));
            out
        }
        Line::Rule => vec![left("-".repeat(cols))],
        Line::SignatureLine => vec![left(format!("X{}", "_".repeat(cols.saturating_sub(1))))],
        _ => Vec::new(),
    }
}

/// Every piece of text of a document, for choosing a font or an encoding.
pub fn doc_text(doc: &ReceiptDoc) -> String {
    let mut s = String::new();
    for line in &doc.lines {
        match line {
            Line::Center { text, .. } | Line::Left { text } => s.push_str(text.as_str()),
            Line::Pair { label, value } | Line::Total { label, value } => {
                s.push_str(label.as_str());
                s.push_str(value);
            }
            _ => {}
        }
    }
    s
}

/// The ESC/POS bytes of a resolved receipt for a printer profile.
pub fn render(doc: &ReceiptDoc, profile: &Profile) -> Vec<u8> {
    let traditional = match profile.chinese {
        ChineseMode::Big5 => true,
        ChineseMode::Gb18030 => false,
        ChineseMode::Raster => ChineseMode::for_text(&doc_text(doc)) == ChineseMode::Big5,
    };
    let mut out = Out {
        profile,
        bytes: Vec::with_capacity(2048),
        align: Align::Left,
        size: Size::Normal,
        code_page: CodePage::from_number_or_437(profile.code_page),
        glyphs: None,
        traditional,
    };
    out.bytes.extend_from_slice(&INIT);
    out.bytes.extend_from_slice(&[ESC, b't', out.code_page.number()]);
    if profile.chinese != ChineseMode::Raster {
        // Kanji spacing 0 (a CJK glyph is exactly two columns) and out of Chinese mode, which
        // some printers enter at power-on.
        out.bytes.extend_from_slice(&[FS, b'S', 0, 0]);
        out.bytes.extend_from_slice(&KANJI_OFF);
    }
    out.bytes
        .extend_from_slice(&[ESC, b'3', profile.feed_units(LINE_PITCH)]);
    if let Some(logo) = &profile.logo {
        out.set_align(Align::Center);
        let logo = logo.clone();
        out.raster(&logo, 0, logo.width().div_ceil(8));
        out.feed_dots(CELL_H / 2);
    }
    let cols = profile.columns();
    for line in &doc.lines {
        match line {
            Line::Blank => {
                out.set_size(Size::Normal);
                out.bytes.push(LF);
            }
            Line::Qr { data } => out.qr(data),
            Line::Barcode { data } => out.barcode(data),
            Line::Signature { signature } => {
                out.set_size(Size::Normal);
                out.set_align(Align::Center);
                let image = signature_image(signature, profile.dots() * 3 / 4, 160);
                out.raster(&image, 0, image.width().div_ceil(8));
                out.bytes.push(LF);
            }
            Line::Cut => {
                out.set_size(Size::Normal);
                out.set_align(Align::Left);
                out.bytes.extend_from_slice(&CUT);
            }
            other => {
                for l in text_lines(other, cols) {
                    out.line(&l);
                }
            }
        }
    }
    out.set_size(Size::Normal);
    out.set_align(Align::Left);
    out.bytes
}

/// A signature's strokes drawn into an image at most `max_w` x `max_h` dots, keeping its
/// aspect, with lines two dots wide so they survive thermal printing.
pub fn signature_image(signature: &till_domain::Signature, max_w: usize, max_h: usize) -> Bitmap {
    let (sw, sh) = (f64::from(signature.width.max(1)), f64::from(signature.height.max(1)));
    let scale = (max_w as f64 / sw).min(max_h as f64 / sh);
    let (w, h) = (((sw * scale) as usize).max(8), ((sh * scale) as usize).max(2));
    let mut image = Bitmap::new(w.div_ceil(8) * 8, h);
    let mut dot = |x: f64, y: f64| {
        let (x, y) = (x.round().max(0.0) as usize, y.round().max(0.0) as usize);
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            image.set((x + dx).min(w - 1), (y + dy).min(h - 1), true);
        }
    };
    for stroke in &signature.strokes {
        for pair in stroke.windows(2) {
            let (x0, y0) = (f64::from(pair[0][0]) * scale, f64::from(pair[0][1]) * scale);
            let (x1, y1) = (f64::from(pair[1][0]) * scale, f64::from(pair[1][1]) * scale);
            let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as usize;
            for i in 0..=steps {
                let t = i as f64 / steps as f64;
                dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            }
        }
    }
    image
}

/// A test page: the profile, every way text goes out, a QR code and a barcode.
pub fn test_page(profile: &Profile, detail: &[(String, String)]) -> ReceiptDoc {
    use till_domain::receipt::Text;
    let mut lines = vec![
        Line::Center {
            text: Text::raw("OpenTill"),
            big: true,
        },
        Line::Center {
            text: Text::raw("PRINTER TEST 打印測試"),
            big: false,
        },
        Line::Rule,
    ];
    for (k, v) in detail {
        lines.push(Line::Pair {
            label: Text::raw(k.clone()),
            value: v.clone(),
        });
    }
    lines.extend([
        Line::Rule,
        Line::Left {
            text: Text::raw("ASCII !\"#$%&'()*+,-./0123456789:;<=>?@"),
        },
        Line::Left {
            text: Text::raw("ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`{|}~"),
        },
        Line::Left {
            text: Text::raw("Café crème, £5, ¥500, €7"),
        },
        Line::Pair {
            label: Text::raw("繁體 總額"),
            value: "HKD 1,234.50".into(),
        },
        Line::Pair {
            label: Text::raw("简体 总额"),
            value: "CNY 88.00".into(),
        },
        Line::Total {
            label: Text::raw("TOTAL 合計"),
            value: "HKD 1,234.50".into(),
        },
        Line::Rule,
        Line::Qr {
            data: "https://example.invalid/r/000001".into(),
        },
        Line::Barcode { data: "000001".into() },
        Line::Center {
            text: Text::raw(format!("{} {}", profile.paper.name(), profile.columns())),
            big: false,
        },
        Line::Cut,
    ]);
    ReceiptDoc { lines }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Paper;
    use till_domain::receipt::Text;

    #[test]
    fn chinese_runs_are_framed_and_latin_accents_use_the_code_page() -> Result<(), String> {
        let cp = CodePage::from_number(CodePage::WPC1252).ok_or("no page")?;
        let bytes = encode_text("TOTAL 總額", Some(DoubleByte::Big5), cp).ok_or("encodes")?;
        assert_eq!(bytes, b"TOTAL \x1c&\xc1\x60\xc3\x42\x1c.".to_vec());
        let bytes = encode_text("日期/時間 Café", Some(DoubleByte::Big5), cp).ok_or("encodes")?;
        assert!(
            bytes.starts_with(b"\x1c&") && bytes.ends_with(b"\x1c. Caf\xe9"),
            "one run over the slash, left before the code-page character: {bytes:x?}"
        );
        assert_eq!(encode_text("们", Some(DoubleByte::Big5), cp), None);
        assert_eq!(
            encode_text("總", None, cp),
            None,
            "raster profiles print no Chinese text"
        );
        Ok(())
    }

    #[test]
    fn amounts_are_placed_at_their_column_in_dots() {
        let doc = ReceiptDoc {
            lines: vec![Line::Pair {
                label: Text::raw("TOTAL 總額"),
                value: "HKD 43.50".into(),
            }],
        };
        let bytes = render(&doc, &Profile::new(Paper::Mm80, ChineseMode::Big5));
        // 48 - 9 = column 39 = 468 dots = 0x01D4.
        let at = bytes.windows(4).position(|w| w == [ESC, b'$', 0xD4, 0x01]);
        assert!(at.is_some(), "{bytes:x?}");
        assert!(bytes.ends_with(b"HKD 43.50\n"), "{bytes:x?}");
    }

    #[test]
    fn a_line_the_encoding_lacks_is_sent_as_an_image() {
        let doc = ReceiptDoc {
            lines: vec![Line::Left {
                text: Text::raw("谢谢惠顾"),
            }],
        };
        let bytes = render(&doc, &Profile::new(Paper::Mm58, ChineseMode::Big5));
        let glyphs = Glyphs::system(true);
        if glyphs.covers('谢') {
            assert!(
                bytes.windows(4).any(|w| w == [GS, b'v', b'0', 0]),
                "an image: {bytes:x?}"
            );
        } else {
            assert!(bytes.windows(8).any(|w| w == b"????????"), "columns kept: {bytes:x?}");
        }
    }
}

//! The virtual printer's engine: an ESC/POS interpreter that draws what a 203 dpi thermal
//! printer would print, page by page (a cut ends a page), and writes the same page as text.
//!
//! It is a streaming parser: bytes may arrive in any pieces (a serial line, a socket), a command
//! split across pieces waits for the rest, and status queries (DLE EOT, GS r) are answered at
//! command boundaries. It reads what OpenTill emits and the common commands of other software
//! (ESCPOS.md §9 lists the parameter lengths it follows so it never loses its place): text
//! styles, alignment, code pages, Chinese mode, raster and column images, stored graphics,
//! QR, barcodes, cuts, feeds. Unknown commands are skipped and noted.

use std::sync::Arc;
use till_domain::receipt::display_width;

use crate::bitmap::Bitmap;
use crate::code128;
use crate::codepage::{CodePage, DoubleByte};
use crate::font::Glyphs;
use crate::render::qr_image;

/// What the emulated printer is: its paper, its Chinese firmware, its fonts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Printable width in dots (384 for 58 mm, 576 for 80 mm).
    pub dots: usize,
    /// The encoding of Chinese mode (FS &).
    pub double_byte: DoubleByte,
    /// Vertical motion unit: half a dot (Epson) or a whole one (clones).
    pub half_dot_feed: bool,
    pub glyphs: Arc<Glyphs>,
}

impl Settings {
    pub fn new(dots: usize, double_byte: DoubleByte) -> Settings {
        Settings {
            dots,
            double_byte,
            half_dot_feed: false,
            glyphs: Glyphs::system(double_byte.traditional()),
        }
    }
}

/// One printed page: everything up to a cut (or the end of the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub image: Bitmap,
    /// The page as monospace text (font A columns); images show as `[image W×H]`, QR codes
    /// as `[QR data]`, barcodes as `|||| digits ||||`.
    pub text: String,
    /// Whether the page ended with a cut.
    pub cut: bool,
}

impl Page {
    /// The page as it looks on paper, with the unprinted margins of a roll (2 mm at the sides,
    /// 3 mm above and below): what a preview or a picture shows.
    pub fn on_paper(&self) -> Bitmap {
        self.image.with_margin(16, 24)
    }
}

/// The printer's sensors, as DLE EOT reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sensors {
    pub paper_out: bool,
    pub cover_open: bool,
}

impl Sensors {
    fn offline(self) -> bool {
        self.paper_out || self.cover_open
    }
}

const DEFAULT_SPACING: usize = 34; // 1/6 inch at 203 dpi
const FONT_A: (usize, usize) = (12, 24);
const FONT_B: (usize, usize) = (9, 17);
const KANJI: (usize, usize) = (24, 24);
const MAX_NOTES: usize = 50;
/// A page longer than this (2.5 m of paper) is ended: garbage full of feeds must not grow an
/// image without bound.
const MAX_PAGE_DOTS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone)]
struct Style {
    font_b: bool,
    bold: bool,
    underline: u8,
    /// ESC ! double width / height.
    dw: bool,
    dh: bool,
    /// GS ! multipliers.
    mw: usize,
    mh: usize,
    reverse: bool,
    right_spacing: usize,
    kanji: bool,
    kanji_dw: bool,
    kanji_dh: bool,
    kanji_underline: u8,
    align: Align,
    spacing: usize,
    code_page: CodePage,
    left_margin: usize,
    area_width: Option<usize>,
    tabs: Vec<usize>,
    barcode_height: usize,
    barcode_module: usize,
    hri: u8,
    hri_font_b: bool,
    qr_module: usize,
    qr_ecc: qrcode::EcLevel,
}

impl Style {
    fn power_on() -> Style {
        Style {
            font_b: false,
            bold: false,
            underline: 0,
            dw: false,
            dh: false,
            mw: 1,
            mh: 1,
            reverse: false,
            right_spacing: 0,
            kanji: false,
            kanji_dw: false,
            kanji_dh: false,
            kanji_underline: 0,
            align: Align::Left,
            spacing: DEFAULT_SPACING,
            code_page: CodePage::pc437(),
            left_margin: 0,
            area_width: None,
            tabs: (1..=32).map(|i| i * 8).collect(),
            barcode_height: 162,
            barcode_module: 3,
            hri: 0,
            hri_font_b: false,
            qr_module: 3,
            qr_ecc: qrcode::EcLevel::L,
        }
    }
}

/// Something placed on the current line.
#[derive(Debug, Clone)]
struct Item {
    x: usize,
    image: Arc<Bitmap>,
    text: String,
}

/// The interpreter. Feed it bytes; take its pages and its answers.
#[derive(Debug)]
pub struct Interpreter {
    settings: Settings,
    pending: Vec<u8>,
    held: Vec<u8>,
    style: Style,
    page: Bitmap,
    y: usize,
    text: Vec<String>,
    line: Vec<Item>,
    x: usize,
    line_align: Option<Align>,
    qr_data: Vec<u8>,
    graphic: Option<(Bitmap, usize, usize)>,
    pages: Vec<Page>,
    replies: Vec<u8>,
    sensors: Sensors,
    drawer_kicks: u32,
    notes: Vec<String>,
}

impl Interpreter {
    pub fn new(settings: Settings) -> Interpreter {
        let width = settings.dots;
        Interpreter {
            settings,
            pending: Vec::new(),
            held: Vec::new(),
            style: Style::power_on(),
            page: Bitmap::new(width, 0),
            y: 0,
            text: Vec::new(),
            line: Vec::new(),
            x: 0,
            line_align: None,
            qr_data: Vec::new(),
            graphic: None,
            pages: Vec::new(),
            replies: Vec::new(),
            sensors: Sensors::default(),
            drawer_kicks: 0,
            notes: Vec::new(),
        }
    }

    /// Interprets `bytes` (after whatever came before) and returns the printer's answers to
    /// status queries among them. While the printer is offline (paper out, cover open) it
    /// answers DLE EOT and holds everything else until it is back online.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.sensors.offline() {
            self.hold(bytes);
        } else {
            self.pending.extend_from_slice(bytes);
            self.run();
        }
        std::mem::take(&mut self.replies)
    }

    fn hold(&mut self, bytes: &[u8]) {
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(bytes);
        let mut i = 0;
        let mut keep = Vec::with_capacity(all.len());
        while i < all.len() {
            if all[i] == 0x10 && all.get(i + 1) == Some(&0x04) {
                match all.get(i + 2) {
                    Some(n) => {
                        self.status_reply(*n);
                        i += 3;
                        continue;
                    }
                    None => {
                        keep.extend_from_slice(&all[i..]);
                        break;
                    }
                }
            }
            keep.push(all[i]);
            i += 1;
        }
        self.held = keep;
    }

    /// Changes the sensors; back online, held data is printed.
    pub fn set_sensors(&mut self, sensors: Sensors) -> Vec<u8> {
        self.sensors = sensors;
        if !sensors.offline() && !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            return self.feed(&held);
        }
        Vec::new()
    }

    pub fn sensors(&self) -> Sensors {
        self.sensors
    }

    pub fn drawer_kicks(&self) -> u32 {
        self.drawer_kicks
    }

    /// Commands skipped or not understood, for diagnostics (the first 50).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Pages completed (cut) so far, taken out of the interpreter.
    pub fn take_pages(&mut self) -> Vec<Page> {
        std::mem::take(&mut self.pages)
    }

    /// Ends the stream: whatever is on the current page becomes a page (without a cut).
    pub fn finish(&mut self) -> Vec<Page> {
        if !self.line.is_empty() {
            self.print_line(None);
        }
        if self.y > 0 {
            self.end_page(false);
        }
        self.take_pages()
    }

    fn note(&mut self, what: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(what);
        }
    }

    fn units(&self, n: usize) -> usize {
        if self.settings.half_dot_feed { n / 2 } else { n }
    }

    fn run(&mut self) {
        let buf = std::mem::take(&mut self.pending);
        let mut at = 0;
        while at < buf.len() {
            if self.sensors.offline() {
                let rest = buf[at..].to_vec();
                self.hold(&rest);
                return;
            }
            match self.step(&buf[at..]) {
                Some(n) => at += n.max(1),
                None => break,
            }
        }
        self.pending = buf[at..].to_vec();
    }

    /// Executes the command or character at the start of `b`; the bytes it took, or `None`
    /// when `b` ends in the middle of it.
    fn step(&mut self, b: &[u8]) -> Option<usize> {
        let c = b[0];
        match c {
            0x0a => {
                self.print_line(None);
                Some(1)
            }
            0x0c => {
                self.print_line(None);
                Some(1)
            }
            0x09 => {
                self.tab();
                Some(1)
            }
            0x10 => self.dle(b),
            0x1b => self.esc(b),
            0x1d => self.gs(b),
            0x1c => self.fs(b),
            0x00..=0x1f | 0x7f => Some(1),
            _ => self.character(b),
        }
    }

    // ---- text ---------------------------------------------------------------------------

    fn character(&mut self, b: &[u8]) -> Option<usize> {
        let c = b[0];
        if self.style.kanji && c >= 0x81 {
            let t = *b.get(1)?;
            let db = self.settings.double_byte;
            if db.is_trail(t) {
                let ch = db.decode(c, t).unwrap_or('?');
                self.place_char(ch, true);
                return Some(2);
            }
            // A GB18030 four-byte sequence, or junk: the lead prints as a blank cell.
            self.place_char(' ', true);
            return Some(1);
        }
        let ch = self.style.code_page.decode(c).unwrap_or('?');
        self.place_char(ch, false);
        Some(1)
    }

    fn place_char(&mut self, ch: char, kanji: bool) {
        let s = &self.style;
        let (cw, chh) = if kanji {
            KANJI
        } else if s.font_b {
            FONT_B
        } else {
            FONT_A
        };
        let mw = s.mw * if s.dw || (kanji && s.kanji_dw) { 2 } else { 1 };
        let mh = s.mh * if s.dh || (kanji && s.kanji_dh) { 2 } else { 1 };
        let underline = if kanji {
            s.kanji_underline.max(s.underline)
        } else {
            s.underline
        };
        let (bold, reverse, spacing) = (s.bold, s.reverse, s.right_spacing * mw);
        let glyph = self.settings.glyphs.glyph(ch, cw, chh);
        let mut image = glyph.scaled(mw, mh);
        if bold {
            image = image.emboldened();
        }
        let (w, h) = (image.width() + spacing, image.height());
        let mut cell = Bitmap::new(w, h);
        cell.draw(&image, 0, 0);
        if underline > 0 {
            cell.fill(0, h.saturating_sub(usize::from(underline)), w, usize::from(underline));
        }
        if reverse {
            let mut inv = Bitmap::new(w, h);
            for yy in 0..h {
                for xx in 0..w {
                    inv.set(xx, yy, !cell.get(xx, yy));
                }
            }
            cell = inv;
        }
        if self.x + w > self.area_width() && !self.line.is_empty() {
            self.print_line(None);
        }
        self.push_item(cell, ch.to_string());
    }

    fn push_item(&mut self, image: Bitmap, text: String) {
        if self.line.is_empty() && self.line_align.is_none() {
            self.line_align = Some(self.style.align);
        }
        let w = image.width();
        self.line.push(Item {
            x: self.x,
            image: Arc::new(image),
            text,
        });
        self.x += w;
    }

    fn tab(&mut self) {
        let unit = FONT_A.0 * self.style.mw * if self.style.dw { 2 } else { 1 };
        let col = self.x / unit.max(1);
        if let Some(next) = self.style.tabs.iter().find(|t| **t > col) {
            let x = next * unit;
            if x < self.area_width() {
                self.x = x;
            }
        }
    }

    fn area_width(&self) -> usize {
        let full = self.settings.dots.saturating_sub(self.style.left_margin);
        self.style.area_width.map_or(full, |w| w.min(full)).max(1)
    }

    /// Prints the current line (aligned), then feeds `advance` dots, or the line spacing (at
    /// least the line's height) when `None`.
    fn print_line(&mut self, advance: Option<usize>) {
        let height = self.line.iter().map(|i| i.image.height()).max().unwrap_or(0);
        let content = self.line.iter().map(|i| i.x + i.image.width()).max().unwrap_or(0);
        let align = self.line_align.unwrap_or(self.style.align);
        let offset = self.style.left_margin + self.offset_for(align, content);
        self.page.grow_to(self.y + height);
        for item in &self.line {
            let top = self.y + height - item.image.height();
            self.page.draw(&item.image, offset + item.x, top);
        }
        let mut text = String::new();
        let mut end_x = 0;
        for item in &self.line {
            let abs = offset + item.x;
            let col = abs / FONT_A.0;
            if (item.x > end_x || text.is_empty()) && col > display_width(&text) {
                text.push_str(&" ".repeat(col - display_width(&text)));
            }
            text.push_str(&item.text);
            end_x = item.x + item.image.width();
        }
        self.text.push(text.trim_end().to_owned());
        let step = advance.unwrap_or_else(|| self.style.spacing.max(height));
        self.y += step;
        self.page.grow_to(self.y);
        self.line.clear();
        self.x = 0;
        self.line_align = None;
        self.limit_page();
    }

    fn limit_page(&mut self) {
        if self.y > MAX_PAGE_DOTS {
            self.note(format!("a page longer than {MAX_PAGE_DOTS} dots was ended"));
            self.end_page(false);
        }
    }

    fn offset_for(&self, align: Align, width: usize) -> usize {
        let area = self.area_width();
        match align {
            Align::Left => 0,
            Align::Center => area.saturating_sub(width) / 2,
            Align::Right => area.saturating_sub(width),
        }
    }

    /// Prints an image on its own (start of line), at the current alignment.
    fn print_image(&mut self, image: &Bitmap, text: String) {
        if !self.line.is_empty() {
            self.print_line(None);
        }
        let offset = self.style.left_margin + self.offset_for(self.style.align, image.width());
        self.page.grow_to(self.y + image.height());
        self.page.draw(image, offset, self.y);
        self.y += image.height();
        self.limit_page();
        let centre_col = (offset + image.width() / 2) / FONT_A.0;
        let col = centre_col.saturating_sub(display_width(&text) / 2);
        let line = format!("{}{text}", " ".repeat(col));
        self.text.push(line.trim_end().to_owned());
    }

    fn feed_paper(&mut self, dots: usize) {
        if !self.line.is_empty() {
            self.print_line(Some(dots));
        } else {
            self.y += dots;
            self.page.grow_to(self.y);
            if dots >= FONT_A.1 {
                self.text.push(String::new());
            }
            self.limit_page();
        }
    }

    fn end_page(&mut self, cut: bool) {
        if !self.line.is_empty() {
            self.print_line(None);
        }
        let mut image = std::mem::replace(&mut self.page, Bitmap::new(self.settings.dots, 0));
        image.truncate(self.y);
        let mut lines = std::mem::take(&mut self.text);
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let mut text = lines.join("\n");
        text.push('\n');
        self.pages.push(Page { image, text, cut });
        self.y = 0;
    }

    fn reset(&mut self) {
        self.style = Style::power_on();
        self.graphic = None;
        self.qr_data.clear();
    }

    // ---- ESC --------------------------------------------------------------------------

    fn esc(&mut self, b: &[u8]) -> Option<usize> {
        let op = *b.get(1)?;
        let p = |i: usize| b.get(i).copied();
        match op {
            b'@' => {
                // Clears the print buffer too: a half-built line is dropped.
                self.line.clear();
                self.x = 0;
                self.line_align = None;
                self.reset();
                Some(2)
            }
            b'!' => {
                let n = p(2)?;
                let s = &mut self.style;
                s.font_b = n & 0x01 != 0;
                s.bold = n & 0x08 != 0;
                s.dh = n & 0x10 != 0;
                s.dw = n & 0x20 != 0;
                s.underline = if n & 0x80 != 0 { 1 } else { 0 };
                Some(3)
            }
            b'E' | b'G' => {
                self.style.bold = p(2)? & 1 != 0;
                Some(3)
            }
            b'-' => {
                self.style.underline = match p(2)? {
                    1 | b'1' => 1,
                    2 | b'2' => 2,
                    _ => 0,
                };
                Some(3)
            }
            b'M' => {
                self.style.font_b = matches!(p(2)?, 1 | b'1' | 98);
                Some(3)
            }
            b'a' => {
                self.style.align = match p(2)? {
                    1 | b'1' => Align::Center,
                    2 | b'2' => Align::Right,
                    _ => Align::Left,
                };
                Some(3)
            }
            b't' => {
                let n = p(2)?;
                if CodePage::from_number(n).is_none() {
                    self.note(format!("ESC t {n}: no table for this code page, PC437 used"));
                }
                self.style.code_page = CodePage::from_number_or_437(n);
                Some(3)
            }
            b'3' => {
                self.style.spacing = self.units(usize::from(p(2)?));
                Some(3)
            }
            b'2' => {
                self.style.spacing = DEFAULT_SPACING;
                Some(2)
            }
            b'J' => {
                let n = self.units(usize::from(p(2)?));
                self.feed_paper(n);
                Some(3)
            }
            b'd' => {
                let n = usize::from(p(2)?);
                let mut lines = n;
                if !self.line.is_empty() {
                    self.print_line(None);
                    lines = lines.saturating_sub(1);
                }
                for _ in 0..lines {
                    self.print_line(None);
                }
                Some(3)
            }
            b' ' => {
                self.style.right_spacing = usize::from(p(2)?);
                Some(3)
            }
            b'$' => {
                let pos = usize::from(u16::from_le_bytes([p(2)?, p(3)?]));
                if pos < self.area_width() {
                    self.x = pos;
                }
                Some(4)
            }
            b'\\' => {
                let rel = i16::from_le_bytes([p(2)?, p(3)?]);
                let x = i64::try_from(self.x).unwrap_or(0) + i64::from(rel);
                if let Ok(x) = usize::try_from(x)
                    && x < self.area_width()
                {
                    self.x = x;
                }
                Some(4)
            }
            b'D' => {
                // Up to NUL, or a value not above the previous one (the rest is data).
                let mut tabs = Vec::new();
                let mut i = 2;
                loop {
                    let v = p(i)?;
                    if v == 0 {
                        i += 1;
                        break;
                    }
                    if tabs.last().is_some_and(|l| usize::from(v) <= *l) || tabs.len() == 32 {
                        break;
                    }
                    tabs.push(usize::from(v));
                    i += 1;
                }
                self.style.tabs = tabs;
                Some(i)
            }
            b'*' => self.bit_image(b),
            b'p' => {
                p(4)?;
                self.drawer_kicks += 1;
                Some(5)
            }
            b'i' | b'm' => {
                self.end_page(true);
                Some(2)
            }
            b'c' => {
                p(3)?;
                Some(4)
            }
            b'W' => {
                p(9)?;
                Some(10)
            }
            b'B' => {
                p(3)?;
                Some(4)
            }
            b'&' => {
                // ESC & y c1 c2 [x d1..d(y*x)]…: user-defined characters, skipped.
                let y = usize::from(p(2)?);
                let (c1, c2) = (p(3)?, p(4)?);
                let mut i = 5;
                for _ in c1..=c2 {
                    let x = usize::from(p(i)?);
                    i += 1 + y * x;
                }
                (b.len() >= i).then_some(i)
            }
            b'<' | b'L' | b'S' | b'v' | 0x0c => Some(2),
            b'%' | b'=' | b'?' | b'K' | b'R' | b'T' | b'U' | b'V' | b'e' | b'r' | b'u' | b'{' | b'4' => {
                p(2)?;
                Some(3)
            }
            other => {
                p(2)?;
                self.note(format!("ESC {other:#04x}: unknown, one parameter skipped"));
                Some(3)
            }
        }
    }

    /// ESC * m nL nH d…: a column-format image placed on the current line.
    fn bit_image(&mut self, b: &[u8]) -> Option<usize> {
        let m = *b.get(2)?;
        let n = usize::from(u16::from_le_bytes([*b.get(3)?, *b.get(4)?]));
        let (bytes_per_col, dot_w, dot_h) = match m {
            0 => (1, 2, 3),
            1 => (1, 1, 3),
            32 => (3, 2, 1),
            33 => (3, 1, 1),
            _ => (1, 1, 1),
        };
        let len = n * bytes_per_col;
        let data = b.get(5..5 + len)?;
        let mut image = Bitmap::new(n * dot_w, bytes_per_col * 8 * dot_h);
        for col in 0..n {
            for (k, byte) in data[col * bytes_per_col..(col + 1) * bytes_per_col].iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        image.fill(col * dot_w, (k * 8 + bit) * dot_h, dot_w, dot_h);
                    }
                }
            }
        }
        self.push_item(image, String::new());
        Some(5 + len)
    }

    // ---- GS ---------------------------------------------------------------------------

    fn gs(&mut self, b: &[u8]) -> Option<usize> {
        let op = *b.get(1)?;
        let p = |i: usize| b.get(i).copied();
        match op {
            b'!' => {
                let n = p(2)?;
                self.style.mw = usize::from((n >> 4) & 7) + 1;
                self.style.mh = usize::from(n & 7) + 1;
                Some(3)
            }
            b'B' => {
                self.style.reverse = p(2)? & 1 != 0;
                Some(3)
            }
            b'H' => {
                self.style.hri = p(2)? % 48;
                Some(3)
            }
            b'f' => {
                self.style.hri_font_b = matches!(p(2)?, 1 | b'1');
                Some(3)
            }
            b'h' => {
                self.style.barcode_height = usize::from(p(2)?).max(1);
                Some(3)
            }
            b'w' => {
                self.style.barcode_module = usize::from(p(2)?).clamp(1, 6);
                Some(3)
            }
            b'r' => {
                let n = p(2)?;
                match n {
                    1 | b'1' => self.replies.push(if self.sensors.paper_out { 0x0c } else { 0x00 }),
                    2 | b'2' => self.replies.push(0x00),
                    _ => {}
                }
                Some(3)
            }
            b'E' | b'I' | b'T' | b'a' | b'b' | b'/' => {
                p(2)?;
                Some(3)
            }
            b'L' => {
                self.style.left_margin = usize::from(u16::from_le_bytes([p(2)?, p(3)?]));
                Some(4)
            }
            b'W' => {
                self.style.area_width = Some(usize::from(u16::from_le_bytes([p(2)?, p(3)?])));
                Some(4)
            }
            b'$' | b'P' | b'\\' => {
                p(3)?;
                Some(4)
            }
            b'V' => {
                let m = p(2)?;
                if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) {
                    let n = self.units(usize::from(p(3)?));
                    self.feed_paper(n);
                    self.end_page(true);
                    Some(4)
                } else {
                    self.end_page(true);
                    Some(3)
                }
            }
            b'v' => {
                if p(2)? != b'0' {
                    self.note("GS v: only GS v 0 is known".into());
                    return Some(2);
                }
                let m = p(3)?;
                let x = usize::from(u16::from_le_bytes([p(4)?, p(5)?]));
                let y = usize::from(u16::from_le_bytes([p(6)?, p(7)?]));
                let data = b.get(8..8 + x * y)?;
                let image = Bitmap::from_packed_rows(data, x, x * 8, y);
                let (sx, sy) = match m % 48 {
                    1 => (2, 1),
                    2 => (1, 2),
                    3 => (2, 2),
                    _ => (1, 1),
                };
                let image = image.scaled(sx, sy);
                let label = format!("[image {}x{}]", image.width(), image.height());
                self.print_image(&image, label);
                Some(8 + x * y)
            }
            b'k' => self.barcode(b),
            b'(' => {
                let fn_code = p(2)?;
                let len = usize::from(u16::from_le_bytes([p(3)?, p(4)?]));
                let body = b.get(5..5 + len)?;
                match fn_code {
                    b'k' => self.qr(body),
                    b'L' => self.graphics(body),
                    other => self.note(format!("GS ( {}: skipped", other as char)),
                }
                Some(5 + len)
            }
            b'8' => {
                let fn_code = p(2)?;
                let len = usize::try_from(u32::from_le_bytes([p(3)?, p(4)?, p(5)?, p(6)?])).ok()?;
                let body = b.get(7..7 + len)?;
                if fn_code == b'L' {
                    self.graphics(body);
                }
                Some(7 + len)
            }
            b'*' => {
                let (x, y) = (usize::from(p(2)?), usize::from(p(3)?));
                let len = x * y * 8;
                b.get(4..4 + len)?;
                Some(4 + len)
            }
            other => {
                self.note(format!("GS {other:#04x}: unknown, skipped"));
                Some(2)
            }
        }
    }

    /// GS ( L / GS 8 L: store raster graphics (fn 112) and print them (fn 50).
    fn graphics(&mut self, body: &[u8]) {
        match body {
            [_, 50, ..] | [_, 2, ..] => {
                if let Some((image, bx, by)) = self.graphic.clone() {
                    let scaled = image.scaled(bx, by);
                    let label = format!("[image {}x{}]", scaled.width(), scaled.height());
                    self.print_image(&scaled, label);
                }
            }
            [_, 112, a, bx, by, c, xl, xh, yl, yh, data @ ..] => {
                let x = usize::from(u16::from_le_bytes([*xl, *xh]));
                let y = usize::from(u16::from_le_bytes([*yl, *yh]));
                if *a != 48 {
                    self.note("GS ( L fn 112: multi-tone graphics drawn as monochrome".into());
                }
                // Only the first colour plane prints on a one-colour printer.
                if data.len() < x.div_ceil(8) * y {
                    self.note(format!("GS ( L fn 112: {x}x{y} dots but {} bytes", data.len()));
                } else if *c == 49 || self.graphic.is_none() {
                    let image = Bitmap::from_packed_rows(data, x.div_ceil(8), x, y);
                    let scale = |v: u8| if v == 2 { 2 } else { 1 };
                    self.graphic = Some((image, scale(*bx), scale(*by)));
                }
            }
            [_, f, ..] => {
                let f = *f;
                self.note(format!("GS ( L fn {f}: skipped"));
            }
            _ => {}
        }
    }

    /// GS ( k with cn 49: QR code model, size, error correction, store, print.
    fn qr(&mut self, body: &[u8]) {
        match body {
            [49, 67, n, ..] => self.style.qr_module = usize::from(*n).clamp(1, 16),
            [49, 69, n, ..] => {
                self.style.qr_ecc = match n {
                    49 => qrcode::EcLevel::M,
                    50 => qrcode::EcLevel::Q,
                    51 => qrcode::EcLevel::H,
                    _ => qrcode::EcLevel::L,
                }
            }
            [49, 80, _, data @ ..] => self.qr_data = data.to_vec(),
            [49, 81, ..] => {
                let data = self.qr_data.clone();
                match qrcode::QrCode::with_error_correction_level(&data, self.style.qr_ecc) {
                    Ok(code) => {
                        // The printer draws no quiet zone: crop the one qr_image adds.
                        let m = self.style.qr_module;
                        let full = qr_image(&code, m);
                        let side = code.width() * m;
                        let image = full.crop(4 * m, 4 * m, side, side);
                        let label = format!("[QR {}]", String::from_utf8_lossy(&data));
                        self.print_image(&image, label);
                    }
                    Err(e) => self.note(format!("QR not printable: {e}")),
                }
            }
            [49, 65, ..] | [49, 82, ..] => {}
            [cn, ..] => {
                let cn = *cn;
                self.note(format!("GS ( k cn {cn}: 2D code not drawn"));
            }
            [] => {}
        }
    }

    /// GS k: a barcode. CODE128 is drawn bar for bar; other symbologies as a box.
    fn barcode(&mut self, b: &[u8]) -> Option<usize> {
        let m = *b.get(2)?;
        let (data, used) = if m < 65 {
            let end = b[3..].iter().position(|x| *x == 0)?;
            (b[3..3 + end].to_vec(), 3 + end + 1)
        } else {
            let n = usize::from(*b.get(3)?);
            (b.get(4..4 + n)?.to_vec(), 4 + n)
        };
        let names = [
            "UPC-A", "UPC-E", "EAN13", "EAN8", "CODE39", "ITF", "CODABAR", "CODE93", "CODE128",
        ];
        let kind = usize::from(if m >= 65 { m - 65 } else { m });
        let name = names.get(kind).copied().unwrap_or("barcode");
        let module = self.style.barcode_module;
        let height = self.style.barcode_height;
        let (bars, hri) = if m == 73 {
            match code128::symbols(&data) {
                Some((values, hri)) => (Some(code128::modules(&values)), hri),
                None => {
                    self.note("GS k CODE128: bad data, not printed".into());
                    return Some(used);
                }
            }
        } else {
            (None, String::from_utf8_lossy(&data).into_owned())
        };
        let width = bars
            .as_ref()
            .map_or((data.len() * 11 + 35) * module, |b| b.len() * module);
        let mut image = Bitmap::new(width.min(self.settings.dots), height);
        match &bars {
            Some(bars) => {
                for (i, bar) in bars.iter().enumerate() {
                    if *bar {
                        image.fill(i * module, 0, module, height);
                    }
                }
            }
            None => {
                let w = image.width();
                image.fill(0, 0, w, 2);
                image.fill(0, height.saturating_sub(2), w, 2);
                image.fill(0, 0, 2, height);
                image.fill(w.saturating_sub(2), 0, 2, height);
            }
        }
        let hri_image = (self.style.hri != 0).then(|| self.text_image(&hri));
        if self.style.hri & 1 != 0
            && let Some(h) = &hri_image
        {
            self.print_image(h, String::new());
            self.text.pop();
        }
        let label = match &bars {
            Some(_) => format!("|||| {hri} ||||"),
            None => format!("[{name} {hri}]"),
        };
        self.print_image(&image, label);
        if self.style.hri & 2 != 0
            && let Some(h) = &hri_image
        {
            self.print_image(h, String::new());
            self.text.pop();
        }
        Some(used)
    }

    fn text_image(&self, text: &str) -> Bitmap {
        let (w, h) = if self.style.hri_font_b { FONT_B } else { FONT_A };
        let mut image = Bitmap::new(text.chars().count() * w, h);
        for (i, ch) in text.chars().enumerate() {
            image.draw(&self.settings.glyphs.glyph(ch, w, h), i * w, 0);
        }
        image
    }

    // ---- FS, DLE ----------------------------------------------------------------------

    fn fs(&mut self, b: &[u8]) -> Option<usize> {
        let op = *b.get(1)?;
        let p = |i: usize| b.get(i).copied();
        match op {
            b'&' => {
                self.style.kanji = true;
                Some(2)
            }
            b'.' => {
                self.style.kanji = false;
                Some(2)
            }
            b'!' => {
                let n = p(2)?;
                self.style.kanji_dw = n & 0x04 != 0;
                self.style.kanji_dh = n & 0x08 != 0;
                self.style.kanji_underline = if n & 0x80 != 0 { 1 } else { 0 };
                Some(3)
            }
            b'-' => {
                self.style.kanji_underline = match p(2)? {
                    1 | b'1' => 1,
                    2 | b'2' => 2,
                    _ => 0,
                };
                Some(3)
            }
            b'W' => {
                let on = p(2)? & 1 != 0;
                self.style.kanji_dw = on;
                self.style.kanji_dh = on;
                Some(3)
            }
            b'C' => {
                p(2)?;
                Some(3)
            }
            b'S' | b'?' | b'p' => {
                p(3)?;
                Some(4)
            }
            b'2' => {
                p(75)?;
                Some(76)
            }
            b'(' => {
                let len = usize::from(u16::from_le_bytes([p(3)?, p(4)?]));
                b.get(5..5 + len)?;
                Some(5 + len)
            }
            other => {
                self.note(format!("FS {other:#04x}: unknown, skipped"));
                Some(2)
            }
        }
    }

    fn dle(&mut self, b: &[u8]) -> Option<usize> {
        let op = *b.get(1)?;
        match op {
            0x04 => {
                let n = *b.get(2)?;
                if matches!(n, 7 | 8 | 18) {
                    b.get(3)?;
                    return Some(4);
                }
                self.status_reply(n);
                Some(3)
            }
            0x05 => {
                b.get(2)?;
                Some(3)
            }
            0x14 => {
                let f = *b.get(2)?;
                let len = if f == 8 { 10 } else { 5 };
                b.get(len - 1)?;
                Some(len)
            }
            _ => Some(2),
        }
    }

    /// DLE EOT n: one byte, `0xx1xx10` (ESCPOS.md §7).
    fn status_reply(&mut self, n: u8) {
        let s = self.sensors;
        let base = 0x12;
        let byte = match n {
            1 => base | if s.offline() { 0x08 } else { 0 },
            2 => base | if s.cover_open { 0x04 } else { 0 } | if s.paper_out { 0x20 } else { 0 },
            4 => base | if s.paper_out { 0x60 } else { 0 },
            _ => base,
        };
        self.replies.push(byte);
    }
}

/// Interprets a whole byte stream at once: every page, the last one even without a cut.
pub fn interpret(bytes: &[u8], settings: Settings) -> (Vec<Page>, Vec<String>) {
    let mut i = Interpreter::new(settings);
    i.feed(bytes);
    let pages = i.finish();
    (pages, i.notes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            dots: 576,
            double_byte: DoubleByte::Big5,
            half_dot_feed: false,
            glyphs: Arc::new(Glyphs::boxes()),
        }
    }

    #[test]
    fn text_positions_and_chinese_mode_make_the_text_page() {
        let mut bytes = b"\x1b@AB\x1b$\x30\x00C\n".to_vec(); // C at 48 dots = column 4
        bytes.extend_from_slice(b"\x1c&\xc1\x60\xc3\x42\x1c. X\n\x1dV\x00");
        let (pages, notes) = interpret(&bytes, settings());
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].text, "AB  C\n總額 X\n");
        assert!(pages[0].cut && notes.is_empty(), "{notes:?}");
        assert_eq!(pages[0].image.height(), 2 * DEFAULT_SPACING);
    }

    #[test]
    fn a_command_split_across_reads_waits_for_the_rest() {
        let mut i = Interpreter::new(settings());
        assert!(i.feed(b"\x10").is_empty());
        assert_eq!(i.feed(b"\x04"), Vec::<u8>::new());
        assert_eq!(i.feed(b"\x01"), vec![0x12], "online, nothing wrong");
        i.feed(b"\x1d\x76\x30\x00\x01\x00\x02");
        i.feed(b"\x00\xff");
        i.feed(b"\x80");
        let pages = i.finish();
        assert_eq!(pages[0].image.black_dots(), 9, "a 8x2 image: one full row, one dot");
    }

    #[test]
    fn offline_printers_answer_status_and_hold_the_job() {
        let mut i = Interpreter::new(settings());
        i.set_sensors(Sensors {
            paper_out: true,
            cover_open: false,
        });
        assert_eq!(i.feed(b"\x10\x04\x01"), vec![0x1a], "offline bit");
        assert_eq!(i.feed(b"\x10\x04\x04"), vec![0x72], "paper end bits");
        assert!(i.feed(b"HELLO\n\x1dr\x01").is_empty(), "GS r waits behind the held job");
        let replies = i.set_sensors(Sensors::default());
        assert_eq!(replies, vec![0x00], "paper present once back online");
        assert_eq!(i.finish()[0].text, "HELLO\n");
    }

    /// A deterministic byte soup: commands (ours and others'), text, Chinese, garbage.
    fn soup(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed;
        let mut next = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) as u8
        };
        let pieces: [&[u8]; 12] = [
            b"\x1b@",
            b"\x1ba\x01",
            b"\x1d!\x11",
            b"\x1c&\xc1\x60\x1c.",
            b"\x1dv0\x00\x02\x00\x03\x00\xff\x00\x81\x18\x42\x24",
            b"\x1dk\x49\x05{C\x00\x00\x01",
            b"\x1d(k\x06\x001P0abc\x1d(k\x03\x001Q0",
            b"\x1b*\x00\x02\x00\xff\x81",
            b"\x1dV\x42\x00",
            b"Hello 123\n",
            b"\x10\x04\x01",
            b"\x1dr\x01",
        ];
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            if next() % 3 == 0 {
                out.push(next());
            } else {
                out.extend_from_slice(pieces[usize::from(next()) % pieces.len()]);
            }
        }
        out
    }

    #[test]
    fn bytes_in_any_pieces_print_the_same_as_all_at_once() {
        for seed in 1..12u64 {
            let bytes = soup(seed, 2000);
            let mut whole = Interpreter::new(settings());
            let replies_whole = whole.feed(&bytes);
            let pages_whole = whole.finish();
            let mut pieces = Interpreter::new(settings());
            let mut replies = Vec::new();
            let mut at = 0;
            let mut size = (seed as usize % 7) + 1;
            while at < bytes.len() {
                let end = (at + size).min(bytes.len());
                replies.extend(pieces.feed(&bytes[at..end]));
                at = end;
                size = size % 13 + 1;
            }
            let pages = pieces.finish();
            assert_eq!(replies, replies_whole, "seed {seed}: the same answers");
            assert_eq!(pages, pages_whole, "seed {seed}: the same pages");
        }
    }

    #[test]
    fn garbage_claiming_huge_images_or_endless_feeds_stays_bounded() {
        // GS ( L announcing 65535 x 65535 dots with 10 bytes of data, then 1,275 line feeds
        // (43,350 dots at 1/6 inch).
        let mut bytes = b"\x1d(L\x14\x000p0\x01\x011\xff\xff\xff\xff0123456789".to_vec();
        for _ in 0..5 {
            bytes.extend_from_slice(b"\x1bd\xff");
        }
        let (pages, notes) = interpret(&bytes, settings());
        assert!(
            pages
                .iter()
                .all(|p| p.image.height() <= MAX_PAGE_DOTS + 255 * DEFAULT_SPACING)
        );
        assert!(pages.len() > 1, "long feeds end pages");
        assert!(notes.iter().any(|n| n.contains("65535x65535")), "{notes:?}");
    }

    #[test]
    fn unknown_commands_are_skipped_without_losing_the_text() {
        let (pages, notes) = interpret(b"\x1bZ\x05OK\x1d\x99HI\n", settings());
        assert_eq!(pages[0].text, "OKHI\n");
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}

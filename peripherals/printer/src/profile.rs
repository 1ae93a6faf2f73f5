//! What a printer can do, as far as the receipt bytes care: paper width, how it prints
//! Chinese, which code page, native QR, its vertical motion unit, and an optional logo.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::bitmap::Bitmap;
use crate::codepage::{CodePage, DoubleByte};

/// Paper width. Font A is 12 dots wide on both, so 384 dots give 32 columns and 576 give 48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Paper {
    #[serde(rename = "58mm")]
    Mm58,
    #[serde(rename = "80mm")]
    Mm80,
}

impl Paper {
    /// Printable dots across (203 dpi heads).
    pub fn dots(self) -> usize {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }

    /// Font A columns.
    pub fn columns(self) -> usize {
        self.dots() / CELL_W
    }

    /// The paper for a column count (32 → 58 mm, else 80 mm).
    pub fn for_columns(columns: usize) -> Paper {
        if columns <= 32 { Paper::Mm58 } else { Paper::Mm80 }
    }

    pub fn name(self) -> &'static str {
        match self {
            Paper::Mm58 => "58mm",
            Paper::Mm80 => "80mm",
        }
    }
}

/// Font A cell: 12 × 24 dots; a CJK glyph is two cells wide.
pub const CELL_W: usize = 12;
pub const CELL_H: usize = 24;
/// Line pitch in dots: a 24-dot line and a 6-dot gap.
pub const LINE_PITCH: usize = 30;

/// How the printer prints Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChineseMode {
    /// Chinese firmware, GB18030 (Simplified; its fonts have Traditional characters too).
    Gb18030,
    /// Chinese firmware, Big5 (Traditional).
    Big5,
    /// No Chinese firmware: lines with Chinese are sent as images drawn with a system font.
    Raster,
}

impl ChineseMode {
    /// The double-byte encoding of text mode (`None` for raster).
    pub fn double_byte(self) -> Option<DoubleByte> {
        match self {
            ChineseMode::Gb18030 => Some(DoubleByte::Gb18030),
            ChineseMode::Big5 => Some(DoubleByte::Big5),
            ChineseMode::Raster => None,
        }
    }

    /// The mode that prints every character of `text` in text mode, Big5 first (the
    /// Traditional font): what an "auto" virtual printer picks per receipt.
    pub fn for_text(text: &str) -> ChineseMode {
        let mut wide = text.chars().filter(|c| crate::render::is_wide(*c));
        if wide.all(|c| DoubleByte::Big5.encode(c).is_some()) {
            ChineseMode::Big5
        } else {
            ChineseMode::Gb18030
        }
    }
}

/// Everything the receipt bytes depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub paper: Paper,
    pub chinese: ChineseMode,
    /// ESC t number of the page one-column non-ASCII characters come from (WPC1252 = 16).
    pub code_page: u8,
    /// Whether the printer draws QR codes itself (GS ( k); otherwise they are sent as images.
    pub native_qr: bool,
    /// Epson's vertical motion unit is half a dot; most clones use a whole dot (ESCPOS.md §1).
    pub half_dot_feed: bool,
    /// Printed centred at the top of every receipt.
    pub logo: Option<Arc<Bitmap>>,
}

impl Profile {
    pub fn new(paper: Paper, chinese: ChineseMode) -> Profile {
        Profile {
            paper,
            chinese,
            code_page: CodePage::WPC1252,
            native_qr: true,
            half_dot_feed: false,
            logo: None,
        }
    }

    pub fn columns(&self) -> usize {
        self.paper.columns()
    }

    pub fn dots(&self) -> usize {
        self.paper.dots()
    }

    /// `dots` in the printer's vertical motion units (ESC 3, ESC J).
    pub fn feed_units(&self, dots: usize) -> u8 {
        let units = if self.half_dot_feed { dots * 2 } else { dots };
        u8::try_from(units).unwrap_or(u8::MAX)
    }
}

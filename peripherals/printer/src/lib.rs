//! Receipts on ESC/POS printers — Chinese done right — and a virtual printer that shows them.
//!
//! Design choices:
//! - **Bytes written here, not by a library.** The `escpos` crate has no CODE128 and no
//!   Chinese mode, and its image support pulls every codec; the commands a receipt needs are
//!   few, so [`render`] writes them itself (ESCPOS.md is the reference) and the tests pin them
//!   byte for byte.
//! - **Columns by display width, positions by the printer.** A document is laid out in font A
//!   columns (32 on 58 mm, 48 on 80 mm; a CJK character counts two, as
//!   `till_domain::receipt::render_text` counts it). Values are placed with ESC $ at a dot
//!   position and centred lines with ESC a, so an amount ends at the right edge even when the
//!   printer's Chinese glyphs are not exactly two columns wide.
//! - **Chinese in text mode when the printer can.** Two-column characters go out in Chinese
//!   mode (FS & … FS .) as GB18030 or Big5 per printer profile — the same bytes as the npm
//!   `receiptline` generator (tested against it); one-column ones (é, ¥) from the code page
//!   (WPC1252), never as double-byte glyphs that would push the columns. A line the printer
//!   cannot print as text (no Chinese firmware, or a character its encoding lacks) is drawn
//!   with a system CJK font and sent as a one-line GS v 0 image: text stays text, so a
//!   bilingual card receipt is ~1 KB in text mode and ~29 KB with the raster fallback.
//! - **One engine for preview and tests.** The virtual printer interprets ESC/POS (ours and
//!   other software's) into a page image and text; it is the demo till's printer, the app's
//!   preview, and — behind a pseudo-terminal or a socket — the device the driver is tested
//!   against, status answers included.
//! - **Status first, jobs confirmed.** The driver asks DLE EOT before printing (paper out and
//!   cover open are reported, not discovered as a lost receipt) and ends each job with GS r 1,
//!   so a cable pulled mid-receipt is an error, and the receipt can be printed again.

mod bitmap;
mod code128;
mod codepage;
#[rustfmt::skip]
mod codepage_tables;
mod config;
mod driver;
mod error;
mod font;
mod interpret;
mod profile;
mod render;
mod transport;
mod virtual_printer;

pub use bitmap::{Bitmap, Gray};
pub use codepage::{CodePage, DoubleByte};
pub use config::{ConnectionConfig, OpenPrinter, PrinterConfig, open_printer};
pub use driver::{EscPosPrinter, Timeouts};
pub use error::PrinterError;
pub use font::Glyphs;
pub use interpret::{Interpreter, Page, Sensors, Settings, interpret};
pub use profile::{CELL_H, CELL_W, ChineseMode, LINE_PITCH, Paper, Profile};
pub use render::{doc_text, encode_text, is_wide, render, signature_image, test_page};
pub use transport::{Connection, FlowControl, Link, StreamLink};
pub use virtual_printer::{VirtualDevice, VirtualPrinter};

/// Raw ESC/POS commands, for tools and tests.
pub mod commands {
    pub use crate::code128::{gs_k_data, modules as code128_modules, symbols as code128_symbols};
    pub use crate::render::{CUT, DRAWER_KICK, INIT, KANJI_OFF, KANJI_ON, PAPER_STATUS, dle_eot};
}

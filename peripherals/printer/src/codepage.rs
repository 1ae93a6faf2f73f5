//! Single-byte code pages (ESC t n) and the printers' double-byte Chinese encodings (FS &).
//!
//! The generator prints a character from the code page when it is one column wide (é, ¥, £)
//! and in Chinese mode when it is two columns wide (CJK): a printer's double-byte glyphs are
//! 24 dots wide, so printing é as GB18030 `A8 A6` would push every column after it.

use crate::codepage_tables::PAGES;

/// A single-byte code page, by its Epson ESC t number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePage {
    number: u8,
    name: &'static str,
    upper: &'static str,
}

impl CodePage {
    /// PC437 (USA, standard Europe): every printer's power-on page.
    pub const PC437: u8 = 0;
    /// WPC1252 (Windows Latin 1): é, ü, £, ¥ and € in one page; what OpenTill selects.
    pub const WPC1252: u8 = 16;

    /// The page ESC t `n` selects; `None` for numbers this crate has no table for.
    pub fn from_number(n: u8) -> Option<CodePage> {
        PAGES
            .iter()
            .find(|(number, _, _)| *number == n)
            .map(|(number, name, upper)| CodePage {
                number: *number,
                name,
                upper,
            })
    }

    /// The page ESC t `n` selects, PC437 for pages without a table (the bytes below 0x80,
    /// which matter most, are ASCII in every page).
    pub fn from_number_or_437(n: u8) -> CodePage {
        CodePage::from_number(n).unwrap_or_else(CodePage::pc437)
    }

    pub fn pc437() -> CodePage {
        CodePage {
            number: PAGES[0].0,
            name: PAGES[0].1,
            upper: PAGES[0].2,
        }
    }

    pub fn number(&self) -> u8 {
        self.number
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The character a byte prints as (`None` for control bytes and holes in the page).
    pub fn decode(&self, byte: u8) -> Option<char> {
        match byte {
            0x20..=0x7e => Some(byte as char),
            0x80..=0xff => self
                .upper
                .chars()
                .nth(usize::from(byte - 0x80))
                .filter(|c| *c != '\u{fffd}' && !c.is_control()),
            _ => None,
        }
    }

    /// The byte that prints `ch`, if the page has it.
    pub fn encode(&self, ch: char) -> Option<u8> {
        if (' '..='~').contains(&ch) {
            return Some(ch as u8);
        }
        if ch == '\u{fffd}' || ch.is_control() {
            return None;
        }
        self.upper
            .chars()
            .position(|c| c == ch)
            .and_then(|i| u8::try_from(i + 0x80).ok())
    }
}

/// The double-byte encoding of a printer's Chinese firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DoubleByte {
    /// GB18030 (its two-byte part, = GBK): Simplified printers, and Traditional characters too.
    Gb18030,
    /// Big5: Traditional printers.
    Big5,
}

impl DoubleByte {
    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            DoubleByte::Gb18030 => encoding_rs::GB18030,
            DoubleByte::Big5 => encoding_rs::BIG5,
        }
    }

    /// The two bytes that print `ch` in Chinese mode. Only two-byte codes: GB18030's four-byte
    /// sequences print as junk on common printers (ESCPOS.md §3), and Big5 here is plain Big5
    /// (encoding_rs does not emit HKSCS codes, which most Big5 printers lack).
    pub fn encode(self, ch: char) -> Option<[u8; 2]> {
        let mut buf = [0u8; 4];
        let s = ch.encode_utf8(&mut buf);
        let (bytes, _, unmappable) = self.encoding().encode(s);
        match (unmappable, bytes.as_ref()) {
            (false, [a, b]) if *a >= 0x81 => Some([*a, *b]),
            _ => None,
        }
    }

    /// Whether `b` may follow a lead byte in a two-byte code.
    pub fn is_trail(self, b: u8) -> bool {
        match self {
            DoubleByte::Gb18030 => matches!(b, 0x40..=0x7e | 0x80..=0xfe),
            DoubleByte::Big5 => matches!(b, 0x40..=0x7e | 0xa1..=0xfe),
        }
    }

    /// The character of a two-byte code, if it has one.
    pub fn decode(self, lead: u8, trail: u8) -> Option<char> {
        let bytes = [lead, trail];
        let (text, malformed) = self.encoding().decode_without_bom_handling(&bytes);
        let mut chars = text.chars();
        match (malformed, chars.next(), chars.next()) {
            (false, Some(c), None) => Some(c),
            _ => None,
        }
    }

    /// The script of its usual fonts: Traditional for Big5, Simplified for GB18030.
    pub fn traditional(self) -> bool {
        self == DoubleByte::Big5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn every_table_has_128_characters() {
        for (n, name, upper) in PAGES {
            assert_eq!(upper.chars().count(), 128, "ESC t {n} ({name}) covers 0x80..=0xFF");
        }
    }

    #[test]
    fn wpc1252_and_pc437_round_trip_latin_letters() -> TestResult {
        let w = CodePage::from_number(CodePage::WPC1252).ok_or("no WPC1252")?;
        assert_eq!(w.encode('é'), Some(0xe9));
        assert_eq!(w.encode('€'), Some(0x80));
        assert_eq!(w.decode(0xa5), Some('¥'));
        let p = CodePage::pc437();
        assert_eq!(p.encode('é'), Some(0x82));
        assert_eq!(p.decode(0xc4), Some('─'));
        assert_eq!(p.encode('總'), None);
        Ok(())
    }

    #[test]
    fn chinese_in_both_encodings_as_receiptline_prints_them() -> TestResult {
        // The bytes npm receiptline 4.0.4 emits (chinese-encoding-notes.md §7).
        let gb: Vec<u8> = "中文测试"
            .chars()
            .map(|c| DoubleByte::Gb18030.encode(c).ok_or("unmapped"))
            .collect::<Result<Vec<_>, _>>()?
            .concat();
        assert_eq!(gb, [0xD6, 0xD0, 0xCE, 0xC4, 0xB2, 0xE2, 0xCA, 0xD4]);
        assert_eq!(DoubleByte::Big5.encode('總'), Some([0xC1, 0x60]));
        assert_eq!(DoubleByte::Big5.encode('们'), None, "simplified only: not in Big5");
        assert_eq!(
            DoubleByte::Gb18030.encode('¥'),
            None,
            "four-byte in GB18030: not printed so"
        );
        assert_eq!(DoubleByte::Big5.decode(0xC1, 0x60), Some('總'));
        assert_eq!(DoubleByte::Gb18030.decode(0xD6, 0xD0), Some('中'));
        Ok(())
    }
}

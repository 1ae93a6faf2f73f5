//! Every receipt kind at both widths in all three languages: the exact ESC/POS bytes
//! (tests/fixtures/escpos, as a lossless text dump) and what the virtual printer reads back from
//! them (tests/fixtures/rendered). Regenerate with OPENTILL_BLESS=1 and review the diff.

use crate::support::*;
use std::sync::Arc;
use till_domain::receipt::{Line, ReceiptDoc, display_width, render_text};
use till_i18n::Lang;
use till_printer::{ChineseMode, DoubleByte, Glyphs, Paper, Profile, Settings, interpret, render};

/// The printer a till in `lang` would have: Big5 firmware for Traditional (and English, whose
/// labels carry Traditional Chinese), GB18030 for Simplified.
pub fn text_profile(lang: Lang, columns: usize) -> Profile {
    let mode = if lang == Lang::ZhHans {
        ChineseMode::Gb18030
    } else {
        ChineseMode::Big5
    };
    Profile::new(Paper::for_columns(columns), mode)
}

/// The virtual printer's reading of `bytes` as text (no font needed for text).
pub fn read_back(bytes: &[u8], profile: &Profile) -> Result<String, Error> {
    let double_byte = profile.chinese.double_byte().unwrap_or(DoubleByte::Gb18030);
    let settings = Settings {
        dots: profile.dots(),
        double_byte,
        half_dot_feed: false,
        glyphs: Arc::new(Glyphs::boxes()),
    };
    let (pages, notes) = interpret(bytes, settings);
    if !notes.is_empty() {
        return Err(format!("the interpreter did not understand our own bytes: {notes:?}").into());
    }
    if pages.len() != 1 || !pages[0].cut {
        return Err(format!("one receipt is one cut page, got {}", pages.len()).into());
    }
    Ok(pages[0].text.clone())
}

#[tokio::test]
async fn escpos_bytes_and_read_back_text_of_every_receipt() -> TestResult {
    for lang in Lang::ALL {
        let docs = all_receipts(lang).await?;
        assert_eq!(docs.len(), 17, "{lang}: every kind, both copies where there are two");
        for width in [32, 48] {
            let profile = text_profile(lang, width);
            let mut bytes_dump = String::new();
            let mut text = String::new();
            for (i, doc) in docs.iter().enumerate() {
                let bytes = render(doc, &profile);
                bytes_dump.push_str(&format!(
                    "# receipt {} ({} bytes)\n{}\n",
                    i + 1,
                    bytes.len(),
                    dump(&bytes)
                ));
                let page = read_back(&bytes, &profile)?;
                check_layout(doc, &page, width, lang)?;
                text.push_str(&format!("===== receipt {}\n{page}", i + 1));
            }
            snapshot(
                &fixtures().join(format!("escpos/{lang}-{width}.txt")),
                bytes_dump.as_bytes(),
            )?;
            snapshot(
                &fixtures().join(format!("rendered/{lang}-{width}.txt")),
                text.as_bytes(),
            )?;
        }
    }
    Ok(())
}

/// What must hold on paper whatever the content: nothing wider than the paper, amounts ending
/// at the right edge, and every label/value, left and rule line exactly as the domain's text
/// layout has it.
fn check_layout(doc: &ReceiptDoc, page: &str, width: usize, lang: Lang) -> TestResult {
    let lines: Vec<&str> = page.lines().collect();
    for l in &lines {
        assert!(display_width(l) <= width, "{lang}/{width}: wider than the paper: {l:?}");
        if l.contains("HKD ") && !l.trim_start().starts_with("HKD") {
            assert_eq!(display_width(l), width, "{lang}/{width}: amount not at the edge: {l:?}");
        }
    }
    let mut from = 0;
    for line in &doc.lines {
        if !matches!(
            line,
            Line::Pair { .. } | Line::Total { .. } | Line::Left { .. } | Line::Rule
        ) {
            continue;
        }
        let expected = render_text(
            &ReceiptDoc {
                lines: vec![line.clone()],
            },
            width,
        );
        for want in expected.lines() {
            let at = lines[from..]
                .iter()
                .position(|l| *l == want)
                .ok_or_else(|| format!("{lang}/{width}: {want:?} is not on the paper (after line {from}):\n{page}"))?;
            from += at + 1;
        }
    }
    Ok(())
}

#[tokio::test]
async fn chinese_goes_out_in_chinese_mode_with_the_profiles_encoding() -> TestResult {
    let zh_hant = card_receipt(Lang::ZhHant).await?;
    let bytes = render(&zh_hant, &text_profile(Lang::ZhHant, 48));
    // 總額 in Big5, framed by FS & … FS .
    let total = b"\x1c&\xc1\x60\xc3\x42\x1c.";
    assert!(bytes.windows(total.len()).any(|w| w == total), "TOTAL 總額 in Big5");
    let zh_hans = card_receipt(Lang::ZhHans).await?;
    let bytes = render(&zh_hans, &text_profile(Lang::ZhHans, 48));
    // 总额 in GB18030.
    let total = b"\x1c&\xd7\xdc\xb6\xee\x1c.";
    assert!(bytes.windows(total.len()).any(|w| w == total), "TOTAL 总额 in GB18030");
    assert!(!bytes.windows(2).any(|w| w == b"\x1dv"), "text mode: no images");
    // The café's é comes from WPC1252 (selected with ESC t 16), not as a double-byte glyph.
    assert!(bytes.starts_with(b"\x1b@\x1bt\x10"));
    assert!(bytes.windows(5).any(|w| w == b"Caf\xe9\n"));
    Ok(())
}

#[tokio::test]
async fn a_raster_profile_sends_only_chinese_lines_as_images() -> TestResult {
    let doc = card_receipt(Lang::ZhHant).await?;
    let profile = Profile::new(Paper::Mm80, ChineseMode::Raster);
    crate::alignment::require_cjk_font()?;
    let bytes = render(&doc, &profile);
    let (commands, images) = without_images(&bytes);
    assert!(
        !commands.windows(2).any(|w| w == b"\x1c&"),
        "no Chinese mode for a printer without it"
    );
    let chinese_lines = render_text(&doc, 48)
        .lines()
        .filter(|l| l.chars().any(till_printer::is_wide))
        .count();
    assert!(
        images >= chinese_lines - 2 && images > 10,
        "{images} images for {chinese_lines} Chinese lines"
    );
    assert!(
        commands.windows(14).any(|w| w == b"A0000000031010"),
        "Latin-only lines stay text"
    );
    Ok(())
}

/// The bytes with the data of every GS v 0 image taken out, and how many images there were.
fn without_images(bytes: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut images, mut i) = (Vec::new(), 0, 0);
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\x1dv0") && i + 8 <= bytes.len() {
            let x = usize::from(u16::from_le_bytes([bytes[i + 4], bytes[i + 5]]));
            let y = usize::from(u16::from_le_bytes([bytes[i + 6], bytes[i + 7]]));
            images += 1;
            i += 8 + x * y;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    (out, images)
}

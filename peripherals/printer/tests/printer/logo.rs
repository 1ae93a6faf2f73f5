//! Other software's receipts: escpos-tools' sample (a GS ( L logo, styles, a cut, a drawer
//! kick) must render, and its logo must match the escpos-tools image of it dot for dot.

use crate::support::*;
use std::path::PathBuf;
use std::sync::Arc;
use till_printer::{Bitmap, DoubleByte, Glyphs, Gray, Settings, interpret};

fn shared(name: &str) -> Result<Vec<u8>, Error> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/escpos")
        .join(name);
    std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (the shared test data sits beside the repository)",
            path.display()
        )
        .into()
    })
}

fn sample() -> Result<(Bitmap, String), Error> {
    let settings = Settings {
        dots: 576,
        double_byte: DoubleByte::Gb18030,
        half_dot_feed: false,
        glyphs: Arc::new(Glyphs::boxes()),
    };
    let (pages, notes) = interpret(&shared("escpos-tools-receipt-with-logo.bin")?, settings);
    assert!(notes.is_empty(), "every command of the sample understood: {notes:?}");
    assert_eq!(pages.len(), 1, "one receipt, ended by its cut");
    assert!(pages[0].cut);
    Ok((pages[0].image.clone(), pages[0].text.clone()))
}

#[test]
fn the_logo_matches_the_escpos_tools_image_dot_for_dot() -> TestResult {
    let (page, _) = sample()?;
    let expected = Gray::from_png(&shared("escpos-tools-receipt-with-logo-img.png")?)?;
    // The sample stores a 300 x 236 graphic and prints it centred (ESC a 1) at the top of the
    // page; escpos-tools' image of it is scaled to half (150 x 118), anti-aliased.
    assert_eq!((expected.width, expected.height), (150, 118));
    let logo = page.crop((576 - 300) / 2, 0, 300, 236);
    assert_eq!(
        page.crop(0, 0, (576 - 300) / 2, 236).black_dots() + page.crop(438, 0, 138, 236).black_dots(),
        0,
        "nothing beside the centred logo"
    );
    // Scale ours the same way: each output pixel covers 2 x 2 dots, 0..=4 of them black. The
    // reference's grey levels separate cleanly: 3 or 4 black dots give < 100, 0..=2 give > 100
    // (its filter rings a little, so the levels are not exact multiples of 64).
    let mut mismatches = Vec::new();
    for y in 0..118 {
        for x in 0..150 {
            let black = (0..2)
                .flat_map(|dy| (0..2).map(move |dx| (dx, dy)))
                .filter(|(dx, dy)| logo.get(2 * x + dx, 2 * y + dy))
                .count();
            let level = expected.levels[y * 150 + x];
            let ours = 255 - black * 255 / 4;
            if (black >= 3) != (level < 100) || ours.abs_diff(usize::from(level)) > 64 {
                mismatches.push((x, y, black, level));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of 17700 pixels differ, first {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    // The comparison can fail: the same logo one dot to the right does not match.
    let shifted = page.crop((576 - 300) / 2 - 1, 0, 300, 236);
    let differs = (0..118).any(|y| {
        (0..150).any(|x| {
            let black = (0..4).filter(|k| shifted.get(2 * x + k % 2, 2 * y + k / 2)).count();
            (black >= 3) != (expected.levels[y * 150 + x] < 100)
        })
    });
    assert!(differs, "a misplaced logo would be caught");
    Ok(())
}

#[test]
fn the_sample_reads_as_its_text() -> TestResult {
    let (page, text) = sample()?;
    snapshot(
        &fixtures().join("rendered/escpos-tools-receipt-with-logo.txt"),
        text.as_bytes(),
    )?;
    assert!(text.contains("[image 300x236]"));
    assert!(
        text.contains(&format!("\nExample item #1{}4.00\n", " ".repeat(29))),
        "48 columns: {text}"
    );
    // Double-width lines (ESC ! 0x20) take twice the dots: centred "ExampleMart Ltd." starts
    // at dot 96 (column 8), and the total fills the line with 24 characters.
    assert!(text.contains("\n        ExampleMart Ltd.\n"), "{text}");
    assert!(text.contains("\nTotal            $ 14.25\n"), "{text}");
    assert_eq!(page.width(), 576);
    Ok(())
}

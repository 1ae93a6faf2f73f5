//! The README's receipt pictures (docs/images/receipt-58mm.png, receipt-80mm.png): a bilingual
//! card receipt as the virtual printer draws it. The test keeps them true to the code: the
//! drawn page must equal the picture dot for dot (OPENTILL_BLESS=1 redraws them; look at them
//! before committing).

use crate::alignment::require_cjk_font;
use crate::support::*;
use std::path::PathBuf;
use till_domain::ports::ReceiptPrinter;
use till_i18n::Lang;
use till_printer::{Bitmap, ChineseMode, Paper, Profile, VirtualPrinter};

fn images_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/images")
}

#[tokio::test]
async fn readme_receipts_are_what_the_virtual_printer_draws() -> TestResult {
    require_cjk_font()?;
    let doc = card_receipt(Lang::ZhHant).await?;
    for paper in [Paper::Mm58, Paper::Mm80] {
        let printer = VirtualPrinter::new(Profile::new(paper, ChineseMode::Big5), None);
        printer.print(&doc).await?;
        let page = printer.last_page().ok_or("a page")?;
        assert_eq!(page.image.width(), paper.dots());
        assert!(page.text.contains("總額"), "{}", page.text);
        let path = images_dir().join(format!("receipt-{}.png", paper.name()));
        if std::env::var_os("OPENTILL_BLESS").is_some() {
            std::fs::create_dir_all(images_dir())?;
            std::fs::write(&path, page.on_paper().to_png()?)?;
        }
        let stored =
            std::fs::read(&path).map_err(|e| format!("{}: {e} (run with OPENTILL_BLESS=1)", path.display()))?;
        let stored = Bitmap::from_png(&stored)?;
        assert!(
            stored == page.on_paper(),
            "{} is not what the printer draws now ({:?} vs {:?}); OPENTILL_BLESS=1, then look at it",
            path.display(),
            stored,
            page.on_paper()
        );
    }
    Ok(())
}

/// D4: the signature the customer drew on the display prints as an image on the merchant copy:
/// a horizontal stroke across the pad is a long run of black dots on one row of the page.
#[tokio::test]
async fn a_captured_signature_prints_as_an_image() -> TestResult {
    use till_domain::Signature;
    use till_domain::receipt::{Line, ReceiptDoc, Text};
    let signature = Signature {
        width: 400,
        height: 100,
        strokes: vec![vec![[0, 50], [400, 50]], vec![[200, 0], [200, 100]]],
    };
    let doc = ReceiptDoc {
        lines: vec![
            Line::Left {
                text: Text::Raw("MERCHANT COPY".into()),
            },
            Line::Signature { signature },
            Line::Cut,
        ],
    };
    let printer = VirtualPrinter::new(Profile::new(Paper::Mm80, ChineseMode::Gb18030), None);
    printer.print(&doc).await?;
    let page = printer.last_page().ok_or("a page")?;
    assert!(page.text.contains("[image"), "{}", page.text);
    let image = &page.image;
    let longest_row = (0..image.height())
        .map(|y| (0..image.width()).filter(|x| image.get(*x, y)).count())
        .max()
        .unwrap_or(0);
    // 3/4 of the 576-dot line: the stroke spans the image's width.
    assert!(longest_row >= 400, "longest black row {longest_row} dots");
    let column = (0..image.width())
        .map(|x| (0..image.height()).filter(|y| image.get(x, *y)).count())
        .max()
        .unwrap_or(0);
    assert!(column >= 100, "the vertical stroke is {column} dots tall");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/receipts");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("signature.png"), page.on_paper().to_png()?)?;
    Ok(())
}

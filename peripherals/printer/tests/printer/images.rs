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

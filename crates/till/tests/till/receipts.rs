//! Receipts as rendered text, 32 and 48 columns, in all three languages: snapshot files under
//! tests/fixtures/receipts (regenerate with OPENTILL_BLESS=1 and review the diff), plus layout
//! rules that must hold for any content.

use crate::support::*;
use till_domain::PaymentMeans;
use till_domain::receipt::{display_width, render_text};
use till_i18n::Lang;

async fn all_receipts(lang: Lang, width: usize) -> Result<String, Box<dyn std::error::Error>> {
    let r = rig();
    r.till.set_lang(lang);
    let mut docs = Vec::new();
    let card = r.sale_tip(3850, 500, PaymentMeans::Card).await?;
    docs.extend(card.receipts);
    docs.extend(r.sale(1252, PaymentMeans::Card).await?.receipts);
    docs.extend(r.sale(1200, PaymentMeans::QrCustomer).await?.receipts);
    docs.extend(r.sale(4000, PaymentMeans::StoredValue).await?.receipts);
    let cash = r.sale(2000, PaymentMeans::Cash).await?;
    docs.extend(r.till.void(cash.txn.trace, &manager()).await?.receipts);
    docs.extend(
        r.till
            .refund(card.txn.trace, Some(hkd(1000)), &manager())
            .await?
            .receipts,
    );
    docs.extend(r.till.reprint(card.txn.trace).await?.receipts);
    docs.extend(r.till.x_report().await?.docs);
    docs.extend(r.till.settle().await?.docs);
    Ok(docs
        .iter()
        .map(|d| render_text(d, width))
        .collect::<Vec<_>>()
        .join("\n=====\n"))
}

#[tokio::test]
async fn receipts_at_both_widths_in_all_languages() -> TestResult {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receipts");
    let bless = std::env::var_os("OPENTILL_BLESS").is_some();
    for lang in Lang::ALL {
        for width in [32, 48] {
            let text = all_receipts(lang, width).await?;
            for line in text.lines() {
                assert!(
                    display_width(line) <= width,
                    "{lang}/{width}: line wider than the paper: {line:?}"
                );
                if line.contains("HKD ") && !line.trim_start().starts_with("HKD") {
                    assert_eq!(
                        display_width(line),
                        width,
                        "{lang}/{width}: amounts end at the right edge: {line:?}"
                    );
                }
            }
            let path = dir.join(format!("{lang}-{width}.txt"));
            if bless {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(&path, &text)?;
            }
            let expected = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e} (run with OPENTILL_BLESS=1)", path.display()))?;
            assert!(
                expected == text,
                "{lang}/{width} differs from {}; run with OPENTILL_BLESS=1 and review",
                path.display()
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn chinese_receipts_show_chinese_labels_and_messages() -> TestResult {
    let text = all_receipts(Lang::ZhHant, 32).await?;
    assert!(text.contains("TOTAL 總額") && text.contains("多謝惠顧"), "{text}");
    let text = all_receipts(Lang::ZhHans, 32).await?;
    assert!(text.contains("TOTAL 总额") && text.contains("谢谢惠顾"), "{text}");
    Ok(())
}

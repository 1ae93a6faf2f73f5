//! Frames from image files, as a camera would deliver them, through the decoder and the
//! scanner into a T2 sale: one payment code arrives once and the sale is approved.

use std::sync::Arc;

use till::SaleInput;
use till_domain::{Currency, Money, PaymentMeans, QrScheme, TillConfig, TxnStatus};
use till_journal::HistoryQuery;
use till_scanner::{CodeScanner, FrameCodes, ImageFiles, Rxing, Scanner};

use crate::support::{TestResult, empty_scene, scene_with, scratch, till_with, write_png};

/// An Alipay payment code (18 digits, prefix 28), in the range the gateway simulator takes.
const ALIPAY_CODE: &str = "281234567890123456";

#[tokio::test]
async fn frames_from_files_give_one_code_and_an_approved_t2_sale() -> TestResult {
    let dir = scratch("pipeline")?;
    let empty = write_png(&dir, "empty.png", &empty_scene()?)?;
    let code = write_png(&dir, "code.png", &scene_with(ALIPAY_CODE)?)?;
    // The customer lifts the phone (empty frames), holds it up, moves it, holds it up again:
    // the code is in 15 frames, with empty ones around and between.
    let mut paths = vec![empty.clone(); 2];
    paths.extend(vec![code.clone(); 10]);
    paths.extend(vec![empty.clone(); 2]);
    paths.extend(vec![code; 5]);
    paths.push(empty);
    let frames = ImageFiles::new(paths);
    let scanner = Arc::new(Scanner::new(FrameCodes::new(frames, Rxing::live())));
    let till = till_with(TillConfig::demo(), scanner.clone())?;

    let result = till
        .sale(SaleInput {
            amount: Money::new(12_50, Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
        .await?;
    assert_eq!(result.txn.status, TxnStatus::Approved, "{:?}", result.txn.decline);
    assert_eq!(
        result.txn.qr_scheme,
        Some(QrScheme::Alipay),
        "classified from the scanned code"
    );
    assert_eq!(
        till.history(HistoryQuery::default())?.len(),
        1,
        "one sale in the journal"
    );

    // The rest of the frames hold the same code: within the window it never arrives again,
    // and the files run out.
    let again = scanner.next_code().await;
    assert!(again.is_err(), "the code arrived a second time: {again:?}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test]
async fn a_code_arrives_again_after_the_window() -> TestResult {
    let dir = scratch("window")?;
    let code = write_png(&dir, "code.png", &scene_with(ALIPAY_CODE)?)?;
    let frames = ImageFiles::new([code]).frames_per_image(3);
    let scanner = Scanner::with_window(FrameCodes::new(frames, Rxing::live()), std::time::Duration::ZERO);
    // With no window, each frame's sighting counts: the same code three times.
    for _ in 0..3 {
        assert_eq!(scanner.next().await?.text, ALIPAY_CODE);
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

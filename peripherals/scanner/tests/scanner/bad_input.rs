//! Bad input through the scanner into a T2 sale: each is a clear error and no transaction is
//! made (the journal stays empty, the gateway is never asked).

use std::sync::Arc;

use till::{SaleInput, Till, TillError};
use till_domain::ports::DeviceError;
use till_domain::{Currency, DomainError, Money, PaymentMeans, QrScheme, TillConfig};
use till_journal::HistoryQuery;
use till_qr::{CustomerCode, FpsProxy, FpsQr, QrError, classify};
use till_scanner::{FrameCodes, ImageFiles, Rxing, Scanner};

use crate::support::{TestResult, scene_with, scratch, till_with, write_png};

/// A T2 sale of HKD 20.00 that asks the scanner for the code.
async fn scan_and_sell(till: &Till) -> Result<till::TxnResult, TillError> {
    till.sale(SaleInput {
        amount: Money::new(20_00, Currency::Hkd),
        tip: Money::zero(Currency::Hkd),
        means: PaymentMeans::QrCustomer,
        qr_scheme: None,
        code: None,
    })
    .await
}

/// A till whose scanner sees these image files.
fn till_seeing(config: TillConfig, images: Vec<std::path::PathBuf>) -> Result<Till, Box<dyn std::error::Error>> {
    let scanner = Scanner::new(FrameCodes::new(ImageFiles::new(images), Rxing::live()));
    till_with(config, Arc::new(scanner))
}

fn no_transaction(till: &Till) -> Result<(), Box<dyn std::error::Error>> {
    let made = till.history(HistoryQuery::default())?;
    assert!(made.is_empty(), "no transaction may be made: {made:?}");
    Ok(())
}

#[tokio::test]
async fn an_unreadable_image_is_a_scanner_error_naming_the_file() -> TestResult {
    let dir = scratch("unreadable")?;
    let broken = dir.join("cut-short.png");
    // A PNG signature and then nothing: a file cut short while being written.
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\n\0\0")?;
    let till = till_seeing(TillConfig::demo(), vec![broken])?;
    match scan_and_sell(&till).await {
        Err(TillError::Device {
            device: "scanner",
            error: DeviceError::Unavailable(detail),
        }) => assert!(detail.contains("cut-short.png"), "the error names the file: {detail}"),
        other => panic!("expected a scanner error, got {other:?}"),
    }
    no_transaction(&till)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test]
async fn a_qr_that_is_not_a_payment_code_is_refused() -> TestResult {
    let dir = scratch("not-payment")?;
    let menu = "https://example.com/menu?table=12";
    assert_eq!(classify(menu), CustomerCode::Unknown, "a URL is no wallet's code");
    let image = write_png(&dir, "menu.png", &scene_with(menu)?)?;
    let till = till_seeing(TillConfig::demo(), vec![image])?;
    let refused = scan_and_sell(&till).await;
    assert!(
        matches!(refused, Err(TillError::Domain(DomainError::NotAPaymentCode { .. }))),
        "{refused:?}"
    );
    no_transaction(&till)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test]
async fn a_code_of_a_wallet_the_till_does_not_take_is_refused() -> TestResult {
    let dir = scratch("wallet")?;
    let alipay = "281234567890123456";
    assert_eq!(classify(alipay), CustomerCode::Alipay);
    let image = write_png(&dir, "alipay.png", &scene_with(alipay)?)?;
    let mut config = TillConfig::demo();
    config.wallets = vec![QrScheme::WechatPay, QrScheme::Fps];
    let till = till_seeing(config, vec![image])?;
    let refused = scan_and_sell(&till).await;
    assert!(
        matches!(&refused, Err(TillError::Domain(DomainError::WalletNotAccepted { wallet })) if wallet == "alipay"),
        "{refused:?}"
    );
    no_transaction(&till)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[tokio::test]
async fn a_merchant_qr_with_a_broken_crc_is_refused_by_the_parser_and_the_till() -> TestResult {
    let dir = scratch("crc")?;
    let good = FpsQr::new(FpsProxy::FpsId("1234567".into()), "TEA HOUSE", "HONG KONG")
        .reference("T-000042")
        .build()?
        .encode();
    // One character of the merchant name misprinted: the CRC no longer matches.
    let broken = good.replacen("TEA HOUSE", "TEA H0USE", 1);
    let image = write_png(&dir, "broken-crc.png", &scene_with(&broken)?)?;
    let till = till_seeing(TillConfig::demo(), vec![image.clone()])?;

    // What `till qr parse` does with it: an error that says where and what.
    let mut decoder = Rxing::still();
    let scanned = till_scanner::Decoder::decode(&mut decoder, &till_scanner::read_image(&image)?)?;
    assert_eq!(scanned.as_deref(), Some(broken.as_str()), "the code itself reads fine");
    let error = till_qr::parse(&broken).err();
    assert!(matches!(error, Some(QrError::CrcMismatch { .. })), "{error:?}");
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("CRC") && message.contains("at character"), "{message}");

    // Shown to the till's scanner during a T2 sale, it is no customer's payment code.
    let refused = scan_and_sell(&till).await;
    assert!(
        matches!(refused, Err(TillError::Domain(DomainError::NotAPaymentCode { .. }))),
        "{refused:?}"
    );
    no_transaction(&till)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

//! A keyboard-wedge scanner and a person sharing one keyboard: the scanner's burst is a code,
//! the person's typing is not, and the code pays a T2 sale.

use std::sync::Arc;
use std::time::{Duration, Instant};

use till::SaleInput;
use till_domain::{Currency, Money, PaymentMeans, QrScheme, TillConfig, TxnStatus};
use till_scanner::{Key, KeyStroke, KeyboardWedge, Scanner};

use crate::support::{TestResult, till_with};

/// Keystrokes for `text` then Enter, starting at `start`, `gap` apart.
fn keys(start: Instant, text: &str, gap: Duration) -> Vec<KeyStroke> {
    text.chars()
        .map(Key::Char)
        .chain([Key::Enter])
        .enumerate()
        .map(|(i, key)| KeyStroke {
            key,
            at: start + gap * u32::try_from(i).unwrap_or(u32::MAX),
        })
        .collect()
}

#[tokio::test]
async fn a_burst_is_a_code_typing_is_not_and_the_code_pays() -> TestResult {
    let (sender, wedge) = KeyboardWedge::channel();
    let scanner = Arc::new(Scanner::new(wedge));
    let t0 = Instant::now();
    let wechat = "134567890123456789";
    // The cashier types an amount-like number by hand (110 ms a key), then the scanner reads the
    // customer's WeChat Pay code (4 ms a key), then reads it again (presentation mode).
    let strokes = keys(t0, "20000000000000000", Duration::from_millis(110))
        .into_iter()
        .chain(keys(t0 + Duration::from_secs(3), wechat, Duration::from_millis(4)))
        .chain(keys(t0 + Duration::from_secs(4), wechat, Duration::from_millis(4)));
    for stroke in strokes {
        sender.send(stroke)?;
    }
    drop(sender);

    let till = till_with(TillConfig::demo(), scanner.clone())?;
    let result = till
        .sale(SaleInput {
            amount: Money::new(8_80, Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
        .await?;
    assert_eq!(result.txn.status, TxnStatus::Approved);
    assert_eq!(
        result.txn.qr_scheme,
        Some(QrScheme::WechatPay),
        "the burst, not the typing"
    );
    let rest = scanner.next().await;
    assert!(
        rest.is_err(),
        "the second read is a repeat and the typing no code: {rest:?}"
    );
    Ok(())
}

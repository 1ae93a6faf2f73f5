//! A serial scanner through a real pseudo-terminal: tokio-serial opens the slave side as it
//! would open /dev/ttyUSB0, the test writes what a scanner sends on the master side.

use std::sync::Arc;

use till::SaleInput;
use till_domain::{Currency, Money, PaymentMeans, QrScheme, TillConfig, TxnStatus};
use till_scanner::{Scanner, SerialScanner};
use till_terminal::pty::PtyMaster;
use tokio::io::AsyncWriteExt;

use crate::support::{TestResult, till_with};

#[tokio::test]
async fn codes_over_a_serial_line_pay_a_sale_once_each() -> TestResult {
    let mut line = PtyMaster::open()?;
    let path = line.path().to_string_lossy().into_owned();
    let scanner = Arc::new(Scanner::new(SerialScanner::open(&path, 9600)?));
    // A UnionPay code in presentation mode: three times, CR LF after each, in pieces.
    line.write_all(b"62123456789").await?;
    line.write_all(b"01234567\r\n6212345678901234567\r\n6212345678901234567\r\n")
        .await?;

    let till = till_with(TillConfig::demo(), scanner.clone())?;
    let sale = |minor| {
        till.sale(SaleInput {
            amount: Money::new(minor, Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
    };
    let first = sale(15_00).await?;
    assert_eq!(first.txn.status, TxnStatus::Approved);
    assert_eq!(first.txn.qr_scheme, Some(QrScheme::UnionPay));

    // The next customer's code, LF only: the repeats of the first were dropped.
    line.write_all(b"301234567890123456\n").await?;
    let second = sale(16_00).await?;
    assert_eq!(second.txn.qr_scheme, Some(QrScheme::Alipay), "not the first code again");
    assert_ne!(first.txn.trace, second.txn.trace);
    Ok(())
}

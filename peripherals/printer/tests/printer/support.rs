//! A till over an in-memory journal with simulated payment devices (and any printer), and the
//! receipts of every kind it prints, resolved in a language: the documents the snapshots,
//! the oracle and the benchmark print.

use std::sync::Arc;
use till::{Credentials, ManualClock, SaleInput, Sims, Till, TillOptions};
use till_domain::ports::ReceiptPrinter;
use till_domain::receipt::ReceiptDoc;
use till_domain::{Currency, Money, PaymentMeans, TillConfig};
use till_i18n::Lang;
use till_journal::{AuthStore, Journal};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;
pub type Error = Box<dyn std::error::Error>;

pub const PIN: &str = "135790";

pub struct Rig {
    pub till: Till,
}

pub fn hkd(minor: i64) -> Money {
    Money::new(minor, Currency::Hkd)
}

pub fn manager() -> Credentials {
    Credentials {
        operator: "1".into(),
        pin: PIN.into(),
    }
}

/// A till at a fixed time with `printer` as its printer (the simulator's when `None`),
/// operator 1 logged in.
pub fn rig(printer: Option<Arc<dyn ReceiptPrinter>>) -> Result<Rig, Error> {
    let config = TillConfig::demo();
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    let mut devices = sims.devices();
    if let Some(p) = printer {
        devices.printer = p;
    }
    let till = Till::open(Journal::open_in_memory()?, AuthStore::open_in_memory()?, devices, opts)?;
    till.change_pin("1", "0001", PIN)?;
    till.login("1", PIN)?;
    Ok(Rig { till })
}

impl Rig {
    pub async fn sale(&self, minor: i64, tip: i64, means: PaymentMeans) -> Result<till::TxnResult, till::TillError> {
        let code = (means == PaymentMeans::QrCustomer).then(|| "134567890123456789".to_owned());
        self.till
            .sale(SaleInput {
                amount: hkd(minor),
                tip: hkd(tip),
                means,
                qr_scheme: None,
                code,
            })
            .await
    }
}

/// Every receipt kind of FLOWS.md T11, in `lang`, as the till resolves them: card sale with
/// tip (PIN), card sale with signature, QR, stored value, void, refund, reprint (each both
/// copies), X report, settlement slip and transaction list.
pub async fn all_receipts(lang: Lang) -> Result<Vec<ReceiptDoc>, Error> {
    let r = rig(None)?;
    r.till.set_lang(lang);
    let mut docs = Vec::new();
    let card = r.sale(3850, 500, PaymentMeans::Card).await?;
    docs.extend(card.receipts);
    docs.extend(r.sale(1252, 0, PaymentMeans::Card).await?.receipts);
    docs.extend(r.sale(1200, 0, PaymentMeans::QrCustomer).await?.receipts);
    docs.extend(r.sale(4000, 0, PaymentMeans::StoredValue).await?.receipts);
    let cash = r.sale(2000, 0, PaymentMeans::Cash).await?;
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
    Ok(docs)
}

/// The bilingual card receipt (merchant copy of a HKD 38.50 + 5.00 tip chip-and-PIN sale).
pub async fn card_receipt(lang: Lang) -> Result<ReceiptDoc, Error> {
    let r = rig(None)?;
    r.till.set_lang(lang);
    let card = r.sale(3850, 500, PaymentMeans::Card).await?;
    card.receipts.into_iter().next().ok_or_else(|| "no receipt".into())
}

/// Bytes as text, losslessly: printable ASCII as itself, `\\` for a backslash, `\xNN` for
/// anything else, and a line break after each LF (so a diff reads line by line).
pub fn dump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(*b as char),
            0x0a => s.push_str("\\n\n"),
            _ => s.push_str(&format!("\\x{b:02X}")),
        }
    }
    s
}

pub fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Compares `actual` with the snapshot at `path`; with OPENTILL_BLESS set, writes it first.
pub fn snapshot(path: &std::path::Path, actual: &[u8]) -> TestResult {
    if std::env::var_os("OPENTILL_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, actual)?;
    }
    let expected = std::fs::read(path).map_err(|e| format!("{}: {e} (run with OPENTILL_BLESS=1)", path.display()))?;
    if expected != actual {
        let at = expected
            .iter()
            .zip(actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        let show = |b: &[u8]| String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned();
        return Err(format!(
            "{} differs at byte {at} (expected {} bytes, got {}); run with OPENTILL_BLESS=1 and review\nexpected: …{}…\nactual:   …{}…",
            path.display(),
            expected.len(),
            actual.len(),
            show(&expected),
            show(actual)
        )
        .into());
    }
    Ok(())
}

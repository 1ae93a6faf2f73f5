use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use till::{Credentials, ManualClock, SaleInput, Sims, Till, TillOptions, TxnResult};
use till_domain::TraceNo;
use till_domain::ports::*;
use till_domain::{Currency, Money, PaymentMeans, TillConfig};
use till_journal::{AuthStore, Journal};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const PIN: &str = "135790";

pub struct Rig {
    pub till: Till,
    pub sims: Sims,
    pub clock: Arc<ManualClock>,
}

pub fn hkd(minor: i64) -> Money {
    Money::new(minor, Currency::Hkd)
}

pub fn config() -> TillConfig {
    TillConfig::demo()
}

/// A till over an in-memory journal with every device simulated, operator 1 (manager) past
/// the first-login PIN change and logged in.
pub fn rig_with(config: TillConfig) -> Rig {
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let sims = Sims::open(None, clock.clone(), config.currency, 48).expect("in-memory sims");
    let mut opts = TillOptions::new(config);
    opts.clock = clock.clone();
    let journal = Journal::open_in_memory().expect("journal");
    let auth = AuthStore::open_in_memory().expect("auth");
    let till = Till::open(journal, auth, sims.devices(), opts).expect("till");
    till.change_pin("1", "0001", PIN).expect("first PIN change");
    till.login("1", PIN).expect("login");
    Rig { till, sims, clock }
}

pub fn rig() -> Rig {
    rig_with(config())
}

pub fn manager() -> Credentials {
    Credentials {
        operator: "1".into(),
        pin: PIN.into(),
    }
}

impl Rig {
    /// Adds operator 2 (Cashier, PIN 246802 after the first-login change) and logs them in.
    pub fn login_cashier(&self) -> Credentials {
        self.till
            .add_operator("2", "Cashier", till_domain::Role::Cashier, "222222")
            .expect("add cashier");
        self.till
            .change_pin("2", "222222", "246802")
            .expect("cashier PIN change");
        self.till.login("2", "246802").expect("cashier login");
        Credentials {
            operator: "2".into(),
            pin: "246802".into(),
        }
    }

    pub async fn sale(&self, minor: i64, means: PaymentMeans) -> Result<TxnResult, till::TillError> {
        self.sale_tip(minor, 0, means).await
    }

    pub async fn sale_tip(&self, minor: i64, tip: i64, means: PaymentMeans) -> Result<TxnResult, till::TillError> {
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

/// A PIN pad whose customer the test holds at the card prompt (`hold`: until the test adds a
/// permit to `go`), or that stops answering (`down`: every request times out). `asked` counts
/// authorizations.
pub struct Pad {
    inner: Arc<dyn PaymentTerminal>,
    pub at_prompt: tokio::sync::Notify,
    pub go: tokio::sync::Semaphore,
    pub hold: AtomicBool,
    pub down: AtomicBool,
    pub asked: AtomicUsize,
}

impl Pad {
    /// `inner` behind a pad that holds each customer at the prompt.
    pub fn holding(inner: Arc<dyn PaymentTerminal>) -> Arc<Pad> {
        Arc::new(Pad {
            inner,
            at_prompt: tokio::sync::Notify::new(),
            go: tokio::sync::Semaphore::new(0),
            hold: AtomicBool::new(true),
            down: AtomicBool::new(false),
            asked: AtomicUsize::new(0),
        })
    }

    fn check(&self) -> Result<(), DeviceError> {
        if self.down.load(Ordering::SeqCst) {
            Err(DeviceError::Timeout)
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl PaymentTerminal for Pad {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.hold.load(Ordering::SeqCst) {
            self.at_prompt.notify_one();
            let _go = self
                .go
                .acquire()
                .await
                .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        }
        self.check()?;
        self.inner.authorize(req, progress).await
    }
    async fn void(
        &self,
        req: &CardRequest,
        original: &VoidTarget,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        self.check()?;
        self.inner.void(req, original, progress).await
    }
    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        self.check()?;
        self.inner.refund(req, progress).await
    }
    async fn reverse(&self, trace: TraceNo, amount: Money) -> Result<bool, DeviceError> {
        self.check()?;
        self.inner.reverse(trace, amount).await
    }
    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError> {
        self.check()?;
        self.inner.last_result().await
    }
    async fn end_of_day(&self) -> Result<till_domain::TerminalTotals, DeviceError> {
        self.check()?;
        self.inner.end_of_day().await
    }
    async fn abort(&self) -> Result<(), DeviceError> {
        self.inner.abort().await
    }
    async fn status(&self) -> Result<DeviceStatus, DeviceError> {
        self.check()?;
        self.inner.status().await
    }
}

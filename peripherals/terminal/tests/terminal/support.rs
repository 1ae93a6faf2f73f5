use std::sync::Arc;
use std::time::Duration;
use till::{ManualClock, Sims, Till, TillOptions};
use till_domain::TillConfig;
use till_journal::{AuthStore, Journal};
use till_terminal::driver::{Connection, ZvtConfig};
use till_terminal::ecr::SequenceTimings;
use till_terminal::serial::Timings;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const PIN: &str = "135790";

/// Short protocol timings so fault tests run in seconds.
pub fn fast(connection: Connection) -> ZvtConfig {
    let mut c = ZvtConfig::new(connection, 344);
    c.link = Timings {
        t1: Duration::from_millis(200),
        t2: Duration::from_millis(400),
        repeats: 2,
    };
    c.sequence = SequenceTimings {
        t3: Duration::from_millis(1500),
        t4: Duration::from_millis(2500),
    };
    c
}

/// A till whose terminal is a real driver (ZVT or nexo), everything else simulated in process.
pub fn till_with(
    terminal: Arc<dyn till_domain::ports::PaymentTerminal>,
    dir: &std::path::Path,
) -> Result<Till, Box<dyn std::error::Error>> {
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let config = TillConfig::demo();
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let mut devices = sims.devices();
    devices.terminal = terminal;
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    let journal = Journal::open(&dir.join("journal.sqlite"))?;
    let fresh = journal.event_count()? == 0;
    let till = Till::open(journal, AuthStore::open(&dir.join("auth.sqlite"))?, devices, opts)?;
    if fresh {
        till.change_pin("1", "0001", PIN)?;
    }
    till.login("1", PIN)?;
    Ok(till)
}

pub fn manager() -> till::Credentials {
    till::Credentials {
        operator: "1".into(),
        pin: PIN.into(),
    }
}

pub fn hkd(minor: i64) -> till_domain::Money {
    till_domain::Money::new(minor, till_domain::Currency::Hkd)
}

pub fn card(minor: i64) -> till::SaleInput {
    till::SaleInput {
        amount: hkd(minor),
        tip: hkd(0),
        means: till_domain::PaymentMeans::Card,
        qr_scheme: None,
        code: None,
    }
}

use std::sync::Mutex;
use till_terminal::ZvtSim;
use till_terminal::pty::PtyMaster;
use till_terminal::serial::{ACK, DLE, ETX, STX, SerialLink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Which way bytes travel through the fault proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    EcrToPt,
    PtToEcr,
}

/// What the proxy does with one unit (a whole frame, or a single ACK/NAK byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Forward,
    /// Flip the last CRC byte.
    Corrupt,
    Drop,
    /// Lose one byte from the middle of the frame.
    LoseByte,
    /// Forward after a pause.
    Delay(u64),
    /// The cable is pulled: nothing more passes either way.
    Cut,
}

pub type Rule = Box<dyn FnMut(Dir, &[u8]) -> Action + Send>;

/// The APDU inside a frame unit (None for single bytes).
pub fn apdu_of(unit: &[u8]) -> Option<Vec<u8>> {
    till_terminal::serial::unframe(unit).ok()
}

/// Splits a byte stream into frames and single control bytes.
#[derive(Default)]
struct Splitter {
    buf: Vec<u8>,
}

impl Splitter {
    fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(bytes);
        let mut units = Vec::new();
        loop {
            if self.buf.is_empty() {
                break;
            }
            if self.buf[0] != DLE || self.buf.get(1).is_some_and(|b| *b != STX) {
                units.push(vec![self.buf.remove(0)]);
                continue;
            }
            // A frame: find DLE ETX preceded by an even number of stuffed DLEs, plus 2 CRC bytes.
            let mut end = None;
            let mut i = 2;
            while i + 1 < self.buf.len() {
                if self.buf[i] == DLE && self.buf[i + 1] == DLE {
                    i += 2;
                    continue;
                }
                if self.buf[i] == DLE && self.buf[i + 1] == ETX {
                    end = Some(i + 4);
                    break;
                }
                i += 1;
            }
            match end {
                Some(e) if e <= self.buf.len() => units.push(self.buf.drain(..e).collect()),
                _ => break,
            }
        }
        units
    }
}

/// A fault-injecting serial line: the driver opens a real pseudo-terminal (tokio-serial),
/// the simulator listens on an in-memory line behind the proxy.
pub struct FaultLine {
    pub path: String,
}

pub fn fault_line(sim: Arc<ZvtSim>, rule: Rule) -> Result<FaultLine, Box<dyn std::error::Error>> {
    let pty = PtyMaster::open()?;
    let path = pty.path().display().to_string();
    let (sim_end, proxy_end) = tokio::io::duplex(4096);
    tokio::spawn(async move {
        let mut link = SerialLink::new(
            sim_end,
            till_terminal::serial::Timings {
                t1: Duration::from_millis(200),
                t2: Duration::from_millis(400),
                repeats: 2,
            },
        );
        loop {
            if sim.serve(&mut link).await.is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rule = Arc::new(Mutex::new(rule));
    let (mut ecr_r, mut ecr_w) = tokio::io::split(pty);
    let (mut pt_r, mut pt_w) = tokio::io::split(proxy_end);
    let (cut1, rule1) = (cut.clone(), rule.clone());
    tokio::spawn(async move {
        let mut split = Splitter::default();
        let mut buf = [0u8; 512];
        while let Ok(n) = ecr_r.read(&mut buf).await {
            if n == 0 {
                break;
            }
            for unit in split.push(&buf[..n]) {
                if let Some(out) = apply(&rule1, &cut1, Dir::EcrToPt, unit).await {
                    let _ = pt_w.write_all(&out).await;
                }
            }
        }
    });
    let (cut2, rule2) = (cut.clone(), rule);
    tokio::spawn(async move {
        let mut split = Splitter::default();
        let mut buf = [0u8; 512];
        while let Ok(n) = pt_r.read(&mut buf).await {
            if n == 0 {
                break;
            }
            for unit in split.push(&buf[..n]) {
                if let Some(out) = apply(&rule2, &cut2, Dir::PtToEcr, unit).await {
                    let _ = ecr_w.write_all(&out).await;
                }
            }
        }
    });
    Ok(FaultLine { path })
}

async fn apply(
    rule: &Arc<Mutex<Rule>>,
    cut: &std::sync::atomic::AtomicBool,
    dir: Dir,
    mut unit: Vec<u8>,
) -> Option<Vec<u8>> {
    use std::sync::atomic::Ordering;
    if cut.load(Ordering::SeqCst) {
        return None;
    }
    let action = (rule.lock().unwrap_or_else(std::sync::PoisonError::into_inner))(dir, &unit);
    match action {
        Action::Forward => Some(unit),
        Action::Corrupt => {
            if let Some(last) = unit.last_mut() {
                *last ^= 0xFF;
            }
            Some(unit)
        }
        Action::Drop => None,
        Action::LoseByte => {
            let mid = unit.len() / 2;
            unit.remove(mid);
            Some(unit)
        }
        Action::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Some(unit)
        }
        Action::Cut => {
            cut.store(true, Ordering::SeqCst);
            None
        }
    }
}

/// Whether a unit is the frame of an APDU starting with `class instr`.
pub fn is(unit: &[u8], class: u8, instr: u8) -> bool {
    apdu_of(unit).is_some_and(|a| a.len() >= 2 && a[0] == class && a[1] == instr)
}

pub fn is_ack_byte(unit: &[u8]) -> bool {
    unit == [ACK]
}

//! `till-terminal-sim`'s terminal: a ZVT PT that answers an ECR over any [`Transport`]. It
//! follows the primer's conformance list (§9): every command answered with `80 00 00` (or
//! `84 83 00` when unknown), registration completed with status + TID (+ currency if sent),
//! intermediate status only when the ECR asked for it, TLV only after BMP 06, and a payment
//! booked only when its status information is acknowledged — otherwise reversed.
//!
//! Scenarios by the last two digits of the amount (the same table as the till's in-process
//! simulator):
//!
//! | ends in | the simulated terminal |
//! |---|---|
//! | 51 | declines: insufficient funds (host code 51) |
//! | 52 | approves, chip, signature required |
//! | 53 | approves, contactless, no CVM |
//! | 54 | a chip card swiped: "insert card", then card unreadable (64) |
//! | 55 | the customer cancels on the pad (6C) |
//! | 56 | declines: do not honour (05) |
//! | 57 | waits for a card (status 0A every 500 ms) until the ECR aborts (06 B0: answered with
//! |    | 06 1E 6C, nothing booked), or `card_wait` passes and it approves |
//! | 91 | approves and books, but the completion (06 0F) is lost |
//! | 92 | the line drops after the request: nothing booked |
//! | 93 | busy: 84 9C |
//! | other | approves, chip, PIN verified |
//!
//! It keeps its own record (a JSON-lines file, fsynced per entry) so that repeat receipt,
//! reversal and end-of-day agree with what it did, across restarts of either side.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::apdu::Apdu;
use crate::bmp::Field;
use crate::error::ZvtError;
use crate::packet::{Fields, Packet};
use crate::transport::Transport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Sale,
    Reversal,
    Refund,
}

/// One booked transaction, as the simulated terminal remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimRecord {
    pub kind: Kind,
    pub amount: u64,
    pub trace: u32,
    pub receipt_no: u16,
    /// For a reversal: the receipt it reversed.
    pub original_receipt: Option<u16>,
    /// A sale undone by a later reversal.
    pub reversed: bool,
    pub settled: bool,
}

#[derive(Debug, Serialize, Deserialize)]
enum Op {
    Booked(SimRecord),
    EndOfDay,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<SimRecord>,
    trace: u32,
    receipt: u16,
    /// The last status information sent and acknowledged (for repeat receipt).
    last_status: Option<Vec<Field>>,
    config: u8,
    tlv: bool,
    echo_currency: Option<u16>,
    file: Option<PathBuf>,
}

impl State {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Booked(r) => {
                if r.kind == Kind::Reversal
                    && let Some(orig) = self
                        .records
                        .iter_mut()
                        .find(|o| Some(o.receipt_no) == r.original_receipt)
                {
                    orig.reversed = true;
                }
                self.trace = self.trace.max(r.trace);
                self.receipt = self.receipt.max(r.receipt_no);
                self.records.push(r.clone());
            }
            Op::EndOfDay => self.records.iter_mut().for_each(|r| r.settled = true),
        }
    }
}

/// What to do with a connection after a command.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Continue,
    /// Act as if the line dropped (close a socket; stay silent on a serial line).
    Drop,
}

/// A simulated ZVT payment terminal.
#[derive(Debug)]
pub struct ZvtSim {
    state: Mutex<State>,
    pub terminal_id: u32,
    /// How long it waits for the ECR's acknowledgement of each message.
    pub ack_timeout: Duration,
    /// How long scenario 57 waits for the card (or an abort).
    pub card_wait: Duration,
    waiting: std::sync::atomic::AtomicBool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn bcd(bmp: u8, v: u64, digits: usize) -> Field {
    Field::bcd(bmp, v, digits).unwrap_or(Field {
        bmp,
        prefix: Vec::new(),
        value: vec![0; digits.div_ceil(2)],
    })
}

fn var(bmp: u8, value: Vec<u8>) -> Field {
    Field::new(bmp, value).unwrap_or(Field {
        bmp,
        prefix: vec![0xF0, 0xF0],
        value: Vec::new(),
    })
}

fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.push(value.len() as u8);
    out.extend(value);
    out
}

impl ZvtSim {
    /// A terminal whose record lives in `file` (or only in memory).
    pub fn open(file: Option<&Path>) -> std::io::Result<ZvtSim> {
        let mut state = State {
            file: file.map(Path::to_path_buf),
            ..State::default()
        };
        if let Some(path) = file
            && let Ok(f) = File::open(path)
        {
            for line in BufReader::new(f).lines() {
                match serde_json::from_str::<Op>(&line?) {
                    Ok(op) => state.apply(&op),
                    Err(_) => break,
                }
            }
        }
        Ok(ZvtSim {
            state: Mutex::new(state),
            terminal_id: 52_523_535,
            ack_timeout: Duration::from_secs(5),
            card_wait: Duration::from_secs(20),
            waiting: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Whether a payment is waiting for the card (scenario 57): the moment to abort it.
    pub fn waiting_for_card(&self) -> bool {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Scenario 57: waits for the card; `true` if the ECR aborted (06 B0), answered 06 1E 6C.
    async fn wait_for_card<T: Transport + ?Sized>(&self, t: &mut T) -> Result<bool, ZvtError> {
        use std::sync::atomic::Ordering;
        let deadline = tokio::time::Instant::now() + self.card_wait;
        self.waiting.store(true, Ordering::SeqCst);
        let aborted = loop {
            if tokio::time::Instant::now() >= deadline {
                break Ok(false);
            }
            match t.recv(Duration::from_millis(500)).await {
                Ok(a) if (a.class, a.instr) == (0x06, 0xB0) => break Ok(true),
                Ok(_) => {}
                Err(ZvtError::Timeout(_)) => {
                    if let Err(e) = self.intermediate(t, 0x0A).await {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.waiting.store(false, Ordering::SeqCst);
        if aborted? {
            // [P15 §2.2.10]: the PT accepts the abort and ends the payment with 06 1E 6C.
            t.send(&Apdu::ack()).await?;
            self.tell(
                t,
                &Packet::PtAbort {
                    code: 0x6C,
                    rest: Vec::new(),
                },
            )
            .await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Every transaction booked so far.
    pub fn records(&self) -> Vec<SimRecord> {
        lock(&self.state).records.clone()
    }

    fn record(&self, op: Op) -> std::io::Result<()> {
        let mut st = lock(&self.state);
        if let Some(path) = &st.file {
            let mut f = OpenOptions::new().create(true).append(true).open(path)?;
            let mut line = serde_json::to_string(&op).map_err(std::io::Error::other)?;
            line.push('\n');
            f.write_all(line.as_bytes())?;
            f.sync_data()?;
        }
        st.apply(&op);
        Ok(())
    }

    /// Serves one ECR connection until it closes (or a scenario drops it).
    pub async fn serve<T: Transport + ?Sized>(&self, t: &mut T) -> Result<(), ZvtError> {
        loop {
            let apdu = match t.recv(Duration::from_secs(3600)).await {
                Ok(a) => a,
                Err(ZvtError::Timeout(_)) => continue,
                Err(ZvtError::Closed) => return Ok(()),
                Err(e) => return Err(e),
            };
            let next = match Packet::from_apdu(&apdu) {
                Ok(p) => self.handle(t, p).await?,
                Err(_) => {
                    t.send(&Apdu::nack(0x83)).await?;
                    Next::Continue
                }
            };
            if next == Next::Drop {
                return Ok(());
            }
        }
    }

    /// Sends a PT message and waits for the ECR's `80 00 00`.
    async fn tell<T: Transport + ?Sized>(&self, t: &mut T, p: &Packet) -> Result<bool, ZvtError> {
        t.send(&p.to_apdu()).await?;
        match t.recv(self.ack_timeout).await {
            Ok(a) if a.is_ack() => Ok(true),
            Ok(_) | Err(ZvtError::Timeout(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn handle<T: Transport + ?Sized>(&self, t: &mut T, p: Packet) -> Result<Next, ZvtError> {
        match p {
            Packet::Registration {
                config,
                currency,
                fields,
                ..
            } => {
                {
                    let mut st = lock(&self.state);
                    st.config = config;
                    st.tlv = fields.field(0x06).is_some();
                    st.echo_currency = currency;
                }
                t.send(&Apdu::ack()).await?;
                let mut data = vec![0x19, 0x00];
                data.extend(crate::bmp::encode_fields(&[bcd(0x29, u64::from(self.terminal_id), 8)]));
                if let Some(cc) = currency {
                    data.extend(crate::bmp::encode_fields(&[bcd(0x49, u64::from(cc), 4)]));
                }
                self.tell(t, &Packet::Completion { data }).await?;
            }
            Packet::Authorization { fields } => {
                return self.payment(t, Kind::Sale, fields.amount().unwrap_or(0), None).await;
            }
            Packet::Refund { fields, .. } => {
                return self.payment(t, Kind::Refund, fields.amount().unwrap_or(0), None).await;
            }
            Packet::Reversal { fields, .. } => {
                let receipt = fields.receipt_no();
                let original = self
                    .records()
                    .into_iter()
                    .find(|r| Some(r.receipt_no) == receipt && r.kind == Kind::Sale);
                match original {
                    Some(o) if !o.reversed && !o.settled => {
                        return self.payment(t, Kind::Reversal, o.amount, Some(o.receipt_no)).await;
                    }
                    Some(o) => {
                        let code = if o.reversed { 0xB4 } else { 0xB5 };
                        t.send(&Apdu::ack()).await?;
                        self.fail(t, code, o.amount).await?;
                    }
                    None => {
                        t.send(&Apdu::ack()).await?;
                        self.fail(t, 0xB5, 0).await?;
                    }
                }
            }
            Packet::EndOfDay { .. } => {
                t.send(&Apdu::ack()).await?;
                let open: Vec<SimRecord> = self.records().into_iter().filter(|r| !r.settled).collect();
                let booked = |k: Kind| open.iter().filter(move |r| r.kind == k && !r.reversed);
                let total: i64 = booked(Kind::Sale).map(|r| r.amount as i64).sum::<i64>()
                    - booked(Kind::Refund).map(|r| r.amount as i64).sum::<i64>();
                let count = booked(Kind::Sale).count() + booked(Kind::Refund).count();
                // BMP 60: receipt from/to, then seven (count, total) pairs; all under "Visa".
                let mut single = Vec::new();
                let first = open.first().map_or(0, |r| r.receipt_no);
                let last = open.last().map_or(0, |r| r.receipt_no);
                single.extend(crate::bmp::to_bcd(u64::from(first), 4).unwrap_or_default());
                single.extend(crate::bmp::to_bcd(u64::from(last), 4).unwrap_or_default());
                for scheme in 0..7 {
                    let (n, sum) = if scheme == 4 {
                        (count.min(255) as u8, total.max(0) as u64)
                    } else {
                        (0, 0)
                    };
                    single.push(n);
                    single.extend(crate::bmp::to_bcd(sum, 12).unwrap_or_default());
                }
                let trace = self.next_trace();
                let now = chrono::Local::now();
                let fields = vec![
                    Field::byte(0x27, 0x00),
                    bcd(0x04, total.max(0) as u64, 12),
                    bcd(0x0B, u64::from(trace), 6),
                    bcd(0x0C, now.format("%H%M%S").to_string().parse().unwrap_or(0), 6),
                    bcd(0x0D, now.format("%m%d").to_string().parse().unwrap_or(0), 4),
                    var(0x60, single),
                ];
                if self.tell(t, &Packet::StatusInformation { fields }).await? {
                    self.record(Op::EndOfDay).map_err(|e| ZvtError::Io(e.to_string()))?;
                }
                self.tell(t, &Packet::Completion { data: vec![0x00] }).await?;
            }
            Packet::RepeatReceipt { .. } => {
                t.send(&Apdu::ack()).await?;
                let last = lock(&self.state).last_status.clone();
                match last {
                    Some(fields) => {
                        self.tell(t, &Packet::StatusInformation { fields }).await?;
                        self.tell(t, &Packet::Completion { data: vec![0x00] }).await?;
                    }
                    None => {
                        self.tell(
                            t,
                            &Packet::PtAbort {
                                code: 0x83,
                                rest: Vec::new(),
                            },
                        )
                        .await?;
                    }
                }
            }
            Packet::StatusEnquiry { .. } => {
                t.send(&Apdu::ack()).await?;
                let version = b"OpenTill ZVT simulator 1.0";
                let mut data = vec![
                    0xF0,
                    0xF0 | (version.len() / 10) as u8,
                    0xF0 | (version.len() % 10) as u8,
                ];
                data.extend(version);
                data.push(0x00);
                self.tell(t, &Packet::Completion { data }).await?;
            }
            Packet::Abort { .. } | Packet::LogOff => t.send(&Apdu::ack()).await?,
            Packet::Other(a) => match (a.class, a.instr) {
                // Diagnosis, set TID, initialisation, print configuration: nothing to do here.
                (0x06, 0x70 | 0x1B | 0x93 | 0x1A) => {
                    t.send(&Apdu::ack()).await?;
                    self.tell(t, &Packet::Completion { data: vec![0x00] }).await?;
                }
                // Partial reversal of a pre-authorisation: none are open [L22].
                (0x06, 0x23) => {
                    t.send(&Apdu::ack()).await?;
                    self.tell(
                        t,
                        &Packet::PtAbort {
                            code: 0xB8,
                            rest: vec![0x87, 0xFF, 0xFF],
                        },
                    )
                    .await?;
                }
                _ => t.send(&Apdu::nack(0x83)).await?,
            },
            // Messages only a PT sends, or answers out of place.
            _ => t.send(&Apdu::nack(0x83)).await?,
        }
        Ok(Next::Continue)
    }

    fn next_trace(&self) -> u32 {
        let st = lock(&self.state);
        st.trace % 999_999 + 1
    }

    async fn intermediate<T: Transport + ?Sized>(&self, t: &mut T, status: u8) -> Result<(), ZvtError> {
        if lock(&self.state).config & 0x08 != 0 {
            self.tell(
                t,
                &Packet::IntermediateStatus {
                    status,
                    rest: Vec::new(),
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn fail<T: Transport + ?Sized>(&self, t: &mut T, code: u8, amount: u64) -> Result<(), ZvtError> {
        let fields = vec![Field::byte(0x27, code), bcd(0x04, amount, 12)];
        self.tell(t, &Packet::StatusInformation { fields }).await?;
        self.tell(t, &Packet::PtAbort { code, rest: Vec::new() }).await?;
        Ok(())
    }

    async fn payment<T: Transport + ?Sized>(
        &self,
        t: &mut T,
        kind: Kind,
        amount: u64,
        original: Option<u16>,
    ) -> Result<Next, ZvtError> {
        let scenario = amount % 100;
        if scenario == 93 {
            t.send(&Apdu::nack(0x9C)).await?;
            return Ok(Next::Continue);
        }
        t.send(&Apdu::ack()).await?;
        if scenario == 92 {
            return Ok(Next::Drop);
        }
        if kind != Kind::Reversal {
            self.intermediate(t, 0x0A).await?;
        }
        match scenario {
            51 => return self.fail(t, 0x33, amount).await.map(|()| Next::Continue),
            56 => return self.fail(t, 0x05, amount).await.map(|()| Next::Continue),
            54 => {
                self.intermediate(t, 0x0A).await?;
                return self.fail(t, 0x64, amount).await.map(|()| Next::Continue);
            }
            57 if self.wait_for_card(t).await? => return Ok(Next::Continue),
            55 => {
                self.tell(
                    t,
                    &Packet::PtAbort {
                        code: 0x6C,
                        rest: Vec::new(),
                    },
                )
                .await?;
                return Ok(Next::Continue);
            }
            _ => {}
        }
        let contactless = scenario == 53;
        if !contactless && kind != Kind::Reversal {
            self.intermediate(t, 0x01).await?;
        }
        let (trace, receipt) = {
            let st = lock(&self.state);
            (st.trace % 999_999 + 1, st.receipt % 9_999 + 1)
        };
        let (cvm, tech) = match scenario {
            52 => (0x01, 0x01),
            53 => (0x00, 0x02),
            _ => (0x02, 0x01),
        };
        // The PT sends the PAN masked: `E` nibbles and the last four digits [P15 §13].
        let last4 = 1000 + (u64::from(receipt) * 37) % 9000;
        let mut pan = vec![0xEE; 6];
        pan.extend(crate::bmp::to_bcd(last4, 4).unwrap_or_default());
        let now = chrono::Local::now();
        let hhmmss: u64 = now.format("%H%M%S").to_string().parse().unwrap_or(0);
        let mmdd: u64 = now.format("%m%d").to_string().parse().unwrap_or(0);
        let mut fields = vec![
            Field::byte(0x27, 0x00),
            bcd(0x04, amount, 12),
            bcd(0x0B, u64::from(trace), 6),
            bcd(0x0C, hhmmss, 6),
            bcd(0x0D, mmdd, 4),
            var(0x22, pan),
            bcd(0x29, u64::from(self.terminal_id), 8),
            Field {
                bmp: 0x3B,
                prefix: Vec::new(),
                value: format!("{:06}\0\0", (u64::from(receipt) * 7919 + 4321) % 1_000_000).into_bytes(),
            },
            bcd(0x49, 978, 4),
            bcd(0x87, u64::from(receipt), 4),
            Field::byte(0x8A, 0x0A),
            var(0x8B, b"VISA\0".to_vec()),
        ];
        let echo = lock(&self.state).echo_currency;
        if let Some(cc) = echo
            && let Some(f) = fields.iter_mut().find(|f| f.bmp == 0x49)
        {
            *f = bcd(0x49, u64::from(cc), 4);
        }
        if lock(&self.state).tlv {
            let mut v = Vec::new();
            v.extend(tlv(&[0x43], &[0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10]));
            v.extend(tlv(&[0x42], b"VISA CREDIT"));
            v.extend(tlv(&[0x1F, 0x10], &[cvm]));
            v.extend(tlv(&[0x1F, 0x12], &[tech]));
            // EMV print data for the merchant receipt: "AID cryptogram", as VALINA sends it.
            let cryptogram = u64::from(receipt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            v.extend(tlv(&[0x47], format!("A0000000031010 {cryptogram:016X}").as_bytes()));
            fields.push(var(0x06, v));
        }
        if !self
            .tell(t, &Packet::StatusInformation { fields: fields.clone() })
            .await?
        {
            // Not acknowledged: the PT reverses it itself; nothing is booked.
            return Ok(Next::Drop);
        }
        let record = SimRecord {
            kind,
            amount,
            trace,
            receipt_no: receipt,
            original_receipt: original,
            reversed: false,
            settled: false,
        };
        self.record(Op::Booked(record))
            .map_err(|e| ZvtError::Io(e.to_string()))?;
        lock(&self.state).last_status = Some(fields);
        if scenario == 91 {
            return Ok(Next::Drop);
        }
        if contactless || kind == Kind::Reversal {
            self.tell(t, &Packet::Completion { data: vec![0x00] }).await?;
        } else {
            self.intermediate(t, 0x0B).await?;
            self.tell(t, &Packet::Completion { data: vec![0x00] }).await?;
        }
        Ok(Next::Continue)
    }
}

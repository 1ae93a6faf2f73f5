//! The `PaymentTerminal` port over ZVT: sale (06 01), void (06 30), refund (06 31),
//! end-of-day (06 50), last result (06 20), status (05 01), abort (06 B0). It connects lazily,
//! registers (06 00) on every new connection, and drops a connection that failed so the next
//! call starts clean.
//!
//! What an error means for the money [P15 §2.2.8–2.2.9]: the PT books a payment only when its
//! status information (04 0F) is acknowledged. So an acknowledged 04 0F with result 00 is an
//! approval even if the completion never arrives; an error before the PT accepted the command
//! means nothing happened; anything in between is Unknown, resolved later from the repeat
//! receipt (06 20).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use till_domain::ports::*;
use till_domain::{Approval, CardData, Cvm, Decline, EntryMode, Money, Tally, TerminalTotals};
use tokio::sync::Mutex;

use crate::bmp::{self, Field};
use crate::ecr::{Ecr, Ending, Reply, SequenceError, SequenceTimings};
use crate::error::ZvtError;
use crate::packet::{Fields, Packet};
use crate::serial::{SerialLink, Timings};
use crate::stream::StreamSource;
use crate::transport::{ApduStream, Transport};

/// Where the PIN pad is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Connection {
    /// RS-232 / USB-serial (or a pseudo-terminal): 8 data bits, no parity, 2 stop bits unless
    /// [`ZvtConfig::stop_bits`] says 1 (some PTs and USB adapters are set to 8N1).
    Serial { path: String, baud: u32 },
    /// TCP, bare APDUs (port 20007 by default).
    Tcp { address: String },
    /// A paired Bluetooth reader (`till-bluetooth`), serial-framed over its link. The link
    /// itself is kept by the [`ZvtConfig::streams`] the till gives the driver.
    Bluetooth { address: String },
}

#[derive(Debug, Clone)]
pub struct ZvtConfig {
    pub connection: Connection,
    /// The PT's password (3 BCD bytes), often 000000 or 123456.
    pub password: u32,
    /// ISO 4217 numeric currency.
    pub currency: u16,
    pub link: Timings,
    pub sequence: SequenceTimings,
    /// Serial stop bits: 2 (the ZVT default [P16 §2]) or 1.
    pub stop_bits: StopBits,
    /// What keeps a [`Connection::Bluetooth`] link and lends out its stream.
    pub streams: Option<Arc<dyn StreamSource>>,
}

/// Serial stop bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopBits {
    One,
    #[default]
    Two,
}

impl ZvtConfig {
    pub fn new(connection: Connection, currency: u16) -> ZvtConfig {
        ZvtConfig {
            connection,
            password: 123_456,
            currency,
            link: Timings::default(),
            sequence: SequenceTimings::default(),
            stop_bits: StopBits::Two,
            streams: None,
        }
    }
}

type Link = Ecr<Box<dyn Transport>>;

/// The registered link, and for a kept link (Bluetooth) which of its connections it runs on.
struct Held {
    ecr: Link,
    generation: Option<u64>,
}

/// A ZVT PIN pad.
pub struct ZvtTerminal {
    config: ZvtConfig,
    ecr: Mutex<Option<Held>>,
    abort: Arc<AtomicBool>,
}

impl std::fmt::Debug for ZvtTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZvtTerminal")
            .field("connection", &self.config.connection)
            .finish()
    }
}

/// Registration config byte [P15 §2.1]: the ECR prints payment and admin receipts itself (02,
/// 04) from the status information, and wants intermediate status (08) for the cashier.
pub const CONFIG_BYTE: u8 = 0x02 | 0x04 | 0x08;

fn device(e: &ZvtError) -> DeviceError {
    match e {
        ZvtError::Timeout(_) => DeviceError::Timeout,
        ZvtError::Closed | ZvtError::Io(_) => DeviceError::LineLost(e.to_string()),
        ZvtError::Transmission | ZvtError::NoLink(_) => DeviceError::Unavailable(e.to_string()),
        other => DeviceError::Protocol(other.to_string()),
    }
}

/// The cashier's progress line for an intermediate status code [P15 §3.7].
pub fn progress_of(status: u8) -> Progress {
    match status {
        0x07..=0x0A => Progress::PresentCard,
        0x01 | 0x02 | 0x15 => Progress::EnterPin,
        0x0B | 0x41..=0x5D => Progress::RemoveCard,
        _ => Progress::Processing,
    }
}

/// A declined or aborted result code as the till shows it [P15 §10].
pub fn decline_of(code: u8) -> Decline {
    let id = match code {
        0x05 => "decline-do-not-honour",
        0x33 => "decline-insufficient-funds",
        0x64 | 0x65 => "decline-card-unreadable",
        0x78 => "decline-card-expired",
        0x6C => "decline-cancelled",
        0x9C | 0xA0 => "decline-device-busy",
        _ => "decline-generic",
    };
    Decline {
        code: format!("{code:02X}"),
        message_id: id.to_owned(),
    }
}

/// What a receipt needs from a status information (04 0F): masked PAN, scheme, entry mode, AID,
/// label, CVM, auth code and the PT's receipt number as the reference.
pub fn approval_of(fields: &[Field]) -> Approval {
    let tlv = fields.tlv().unwrap_or_default();
    let tag = |n: u32| {
        till_emv::Tag::from_u32(n)
            .ok()
            .and_then(|t| till_emv::find(&tlv, t))
            .and_then(|t| t.bytes().map(<[u8]>::to_vec))
    };
    let card = fields.masked_pan().map(|masked| {
        let last4: String = masked
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let entry_mode = match tag(0x1F12).and_then(|v| v.first().copied()) {
            Some(0x00) => EntryMode::Swipe,
            Some(0x02) => EntryMode::Contactless,
            _ => EntryMode::Chip,
        };
        let cvm = match tag(0x1F10).and_then(|v| v.first().copied()) {
            Some(0x02..=0x04) => Cvm::PinVerified,
            Some(0x01 | 0x05..=0x07) => Cvm::Signature,
            _ => Cvm::NoSignatureRequired,
        };
        let scheme = fields
            .card_name()
            .filter(|n| !n.is_empty())
            .or_else(|| {
                fields
                    .field(0x8A)
                    .and_then(|f| f.value.first())
                    .map(|t| card_type_name(*t).to_owned())
            })
            .unwrap_or_else(|| "CARD".to_owned());
        // EMV data the PT passes on: chip data (BMP 2E, BER-TLV), and the "AID cryptogram" print
        // text some PTs put in TLV 46/47 [ZVT.md §4].
        let chip = fields
            .field(0x2E)
            .and_then(|f| till_emv::parse(&f.value).ok())
            .map(|t| till_emv::CardSummary::from_tlvs(&t));
        let print_text = tag(0x47)
            .or_else(|| tag(0x46))
            .map(|v| v.iter().map(|b| bmp::cp437(*b)).collect::<String>());
        let printed_cryptogram = print_text.as_deref().and_then(|t| {
            t.split_whitespace()
                .nth(1)
                .filter(|c| c.len() == 16 && c.chars().all(|ch| ch.is_ascii_hexdigit()))
                .map(str::to_owned)
        });
        let cvm = match chip.as_ref().and_then(|c| c.cvm) {
            Some(till_emv::CvmLine::PinVerified) => Cvm::PinVerified,
            Some(till_emv::CvmLine::Signature | till_emv::CvmLine::PinVerifiedAndSignature) => Cvm::Signature,
            Some(_) | None => cvm,
        };
        CardData {
            masked_pan: masked,
            last4,
            scheme,
            entry_mode,
            aid: tag(0x43)
                .map(hex::encode_upper)
                .or_else(|| chip.as_ref().and_then(|c| c.aid.clone())),
            app_label: tag(0x42)
                .map(|v| v.iter().map(|b| bmp::cp437(*b)).collect())
                .or_else(|| chip.as_ref().and_then(|c| c.application_label.clone())),
            cryptogram: chip.as_ref().and_then(|c| c.cryptogram.clone()).or(printed_cryptogram),
            cvm,
        }
    });
    Approval {
        auth_code: fields.auth_code().filter(|a| !a.is_empty()),
        reference: fields.receipt_no().map(|r| format!("{r:04}")),
        card,
        ..Approval::default()
    }
}

/// ZVT card type numbers (BMP 8A) [P15 §12].
fn card_type_name(t: u8) -> &'static str {
    match t {
        0x05 => "girocard",
        0x06 => "Mastercard",
        0x08 => "American Express",
        0x0A => "VISA",
        0x0D => "V PAY",
        0x0E => "JCB",
        0x2E => "Maestro",
        0xC6 => "UnionPay",
        _ => "CARD",
    }
}

/// The payment outcome of a finished sequence.
fn outcome(reply: &Reply) -> Result<Outcome, DeviceError> {
    match (&reply.ending, &reply.status) {
        (Ending::Refused { code: 0x9C | 0xA0 }, _) => Err(DeviceError::Busy),
        (Ending::Refused { code }, _) => Ok(Outcome::Declined(decline_of(*code))),
        (Ending::Aborted { code: 0x6C }, _) => Ok(Outcome::Cancelled),
        (Ending::Aborted { code }, _) => Ok(Outcome::Declined(decline_of(*code))),
        (Ending::Completed { .. }, Some(fields)) => match fields.result_code() {
            Some(0x00) | None => Ok(Outcome::Approved(approval_of(fields))),
            Some(code) => Ok(Outcome::Declined(decline_of(code))),
        },
        (Ending::Completed { .. }, None) | (Ending::Acknowledged, _) => Err(DeviceError::Protocol(
            "completion without status information".to_owned(),
        )),
    }
}

/// The payment outcome when a sequence broke off.
fn broken(e: &SequenceError) -> Result<Outcome, DeviceError> {
    if let Some(fields) = &e.status {
        // Acknowledged status information: the PT has booked it [P15 §2.2.8].
        if fields.result_code() == Some(0x00) {
            return Ok(Outcome::Approved(approval_of(fields)));
        }
    }
    if !e.accepted && matches!(e.error, ZvtError::Transmission) {
        return Err(DeviceError::Unavailable(e.error.to_string()));
    }
    Err(device(&e.error))
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&mut self, apdu: &crate::apdu::Apdu) -> Result<(), ZvtError> {
        (**self).send(apdu).await
    }
    async fn recv(&mut self, timeout: Duration) -> Result<crate::apdu::Apdu, ZvtError> {
        (**self).recv(timeout).await
    }
}

/// An opened transport, and for a kept link the generation of its stream.
pub struct Opened {
    pub transport: Box<dyn Transport>,
    pub generation: Option<u64>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Opens the transport of a connection.
pub async fn open(config: &ZvtConfig) -> Result<Opened, ZvtError> {
    let (link, stop_bits) = (config.link, config.stop_bits);
    let fresh = |transport: Box<dyn Transport>| Opened {
        transport,
        generation: None,
    };
    match &config.connection {
        Connection::Bluetooth { address } => {
            let source = config
                .streams
                .as_ref()
                .ok_or_else(|| ZvtError::NoLink(format!("no Bluetooth link is kept for {address}")))?;
            let live = source.open().await.map_err(ZvtError::NoLink)?;
            Ok(Opened {
                transport: Box::new(SerialLink::new(live.stream, link)),
                generation: Some(live.generation),
            })
        }
        Connection::Tcp { address } => {
            let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(address))
                .await
                .map_err(|_| ZvtError::Timeout("connect"))??;
            stream.set_nodelay(true)?;
            Ok(fresh(Box::new(ApduStream::new(stream))))
        }
        Connection::Serial { path, baud } => {
            use tokio_serial::SerialPortBuilderExt;
            #[cfg_attr(not(unix), allow(unused_mut))]
            let mut port = tokio_serial::new(path, *baud)
                .data_bits(tokio_serial::DataBits::Eight)
                .parity(tokio_serial::Parity::None)
                .stop_bits(match stop_bits {
                    StopBits::One => tokio_serial::StopBits::One,
                    StopBits::Two => tokio_serial::StopBits::Two,
                })
                .flow_control(tokio_serial::FlowControl::None)
                .open_native_async()
                .map_err(|e| ZvtError::Io(e.to_string()))?;
            // Unix opens serial ports exclusively by default; a technician's `screen` beside the
            // till is allowed. Windows has no such switch: a COM port has one owner.
            #[cfg(unix)]
            port.set_exclusive(false).map_err(|e| ZvtError::Io(e.to_string()))?;
            Ok(fresh(Box::new(SerialLink::new(port, link))))
        }
    }
}

impl ZvtTerminal {
    pub fn new(config: ZvtConfig) -> ZvtTerminal {
        ZvtTerminal {
            config,
            ecr: Mutex::new(None),
            abort: Arc::new(AtomicBool::new(false)),
        }
    }

    fn password(&self) -> u32 {
        self.config.password
    }

    async fn connect(&self) -> Result<Held, DeviceError> {
        let Opened { transport, generation } = open(&self.config)
            .await
            .map_err(|e| DeviceError::Unavailable(e.to_string()))?;
        let mut ecr = Ecr::new(transport, self.config.sequence);
        ecr.abort = self.abort.clone();
        let registration = Packet::Registration {
            password: self.password(),
            config: CONFIG_BYTE,
            currency: Some(self.config.currency),
            // An empty TLV container asks the PT for TLV data (AID, label, CVM) [P15 §9.2.1].
            fields: vec![Field {
                bmp: 0x06,
                prefix: vec![0x00],
                value: Vec::new(),
            }],
        };
        match ecr.run(&registration, &mut |_| {}).await {
            Ok(Reply {
                ending: Ending::Completed { .. },
                ..
            }) => Ok(Held { ecr, generation }),
            Ok(other) => Err(DeviceError::Unavailable(format!(
                "registration refused: {:?}",
                other.ending
            ))),
            Err(e) => Err(DeviceError::Unavailable(e.error.to_string())),
        }
    }

    /// Runs one command on the (re)connected link; a broken link is dropped.
    async fn run(
        &self,
        command: Packet,
        progress: &dyn ProgressSink,
    ) -> Result<Result<Reply, SequenceError>, DeviceError> {
        let mut guard = self.ecr.lock().await;
        // A kept link that dropped (or came back as a new connection) since: never write to
        // the dead stream; take the live one, or refuse before anything is sent.
        if let (
            Some(Held {
                generation: Some(g), ..
            }),
            Some(source),
        ) = (guard.as_ref(), &self.config.streams)
            && !source.live(*g)
        {
            *guard = None;
        }
        if guard.is_none() {
            *guard = Some(self.connect().await?);
        }
        let Some(Held { ecr, .. }) = guard.as_mut() else {
            return Err(DeviceError::Unavailable("not connected".to_owned()));
        };
        let mut on_status = |s: u8| progress.progress(progress_of(s));
        let result = ecr.run(&command, &mut on_status).await;
        if result.is_err() {
            *guard = None;
        }
        Ok(result)
    }

    fn amount_fields(&self, amount: Money) -> Result<Vec<Field>, DeviceError> {
        let amt = u64::try_from(amount.minor).map_err(|_| DeviceError::Protocol("negative amount".to_owned()))?;
        let f = |r: Result<Field, ZvtError>| r.map_err(|e| DeviceError::Protocol(e.to_string()));
        Ok(vec![
            f(Field::bcd(0x04, amt, 12))?,
            f(Field::bcd(0x49, u64::from(self.config.currency), 4))?,
        ])
    }

    async fn payment(&self, command: Packet, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        match self.run(command, progress).await? {
            Ok(reply) => outcome(&reply),
            Err(e) => broken(&e),
        }
    }
}

/// Sum of the counts in BMP 60 (end-of-day single totals): receipt no. from/to, then seven
/// (count, total) pairs [P15 §3.1.3].
fn totals_count(fields: &[Field]) -> u64 {
    let Some(f) = fields.field(0x60) else { return 0 };
    f.value
        .get(4..)
        .map_or(0, |pairs| pairs.chunks(7).map(|c| u64::from(c[0])).sum())
}

#[async_trait]
impl PaymentTerminal for ZvtTerminal {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::PresentCard);
        self.payment(
            Packet::Authorization {
                fields: self.amount_fields(req.amount)?,
            },
            progress,
        )
        .await
    }

    async fn void(
        &self,
        _req: &CardRequest,
        original: &VoidTarget,
        progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        let receipt: u64 = original
            .reference
            .as_deref()
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| DeviceError::Protocol("the sale has no terminal receipt number to reverse".to_owned()))?;
        let field = Field::bcd(0x87, receipt, 4).map_err(|e| DeviceError::Protocol(e.to_string()))?;
        self.payment(
            Packet::Reversal {
                password: self.password(),
                fields: vec![field],
            },
            progress,
        )
        .await
    }

    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::PresentCard);
        self.payment(
            Packet::Refund {
                password: self.password(),
                fields: self.amount_fields(req.amount)?,
            },
            progress,
        )
        .await
    }

    /// ZVT terminals reverse a result that was not acknowledged themselves [P15 §2.2.8]; one
    /// that was acknowledged is found by the repeat receipt and kept. Nothing is left to undo.
    async fn reverse(&self, _trace: till_domain::TraceNo, _amount: Money) -> Result<bool, DeviceError> {
        Ok(false)
    }

    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError> {
        // Service 03: resend the status information, do not print.
        let command = Packet::RepeatReceipt {
            password: self.password(),
            fields: vec![Field::byte(0x03, 0x03)],
        };
        let reply = match self.run(command, &NoProgress).await? {
            Ok(r) => r,
            Err(e) => return Err(device(&e.error)),
        };
        let Some(fields) = reply.status else { return Ok(None) };
        let minor = fields.amount().unwrap_or(0) as i64;
        let currency = till_domain::Currency::ALL
            .into_iter()
            .find(|c| Some(c.numeric()) == fields.currency().or(Some(self.config.currency)))
            .unwrap_or(till_domain::Currency::Hkd);
        let outcome = match fields.result_code() {
            Some(0x00) | None => Outcome::Approved(approval_of(&fields)),
            Some(code) => Outcome::Declined(decline_of(code)),
        };
        Ok(Some(LastResult {
            trace: None,
            reference: fields.receipt_no().map(|r| format!("{r:04}")),
            amount: Money::new(minor, currency),
            outcome,
        }))
    }

    async fn end_of_day(&self) -> Result<TerminalTotals, DeviceError> {
        let command = Packet::EndOfDay {
            password: self.password(),
            fields: Vec::new(),
        };
        let reply = match self.run(command, &NoProgress).await? {
            Ok(r) => r,
            Err(e) => return Err(device(&e.error)),
        };
        match (&reply.ending, &reply.status) {
            (Ending::Completed { .. }, Some(fields)) => Ok(TerminalTotals {
                sales: Tally {
                    count: totals_count(fields),
                    minor: fields.amount().unwrap_or(0) as i64,
                },
                refunds: Tally::default(),
                net_only: true,
            }),
            (Ending::Completed { .. }, None) => Ok(TerminalTotals {
                net_only: true,
                ..TerminalTotals::default()
            }),
            (ending, _) => Err(DeviceError::Protocol(format!("end-of-day: {ending:?}"))),
        }
    }

    async fn abort(&self) -> Result<(), DeviceError> {
        self.abort.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn status(&self) -> Result<DeviceStatus, DeviceError> {
        let command = Packet::StatusEnquiry {
            password: Some(self.password()),
            fields: Vec::new(),
        };
        let reply = match self.run(command, &NoProgress).await? {
            Ok(r) => r,
            Err(e) => return Err(device(&e.error)),
        };
        match reply.ending {
            Ending::Completed { data } => {
                // [<software version LLLVAR>] <terminal status> [06 TLV]
                let (version, rest) = match data.first() {
                    Some(b) if b >> 4 == 0xF && data.len() >= 3 => {
                        let n = data[..3].iter().fold(0usize, |n, b| n * 10 + usize::from(b & 0x0F));
                        let end = (3 + n).min(data.len());
                        (
                            data[3..end].iter().map(|b| bmp::cp437(*b)).collect::<String>(),
                            &data[end..],
                        )
                    }
                    _ => (String::new(), &data[..]),
                };
                let code = rest.first().copied().unwrap_or(0xFF);
                Ok(DeviceStatus {
                    ready: code == 0x00,
                    detail: format!("{} status {code:02X}", version.trim()),
                })
            }
            other => Err(DeviceError::Protocol(format!("status: {other:?}"))),
        }
    }
}

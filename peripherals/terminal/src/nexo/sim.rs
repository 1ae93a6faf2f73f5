//! A simulated Terminal API terminal: it answers encrypted `SaleToPOIRequest`s POSTed over
//! HTTPS (its certificate chained to a root the test or the demo made), with the same magic
//! amounts as the ZVT simulator ([`crate::sim`]):
//!
//! | ends in | the simulated terminal |
//! |---|---|
//! | 51 | declines: insufficient funds (`Refusal`) |
//! | 52 | approves, chip, signature (`PaperSignature`) |
//! | 53 | approves, contactless, no CVM |
//! | 54 | a chip card swiped, then unreadable (`InvalidCard`) |
//! | 55 | the customer cancels on the pad (`Cancel`) |
//! | 56 | declines: do not honour (`Refusal`) |
//! | 57 | waits for a card until aborted (`Aborted`), or 60 s then approves |
//! | 91 | approves and books, but the answer is lost (the connection drops) |
//! | 92 | the line drops after the request: nothing booked |
//! | 93 | busy (`Busy`) |
//! | other | approves, chip, PIN verified |
//!
//! A message it cannot open is answered, unencrypted, by an `EventNotification` `Reject`
//! whose details say why (`message=Crypto+error&reason=...`), as a real terminal does.
//! Bookings are kept in a JSON-lines file (fsynced per entry), so TransactionStatus,
//! Reversal and Reconciliation agree with what it did across restarts.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use super::NexoError;
use super::codec::{decode, encode_plain, encode_secured};
use super::crypto::{CryptoError, DerivedKey, SecurityKey};
use super::device;
use super::message::*;
use super::transport::provider;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Sale,
    Refund,
    Reversal,
}

/// One finished request as the terminal remembers it (approved or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub kind: Kind,
    pub service_id: String,
    /// The POI's transaction id (what a Reversal names).
    pub poi_transaction_id: String,
    pub amount: i64,
    pub approved: bool,
    /// For a reversal: the POI transaction it reversed.
    pub original: Option<String>,
    pub reversed: bool,
    pub settled: bool,
    /// The response as sent, repeated by TransactionStatus.
    pub response: Option<PaymentResponse>,
}

#[allow(clippy::large_enum_variant)] // one line of the record at a time
#[derive(Debug, Serialize, Deserialize)]
enum Op {
    Booked(Booking),
    Reconciled,
}

#[derive(Debug, Default)]
struct State {
    bookings: Vec<Booking>,
    /// The payment being worked on (ServiceID), for Busy, InProgress and Abort.
    in_progress: Option<String>,
    aborted: bool,
    counter: u64,
    file: Option<PathBuf>,
    /// The till's device endpoint (`host:port`), when the terminal is set to notify it.
    notify: Option<String>,
    /// What the till answered to each device request.
    device_answers: Vec<DeviceAnswer>,
}

/// The till's answer to a device request the simulator sent (`result` None: no answer, or
/// refused at the HTTP level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAnswer {
    pub category: MessageCategory,
    pub result: Option<ResultCode>,
    /// An InputResponse's `ConfirmedFlag`.
    pub confirmed: Option<bool>,
}

impl State {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Booked(b) => {
                if b.kind == Kind::Reversal
                    && let Some(orig) = self
                        .bookings
                        .iter_mut()
                        .find(|o| Some(&o.poi_transaction_id) == b.original.as_ref())
                {
                    orig.reversed = true;
                }
                self.counter += 1;
                self.bookings.push(b.clone());
            }
            Op::Reconciled => self.bookings.iter_mut().for_each(|b| b.settled = true),
        }
    }
}

/// What the HTTP layer does with a request.
#[derive(Debug, PartialEq)]
pub enum Reply {
    Json(Vec<u8>),
    /// 200 with no body (the answer to an Abort).
    Empty,
    /// Close the connection without answering.
    Drop,
}

/// What the HTTP layer is told to make it close the connection without an answer.
#[derive(Debug)]
struct LineDropped;

impl std::fmt::Display for LineDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("line dropped by the scenario")
    }
}

impl std::error::Error for LineDropped {}

/// A simulated nexo terminal.
#[derive(Debug)]
pub struct NexoSim {
    state: Mutex<State>,
    key: DerivedKey,
    pub poi_id: String,
    abort: tokio::sync::Notify,
    /// How long scenario 57 waits for an Abort.
    pub card_wait: Duration,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn reject_reason(e: &NexoError) -> &'static str {
    match e {
        NexoError::Crypto(CryptoError::WrongKey { .. }) => "WrongKey",
        NexoError::Crypto(CryptoError::WrongPassphrase) => "WrongPassphrase",
        NexoError::Crypto(CryptoError::HmacMismatch) => "HmacMismatch",
        NexoError::NeedKey => "NotEncrypted",
        _ => "MessageFormat",
    }
}

impl NexoSim {
    /// A terminal holding `key`, whose record lives in `file` (or only in memory).
    pub fn open(key: &SecurityKey, poi_id: &str, file: Option<&Path>) -> std::io::Result<NexoSim> {
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
        Ok(NexoSim {
            state: Mutex::new(state),
            key: DerivedKey::derive(key),
            poi_id: poi_id.to_owned(),
            abort: tokio::sync::Notify::new(),
            card_wait: Duration::from_secs(60),
        })
    }

    /// Whether a payment is being worked on (scenario 57 waits for a card): the moment to abort.
    pub fn waiting_for_card(&self) -> bool {
        lock(&self.state).in_progress.is_some()
    }

    /// Every request it finished so far.
    pub fn bookings(&self) -> Vec<Booking> {
        lock(&self.state).bookings.clone()
    }

    /// From now on, tell the till at `address` (`host:port`) what it is doing during a payment:
    /// Display requests for its steps, and for a signature (52) an Input to confirm and a Print
    /// of the signature slip ([`super::device`]).
    pub fn notify(&self, address: &str) {
        lock(&self.state).notify = Some(address.to_owned());
    }

    /// What the till answered to the device requests sent so far.
    pub fn device_answers(&self) -> Vec<DeviceAnswer> {
        lock(&self.state).device_answers.clone()
    }

    /// Sends the till one device request (when it is notified) and notes its answer.
    async fn tell_till(&self, sale_id: &str, category: MessageCategory, body: Request) {
        let Some(address) = lock(&self.state).notify.clone() else {
            return;
        };
        let n = lock(&self.state).device_answers.len();
        let message = TerminalApi::Request(SaleToPoiRequest {
            message_header: MessageHeader {
                protocol_version: Some("3.0".to_owned()),
                message_class: MessageClass::Device,
                message_category: category,
                message_type: MessageType::Request,
                service_id: Some(format!("D{n:09}")),
                sale_id: sale_id.to_owned(),
                poi_id: self.poi_id.clone(),
            },
            body,
        });
        let answer = device::post(&address, encode_secured(&message, &self.key), Duration::from_secs(10)).await;
        let response = match answer {
            Ok((200, bytes)) => match decode(&bytes, Some(&self.key)).map(|d| d.message) {
                Ok(TerminalApi::Response(r)) => Some(r.body),
                _ => None,
            },
            _ => None,
        };
        let (result, confirmed) = match response {
            Some(Response::DisplayResponse(d)) => (
                d.output_result
                    .iter()
                    .map(|r| r.response.result)
                    .max_by_key(|r| *r != ResultCode::Success),
                None,
            ),
            Some(Response::PrintResponse(p)) => (Some(p.response.result), None),
            Some(Response::InputResponse(i)) => (
                Some(i.input_result.response.result),
                i.input_result.input.and_then(|i| i.confirmed_flag),
            ),
            _ => (None, None),
        };
        lock(&self.state).device_answers.push(DeviceAnswer {
            category,
            result,
            confirmed,
        });
    }

    /// The cashier-display steps of a payment in `scenario`, then (signature) the confirmation
    /// and the slip.
    async fn tell_steps(&self, sale_id: &str, scenario: i64, masked_pan: &str) {
        let display = |reference: &str| {
            Request::DisplayRequest(DisplayRequest {
                display_output: vec![DisplayOutput {
                    device: "CashierDisplay".to_owned(),
                    info_qualify: "Status".to_owned(),
                    output_content: OutputContent {
                        output_format: "MessageRef".to_owned(),
                        predefined_content: Some(PredefinedContent {
                            reference_id: reference.to_owned(),
                        }),
                        output_text: Vec::new(),
                    },
                }],
            })
        };
        let steps: &[&str] = match scenario {
            52 => &["InsertCard", "SignatureCapture"],
            53 => &["Processing"],
            _ => &["InsertCard", "PINEntry", "Processing"],
        };
        for step in steps {
            self.tell_till(sale_id, MessageCategory::Display, display(step)).await;
        }
        if scenario != 52 {
            return;
        }
        let input = Request::InputRequest(InputRequest {
            display_output: None,
            input_data: InputData {
                device: "CashierKeyboard".to_owned(),
                info_qualify: "Input".to_owned(),
                input_command: "GetConfirmation".to_owned(),
            },
        });
        self.tell_till(sale_id, MessageCategory::Input, input).await;
        let text = |t: &str| OutputText { text: t.to_owned() };
        let slip = Request::PrintRequest(PrintRequest {
            print_output: PrintOutput {
                document_qualifier: "CashierReceipt".to_owned(),
                response_mode: "PrintEnd".to_owned(),
                output_content: OutputContent {
                    output_format: "Text".to_owned(),
                    predefined_content: None,
                    output_text: vec![
                        text("CARDHOLDER SIGNATURE"),
                        text(masked_pan),
                        text(""),
                        text("X______________________"),
                    ],
                },
            },
        });
        self.tell_till(sale_id, MessageCategory::Print, slip).await;
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

    /// Serves HTTPS on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, acceptor: TlsAcceptor) {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (sim, acceptor) = (self.clone(), acceptor.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let sim = sim.clone();
                    async move {
                        let body = match req.into_body().collect().await {
                            Ok(b) => b.to_bytes(),
                            Err(_) => return Err(LineDropped),
                        };
                        match sim.answer(&body).await {
                            Reply::Json(bytes) => {
                                let mut r = hyper::Response::new(Full::new(Bytes::from(bytes)));
                                r.headers_mut().insert(
                                    hyper::header::CONTENT_TYPE,
                                    hyper::header::HeaderValue::from_static("application/json"),
                                );
                                Ok(r)
                            }
                            Reply::Empty => Ok(hyper::Response::new(Full::new(Bytes::new()))),
                            Reply::Drop => Err(LineDropped),
                        }
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    }

    /// Answers one POSTed body.
    pub async fn answer(self: &Arc<Self>, body: &[u8]) -> Reply {
        let decoded = match decode(body, Some(&self.key)) {
            Ok(d) if d.encrypted => d.message,
            Ok(_) => return self.reject(None, &NexoError::NeedKey),
            Err(e) => {
                let header = serde_json::from_slice::<SecuredApi>(body).ok().map(|s| match s {
                    SecuredApi::Request(m) | SecuredApi::Response(m) => m.message_header,
                });
                return self.reject(header, &e);
            }
        };
        let TerminalApi::Request(req) = decoded else {
            return self.reject(None, &NexoError::Unexpected("a response".to_owned()));
        };
        let header = req.message_header.clone();
        let body = match req.body {
            Request::PaymentRequest(p) => return self.payment(&header, p).await,
            Request::AbortRequest(a) => {
                let mut st = lock(&self.state);
                if st.in_progress.as_deref() == Some(a.message_reference.service_id.as_str()) {
                    st.aborted = true;
                    drop(st);
                    self.abort.notify_waiters();
                }
                return Reply::Empty;
            }
            Request::TransactionStatusRequest(t) => Response::TransactionStatusResponse(self.status(t)),
            Request::ReversalRequest(r) => Response::ReversalResponse(self.reversal(&header, &r)),
            Request::ReconciliationRequest(r) => Response::ReconciliationResponse(self.reconcile(r)),
            Request::DiagnosisRequest(_) => Response::DiagnosisResponse(DiagnosisResponse {
                response: ResponseStatus::success(),
                poi_status: Some(PoiStatus {
                    global_status: if lock(&self.state).in_progress.is_some() {
                        GlobalStatus::Busy
                    } else {
                        GlobalStatus::OK
                    },
                }),
            }),
            Request::DisplayRequest(d) => Response::DisplayResponse(DisplayResponse {
                output_result: d
                    .display_output
                    .iter()
                    .map(|o| OutputResult {
                        device: o.device.clone(),
                        info_qualify: o.info_qualify.clone(),
                        response: ResponseStatus::success(),
                    })
                    .collect(),
            }),
            Request::PrintRequest(p) => Response::PrintResponse(PrintResponse {
                document_qualifier: p.print_output.document_qualifier,
                response: ResponseStatus::success(),
            }),
            Request::InputRequest(i) => Response::InputResponse(InputResponse {
                input_result: InputResult {
                    device: i.input_data.device,
                    info_qualify: i.input_data.info_qualify,
                    response: ResponseStatus::failure(ErrorCondition::NotAllowed, None),
                    input: None,
                },
                output_result: None,
            }),
            Request::EventNotification(_) => return Reply::Empty,
        };
        self.respond(&header, body)
    }

    fn respond(&self, header: &MessageHeader, body: Response) -> Reply {
        let mut h = header.clone();
        h.message_type = MessageType::Response;
        h.poi_id.clone_from(&self.poi_id);
        let message = TerminalApi::Response(SaleToPoiResponse {
            message_header: h,
            body,
        });
        Reply::Json(encode_secured(&message, &self.key))
    }

    fn reject(&self, header: Option<MessageHeader>, e: &NexoError) -> Reply {
        let mut h = header.unwrap_or(MessageHeader {
            protocol_version: Some("3.0".to_owned()),
            message_class: MessageClass::Event,
            message_category: MessageCategory::Event,
            message_type: MessageType::Notification,
            service_id: None,
            sale_id: String::new(),
            poi_id: self.poi_id.clone(),
        });
        h.message_class = MessageClass::Event;
        h.message_category = MessageCategory::Event;
        h.message_type = MessageType::Notification;
        let details = form_urlencoded::Serializer::new(String::new())
            .append_pair("message", "Crypto error")
            .append_pair("reason", reject_reason(e))
            .finish();
        let message = TerminalApi::Request(SaleToPoiRequest {
            message_header: h,
            body: Request::EventNotification(EventNotification {
                event_to_notify: "Reject".to_owned(),
                event_details: Some(details),
                time_stamp: Some(now()),
            }),
        });
        Reply::Json(encode_plain(&message))
    }

    fn next_poi_id(&self) -> String {
        let n = lock(&self.state).counter + 1;
        format!(
            "SIM{n:06}.{:016}",
            n.wrapping_mul(7_919_000_003) % 10_000_000_000_000_000
        )
    }

    async fn payment(self: &Arc<Self>, header: &MessageHeader, p: PaymentRequest) -> Reply {
        // The tip is authorized with the amount; scenarios go by the total, as on ZVT.
        let amount = p.payment_transaction.amounts_req.requested_amount.0
            + p.payment_transaction.amounts_req.tip_amount.map_or(0, |t| t.0);
        let service_id = header.service_id.clone().unwrap_or_default();
        let kind = match p.payment_data.as_ref().map(|d| d.payment_type) {
            Some(PaymentType::Refund) => Kind::Refund,
            _ => Kind::Sale,
        };
        let scenario = amount.rem_euclid(100);
        let busy = {
            let mut st = lock(&self.state);
            let busy = st.in_progress.is_some() || scenario == 93;
            if !busy {
                st.in_progress = Some(service_id.clone());
                st.aborted = false;
            }
            busy
        };
        let base = PaymentResponse {
            response: ResponseStatus::success(),
            sale_data: p.sale_data.clone(),
            poi_data: None,
            payment_result: Some(PaymentResult {
                payment_instrument_data: None,
                amounts_resp: Some(AmountsResp {
                    currency: Some(p.payment_transaction.amounts_req.currency.clone()),
                    authorized_amount: Amount(amount),
                    tip_amount: p.payment_transaction.amounts_req.tip_amount,
                }),
                authentication_method: Vec::new(),
                payment_acquirer_data: None,
            }),
        };
        if busy {
            let mut r = base;
            r.response = ResponseStatus::failure(ErrorCondition::Busy, None);
            return self.respond(header, Response::PaymentResponse(r));
        }
        // A terminal finishes a payment it started even when the till hangs up (its time-out):
        // the work runs on its own task, not on the connection's.
        let (sim, header) = (self.clone(), header.clone());
        let work = tokio::spawn(async move {
            let reply = sim.work(&header, kind, &service_id, scenario, base).await;
            lock(&sim.state).in_progress = None;
            reply
        });
        work.await.unwrap_or(Reply::Drop)
    }

    async fn work(
        &self,
        header: &MessageHeader,
        kind: Kind,
        service_id: &str,
        scenario: i64,
        base: PaymentResponse,
    ) -> Reply {
        let failure = |condition, additional: Option<&str>| {
            let mut r = base.clone();
            r.response = ResponseStatus::failure(condition, additional.map(str::to_owned));
            r
        };
        let finished = match scenario {
            92 => return Reply::Drop,
            51 => failure(
                ErrorCondition::Refusal,
                Some("refusalReason=Not+enough+balance&refusalReasonCode=12"),
            ),
            56 => failure(
                ErrorCondition::Refusal,
                Some("refusalReason=Refused&refusalReasonCode=2"),
            ),
            54 => failure(ErrorCondition::InvalidCard, Some("refusalReason=Card+unreadable")),
            55 => failure(ErrorCondition::Cancel, None),
            57 => {
                let aborted = self.abort.notified();
                tokio::pin!(aborted);
                aborted.as_mut().enable();
                let already = lock(&self.state).aborted;
                let by_cashier = already || tokio::time::timeout(self.card_wait, aborted).await.is_ok();
                if by_cashier {
                    failure(ErrorCondition::Aborted, None)
                } else {
                    self.approval(&base, scenario)
                }
            }
            _ => self.approval(&base, scenario),
        };
        let approved = finished.response.result == ResultCode::Success;
        if approved {
            let pan = finished
                .payment_result
                .as_ref()
                .and_then(|r| r.payment_instrument_data.as_ref())
                .and_then(|d| d.card_data.as_ref())
                .and_then(|c| c.masked_pan.clone())
                .unwrap_or_default();
            self.tell_steps(&header.sale_id, scenario, &pan).await;
        }
        let booking = Booking {
            kind,
            service_id: service_id.to_owned(),
            poi_transaction_id: finished
                .poi_data
                .as_ref()
                .map(|d| d.poi_transaction_id.transaction_id.clone())
                .unwrap_or_default(),
            amount: base
                .payment_result
                .as_ref()
                .and_then(|r| r.amounts_resp.as_ref())
                .map_or(0, |a| a.authorized_amount.0),
            approved,
            original: None,
            reversed: false,
            settled: false,
            response: Some(finished.clone()),
        };
        if self.record(Op::Booked(booking)).is_err() {
            return Reply::Drop;
        }
        if scenario == 91 {
            return Reply::Drop;
        }
        self.respond(header, Response::PaymentResponse(finished))
    }

    fn approval(&self, base: &PaymentResponse, scenario: i64) -> PaymentResponse {
        let n = lock(&self.state).counter + 1;
        let (entry, auth) = match scenario {
            52 => (EntryModeCode::Icc, AuthenticationMethod::PaperSignature),
            53 => (EntryModeCode::Contactless, AuthenticationMethod::NoAuthentication),
            _ => (EntryModeCode::Icc, AuthenticationMethod::OnlinePin),
        };
        let last4 = 1000 + (n * 37) % 9000;
        let mut r = base.clone();
        r.poi_data = Some(PoiData {
            poi_transaction_id: TransactionId {
                transaction_id: self.next_poi_id(),
                time_stamp: now(),
            },
        });
        r.response.additional_response = Some(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("AID", "A0000000031010")
                .append_pair("applicationLabel", "VISA CREDIT")
                .append_pair("cardScheme", "visa")
                .finish(),
        );
        if let Some(result) = r.payment_result.as_mut() {
            result.payment_instrument_data = Some(PaymentInstrumentData {
                payment_instrument_type: "Card".to_owned(),
                card_data: Some(CardData {
                    masked_pan: Some(format!("411111******{last4}")),
                    payment_brand: Some("visa".to_owned()),
                    entry_mode: vec![entry],
                }),
            });
            result.authentication_method = vec![auth];
            result.payment_acquirer_data = Some(PaymentAcquirerData {
                approval_code: Some(format!("{:06}", (n * 7919 + 4321) % 1_000_000)),
                acquirer_poi_id: Some(self.poi_id.clone()),
            });
        }
        r
    }

    fn status(&self, t: TransactionStatusRequest) -> TransactionStatusResponse {
        let st = lock(&self.state);
        let wanted = t.message_reference.as_ref().map(|r| r.service_id.clone());
        if wanted.is_some() && st.in_progress == wanted {
            return TransactionStatusResponse {
                response: ResponseStatus::failure(ErrorCondition::InProgress, None),
                repeated_message_response: None,
            };
        }
        let found = st
            .bookings
            .iter()
            .rev()
            .filter(|b| b.kind != Kind::Reversal)
            .find(|b| wanted.as_ref().is_none_or(|w| *w == b.service_id));
        match found.and_then(|b| b.response.clone().map(|r| (b, r))) {
            Some((b, response)) => TransactionStatusResponse {
                response: ResponseStatus::success(),
                repeated_message_response: Some(RepeatedMessageResponse {
                    message_header: MessageHeader {
                        protocol_version: Some("3.0".to_owned()),
                        message_class: MessageClass::Service,
                        message_category: MessageCategory::Payment,
                        message_type: MessageType::Response,
                        service_id: Some(b.service_id.clone()),
                        sale_id: response.sale_data.sale_transaction_id.transaction_id.clone(),
                        poi_id: self.poi_id.clone(),
                    },
                    repeated_response_message_body: RepeatedBody::PaymentResponse(response),
                }),
            },
            None => TransactionStatusResponse {
                response: ResponseStatus::failure(ErrorCondition::NotFound, None),
                repeated_message_response: None,
            },
        }
    }

    fn reversal(&self, header: &MessageHeader, r: &ReversalRequest) -> ReversalResponse {
        let id = &r.original_poi_transaction.poi_transaction_id.transaction_id;
        let original = self
            .bookings()
            .into_iter()
            .find(|b| &b.poi_transaction_id == id && b.approved && b.kind != Kind::Reversal);
        let refuse = |c| ReversalResponse {
            response: ResponseStatus::failure(c, None),
            poi_data: None,
            reversed_amount: None,
        };
        let Some(o) = original else {
            return refuse(ErrorCondition::NotFound);
        };
        if o.reversed || o.settled {
            return refuse(ErrorCondition::NotAllowed);
        }
        let poi = TransactionId {
            transaction_id: self.next_poi_id(),
            time_stamp: now(),
        };
        let booking = Booking {
            kind: Kind::Reversal,
            service_id: header.service_id.clone().unwrap_or_default(),
            poi_transaction_id: poi.transaction_id.clone(),
            amount: o.amount,
            approved: true,
            original: Some(o.poi_transaction_id.clone()),
            reversed: false,
            settled: false,
            response: None,
        };
        if self.record(Op::Booked(booking)).is_err() {
            return refuse(ErrorCondition::UnavailableService);
        }
        ReversalResponse {
            response: ResponseStatus::success(),
            poi_data: Some(PoiData {
                poi_transaction_id: poi,
            }),
            reversed_amount: Some(Amount(o.amount)),
        }
    }

    fn reconcile(&self, r: ReconciliationRequest) -> ReconciliationResponse {
        let open: Vec<Booking> = self
            .bookings()
            .into_iter()
            .filter(|b| !b.settled && b.approved && !b.reversed)
            .collect();
        let tally = |k: Kind, t: TransactionType| {
            let of: Vec<&Booking> = open.iter().filter(|b| b.kind == k).collect();
            PaymentTotals {
                transaction_type: t,
                transaction_count: of.len() as u64,
                transaction_amount: Amount(of.iter().map(|b| b.amount).sum()),
            }
        };
        let totals = vec![
            tally(Kind::Sale, TransactionType::Debit),
            tally(Kind::Refund, TransactionType::Credit),
        ];
        let ok = self.record(Op::Reconciled).is_ok();
        ReconciliationResponse {
            response: if ok {
                ResponseStatus::success()
            } else {
                ResponseStatus::failure(ErrorCondition::UnavailableService, None)
            },
            reconciliation_type: r.reconciliation_type,
            poi_reconciliation_id: Some(format!("{}", lock(&self.state).counter)),
            transaction_totals: vec![TransactionTotals {
                payment_instrument_type: "Card".to_owned(),
                payment_totals: totals,
            }],
        }
    }
}

/// A TLS acceptor for the simulator from a PEM chain (leaf first) and its PEM private key.
pub fn acceptor(chain_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, NexoError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| NexoError::TlsConfig(format!("certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| NexoError::TlsConfig(format!("key: {e}")))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| NexoError::TlsConfig(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| NexoError::TlsConfig(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

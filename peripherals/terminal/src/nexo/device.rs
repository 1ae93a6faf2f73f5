//! The requests a terminal sends the till (nexo device requests, POI to Sale): a terminal
//! configured to notify the till POSTs `SaleToPOIRequest`s to the till's own endpoint
//! (`[terminal.nexo] listen`, `http://<till>:<port>/nexo`) while it works on a payment:
//!
//! - **Display** to the cashier display: the step the customer is at (a PIN being entered, a
//!   signature wanted), shown on the till as the ZVT pad's intermediate status is — through the
//!   progress of the payment in flight ([`Relay`]);
//! - **Print**: a document of the terminal's (a signature slip, a receipt of its own), printed
//!   on the till's receipt printer as its lines;
//! - **Input** `GetConfirmation` (the terminal asks the cashier to confirm, e.g. that the
//!   customer will sign): confirmed — the till captures the signature on its customer display
//!   after the approval, or leaves the paper line (D4). Any other input (text, digits, a menu)
//!   is refused `NotAllowed`: the till types nothing on the terminal's behalf;
//! - **EventNotification**: acknowledged with an empty answer.
//!
//! Only messages encrypted with the terminal's shared key are acted on (the `NexoBlob`'s HMAC
//! proves the sender holds the key): anything else on the shop's LAN that posts to the port is
//! answered HTTP 403 and prints nothing. Answers go back encrypted with the same key.

use async_trait::async_trait;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use till_domain::ports::{DeviceError, Progress, ReceiptPrinter};
use till_domain::receipt::{Line, ReceiptDoc, Text};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::NexoError;
use super::codec::{decode, encode_secured};
use super::crypto::DerivedKey;
use super::message::*;

/// What the till does with a terminal's requests.
#[async_trait]
pub trait DeviceRequests: Send + Sync {
    /// A Display for the cashier: the customer's step, on the payment in flight.
    fn show(&self, progress: Progress);
    /// A Print: the terminal's document, as its lines, on the till's printer.
    async fn print(&self, lines: &[String]) -> Result<(), DeviceError>;
}

/// The step a Display names (`PredefinedContent` `ReferenceID`), as the till shows it; a
/// message the till does not know is shown as "processing".
pub fn progress_of(reference_id: &str) -> Progress {
    match reference_id {
        "WaitingForCard" | "PresentCard" => Progress::PresentCard,
        "InsertCard" => Progress::InsertChip,
        "PINEntry" | "EnterPIN" => Progress::EnterPin,
        "RemoveCard" => Progress::RemoveCard,
        "SignatureCapture" | "SignatureRequired" => Progress::SignatureRequired,
        _ => Progress::Processing,
    }
}

/// Hands Display progress to the payment in flight, if any (a Display between payments is
/// answered and dropped).
#[derive(Debug, Clone, Default)]
pub struct Relay(Arc<Mutex<Option<mpsc::UnboundedSender<Progress>>>>);

impl Relay {
    /// Progress sent from now on arrives at the returned receiver, until [`Relay::close`].
    pub fn open(&self) -> mpsc::UnboundedReceiver<Progress> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.lock() = Some(tx);
        rx
    }

    pub fn close(&self) {
        *self.lock() = None;
    }

    pub fn send(&self, progress: Progress) {
        if let Some(tx) = self.lock().as_ref() {
            let _ = tx.send(progress);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<mpsc::UnboundedSender<Progress>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How a request ended, for the HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The encrypted answer to send back (empty for a notification).
    Message(Vec<u8>),
    /// Not encrypted with the shared key, or not a request: HTTP 403, nothing done.
    Refused(NexoError),
}

/// Opens one posted body and acts on it.
pub async fn answer(body: &[u8], key: &DerivedKey, till: &dyn DeviceRequests) -> Answer {
    let decoded = match decode(body, Some(key)) {
        Ok(d) if d.encrypted => d,
        Ok(_) => return Answer::Refused(NexoError::NeedKey),
        Err(e) => return Answer::Refused(e),
    };
    let TerminalApi::Request(request) = decoded.message else {
        return Answer::Refused(NexoError::Unexpected("an answer, not a request".to_owned()));
    };
    let body = match request.body {
        Request::DisplayRequest(d) => {
            let output_result = d
                .display_output
                .iter()
                .map(|output| {
                    if output.device == "CashierDisplay" {
                        let reference = output.output_content.predefined_content.as_ref();
                        till.show(progress_of(reference.map_or("", |p| p.reference_id.as_str())));
                    }
                    OutputResult {
                        device: output.device.clone(),
                        info_qualify: output.info_qualify.clone(),
                        response: ResponseStatus::success(),
                    }
                })
                .collect();
            Response::DisplayResponse(DisplayResponse { output_result })
        }
        Request::PrintRequest(p) => {
            let lines: Vec<String> = p
                .print_output
                .output_content
                .output_text
                .iter()
                .map(|t| t.text.clone())
                .collect();
            let response = match till.print(&lines).await {
                Ok(()) => ResponseStatus::success(),
                Err(e) => ResponseStatus::failure(ErrorCondition::UnavailableDevice, Some(format!("message={e}"))),
            };
            Response::PrintResponse(PrintResponse {
                document_qualifier: p.print_output.document_qualifier,
                response,
            })
        }
        Request::InputRequest(i) => {
            let command = i.input_data.input_command;
            let confirm = command == "GetConfirmation";
            let response = if confirm {
                ResponseStatus::success()
            } else {
                ResponseStatus::failure(ErrorCondition::NotAllowed, None)
            };
            Response::InputResponse(InputResponse {
                input_result: InputResult {
                    device: i.input_data.device,
                    info_qualify: i.input_data.info_qualify,
                    response,
                    input: confirm.then_some(Input {
                        input_command: command,
                        confirmed_flag: Some(true),
                    }),
                },
                output_result: None,
            })
        }
        Request::EventNotification(_) => return Answer::Message(Vec::new()),
        _ => {
            let category = request.message_header.message_category;
            return Answer::Refused(NexoError::Unexpected(format!(
                "a {category:?} request is not one a terminal sends the till"
            )));
        }
    };
    let mut header = request.message_header;
    header.message_type = MessageType::Response;
    let message = TerminalApi::Response(SaleToPoiResponse {
        message_header: header,
        body,
    });
    Answer::Message(encode_secured(&message, key))
}

/// Serves the till's endpoint on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, key: DerivedKey, till: Arc<dyn DeviceRequests>) {
    let key = Arc::new(key);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let (key, till) = (key.clone(), till.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (key, till) = (key.clone(), till.clone());
                async move {
                    // A terminal's message is a few kilobytes; a larger body is not one.
                    let limited = http_body_util::Limited::new(req.into_body(), 256 * 1024);
                    let (status, bytes) = match limited.collect().await {
                        Ok(body) => match answer(&body.to_bytes(), &key, till.as_ref()).await {
                            Answer::Message(bytes) => (200, bytes),
                            Answer::Refused(_) => (403, Vec::new()),
                        },
                        Err(_) => (413, Vec::new()),
                    };
                    let mut r = hyper::Response::new(Full::new(Bytes::from(bytes)));
                    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::FORBIDDEN);
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// POSTs `body` to a till's endpoint (`host:port`) over plain HTTP, as a terminal does: the
/// simulator's side, and the tests'. The answer's status and body.
pub async fn post(address: &str, body: Vec<u8>, timeout: Duration) -> Result<(u16, Vec<u8>), NexoError> {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| NexoError::Connect(format!("{address}: {e}")))?;
        super::transport::post_on(tcp, address, body).await
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| NexoError::Timeout)?
}

/// The till's side as a terminal sees it: Display to the payment in flight through `relay`,
/// Print on `printer` (without one, a Print is answered `UnavailableDevice`).
pub struct TillSide {
    pub relay: Relay,
    pub printer: Option<Arc<dyn ReceiptPrinter>>,
}

impl std::fmt::Debug for TillSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TillSide")
            .field("printer", &self.printer.is_some())
            .finish()
    }
}

#[async_trait]
impl DeviceRequests for TillSide {
    fn show(&self, progress: Progress) {
        self.relay.send(progress);
    }

    async fn print(&self, lines: &[String]) -> Result<(), DeviceError> {
        let printer = self
            .printer
            .as_ref()
            .ok_or_else(|| DeviceError::Unavailable("no receipt printer".to_owned()))?;
        let doc = ReceiptDoc {
            lines: lines
                .iter()
                .map(|l| Line::Left {
                    text: Text::Raw(l.clone()),
                })
                .collect(),
        };
        printer.print(&doc).await
    }
}

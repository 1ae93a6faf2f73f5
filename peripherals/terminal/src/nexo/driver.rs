//! The `PaymentTerminal` port over the Terminal API: sale and refund (PaymentRequest), void
//! (ReversalRequest), end-of-day (ReconciliationRequest), status (DiagnosisRequest), abort
//! (AbortRequest), last result and recovery (TransactionStatusRequest).
//!
//! The recovery rule (Adyen's, the strictest of the terminal protocols): when a payment's
//! answer does not come (time-out, default 120 s) or the line drops after the request, the
//! driver never retries nor cancels blindly. It asks TransactionStatus for the payment's
//! `MessageReference` (category + ServiceID) until the terminal says: the repeated response
//! (the outcome, whatever it was), `InProgress` (ask again; past the deadline, Abort — the
//! payment is not complete, so an Abort is still allowed — and ask again), or `NotFound` (the
//! request never arrived: the port's `LineLost`, which the till resolves as not charged). A
//! payment that did complete is undone only by a Reversal ([`PaymentTerminal::reverse`]).
//! Every decision reads `Result` and `ErrorCondition`, never the text.
//!
//! ServiceIDs are derived from the till's trace number (`P`/`R`/`V` + 6 digits for payment,
//! refund, void), so a till restarted after a crash can still name the exchange it lost.

use async_trait::async_trait;
use std::sync::Mutex;
use std::time::Duration;
use till_domain::ports::*;
use till_domain::{Approval, CardData as TillCard, Cvm, Decline, EntryMode, Money, Tally, TerminalTotals, TraceNo};

use super::NexoError;
use super::codec::{decode, encode_secured};
use super::crypto::{DerivedKey, SecurityKey};
use super::device::Relay;
use super::message::*;
use super::transport::{Endpoint, HttpsLink};

/// What the driver needs to know of the terminal and the till.
#[derive(Debug, Clone)]
pub struct NexoConfig {
    pub endpoint: Endpoint,
    pub key: SecurityKey,
    /// The terminal's POIID (`<model>-<serial>`, e.g. `V400m-324688179`).
    pub poi_id: String,
    /// This till's SaleID.
    pub sale_id: String,
    /// ISO 4217 alphabetic currency.
    pub currency: String,
    /// How long a payment may take before the status is asked (Adyen: 120 s).
    pub payment_timeout: Duration,
    /// Time-out of the short exchanges (status, abort, diagnosis).
    pub short_timeout: Duration,
    /// Between two TransactionStatus asks while the terminal says InProgress.
    pub status_interval: Duration,
    /// How long recovery asks before it aborts the payment still in progress.
    pub recovery_deadline: Duration,
}

impl NexoConfig {
    pub fn new(endpoint: Endpoint, key: SecurityKey, poi_id: &str, sale_id: &str, currency: &str) -> NexoConfig {
        NexoConfig {
            endpoint,
            key,
            poi_id: poi_id.to_owned(),
            sale_id: sale_id.to_owned(),
            currency: currency.to_owned(),
            payment_timeout: Duration::from_secs(120),
            short_timeout: Duration::from_secs(30),
            status_interval: Duration::from_secs(2),
            recovery_deadline: Duration::from_secs(120),
        }
    }
}

/// A nexo / Adyen Terminal API PIN pad over the LAN.
pub struct NexoTerminal {
    config: NexoConfig,
    link: HttpsLink,
    key: DerivedKey,
    /// The payment whose answer is awaited: its ServiceID, for an Abort.
    in_flight: Mutex<Option<String>>,
    /// Where the terminal's Display requests reach the payment in flight.
    relay: Relay,
}

impl std::fmt::Debug for NexoTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NexoTerminal")
            .field("link", &self.link)
            .field("poi_id", &self.config.poi_id)
            .finish()
    }
}

/// A failure as the port sees it: before the terminal could act (`Unavailable`), or after it
/// may have (`Timeout`, `LineLost`, `Protocol`: an answer that cannot be read or trusted).
fn device(e: NexoError) -> DeviceError {
    match e {
        NexoError::Timeout => DeviceError::Timeout,
        NexoError::LineLost(m) => DeviceError::LineLost(m),
        e if !e.outcome_unknown() => DeviceError::Unavailable(e.to_string()),
        e => DeviceError::Protocol(e.to_string()),
    }
}

fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A refusal as the till shows it: from the ErrorCondition, refined by Adyen's numeric
/// refusal reason code when there is one.
pub fn decline_of(status: &ResponseStatus) -> Decline {
    let code = status.additional("refusalReasonCode");
    let id = match (status.error_condition, code.as_deref()) {
        (Some(ErrorCondition::Refusal), Some("12")) => "decline-insufficient-funds",
        (Some(ErrorCondition::Refusal), Some("2")) => "decline-do-not-honour",
        (Some(ErrorCondition::Refusal), Some("6")) => "decline-card-expired",
        (Some(ErrorCondition::InvalidCard | ErrorCondition::InsertedCard), _) => "decline-card-unreadable",
        (Some(ErrorCondition::Cancel | ErrorCondition::Aborted), _) => "decline-cancelled",
        (Some(ErrorCondition::Busy | ErrorCondition::InProgress), _) => "decline-device-busy",
        (
            Some(ErrorCondition::UnavailableDevice | ErrorCondition::UnavailableService | ErrorCondition::DeviceOut),
            _,
        ) => "decline-device-unavailable",
        _ => "decline-generic",
    };
    let condition = status
        .error_condition
        .map_or_else(|| "Failure".to_owned(), |c| format!("{c:?}"));
    Decline {
        code: code.map_or(condition.clone(), |c| format!("{condition}:{c}")),
        message_id: id.to_owned(),
    }
}

/// What a receipt needs from an approved PaymentResponse.
pub fn approval_of(p: &PaymentResponse) -> Approval {
    let result = p.payment_result.as_ref();
    let card = result
        .and_then(|r| r.payment_instrument_data.as_ref())
        .and_then(|d| d.card_data.as_ref())
        .and_then(|c| c.masked_pan.as_ref().map(|pan| (c, pan)))
        .map(|(c, pan)| {
            let (masked_pan, last4) = TillCard::mask(pan);
            let entry_mode = match c.entry_mode.first() {
                Some(EntryModeCode::Contactless | EntryModeCode::Tapped) => EntryMode::Contactless,
                Some(EntryModeCode::MagStripe) => EntryMode::Swipe,
                Some(EntryModeCode::Keyed | EntryModeCode::Manual) => EntryMode::Manual,
                Some(EntryModeCode::Icc) | None => EntryMode::Chip,
            };
            let methods = result.map(|r| r.authentication_method.as_slice()).unwrap_or_default();
            let cvm = if methods.iter().any(|m| {
                matches!(
                    m,
                    AuthenticationMethod::PaperSignature | AuthenticationMethod::SignatureCapture
                )
            }) {
                Cvm::Signature
            } else if methods
                .iter()
                .any(|m| matches!(m, AuthenticationMethod::OnlinePin | AuthenticationMethod::OfflinePin))
            {
                Cvm::PinVerified
            } else {
                Cvm::NoSignatureRequired
            };
            TillCard {
                masked_pan,
                last4,
                scheme: c
                    .payment_brand
                    .clone()
                    .unwrap_or_else(|| "CARD".to_owned())
                    .to_uppercase(),
                entry_mode,
                aid: p.response.additional("AID"),
                app_label: p.response.additional("applicationLabel"),
                cryptogram: None,
                cvm,
            }
        });
    Approval {
        auth_code: result
            .and_then(|r| r.payment_acquirer_data.as_ref())
            .and_then(|a| a.approval_code.clone()),
        reference: p.poi_data.as_ref().map(|d| d.poi_transaction_id.transaction_id.clone()),
        card,
        ..Approval::default()
    }
}

/// A finished PaymentResponse as the port's outcome.
pub fn outcome_of(p: &PaymentResponse) -> Result<Outcome, DeviceError> {
    match (p.response.result, p.response.error_condition) {
        (ResultCode::Success | ResultCode::Partial, _) => Ok(Outcome::Approved(approval_of(p))),
        (ResultCode::Failure, Some(ErrorCondition::Cancel | ErrorCondition::Aborted)) => Ok(Outcome::Cancelled),
        (ResultCode::Failure, Some(ErrorCondition::Busy)) => Err(DeviceError::Busy),
        (ResultCode::Failure, _) => Ok(Outcome::Declined(decline_of(&p.response))),
    }
}

/// What recovery learned from TransactionStatus.
enum Found {
    Payment(Box<PaymentResponse>),
    InProgress,
    /// The terminal has no such payment.
    Nothing,
}

impl NexoTerminal {
    pub fn new(config: NexoConfig) -> Result<NexoTerminal, NexoError> {
        Ok(NexoTerminal {
            link: HttpsLink::new(&config.endpoint)?,
            key: DerivedKey::derive(&config.key),
            config,
            in_flight: Mutex::new(None),
            relay: Relay::default(),
        })
    }

    /// The terminal's Display requests ([`super::device`]) show as the progress of the payment
    /// in flight through this.
    pub fn relay(&self) -> Relay {
        self.relay.clone()
    }

    /// `work`, with every Display the terminal sends meanwhile handed to `progress`.
    async fn relaying<T>(&self, progress: &dyn ProgressSink, work: impl std::future::Future<Output = T>) -> T {
        let mut shown = self.relay.open();
        tokio::pin!(work);
        let out = loop {
            tokio::select! {
                out = &mut work => break out,
                Some(step) = shown.recv() => progress.progress(step),
            }
        };
        self.relay.close();
        while let Ok(step) = shown.try_recv() {
            progress.progress(step);
        }
        out
    }

    fn header(&self, category: MessageCategory, service_id: &str) -> MessageHeader {
        MessageHeader {
            protocol_version: Some("3.0".to_owned()),
            message_class: MessageClass::Service,
            message_category: category,
            message_type: MessageType::Request,
            service_id: Some(service_id.to_owned()),
            sale_id: self.config.sale_id.clone(),
            poi_id: self.config.poi_id.clone(),
        }
    }

    /// One request and its answer's body (`None` for an empty answer, e.g. to an Abort).
    pub async fn exchange(
        &self,
        category: MessageCategory,
        service_id: &str,
        body: Request,
        timeout: Duration,
    ) -> Result<Option<Response>, NexoError> {
        let message = TerminalApi::Request(SaleToPoiRequest {
            message_header: self.header(category, service_id),
            body,
        });
        let answer = self.link.post(encode_secured(&message, &self.key), timeout).await?;
        if answer.is_empty() {
            return Ok(None);
        }
        match decode(&answer, Some(&self.key))?.message {
            TerminalApi::Request(SaleToPoiRequest {
                body: Request::EventNotification(e),
                ..
            }) => {
                let details = e.event_details.unwrap_or_default();
                let reason = form_urlencoded::parse(details.as_bytes())
                    .find(|(k, _)| k == "reason")
                    .map_or_else(|| details.clone(), |(_, v)| v.into_owned());
                Err(NexoError::Rejected(format!("{}: {reason}", e.event_to_notify)))
            }
            TerminalApi::Request(_) => Err(NexoError::Unexpected("a request instead of an answer".to_owned())),
            TerminalApi::Response(r) => {
                if r.message_header.service_id.as_deref() != Some(service_id) {
                    return Err(NexoError::Unexpected(format!(
                        "answer to ServiceID {:?}, not {service_id}",
                        r.message_header.service_id
                    )));
                }
                Ok(Some(r.body))
            }
        }
    }

    fn service_id(&self) -> String {
        format!("S{:09}", rand::random::<u32>() % 1_000_000_000)
    }

    async fn transaction_status(&self, reference: Option<&str>) -> Result<Found, NexoError> {
        let request = Request::TransactionStatusRequest(TransactionStatusRequest {
            message_reference: reference.map(|id| MessageReference {
                message_category: MessageCategory::Payment,
                service_id: id.to_owned(),
                sale_id: Some(self.config.sale_id.clone()),
                poi_id: Some(self.config.poi_id.clone()),
            }),
            receipt_reprint_flag: None,
        });
        let sid = self.service_id();
        let answer = self
            .exchange(
                MessageCategory::TransactionStatus,
                &sid,
                request,
                self.config.short_timeout,
            )
            .await?;
        let Some(Response::TransactionStatusResponse(t)) = answer else {
            return Err(NexoError::Unexpected("not a TransactionStatusResponse".to_owned()));
        };
        match (
            t.response.result,
            t.response.error_condition,
            t.repeated_message_response,
        ) {
            (ResultCode::Success, _, Some(m)) => match m.repeated_response_message_body {
                RepeatedBody::PaymentResponse(p) => Ok(Found::Payment(Box::new(p))),
                RepeatedBody::ReversalResponse(_) => Ok(Found::Nothing),
            },
            (ResultCode::Failure, Some(ErrorCondition::InProgress), _) => Ok(Found::InProgress),
            (ResultCode::Failure, Some(ErrorCondition::NotFound), _) | (ResultCode::Success, _, None) => {
                Ok(Found::Nothing)
            }
            (_, condition, _) => Err(NexoError::Unexpected(format!("TransactionStatus: {condition:?}"))),
        }
    }

    async fn send_abort(&self, service_id: &str) -> Result<(), NexoError> {
        let request = Request::AbortRequest(AbortRequest {
            message_reference: MessageReference {
                message_category: MessageCategory::Payment,
                service_id: service_id.to_owned(),
                sale_id: Some(self.config.sale_id.clone()),
                poi_id: Some(self.config.poi_id.clone()),
            },
            abort_reason: "MerchantAbort".to_owned(),
        });
        let sid = self.service_id();
        self.exchange(MessageCategory::Abort, &sid, request, self.config.short_timeout)
            .await
            .map(|_| ())
    }

    /// Asks TransactionStatus until the payment is no longer in progress; past the recovery
    /// deadline a payment still in progress is aborted (it is not complete, so an Abort is
    /// allowed) and asked about again.
    async fn final_status(&self, service_id: &str) -> Result<Found, NexoError> {
        let deadline = tokio::time::Instant::now() + self.config.recovery_deadline;
        let mut aborted = false;
        loop {
            match self.transaction_status(Some(service_id)).await? {
                Found::InProgress if tokio::time::Instant::now() >= deadline && !aborted => {
                    aborted = true;
                    self.send_abort(service_id).await?;
                }
                Found::InProgress => tokio::time::sleep(self.config.status_interval).await,
                found => return Ok(found),
            }
        }
    }

    /// The recovery rule (module docs) for a payment whose answer was lost.
    async fn recover(&self, service_id: &str) -> Result<Outcome, DeviceError> {
        match self.final_status(service_id).await {
            Ok(Found::Payment(p)) => outcome_of(&p),
            Ok(Found::Nothing | Found::InProgress) => Err(DeviceError::LineLost(
                "the terminal has no record of the payment".to_owned(),
            )),
            // The terminal cannot be asked now: the till keeps it Unknown and asks later.
            Err(NexoError::Timeout) => Err(DeviceError::Timeout),
            Err(e) => Err(DeviceError::LineLost(e.to_string())),
        }
    }

    fn payment_request(&self, req: &CardRequest, payment_type: Option<PaymentType>) -> Request {
        Request::PaymentRequest(PaymentRequest {
            sale_data: SaleData {
                sale_transaction_id: TransactionId {
                    transaction_id: req.trace.to_string(),
                    time_stamp: timestamp(),
                },
                sale_reference_id: Some(req.txn.to_string()),
            },
            payment_transaction: PaymentTransaction {
                amounts_req: AmountsReq {
                    currency: self.config.currency.clone(),
                    // TipAmount is apart from RequestedAmount (Adyen: tipping from the POS
                    // app); the terminal authorizes both together.
                    requested_amount: Amount(req.amount.minor - req.tip.minor),
                    tip_amount: (!req.tip.is_zero()).then_some(Amount(req.tip.minor)),
                },
            },
            payment_data: payment_type.map(|t| PaymentData { payment_type: t }),
        })
    }

    async fn payment(&self, service_id: String, request: Request) -> Result<Outcome, DeviceError> {
        *self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(service_id.clone());
        let answer = self
            .exchange(
                MessageCategory::Payment,
                &service_id,
                request,
                self.config.payment_timeout,
            )
            .await;
        *self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        match answer {
            Ok(Some(Response::PaymentResponse(p))) => outcome_of(&p),
            // Sent, but the answer is missing or unreadable: the terminal may have booked it.
            Ok(_) => self.recover(&service_id).await,
            Err(e) if e.outcome_unknown() => self.recover(&service_id).await,
            Err(e) => match e.setup_decline() {
                Some(id) => Ok(Outcome::Declined(Decline {
                    code: format!("nexo:{e}"),
                    message_id: id.to_owned(),
                })),
                None => Err(device(e)),
            },
        }
    }

    async fn reversal(&self, service_id: &str, poi_transaction_id: &str) -> Result<ReversalResponse, DeviceError> {
        let request = Request::ReversalRequest(ReversalRequest {
            original_poi_transaction: OriginalPoiTransaction {
                poi_transaction_id: TransactionId {
                    transaction_id: poi_transaction_id.to_owned(),
                    time_stamp: timestamp(),
                },
            },
            reversal_reason: ReversalReason::MerchantCancel,
        });
        match self
            .exchange(
                MessageCategory::Reversal,
                service_id,
                request,
                self.config.payment_timeout,
            )
            .await
            .map_err(device)?
        {
            Some(Response::ReversalResponse(r)) => Ok(r),
            _ => Err(DeviceError::Protocol("not a ReversalResponse".to_owned())),
        }
    }

    fn money(&self, minor: i64) -> Money {
        let currency = till_domain::Currency::from_code(&self.config.currency).unwrap_or(till_domain::Currency::Hkd);
        Money::new(minor, currency)
    }
}

#[async_trait]
impl PaymentTerminal for NexoTerminal {
    async fn authorize(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::PresentCard);
        let payment = self.payment(format!("P{}", req.trace), self.payment_request(req, None));
        self.relaying(progress, payment).await
    }

    async fn void(
        &self,
        req: &CardRequest,
        original: &VoidTarget,
        _progress: &dyn ProgressSink,
    ) -> Result<Outcome, DeviceError> {
        let reference = original
            .reference
            .as_deref()
            .ok_or_else(|| DeviceError::Protocol("the sale has no POI transaction id to reverse".to_owned()))?;
        let r = self.reversal(&format!("V{}", req.trace), reference).await?;
        match r.response.result {
            ResultCode::Success | ResultCode::Partial => {
                // A ReversalResponse names no card; the void receipt prints the sale's (masked
                // PAN, scheme, auth code), as a ZVT PT's reversal does: asked from the terminal.
                let sale = match self.transaction_status(Some(&format!("P{}", original.trace))).await {
                    Ok(Found::Payment(p)) => approval_of(&p),
                    _ => Approval::default(),
                };
                Ok(Outcome::Approved(Approval {
                    reference: r.poi_data.map(|d| d.poi_transaction_id.transaction_id),
                    ..sale
                }))
            }
            ResultCode::Failure => Ok(Outcome::Declined(decline_of(&r.response))),
        }
    }

    async fn refund(&self, req: &CardRequest, progress: &dyn ProgressSink) -> Result<Outcome, DeviceError> {
        progress.progress(Progress::PresentCard);
        let payment = self.payment(
            format!("R{}", req.trace),
            self.payment_request(req, Some(PaymentType::Refund)),
        );
        self.relaying(progress, payment).await
    }

    /// A payment the terminal completed is undone by a Reversal of its POI transaction; one
    /// still in progress is aborted first (and reversed if it completed meanwhile); one it
    /// never completed has nothing to undo.
    async fn reverse(&self, trace: TraceNo, amount: Money) -> Result<bool, DeviceError> {
        for prefix in ["P", "R"] {
            let service_id = format!("{prefix}{trace}");
            match self.final_status(&service_id).await.map_err(device)? {
                Found::Payment(p) if p.response.result != ResultCode::Failure => {
                    let paid = p
                        .payment_result
                        .as_ref()
                        .and_then(|r| r.amounts_resp.as_ref())
                        .map(|a| a.authorized_amount.0);
                    let Some(poi) = p.poi_data.as_ref() else { continue };
                    if paid.is_some_and(|m| m != amount.minor) {
                        continue;
                    }
                    let id = poi.poi_transaction_id.transaction_id.clone();
                    let r = self.reversal(&format!("X{trace}"), &id).await?;
                    return Ok(r.response.result == ResultCode::Success);
                }
                Found::Payment(_) | Found::Nothing | Found::InProgress => {}
            }
        }
        Ok(false)
    }

    async fn last_result(&self) -> Result<Option<LastResult>, DeviceError> {
        match self.transaction_status(None).await.map_err(device)? {
            Found::Payment(p) => {
                let amount = p
                    .payment_result
                    .as_ref()
                    .and_then(|r| r.amounts_resp.as_ref())
                    .map_or(0, |a| a.authorized_amount.0);
                let outcome = match outcome_of(&p) {
                    Ok(o) => o,
                    Err(_) => return Ok(None),
                };
                Ok(Some(LastResult {
                    trace: TraceNo::parse(&p.sale_data.sale_transaction_id.transaction_id),
                    reference: p.poi_data.as_ref().map(|d| d.poi_transaction_id.transaction_id.clone()),
                    amount: self.money(amount),
                    outcome,
                }))
            }
            Found::InProgress | Found::Nothing => Ok(None),
        }
    }

    async fn end_of_day(&self) -> Result<TerminalTotals, DeviceError> {
        let request = Request::ReconciliationRequest(ReconciliationRequest {
            reconciliation_type: ReconciliationType::SaleReconciliation,
        });
        let sid = self.service_id();
        let answer = self
            .exchange(
                MessageCategory::Reconciliation,
                &sid,
                request,
                self.config.payment_timeout,
            )
            .await
            .map_err(device)?;
        let Some(Response::ReconciliationResponse(r)) = answer else {
            return Err(DeviceError::Protocol("not a ReconciliationResponse".to_owned()));
        };
        if r.response.result == ResultCode::Failure {
            return Err(DeviceError::Protocol(format!(
                "reconciliation refused: {:?}",
                r.response.error_condition
            )));
        }
        let mut totals = TerminalTotals::default();
        for p in r.transaction_totals.iter().flat_map(|t| &t.payment_totals) {
            let tally: &mut Tally = match p.transaction_type {
                TransactionType::Debit => &mut totals.sales,
                TransactionType::Credit => &mut totals.refunds,
                _ => continue,
            };
            tally.count += p.transaction_count;
            tally.minor += p.transaction_amount.0;
        }
        Ok(totals)
    }

    /// Abort is allowed only while the payment is not complete: while its answer is awaited.
    async fn abort(&self) -> Result<(), DeviceError> {
        let running = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match running {
            Some(service_id) => self.send_abort(&service_id).await.map_err(device),
            None => Ok(()),
        }
    }

    async fn status(&self) -> Result<DeviceStatus, DeviceError> {
        let sid = self.service_id();
        let request = Request::DiagnosisRequest(DiagnosisRequest {
            host_diagnosis_flag: Some(false),
        });
        let answer = self
            .exchange(MessageCategory::Diagnosis, &sid, request, self.config.short_timeout)
            .await
            .map_err(device)?;
        let Some(Response::DiagnosisResponse(d)) = answer else {
            return Err(DeviceError::Protocol("not a DiagnosisResponse".to_owned()));
        };
        let global = d.poi_status.map(|s| s.global_status);
        Ok(DeviceStatus {
            ready: d.response.result == ResultCode::Success && global == Some(GlobalStatus::OK),
            detail: format!("{} {:?}", self.config.poi_id, global),
        })
    }
}

//! Terminal API messages (nexo Retailer Protocol 3.0 as JSON, Adyen's subset) as typed Rust,
//! field names as on the wire (PascalCase, `POIID`, `SaleID`...). Only what the till sends
//! or reads is typed; anything else a terminal adds is ignored when reading.
//!
//! Amounts are decimal numbers on the wire ("10.99"). Here they are [`Amount`]: integer minor
//! units (every currency the till knows has two decimals), converted at the edge only.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::crypto::SecurityTrailer;

/// An amount in minor units, written as a decimal number with two decimals. Up to 10^13
/// minor units are read (far above any sale), so every amount read writes back exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amount(pub i64);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Whole amounts as integers (`42`, as JavaScript writes them); others as `n / 100`, the
        // nearest f64, which prints back as the same two-decimal number (ryu's shortest round
        // trip) for every amount below 2^53 minor units.
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        let minor = (v * 100.0).round();
        if !v.is_finite() || minor.abs() > 1.0e13 || ((minor / 100.0) - v).abs() > 1e-9 * v.abs().max(1.0) {
            return Err(serde::de::Error::custom(format!(
                "{v} is not an amount with at most two decimals"
            )));
        }
        Ok(Amount(minor as i64))
    }
}

/// Either side's outer message: `{"SaleToPOIRequest": {...}}` or `{"SaleToPOIResponse": ...}`.
// One message at a time, read and dropped: a few hundred bytes on the stack are fine.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TerminalApi {
    #[serde(rename = "SaleToPOIRequest")]
    Request(SaleToPoiRequest),
    #[serde(rename = "SaleToPOIResponse")]
    Response(SaleToPoiResponse),
}

/// The same outer message, encrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SecuredApi {
    #[serde(rename = "SaleToPOIRequest")]
    Request(SecuredMessage),
    #[serde(rename = "SaleToPOIResponse")]
    Response(SecuredMessage),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecuredMessage {
    pub message_header: MessageHeader,
    pub nexo_blob: String,
    pub security_trailer: SecurityTrailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageClass {
    Service,
    Device,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageCategory {
    Payment,
    Reversal,
    TransactionStatus,
    Abort,
    Reconciliation,
    Diagnosis,
    Display,
    Print,
    Input,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    Request,
    Response,
    Notification,
}

/// nexo `MessageHeader`: who talks (SaleID, POIID) and which exchange (ServiceID, unique per
/// request of a sale system, the key of TransactionStatus and Abort).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageHeader {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    pub message_class: MessageClass,
    pub message_category: MessageCategory,
    pub message_type: MessageType,
    #[serde(rename = "ServiceID", default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(rename = "SaleID")]
    pub sale_id: String,
    #[serde(rename = "POIID")]
    pub poi_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SaleToPoiRequest {
    pub message_header: MessageHeader,
    #[serde(flatten)]
    pub body: Request,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SaleToPoiResponse {
    pub message_header: MessageHeader,
    #[serde(flatten)]
    pub body: Response,
}

/// What a request carries: one of these keys beside the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    PaymentRequest(PaymentRequest),
    ReversalRequest(ReversalRequest),
    TransactionStatusRequest(TransactionStatusRequest),
    AbortRequest(AbortRequest),
    ReconciliationRequest(ReconciliationRequest),
    DiagnosisRequest(DiagnosisRequest),
    DisplayRequest(DisplayRequest),
    PrintRequest(PrintRequest),
    InputRequest(InputRequest),
    /// A terminal's notice, e.g. `Reject` of a message it could not decrypt.
    EventNotification(EventNotification),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    PaymentResponse(PaymentResponse),
    ReversalResponse(ReversalResponse),
    TransactionStatusResponse(TransactionStatusResponse),
    ReconciliationResponse(ReconciliationResponse),
    DiagnosisResponse(DiagnosisResponse),
    DisplayResponse(DisplayResponse),
    PrintResponse(PrintResponse),
    InputResponse(InputResponse),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionId {
    #[serde(rename = "TransactionID")]
    pub transaction_id: String,
    pub time_stamp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SaleData {
    #[serde(rename = "SaleTransactionID")]
    pub sale_transaction_id: TransactionId,
    #[serde(rename = "SaleReferenceID", default, skip_serializing_if = "Option::is_none")]
    pub sale_reference_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmountsReq {
    pub currency: String,
    pub requested_amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_amount: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentTransaction {
    pub amounts_req: AmountsReq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentType {
    Normal,
    Refund,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentData {
    pub payment_type: PaymentType,
}

/// A sale (tip in `AmountsReq`), or an unreferenced refund (`PaymentType: Refund`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentRequest {
    pub sale_data: SaleData,
    pub payment_transaction: PaymentTransaction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_data: Option<PaymentData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginalPoiTransaction {
    #[serde(rename = "POITransactionID")]
    pub poi_transaction_id: TransactionId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReversalReason {
    MerchantCancel,
    CustCancel,
    Malfunction,
    Unable2Compl,
}

/// Undoes a payment the terminal completed (void, or recovery after completion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReversalRequest {
    #[serde(rename = "OriginalPOITransaction")]
    pub original_poi_transaction: OriginalPoiTransaction,
    pub reversal_reason: ReversalReason,
}

/// Which earlier exchange a TransactionStatus or Abort is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageReference {
    pub message_category: MessageCategory,
    #[serde(rename = "ServiceID")]
    pub service_id: String,
    #[serde(rename = "SaleID", default, skip_serializing_if = "Option::is_none")]
    pub sale_id: Option<String>,
    #[serde(rename = "POIID", default, skip_serializing_if = "Option::is_none")]
    pub poi_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionStatusRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_reprint_flag: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortRequest {
    pub message_reference: MessageReference,
    pub abort_reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconciliationType {
    SaleReconciliation,
    AcquirerReconciliation,
    PreviousReconciliation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReconciliationRequest {
    pub reconciliation_type: ReconciliationType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiagnosisRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_diagnosis_flag: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutputText {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutputContent {
    pub output_format: String,
    /// A message the terminal names rather than spells (`OutputFormat` `MessageRef`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_content: Option<PredefinedContent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_text: Vec<OutputText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredefinedContent {
    #[serde(rename = "ReferenceID")]
    pub reference_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisplayOutput {
    pub device: String,
    pub info_qualify: String,
    pub output_content: OutputContent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisplayRequest {
    pub display_output: Vec<DisplayOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrintOutput {
    pub document_qualifier: String,
    pub response_mode: String,
    pub output_content: OutputContent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrintRequest {
    pub print_output: PrintOutput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputData {
    pub device: String,
    pub info_qualify: String,
    pub input_command: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_output: Option<DisplayOutput>,
    pub input_data: InputData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventNotification {
    pub event_to_notify: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultCode {
    Success,
    Failure,
    Partial,
}

/// nexo `ErrorCondition`: why a request failed. The driver decides from this, never from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCondition {
    Aborted,
    Busy,
    Cancel,
    DeviceOut,
    InProgress,
    InsertedCard,
    InvalidCard,
    LoggedOut,
    MessageFormat,
    NotAllowed,
    NotFound,
    PaymentRestriction,
    Refusal,
    UnavailableDevice,
    UnavailableService,
    UnreachableHost,
    WrongPIN,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseStatus {
    pub result: ResultCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_condition: Option<ErrorCondition>,
    /// Adyen: URL-encoded key=value pairs (refusalReason, AID, applicationLabel...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_response: Option<String>,
}

impl ResponseStatus {
    pub fn success() -> ResponseStatus {
        ResponseStatus {
            result: ResultCode::Success,
            error_condition: None,
            additional_response: None,
        }
    }

    pub fn failure(condition: ErrorCondition, additional: Option<String>) -> ResponseStatus {
        ResponseStatus {
            result: ResultCode::Failure,
            error_condition: Some(condition),
            additional_response: additional,
        }
    }

    /// One value of `AdditionalResponse` (`key=value&...`, URL-encoded).
    pub fn additional(&self, key: &str) -> Option<String> {
        let text = self.additional_response.as_deref()?;
        form_urlencoded::parse(text.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoiData {
    #[serde(rename = "POITransactionID")]
    pub poi_transaction_id: TransactionId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryModeCode {
    #[serde(rename = "ICC")]
    Icc,
    Contactless,
    Tapped,
    MagStripe,
    Keyed,
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardData {
    /// Masked by the terminal; masked again on reading (last four digits kept).
    #[serde(rename = "MaskedPan", default, skip_serializing_if = "Option::is_none")]
    pub masked_pan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_brand: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_mode: Vec<EntryModeCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentInstrumentData {
    pub payment_instrument_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_data: Option<CardData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmountsResp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub authorized_amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_amount: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentAcquirerData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_code: Option<String>,
    #[serde(rename = "AcquirerPOIID", default, skip_serializing_if = "Option::is_none")]
    pub acquirer_poi_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthenticationMethod {
    #[serde(rename = "OnLinePIN")]
    OnlinePin,
    #[serde(rename = "OfflinePIN")]
    OfflinePin,
    PaperSignature,
    SignatureCapture,
    Bypass,
    NoAuthentication,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instrument_data: Option<PaymentInstrumentData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amounts_resp: Option<AmountsResp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication_method: Vec<AuthenticationMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_acquirer_data: Option<PaymentAcquirerData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentResponse {
    pub response: ResponseStatus,
    pub sale_data: SaleData,
    #[serde(rename = "POIData", default, skip_serializing_if = "Option::is_none")]
    pub poi_data: Option<PoiData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_result: Option<PaymentResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReversalResponse {
    pub response: ResponseStatus,
    #[serde(rename = "POIData", default, skip_serializing_if = "Option::is_none")]
    pub poi_data: Option<PoiData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed_amount: Option<Amount>,
}

/// The response a TransactionStatus found, repeated inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepeatedMessageResponse {
    pub message_header: MessageHeader,
    pub repeated_response_message_body: RepeatedBody,
}

#[allow(clippy::large_enum_variant)] // as TerminalApi
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RepeatedBody {
    PaymentResponse(PaymentResponse),
    ReversalResponse(ReversalResponse),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionStatusResponse {
    pub response: ResponseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeated_message_response: Option<RepeatedMessageResponse>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransactionType {
    Debit,
    Credit,
    ReverseDebit,
    ReverseCredit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentTotals {
    pub transaction_type: TransactionType,
    pub transaction_count: u64,
    pub transaction_amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionTotals {
    pub payment_instrument_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_totals: Vec<PaymentTotals>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReconciliationResponse {
    pub response: ResponseStatus,
    pub reconciliation_type: ReconciliationType,
    #[serde(rename = "POIReconciliationID", default, skip_serializing_if = "Option::is_none")]
    pub poi_reconciliation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transaction_totals: Vec<TransactionTotals>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GlobalStatus {
    OK,
    Busy,
    Maintenance,
    Unreachable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoiStatus {
    pub global_status: GlobalStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiagnosisResponse {
    pub response: ResponseStatus,
    #[serde(rename = "POIStatus", default, skip_serializing_if = "Option::is_none")]
    pub poi_status: Option<PoiStatus>,
}

/// The answer to a Display: one result per output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisplayResponse {
    pub output_result: Vec<OutputResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutputResult {
    pub device: String,
    pub info_qualify: String,
    pub response: ResponseStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrintResponse {
    pub document_qualifier: String,
    pub response: ResponseStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputResponse {
    pub input_result: InputResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_result: Option<OutputResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputResult {
    pub device: String,
    pub info_qualify: String,
    pub response: ResponseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Input {
    pub input_command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_flag: Option<bool>,
}

impl TerminalApi {
    pub fn header(&self) -> &MessageHeader {
        match self {
            TerminalApi::Request(r) => &r.message_header,
            TerminalApi::Response(r) => &r.message_header,
        }
    }

    /// The same message with every card number masked to its last four digits (what `till
    /// nexo decode` prints and what may be logged).
    pub fn masked(mut self) -> TerminalApi {
        fn mask_payment(p: &mut PaymentResponse) {
            if let Some(card) = p
                .payment_result
                .as_mut()
                .and_then(|r| r.payment_instrument_data.as_mut())
                .and_then(|d| d.card_data.as_mut())
                && let Some(pan) = card.masked_pan.as_mut()
            {
                *pan = till_domain::CardData::mask(pan).0;
            }
        }
        if let TerminalApi::Response(r) = &mut self {
            match &mut r.body {
                Response::PaymentResponse(p) => mask_payment(p),
                Response::TransactionStatusResponse(t) => {
                    if let Some(RepeatedBody::PaymentResponse(p)) = t
                        .repeated_message_response
                        .as_mut()
                        .map(|m| &mut m.repeated_response_message_body)
                    {
                        mask_payment(p);
                    }
                }
                _ => {}
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_decimals() -> Result<(), serde_json::Error> {
        for minor in [0i64, 1, 10, 1099, 4200, 12_345_678_901] {
            let text = serde_json::to_string(&Amount(minor))?;
            assert_eq!(serde_json::from_str::<Amount>(&text)?, Amount(minor), "{text}");
        }
        assert_eq!(serde_json::to_string(&Amount(1099))?, "10.99");
        assert!(
            serde_json::from_str::<Amount>("10.999").is_err(),
            "three decimals are refused, not rounded"
        );
        Ok(())
    }

    #[test]
    fn a_request_reads_back_with_its_body_beside_the_header() -> Result<(), serde_json::Error> {
        let text = r#"{"SaleToPOIRequest":{"MessageHeader":{"ProtocolVersion":"3.0","MessageClass":"Service",
            "MessageCategory":"Payment","MessageType":"Request","ServiceID":"0207111104","SaleID":"till-1",
            "POIID":"V400m-324688179"},"PaymentRequest":{"SaleData":{"SaleTransactionID":{"TransactionID":"27908",
            "TimeStamp":"2026-12-05T16:00:00Z"}},"PaymentTransaction":{"AmountsReq":{"Currency":"HKD",
            "RequestedAmount":10.99,"TipAmount":1.5}}}}}"#;
        let msg: TerminalApi = serde_json::from_str(text)?;
        let TerminalApi::Request(req) = &msg else {
            panic!("a request")
        };
        let Request::PaymentRequest(p) = &req.body else {
            panic!("a payment")
        };
        assert_eq!(p.payment_transaction.amounts_req.requested_amount, Amount(1099));
        assert_eq!(p.payment_transaction.amounts_req.tip_amount, Some(Amount(150)));
        let again: TerminalApi = serde_json::from_str(&serde_json::to_string(&msg)?)?;
        assert_eq!(again, msg, "typed -> JSON -> typed is the identity");
        Ok(())
    }
}

//! The NexoBlob crypto and the message models against Adyen's own library (npm
//! `@adyen/api-library`, pinned in tests/oracle, installed by `cargo xtask test`): it opens
//! what we seal, we open what it seals, and its typed models read our JSON back unchanged.

use crate::nexo_support::{key, oracle, payment_request, payment_response};
use crate::support::TestResult;
use serde_json::{Value, json};
use till_terminal::nexo::codec::{decode, encode_plain, encode_secured};
use till_terminal::nexo::crypto::{CryptoError, DerivedKey};
use till_terminal::nexo::message::*;
use till_terminal::nexo::{NexoError, TerminalApi};

fn oracle_key(k: &till_terminal::nexo::SecurityKey) -> Value {
    json!({
        "Passphrase": k.passphrase,
        "KeyIdentifier": k.key_identifier,
        "KeyVersion": k.key_version,
        "AdyenCryptoVersion": k.crypto_version,
    })
}

fn messages() -> Vec<TerminalApi> {
    vec![payment_request(4200), payment_response(1099)]
}

#[test]
fn the_adyen_library_opens_what_we_seal() -> TestResult {
    let Some(run) = oracle() else { return Ok(()) };
    let k = key("throwaway passphrase for the oracle test");
    let derived = DerivedKey::derive(&k);
    let mut input = Vec::new();
    for m in messages() {
        let sealed: Value = serde_json::from_slice(&encode_secured(&m, &derived))?;
        input.push(json!({"op": "decrypt", "secured": sealed, "key": oracle_key(&k)}));
    }
    let answers = run(&input)?;
    for (m, answer) in messages().iter().zip(&answers) {
        let plain = answer["plain"]
            .as_str()
            .ok_or_else(|| format!("the library could not decrypt ours: {answer}"))?;
        assert_eq!(
            serde_json::from_str::<TerminalApi>(plain)?,
            *m,
            "the library decrypts our blob to our message"
        );
    }
    Ok(())
}

#[test]
fn we_open_what_the_adyen_library_seals() -> TestResult {
    let Some(run) = oracle() else { return Ok(()) };
    let k = key("another throwaway passphrase");
    let input: Vec<Value> = messages()
        .iter()
        .map(|m| {
            Ok(json!({
                "op": "encrypt",
                "message": serde_json::from_slice::<Value>(&encode_plain(m))?,
                "key": oracle_key(&k),
            }))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let answers = run(&input)?;
    let derived = DerivedKey::derive(&k);
    for (m, sealed) in messages().iter().zip(&answers) {
        assert!(
            sealed.to_string().contains("NexoBlob"),
            "the library sealed it: {sealed}"
        );
        let decoded = decode(&serde_json::to_vec(sealed)?, Some(&derived))?;
        assert!(decoded.encrypted);
        assert_eq!(decoded.message, *m, "we decrypt the library's blob to the message");
    }
    // The three setup mistakes users meet, on the library's own blob.
    let sealed = serde_json::to_vec(&answers[0])?;
    let wrong_pass = DerivedKey::derive(&key("not the passphrase"));
    assert_eq!(
        decode(&sealed, Some(&wrong_pass)),
        Err(NexoError::Crypto(CryptoError::WrongPassphrase))
    );
    let mut v2 = k.clone();
    v2.key_version = 2;
    assert!(matches!(
        decode(&sealed, Some(&DerivedKey::derive(&v2))),
        Err(NexoError::Crypto(CryptoError::WrongKey {
            got_version: 1,
            want_version: 2,
            ..
        }))
    ));
    let mut tampered = answers[0].clone();
    let trailer = &mut tampered["SaleToPOIRequest"]["SecurityTrailer"]["Hmac"];
    let mut mac = base64_decode(trailer.as_str().unwrap_or_default());
    mac[5] ^= 0x40;
    *trailer = Value::String(base64_encode(&mac));
    assert_eq!(
        decode(&serde_json::to_vec(&tampered)?, Some(&derived)),
        Err(NexoError::Crypto(CryptoError::HmacMismatch))
    );
    Ok(())
}

#[test]
fn the_adyen_library_refuses_our_blob_with_a_wrong_key_or_a_tampered_hmac() -> TestResult {
    let Some(run) = oracle() else { return Ok(()) };
    let k = key("throwaway passphrase three");
    let sealed: Value = serde_json::from_slice(&encode_secured(&payment_request(4200), &DerivedKey::derive(&k)))?;
    let mut tampered = sealed.clone();
    let trailer = &mut tampered["SaleToPOIRequest"]["SecurityTrailer"]["Hmac"];
    let mut mac = base64_decode(trailer.as_str().unwrap_or_default());
    mac[0] ^= 1;
    *trailer = Value::String(base64_encode(&mac));
    let mut other = oracle_key(&k);
    other["Passphrase"] = json!("not the passphrase");
    let answers = run(&[
        json!({"op": "decrypt", "secured": tampered, "key": oracle_key(&k)}),
        json!({"op": "decrypt", "secured": sealed, "key": other}),
    ])?;
    assert_eq!(answers[0]["error"], json!("Hmac validation failed"), "{}", answers[0]);
    assert!(
        answers[1]["error"].is_string(),
        "a wrong passphrase fails there too: {}",
        answers[1]
    );
    Ok(())
}

#[test]
fn the_adyen_models_read_our_messages_unchanged() -> TestResult {
    let Some(run) = oracle() else { return Ok(()) };
    let header = |category, kind| MessageHeader {
        protocol_version: Some("3.0".to_owned()),
        message_class: MessageClass::Service,
        message_category: category,
        message_type: kind,
        service_id: Some("S000000042".to_owned()),
        sale_id: "till-1".to_owned(),
        poi_id: "V400m-324688179".to_owned(),
    };
    let reference = MessageReference {
        message_category: MessageCategory::Payment,
        service_id: "P000001".to_owned(),
        sale_id: Some("till-1".to_owned()),
        poi_id: Some("V400m-324688179".to_owned()),
    };
    let req = |category, body| {
        TerminalApi::Request(SaleToPoiRequest {
            message_header: header(category, MessageType::Request),
            body,
        })
    };
    let resp = |category, body| {
        TerminalApi::Response(SaleToPoiResponse {
            message_header: header(category, MessageType::Response),
            body,
        })
    };
    let Some(TerminalApi::Response(SaleToPoiResponse {
        body: Response::PaymentResponse(paid),
        ..
    })) = Some(payment_response(2552))
    else {
        return Err("a payment response".into());
    };
    let mut ours = messages();
    ours.extend([
        req(
            MessageCategory::Reversal,
            Request::ReversalRequest(ReversalRequest {
                original_poi_transaction: OriginalPoiTransaction {
                    poi_transaction_id: TransactionId {
                        transaction_id: "SIM000001.0000007919000003".to_owned(),
                        time_stamp: "2026-12-05T16:00:00.000Z".to_owned(),
                    },
                },
                reversal_reason: ReversalReason::MerchantCancel,
            }),
        ),
        req(
            MessageCategory::TransactionStatus,
            Request::TransactionStatusRequest(TransactionStatusRequest {
                message_reference: Some(reference.clone()),
                receipt_reprint_flag: None,
            }),
        ),
        req(
            MessageCategory::Abort,
            Request::AbortRequest(AbortRequest {
                message_reference: reference,
                abort_reason: "MerchantAbort".to_owned(),
            }),
        ),
        req(
            MessageCategory::Reconciliation,
            Request::ReconciliationRequest(ReconciliationRequest {
                reconciliation_type: ReconciliationType::SaleReconciliation,
            }),
        ),
        req(
            MessageCategory::Diagnosis,
            Request::DiagnosisRequest(DiagnosisRequest {
                host_diagnosis_flag: Some(false),
            }),
        ),
        resp(
            MessageCategory::TransactionStatus,
            Response::TransactionStatusResponse(TransactionStatusResponse {
                response: ResponseStatus::success(),
                repeated_message_response: Some(RepeatedMessageResponse {
                    message_header: header(MessageCategory::Payment, MessageType::Response),
                    repeated_response_message_body: RepeatedBody::PaymentResponse(paid),
                }),
            }),
        ),
        resp(
            MessageCategory::Reconciliation,
            Response::ReconciliationResponse(ReconciliationResponse {
                response: ResponseStatus::success(),
                reconciliation_type: ReconciliationType::SaleReconciliation,
                poi_reconciliation_id: Some("7".to_owned()),
                transaction_totals: vec![TransactionTotals {
                    payment_instrument_type: "Card".to_owned(),
                    payment_totals: vec![PaymentTotals {
                        transaction_type: TransactionType::Debit,
                        transaction_count: 2,
                        transaction_amount: Amount(5300),
                    }],
                }],
            }),
        ),
        resp(
            MessageCategory::Diagnosis,
            Response::DiagnosisResponse(DiagnosisResponse {
                response: ResponseStatus::failure(ErrorCondition::Busy, Some("message=busy".to_owned())),
                poi_status: Some(PoiStatus {
                    global_status: GlobalStatus::Busy,
                }),
            }),
        ),
    ]);
    // The device requests a terminal sends the till, and the till's answers.
    let content = |format: &str, reference: Option<&str>, lines: &[&str]| OutputContent {
        output_format: format.to_owned(),
        predefined_content: reference.map(|r| PredefinedContent {
            reference_id: r.to_owned(),
        }),
        output_text: lines.iter().map(|t| OutputText { text: (*t).to_owned() }).collect(),
    };
    let device = |category, kind| MessageHeader {
        message_class: MessageClass::Device,
        ..header(category, kind)
    };
    let from_terminal = |category, body| {
        TerminalApi::Request(SaleToPoiRequest {
            message_header: device(category, MessageType::Request),
            body,
        })
    };
    let to_terminal = |category, body| {
        TerminalApi::Response(SaleToPoiResponse {
            message_header: device(category, MessageType::Response),
            body,
        })
    };
    ours.extend([
        from_terminal(
            MessageCategory::Display,
            Request::DisplayRequest(DisplayRequest {
                display_output: vec![DisplayOutput {
                    device: "CashierDisplay".to_owned(),
                    info_qualify: "Status".to_owned(),
                    output_content: content("MessageRef", Some("PINEntry"), &[]),
                }],
            }),
        ),
        from_terminal(
            MessageCategory::Print,
            Request::PrintRequest(PrintRequest {
                print_output: PrintOutput {
                    document_qualifier: "CashierReceipt".to_owned(),
                    response_mode: "PrintEnd".to_owned(),
                    output_content: content("Text", None, &["CARDHOLDER SIGNATURE", "X____"]),
                },
            }),
        ),
        from_terminal(
            MessageCategory::Input,
            Request::InputRequest(InputRequest {
                display_output: None,
                input_data: InputData {
                    device: "CashierKeyboard".to_owned(),
                    info_qualify: "Input".to_owned(),
                    input_command: "GetConfirmation".to_owned(),
                },
            }),
        ),
        to_terminal(
            MessageCategory::Input,
            Response::InputResponse(InputResponse {
                input_result: InputResult {
                    device: "CashierKeyboard".to_owned(),
                    info_qualify: "Input".to_owned(),
                    response: ResponseStatus::success(),
                    input: Some(Input {
                        input_command: "GetConfirmation".to_owned(),
                        confirmed_flag: Some(true),
                    }),
                },
                output_result: None,
            }),
        ),
        to_terminal(
            MessageCategory::Print,
            Response::PrintResponse(PrintResponse {
                document_qualifier: "CashierReceipt".to_owned(),
                response: ResponseStatus::success(),
            }),
        ),
        to_terminal(
            MessageCategory::Display,
            Response::DisplayResponse(DisplayResponse {
                output_result: vec![OutputResult {
                    device: "CashierDisplay".to_owned(),
                    info_qualify: "Status".to_owned(),
                    response: ResponseStatus::success(),
                }],
            }),
        ),
    ]);
    let input: Vec<Value> = ours
        .iter()
        .map(|m| Ok(json!({"op": "model", "message": serde_json::from_slice::<Value>(&encode_plain(m))?})))
        .collect::<Result<_, serde_json::Error>>()?;
    let answers = run(&input)?;
    for (item, back) in input.iter().zip(&answers) {
        assert_eq!(
            &item["message"], back,
            "the library's models keep every field we write, with the same names and types"
        );
    }
    Ok(())
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_default()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

//! What the nexo tests share: throwaway keys and certificates (rcgen: a test root and a
//! terminal certificate under it), the simulator served over HTTPS on a loopback port, the
//! npm oracle, and sample messages.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use till_terminal::nexo::message::*;
use till_terminal::nexo::transport::Endpoint;
use till_terminal::nexo::{NexoConfig, NexoSim, SecurityKey, TerminalApi};

pub const POIID: &str = "V400m-324688179";

/// A throwaway key, made up per test (never a real one).
pub fn key(passphrase: &str) -> SecurityKey {
    SecurityKey {
        passphrase: passphrase.to_owned(),
        key_identifier: "opentill-test".to_owned(),
        key_version: 1,
        crypto_version: 1,
    }
}

/// PEMs of a test root and of a terminal certificate (with its key) issued under it.
pub struct Pki {
    pub root_pem: String,
    pub chain_pem: String,
    pub key_pem: String,
}

/// A root CA and a terminal certificate for `name`.
pub fn pki(name: &str) -> Result<Pki, Box<dyn std::error::Error>> {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "OpenTill test terminal root");
    let ca_key = rcgen::KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;
    let mut leaf_params = rcgen::CertificateParams::new(vec![name.to_owned()])?;
    leaf_params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;
    Ok(Pki {
        root_pem: ca.pem(),
        chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
        key_pem: leaf_key.serialize_pem(),
    })
}

/// A simulator serving HTTPS on 127.0.0.1 with a certificate for `cert_name`, its record in
/// `file`; and a driver configuration that trusts `pki`'s root and expects `POIID`'s name.
pub async fn serve(
    pki: &Pki,
    sim: Arc<NexoSim>,
    till_key: SecurityKey,
) -> Result<NexoConfig, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let acceptor = till_terminal::nexo::sim::acceptor(pki.chain_pem.as_bytes(), pki.key_pem.as_bytes())?;
    tokio::spawn(sim.serve(listener, acceptor));
    let endpoint = Endpoint {
        address,
        name: POIID.to_owned(),
        root_pem: pki.root_pem.clone().into_bytes(),
    };
    let mut config = NexoConfig::new(endpoint, till_key, POIID, "opentill-test", "HKD");
    config.payment_timeout = Duration::from_secs(10);
    config.short_timeout = Duration::from_secs(10);
    config.status_interval = Duration::from_millis(50);
    config.recovery_deadline = Duration::from_secs(5);
    Ok(config)
}

pub fn sim(key: &SecurityKey, file: Option<&Path>) -> std::io::Result<Arc<NexoSim>> {
    Ok(Arc::new(NexoSim::open(key, POIID, file)?))
}

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

pub type Oracle = fn(&[Value]) -> Result<Vec<Value>, Box<dyn std::error::Error>>;

fn run_oracle(input: &[Value]) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let mut child = Command::new("node")
        .arg("oracle.js")
        .current_dir(oracle_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        stdin.write_all(&serde_json::to_vec(input)?)?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(format!("the nexo oracle failed: {}", out.status).into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The npm oracle, or `None` (with a note) when node is absent. When node is there, the
/// oracle's packages must be too: `cargo xtask test` installs them, and a missing install is
/// a failure, not a skip.
pub fn oracle() -> Option<Oracle> {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: node is not installed, so the @adyen/api-library oracle cannot run (cargo xtask test installs it)"
        );
        return None;
    }
    assert!(
        oracle_dir().join("node_modules/@adyen/api-library").is_dir(),
        "the nexo oracle is not installed: run `npm ci --prefix {}` (cargo xtask test does)",
        oracle_dir().display()
    );
    Some(run_oracle)
}

fn header(category: MessageCategory, kind: MessageType, service_id: &str) -> MessageHeader {
    MessageHeader {
        protocol_version: Some("3.0".to_owned()),
        message_class: MessageClass::Service,
        message_category: category,
        message_type: kind,
        service_id: Some(service_id.to_owned()),
        sale_id: "till-1".to_owned(),
        poi_id: POIID.to_owned(),
    }
}

fn sale_data() -> SaleData {
    SaleData {
        sale_transaction_id: TransactionId {
            transaction_id: "000042".to_owned(),
            time_stamp: "2026-12-05T16:00:00.000Z".to_owned(),
        },
        sale_reference_id: Some("01JEXAMPLE".to_owned()),
    }
}

pub fn payment_request(minor: i64) -> TerminalApi {
    TerminalApi::Request(SaleToPoiRequest {
        message_header: header(MessageCategory::Payment, MessageType::Request, "P000042"),
        body: Request::PaymentRequest(PaymentRequest {
            sale_data: sale_data(),
            payment_transaction: PaymentTransaction {
                amounts_req: AmountsReq {
                    currency: "HKD".to_owned(),
                    requested_amount: Amount(minor),
                    tip_amount: Some(Amount(500)),
                },
            },
            payment_data: Some(PaymentData {
                payment_type: PaymentType::Normal,
            }),
        }),
    })
}

pub fn payment_response(minor: i64) -> TerminalApi {
    TerminalApi::Response(SaleToPoiResponse {
        message_header: header(MessageCategory::Payment, MessageType::Response, "P000042"),
        body: Response::PaymentResponse(PaymentResponse {
            response: ResponseStatus {
                result: ResultCode::Success,
                error_condition: None,
                additional_response: Some("AID=A0000000031010&applicationLabel=VISA+CREDIT".to_owned()),
            },
            sale_data: sale_data(),
            poi_data: Some(PoiData {
                poi_transaction_id: TransactionId {
                    transaction_id: "SIM000001.0000007919000003".to_owned(),
                    time_stamp: "2026-12-05T16:00:01.000Z".to_owned(),
                },
            }),
            payment_result: Some(PaymentResult {
                payment_instrument_data: Some(PaymentInstrumentData {
                    payment_instrument_type: "Card".to_owned(),
                    card_data: Some(CardData {
                        masked_pan: Some("411111******1111".to_owned()),
                        payment_brand: Some("visa".to_owned()),
                        entry_mode: vec![EntryModeCode::Icc],
                    }),
                }),
                amounts_resp: Some(AmountsResp {
                    currency: Some("HKD".to_owned()),
                    authorized_amount: Amount(minor),
                    tip_amount: None,
                }),
                authentication_method: vec![AuthenticationMethod::OnlinePin],
                payment_acquirer_data: Some(PaymentAcquirerData {
                    approval_code: Some("123456".to_owned()),
                    acquirer_poi_id: Some(POIID.to_owned()),
                }),
            }),
        }),
    })
}

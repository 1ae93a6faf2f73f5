//! The nexo driver against the nexo simulator over real TLS on loopback: the setup mistakes
//! users meet (certificate name, passphrase, key version) refused precisely with nothing
//! booked, the recovery rule, and bookings kept across a restart of the simulator.

use crate::nexo_support::{POIID, key, pki, serve, sim};
use crate::support::TestResult;
use std::time::Duration;
use till_domain::ports::{CardRequest, DeviceError, NoProgress, Outcome, PaymentTerminal};
use till_domain::{Currency, Money, TraceNo, TxnId};
use till_terminal::nexo::message::{MessageCategory, Request, TransactionStatusRequest};
use till_terminal::nexo::{NexoError, NexoTerminal};

fn request(trace: u32, minor: i64) -> CardRequest {
    CardRequest {
        txn: TxnId(format!("txn-{trace}")),
        trace: TraceNo::new(trace).unwrap_or(TraceNo::FIRST),
        amount: Money::new(minor, Currency::Hkd),
        tip: Money::zero(Currency::Hkd),
    }
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_and_nothing_is_sent() -> TestResult {
    let k = key("throwaway passphrase, name test");
    let terminal_sim = sim(&k, None)?;
    // The terminal presents a certificate for another terminal's name.
    let wrong = pki("V400m-999999999")?;
    let config = serve(&wrong, terminal_sim.clone(), k).await?;
    let driver = NexoTerminal::new(config.clone())?;
    let Some(link) = Some(till_terminal::nexo::transport::HttpsLink::new(&config.endpoint)?) else {
        return Ok(());
    };
    let err = link.post(b"{}".to_vec(), Duration::from_secs(5)).await;
    assert_eq!(
        err,
        Err(NexoError::CertificateName(POIID.to_owned())),
        "the name mismatch is named"
    );
    assert_eq!(
        err.as_ref().map_err(NexoError::message_id).err(),
        Some("error-bad-nexo-certificate-name")
    );
    let sale = driver.authorize(&request(1, 4200), &NoProgress).await?;
    assert!(
        matches!(&sale, Outcome::Declined(d) if d.message_id == "decline-nexo-certificate-name"),
        "refused before sending, and the cashier is told why: {sale:?}"
    );
    assert!(terminal_sim.bookings().is_empty(), "nothing booked");
    Ok(())
}

#[tokio::test]
async fn a_certificate_from_another_root_is_refused() -> TestResult {
    let k = key("throwaway passphrase, root test");
    let terminal_sim = sim(&k, None)?;
    let served = pki(POIID)?;
    let mut config = serve(&served, terminal_sim.clone(), k).await?;
    config.endpoint.root_pem = pki(POIID)?.root_pem.into_bytes();
    let link = till_terminal::nexo::transport::HttpsLink::new(&config.endpoint)?;
    let err = link.post(b"{}".to_vec(), Duration::from_secs(5)).await;
    assert!(matches!(err, Err(NexoError::CertificateUntrusted(_))), "{err:?}");
    assert!(terminal_sim.bookings().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_wrong_passphrase_or_key_version_is_rejected_by_the_terminal_with_its_reason() -> TestResult {
    let on_terminal = key("the terminal's throwaway passphrase");
    let terminal_sim = sim(&on_terminal, None)?;
    let certs = pki(POIID)?;
    let wrong_pass = serve(&certs, terminal_sim.clone(), key("a different passphrase")).await?;
    let driver = NexoTerminal::new(wrong_pass)?;
    let sid = "S000000001";
    let ask = Request::TransactionStatusRequest(TransactionStatusRequest {
        message_reference: None,
        receipt_reprint_flag: None,
    });
    let err = driver
        .exchange(
            MessageCategory::TransactionStatus,
            sid,
            ask.clone(),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(err, Err(NexoError::Rejected("Reject: WrongPassphrase".to_owned())));
    // Through the till: a declined sale that names the mistake, in the journal; nothing booked.
    let dir = till_testkit::TempDir::new("nexo-wrong-pass");
    let till = crate::support::till_with(std::sync::Arc::new(driver), dir.path())?;
    let sale = till.sale(crate::support::card(4200)).await?;
    assert_eq!(sale.txn.status, till_domain::TxnStatus::Declined);
    assert_eq!(
        sale.txn.decline.map(|d| d.message_id).as_deref(),
        Some("decline-nexo-wrong-passphrase")
    );

    let mut v2 = on_terminal.clone();
    v2.key_version = 2;
    let driver = NexoTerminal::new(serve(&certs, terminal_sim.clone(), v2).await?)?;
    let err = driver
        .exchange(MessageCategory::TransactionStatus, sid, ask, Duration::from_secs(5))
        .await;
    assert_eq!(err, Err(NexoError::Rejected("Reject: WrongKey".to_owned())));
    assert_eq!(err.err().map(|e| e.message_id()), Some("error-bad-nexo-rejected"));
    let sale = driver.authorize(&request(3, 4200), &NoProgress).await?;
    assert!(
        matches!(&sale, Outcome::Declined(d) if d.message_id == "decline-nexo-wrong-key"),
        "{sale:?}"
    );
    assert!(terminal_sim.bookings().is_empty(), "nothing booked");
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_is_resolved_by_transaction_status_and_bookings_survive_a_restart() -> TestResult {
    let dir = till_testkit::TempDir::new("nexo-restart");
    let record = dir.path().join("terminal.jsonl");
    let k = key("throwaway passphrase, restart test");
    let certs = pki(POIID)?;
    let first = sim(&k, Some(&record))?;
    let driver = NexoTerminal::new(serve(&certs, first.clone(), k.clone()).await?)?;
    // 91: the terminal books it and the answer is lost: TransactionStatus finds the approval.
    let lost = driver.authorize(&request(7, 4291), &NoProgress).await?;
    assert!(matches!(lost, Outcome::Approved(_)), "{lost:?}");
    // 92: the line drops before booking: the terminal has no record: Unknown for the till.
    let cut = driver.authorize(&request(8, 4292), &NoProgress).await;
    assert!(matches!(cut, Err(DeviceError::LineLost(_))), "{cut:?}");
    assert!(
        !driver
            .reverse(TraceNo::new(8).ok_or("trace")?, Money::new(4292, Currency::Hkd))
            .await?
    );

    // A restarted terminal remembers what it booked.
    let second = sim(&k, Some(&record))?;
    assert_eq!(second.bookings(), first.bookings(), "the record is read back whole");
    let driver = NexoTerminal::new(serve(&certs, second.clone(), k).await?)?;
    let last = driver.last_result().await?.ok_or("a last result")?;
    assert_eq!(last.trace, TraceNo::new(7));
    assert!(matches!(last.outcome, Outcome::Approved(_)));
    assert!(
        driver
            .reverse(TraceNo::new(7).ok_or("trace")?, Money::new(4291, Currency::Hkd))
            .await?,
        "a completed payment is undone by a Reversal"
    );
    assert!(
        second.bookings().iter().any(|b| b.reversed),
        "the sale is marked reversed"
    );
    let totals = driver.end_of_day().await?;
    assert_eq!(totals.sales.count, 0, "a reversed sale is not in the totals");
    Ok(())
}

#[tokio::test]
async fn a_payment_with_a_tampered_hmac_is_rejected_and_not_booked() -> TestResult {
    use till_terminal::nexo::{DerivedKey, decode, encode_secured};
    let k = key("throwaway passphrase, hmac test");
    let terminal_sim = sim(&k, None)?;
    let config = serve(&pki(POIID)?, terminal_sim.clone(), k.clone()).await?;
    let link = till_terminal::nexo::transport::HttpsLink::new(&config.endpoint)?;
    let sealed = encode_secured(&crate::nexo_support::payment_request(4200), &DerivedKey::derive(&k));
    let mut v: serde_json::Value = serde_json::from_slice(&sealed)?;
    v["SaleToPOIRequest"]["SecurityTrailer"]["Hmac"] =
        serde_json::Value::String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned());
    let answer = link.post(serde_json::to_vec(&v)?, Duration::from_secs(5)).await?;
    let reject = decode(&answer, None)?;
    assert!(
        !reject.encrypted,
        "a terminal that cannot read the key answers in the clear"
    );
    let text = serde_json::to_string(&reject.message)?;
    assert!(
        text.contains("Reject") && text.contains("HmacMismatch"),
        "the reason is named: {text}"
    );
    assert!(terminal_sim.bookings().is_empty(), "nothing booked");
    // The untampered message is booked: the refusal was the HMAC's doing.
    link.post(sealed, Duration::from_secs(5)).await?;
    assert_eq!(terminal_sim.bookings().len(), 1);
    Ok(())
}

/// No answer in time: the driver asks TransactionStatus (never retries), hears InProgress,
/// and only then — the payment not complete — aborts it; the terminal's own answer (Aborted)
/// decides: not charged.
#[tokio::test]
async fn no_answer_in_time_asks_the_status_and_aborts_only_an_unfinished_payment() -> TestResult {
    let k = key("throwaway passphrase, timeout test");
    let terminal_sim = sim(&k, None)?;
    let mut config = serve(&pki(POIID)?, terminal_sim.clone(), k).await?;
    config.payment_timeout = Duration::from_millis(300);
    config.recovery_deadline = Duration::from_millis(300);
    let driver = NexoTerminal::new(config)?;
    // 57: the terminal waits for a card that never comes.
    let outcome = driver.authorize(&request(9, 4257), &NoProgress).await?;
    assert_eq!(outcome, Outcome::Cancelled, "aborted before completion: not charged");
    let bookings = terminal_sim.bookings();
    assert_eq!(bookings.len(), 1, "one payment, never sent twice: {bookings:?}");
    assert!(!bookings[0].approved);
    assert!(!terminal_sim.waiting_for_card(), "the terminal is free again");
    let next = driver.authorize(&request(10, 4200), &NoProgress).await?;
    assert!(matches!(next, Outcome::Approved(_)), "{next:?}");
    Ok(())
}

/// A sale with a tip: the tip travels as TipAmount beside RequestedAmount, the terminal
/// authorizes both together, and its scenario goes by the total (as on ZVT).
#[tokio::test]
async fn a_tip_is_sent_apart_and_authorized_with_the_amount() -> TestResult {
    let k = key("throwaway passphrase, tip test");
    let terminal_sim = sim(&k, None)?;
    let driver = NexoTerminal::new(serve(&pki(POIID)?, terminal_sim.clone(), k).await?)?;
    let mut tipped = request(21, 4300);
    tipped.tip = Money::new(500, Currency::Hkd);
    let approved = driver.authorize(&tipped, &NoProgress).await?;
    assert!(matches!(approved, Outcome::Approved(_)), "{approved:?}");
    let booking = terminal_sim.bookings().pop().ok_or("a booking")?;
    assert_eq!(booking.amount, 4300, "the amount and the tip, together");
    let amounts = booking
        .response
        .as_ref()
        .and_then(|r| r.payment_result.as_ref())
        .and_then(|r| r.amounts_resp.as_ref())
        .ok_or("amounts in the response")?;
    assert_eq!(
        amounts.tip_amount.map(|t| t.0),
        Some(500),
        "the tip was sent as TipAmount"
    );

    // 43.51 in all (42.01 + 1.50 tip): declined by the total's scenario (51), not approved by
    // the amount's alone.
    let mut declined = request(22, 4351);
    declined.tip = Money::new(150, Currency::Hkd);
    let outcome = driver.authorize(&declined, &NoProgress).await?;
    assert!(matches!(outcome, Outcome::Declined(_)), "{outcome:?}");
    Ok(())
}

/// Progress as the cashier's screen would get it.
#[derive(Default)]
struct Shown(std::sync::Mutex<Vec<till_domain::ports::Progress>>);

impl till_domain::ports::ProgressSink for Shown {
    fn progress(&self, progress: till_domain::ports::Progress) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(progress);
    }
}

/// A receipt printer that keeps what it is given.
#[derive(Default)]
struct Paper(std::sync::Mutex<Vec<till_domain::receipt::ReceiptDoc>>);

#[async_trait::async_trait]
impl till_domain::ports::ReceiptPrinter for Paper {
    async fn status(&self) -> Result<till_domain::ports::PrinterStatus, DeviceError> {
        Ok(Default::default())
    }
    async fn print(&self, doc: &till_domain::receipt::ReceiptDoc) -> Result<(), DeviceError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(doc.clone());
        Ok(())
    }
    async fn kick_drawer(&self) -> Result<(), DeviceError> {
        Ok(())
    }
}

impl Paper {
    fn lines(&self) -> Vec<String> {
        use till_domain::receipt::{Line, Text};
        let docs = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        docs.iter()
            .flat_map(|d| d.lines.iter())
            .filter_map(|l| match l {
                Line::Left { text: Text::Raw(t) } => Some(t.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The till's device endpoint on a loopback port of its own, for `driver`, printing on `paper`.
async fn till_endpoint(
    driver: &NexoTerminal,
    k: &till_terminal::nexo::SecurityKey,
    paper: std::sync::Arc<Paper>,
) -> Result<String, Box<dyn std::error::Error>> {
    use till_terminal::nexo::device::{TillSide, serve};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let till = TillSide {
        relay: driver.relay(),
        printer: Some(paper),
    };
    let derived = till_terminal::nexo::DerivedKey::derive(k);
    tokio::spawn(serve(listener, derived, std::sync::Arc::new(till)));
    Ok(address)
}

/// The terminal's device requests during a payment: its Display steps reach the cashier as the
/// payment's progress, its GetConfirmation is confirmed, its signature slip prints on the
/// till's printer — and a sale with a PIN shows the PIN step, one without shows none.
#[tokio::test]
async fn the_terminals_display_input_and_print_requests_are_handled_by_the_till() -> TestResult {
    use till_domain::ports::Progress;
    use till_terminal::nexo::message::ResultCode;
    let k = key("throwaway passphrase, device requests");
    let terminal_sim = sim(&k, None)?;
    let driver = NexoTerminal::new(serve(&pki(POIID)?, terminal_sim.clone(), k.clone()).await?)?;
    let paper = std::sync::Arc::new(Paper::default());
    let address = till_endpoint(&driver, &k, paper.clone()).await?;
    terminal_sim.notify(&address);

    let shown = Shown::default();
    let outcome = driver.authorize(&request(31, 2000), &shown).await?;
    assert!(matches!(outcome, Outcome::Approved(_)), "{outcome:?}");
    let steps = shown.0.lock().map_err(|_| "lock")?.clone();
    assert_eq!(
        steps,
        [
            Progress::PresentCard,
            Progress::InsertChip,
            Progress::EnterPin,
            Progress::Processing
        ],
        "the driver's first step, then the terminal's, in order"
    );
    assert!(paper.lines().is_empty(), "a PIN sale prints nothing of the terminal's");

    let shown = Shown::default();
    let outcome = driver.authorize(&request(32, 2052), &shown).await?;
    let Outcome::Approved(approval) = outcome else {
        return Err(format!("{outcome:?}").into());
    };
    let steps = shown.0.lock().map_err(|_| "lock")?.clone();
    assert!(steps.contains(&Progress::SignatureRequired), "{steps:?}");
    assert!(!steps.contains(&Progress::EnterPin), "{steps:?}");
    let answers = terminal_sim.device_answers();
    let input = answers
        .iter()
        .find(|a| a.category == MessageCategory::Input)
        .ok_or("an Input was sent")?;
    assert_eq!((input.result, input.confirmed), (Some(ResultCode::Success), Some(true)));
    assert!(
        answers.iter().all(|a| a.result == Some(ResultCode::Success)),
        "every request answered Success: {answers:?}"
    );
    let slip = paper.lines();
    assert_eq!(
        slip.first().map(String::as_str),
        Some("CARDHOLDER SIGNATURE"),
        "{slip:?}"
    );
    let masked = approval.card.as_ref().map(|c| c.masked_pan.clone()).ok_or("a card")?;
    assert!(
        slip.iter()
            .any(|l| l.ends_with(&masked[masked.len() - 4..]) && l.contains('*')),
        "the slip shows the masked card number only: {slip:?}"
    );
    Ok(())
}

/// Only a message sealed with the shared key is acted on: a plain PrintRequest, or one sealed
/// with another key, posted to the till's endpoint is refused (HTTP 403) and prints nothing.
#[tokio::test]
async fn a_device_request_not_sealed_with_the_terminals_key_is_refused_and_prints_nothing() -> TestResult {
    use till_terminal::nexo::message::*;
    use till_terminal::nexo::{DerivedKey, TerminalApi, device, encode_plain, encode_secured};
    let k = key("throwaway passphrase, endpoint");
    let terminal_sim = sim(&k, None)?;
    let driver = NexoTerminal::new(serve(&pki(POIID)?, terminal_sim, k.clone()).await?)?;
    let paper = std::sync::Arc::new(Paper::default());
    let address = till_endpoint(&driver, &k, paper.clone()).await?;
    let print = TerminalApi::Request(SaleToPoiRequest {
        message_header: MessageHeader {
            protocol_version: Some("3.0".to_owned()),
            message_class: MessageClass::Device,
            message_category: MessageCategory::Print,
            message_type: MessageType::Request,
            service_id: Some("D1".to_owned()),
            sale_id: "opentill-test".to_owned(),
            poi_id: POIID.to_owned(),
        },
        body: Request::PrintRequest(PrintRequest {
            print_output: PrintOutput {
                document_qualifier: "CashierReceipt".to_owned(),
                response_mode: "PrintEnd".to_owned(),
                output_content: OutputContent {
                    output_format: "Text".to_owned(),
                    predefined_content: None,
                    output_text: vec![OutputText {
                        text: "PAY TO MALLORY".to_owned(),
                    }],
                },
            },
        }),
    });
    let other = DerivedKey::derive(&key("another shop's passphrase"));
    for (what, body) in [
        ("plain", encode_plain(&print)),
        ("another key", encode_secured(&print, &other)),
        ("not JSON", b"{\"SaleToPOIRequest\": [".to_vec()),
    ] {
        let (status, answer) = device::post(&address, body, Duration::from_secs(10)).await?;
        assert_eq!(status, 403, "{what}");
        assert!(answer.is_empty(), "{what}: no answer body");
    }
    assert!(paper.lines().is_empty(), "nothing printed");
    // The same request sealed with the terminal's key is printed.
    let sealed = encode_secured(&print, &DerivedKey::derive(&k));
    let (status, _) = device::post(&address, sealed, Duration::from_secs(10)).await?;
    assert_eq!(status, 200);
    assert_eq!(paper.lines(), ["PAY TO MALLORY"]);
    Ok(())
}

/// `[terminal.nexo] listen` from till.toml: the endpoint is bound when the terminal is opened
/// (a port already in use is refused then, naming it, not at the first sale) and served.
#[tokio::test]
async fn the_configured_endpoint_is_bound_at_open_and_a_busy_port_is_refused() -> TestResult {
    use till_terminal::config::{ConfigError, NexoSettings};
    use till_terminal::{TerminalConfig, TerminalKind};
    let dir = till_testkit::TempDir::new("nexo-listen");
    let root = dir.path().join("root.pem");
    std::fs::write(&root, pki(POIID)?.root_pem)?;
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let busy_address = busy.local_addr()?.to_string();
    let config = |listen: &str| TerminalConfig {
        kind: TerminalKind::Nexo,
        nexo: Some(NexoSettings {
            address: "127.0.0.1:8443".to_owned(),
            poiid: POIID.to_owned(),
            certificate_name: None,
            root_certificate: root.clone(),
            key_identifier: "opentill-test".to_owned(),
            key_version: 1,
            passphrase: "throwaway passphrase, listen".to_owned(),
            sale_id: None,
            listen: Some(listen.to_owned()),
        }),
        ..TerminalConfig::default()
    };
    let paper = std::sync::Arc::new(Paper::default());
    let refused = config(&busy_address).open_with(344, paper.clone()).err();
    let Some(ConfigError::Listen { address, .. }) = &refused else {
        return Err(format!("a busy port must be refused: {refused:?}").into());
    };
    assert_eq!(address, &busy_address);
    assert!(refused.as_ref().is_some_and(|e| e.to_string().contains(&busy_address)));
    drop(busy);

    // A free port: bound now, and answering (a plain message is refused, as any stranger's).
    let free = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let opened = config(&free).open_with(344, paper).map_err(|e| e.to_string())?;
    assert!(opened.is_some());
    let (status, _) = till_terminal::nexo::device::post(&free, b"{}".to_vec(), Duration::from_secs(10)).await?;
    assert_eq!(status, 403);
    Ok(())
}

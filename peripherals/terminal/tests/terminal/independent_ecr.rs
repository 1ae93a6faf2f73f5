//! An independent ECR — the crates.io `zvt` crate — runs its registration / status /
//! end-of-day sequence (its own `status` example's commands) against our simulator over TCP
//! and gets well-formed answers.

use crate::support::*;
use std::sync::Arc;
use till_terminal::ZvtSim;
use till_terminal::transport::ApduStream;
use tokio_stream::StreamExt;
use zvt::sequences::Sequence;
use zvt::{packets, sequences};

#[tokio::test]
async fn the_zvt_crate_talks_to_our_simulator() -> TestResult {
    let sim = Arc::new(ZvtSim::open(None)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let served = sim.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = served.serve(&mut ApduStream::new(socket)).await;
        }
    });
    let mut socket = tokio::net::TcpStream::connect(address).await?;

    let request = packets::Registration {
        password: 123_456,
        config_byte: 0xDE,
        currency: Some(978),
        tlv: None,
    };
    let mut stream = sequences::Registration::into_stream(&request, &mut socket);
    let mut answers = Vec::new();
    while let Some(r) = stream.next().await {
        answers.push(r?);
    }
    drop(stream);
    assert!(
        matches!(answers.as_slice(), [sequences::RegistrationResponse::CompletionData(_)]),
        "{answers:?}"
    );

    let request = packets::Diagnosis {
        tlv: Some(packets::tlv::Diagnosis {
            diagnosis_type: Some(1),
        }),
    };
    let mut stream = sequences::Diagnosis::into_stream(&request, &mut socket);
    let mut n = 0;
    while let Some(r) = stream.next().await {
        r?;
        n += 1;
    }
    drop(stream);
    assert!(n >= 1, "diagnosis answered");

    let request = packets::EndOfDay { password: 123_456 };
    let mut stream = sequences::EndOfDay::into_stream(&request, &mut socket);
    let mut eod = Vec::new();
    while let Some(r) = stream.next().await {
        eod.push(r?);
    }
    drop(stream);
    assert!(
        eod.iter()
            .any(|r| matches!(r, sequences::EndOfDayResponse::StatusInformation(_))),
        "{eod:?}"
    );
    assert!(
        matches!(eod.last(), Some(sequences::EndOfDayResponse::CompletionData(_))),
        "{eod:?}"
    );

    let request = packets::StatusEnquiry {
        password: None,
        service_byte: None,
        tlv: None,
    };
    let mut stream = sequences::StatusEnquiry::into_stream(&request, &mut socket);
    let mut status = Vec::new();
    while let Some(r) = stream.next().await {
        status.push(r?);
    }
    drop(stream);
    assert!(
        matches!(status.last(), Some(sequences::StatusEnquiryResponse::CompletionData(_))),
        "{status:?}"
    );

    let request = packets::PartialReversal {
        receipt_no: Some(0xFFFF),
        amount: None,
        payment_type: None,
        currency: None,
        tlv: None,
    };
    let mut stream = sequences::PartialReversal::into_stream(&request, &mut socket);
    let mut rev = Vec::new();
    while let Some(r) = stream.next().await {
        rev.push(r?);
    }
    drop(stream);
    assert!(
        !rev.is_empty(),
        "partial reversal answered (no pre-authorisations open)"
    );
    Ok(())
}

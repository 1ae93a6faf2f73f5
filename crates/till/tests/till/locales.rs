//! Every message id exists in all three locales, and every id the code uses exists.

use std::collections::BTreeSet;
use std::path::Path;
use till_domain::ports::{DeviceError, Progress};
use till_domain::{DomainError, PaymentMeans, TxnKind, TxnStatus};
use till_i18n::{Catalog, Lang};

#[test]
fn every_message_id_exists_in_all_three_locales() {
    let c = Catalog::global();
    assert!(c.errors().is_empty(), "the .ftl files parse cleanly: {:?}", c.errors());
    let en = c.message_ids(Lang::En);
    assert!(en.len() > 100, "the English catalog is loaded ({} ids)", en.len());
    for lang in [Lang::ZhHant, Lang::ZhHans] {
        let other = c.message_ids(lang);
        let missing: Vec<_> = en.difference(&other).collect();
        let extra: Vec<_> = other.difference(&en).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{lang}: missing {missing:?}, not in English {extra:?}"
        );
    }
}

fn collect_literals(dir: &Path, out: &mut BTreeSet<String>) {
    let prefixes = [
        "error-",
        "decline-",
        "progress-",
        "receipt-",
        "report-",
        "recovery-",
        "result-",
        "device-",
        "printer-",
        "demo-",
        "settle-",
        "history-",
        "journal-",
        "balance-",
        "login-",
        "pin-",
        "operator-",
        "blocks-",
        "devices-",
        "config-",
    ];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_literals(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for piece in text.split('"').skip(1).step_by(2) {
                let looks_like_id = prefixes.iter().any(|p| piece.starts_with(p))
                    && piece.len() > 6
                    && piece
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                    && !piece.ends_with('-');
                if looks_like_id {
                    out.insert(piece.to_owned());
                }
            }
        }
    }
}

#[test]
fn every_message_id_the_code_uses_has_a_translation() {
    let c = Catalog::global();
    let mut used = BTreeSet::new();
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["till-domain", "till", "till-cli", "till-i18n"] {
        collect_literals(&crates.join(krate).join("src"), &mut used);
    }
    // Error codes (`pin-wrong`, `journal-broken`) are machine codes, not message ids.
    let codes: BTreeSet<String> = DomainError::examples()
        .iter()
        .map(|e| e.code().to_owned())
        .chain(["journal-broken", "journal-in-use", "journal-too-new"].map(str::to_owned))
        .collect();
    used.retain(|id| !codes.contains(id));
    used.extend(DomainError::examples().iter().map(DomainError::message_id));
    for e in [
        DeviceError::Unavailable(String::new()),
        DeviceError::Busy,
        DeviceError::Timeout,
        DeviceError::LineLost(String::new()),
        DeviceError::Protocol(String::new()),
        DeviceError::PaperOut,
        DeviceError::CoverOpen,
    ] {
        used.insert(e.message_id().to_owned());
    }
    for p in [
        Progress::PresentCard,
        Progress::InsertChip,
        Progress::EnterPin,
        Progress::RemoveCard,
        Progress::Processing,
        Progress::SignatureRequired,
        Progress::ScanCode,
        Progress::WaitingForCustomer,
    ] {
        used.insert(p.message_id().to_owned());
    }
    used.extend(PaymentMeans::ALL.iter().map(|m| m.message_id()));
    for s in [
        TxnStatus::Pending,
        TxnStatus::Approved,
        TxnStatus::Declined,
        TxnStatus::Cancelled,
        TxnStatus::Unknown,
        TxnStatus::Reversed,
        TxnStatus::Voided,
    ] {
        used.insert(format!("status-{}", s.id()));
    }
    for k in [TxnKind::Sale, TxnKind::Void, TxnKind::Refund] {
        used.insert(format!("kind-{}", k.id()));
    }
    for what in [
        "means",
        "role",
        "date",
        "hex",
        "image",
        "payload",
        "scheme",
        "qr-input",
        "output",
        "device",
        // till-terminal's nexo errors (`NexoError::message_id`, `till nexo decode`).
        "nexo",
        "nexo-need-key",
        "nexo-wrong-key",
        "nexo-wrong-passphrase",
        "nexo-hmac",
        "nexo-crypto",
        "nexo-rejected",
        "nexo-certificate-name",
        "nexo-certificate-untrusted",
        "nexo-tls-config",
    ] {
        used.insert(format!("error-bad-{what}"));
    }
    // till-terminal's nexo declines (`NexoError::setup_decline`), outside the scanned crates.
    for id in [
        "certificate-name",
        "certificate-untrusted",
        "wrong-passphrase",
        "wrong-key",
        "hmac",
        "setup",
    ] {
        used.insert(format!("decline-nexo-{id}"));
    }
    assert!(used.len() > 80, "the scan found the ids in the code ({})", used.len());
    for lang in Lang::ALL {
        let missing: Vec<_> = used.iter().filter(|id| !c.has(lang, id)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
    }
}

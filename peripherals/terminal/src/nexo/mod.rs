//! nexo / Adyen Terminal API, local integration: the till POSTs `SaleToPOIRequest` JSON over
//! HTTPS to the terminal (`https://<terminal>:8443/nexo`) and reads the `SaleToPOIResponse` in
//! the HTTP answer. Layered as ZVT is:
//!
//! - [`message`]: typed messages ⇄ JSON (serde), [`crypto`]: the `NexoBlob` +
//!   `SecurityTrailer` encryption, [`codec`]: the two together (plain or encrypted on the wire);
//! - [`transport`]: one POST over rustls, the terminal's certificate checked against the
//!   configured root and name;
//! - [`driver::NexoTerminal`]: the sequences (payment, reversal, refund, reconciliation,
//!   diagnosis, abort) with their timeouts and the recovery rule, behind `PaymentTerminal`;
//! - [`sim::NexoSim`]: a terminal speaking the same encrypted JSON over HTTPS, with the ZVT
//!   simulator's magic amounts and a record kept across restarts.

pub mod codec;
pub mod crypto;
pub mod device;
pub mod driver;
pub mod message;
pub mod sim;
pub mod transport;

pub use codec::{Decoded, decode, encode_plain, encode_secured};
pub use crypto::{CryptoError, DerivedKey, SecurityKey};
pub use driver::{NexoConfig, NexoTerminal};
pub use message::TerminalApi;
pub use sim::NexoSim;

/// What can go wrong speaking the Terminal API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NexoError {
    /// The text is not a Terminal API message (not JSON, or a field of the wrong shape).
    #[error("not a Terminal API message: {0}")]
    Json(String),
    /// The message is encrypted and no key was given to open it.
    #[error("the message is encrypted: a key is needed")]
    NeedKey,
    /// The encryption layer refused the message.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// The terminal rejected our message (an `EventNotification` `Reject`): it could not
    /// decrypt it, or does not hold our key. The details are the terminal's.
    #[error("the terminal rejected the message: {0}")]
    Rejected(String),
    /// TLS: the terminal's certificate is not for the configured name.
    #[error("the terminal's certificate is not valid for the name {0}")]
    CertificateName(String),
    /// TLS: the terminal's certificate does not chain to the configured root (or expired).
    #[error("the terminal's certificate is not trusted: {0}")]
    CertificateUntrusted(String),
    /// The configured root certificate or name cannot be used.
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// No connection could be made: nothing was sent.
    #[error("cannot connect to the terminal: {0}")]
    Connect(String),
    /// The request was sent but no answer came within the time-out.
    #[error("no answer in time")]
    Timeout,
    /// The connection dropped after the request was sent.
    #[error("connection lost: {0}")]
    LineLost(String),
    /// An HTTP status other than 200 (the terminal's web server refused the request).
    #[error("HTTP status {0}")]
    Http(u16),
    /// The answer does not fit the request (another category, another ServiceID).
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl NexoError {
    /// Whether the terminal may have acted on the request: everything after it was sent,
    /// except a Reject (the terminal could not read it). Such a payment is resolved by
    /// TransactionStatus, never assumed undone.
    pub fn outcome_unknown(&self) -> bool {
        !matches!(
            self,
            NexoError::Connect(_)
                | NexoError::CertificateName(_)
                | NexoError::CertificateUntrusted(_)
                | NexoError::TlsConfig(_)
                | NexoError::Rejected(_)
        )
    }

    /// For a request that certainly did not reach the terminal's payment logic: the decline
    /// the cashier sees, naming the setup mistake (nothing was charged). `None` for a plain
    /// connection failure (the port's `Unavailable`).
    pub fn setup_decline(&self) -> Option<&'static str> {
        Some(match self {
            NexoError::CertificateName(_) => "decline-nexo-certificate-name",
            NexoError::CertificateUntrusted(_) => "decline-nexo-certificate-untrusted",
            NexoError::Rejected(r) if r.ends_with("WrongPassphrase") => "decline-nexo-wrong-passphrase",
            NexoError::Rejected(r) if r.ends_with("WrongKey") => "decline-nexo-wrong-key",
            NexoError::Rejected(r) if r.ends_with("HmacMismatch") => "decline-nexo-hmac",
            NexoError::Rejected(_) | NexoError::TlsConfig(_) => "decline-nexo-setup",
            _ => return None,
        })
    }

    /// The Fluent id of the message that tells the operator about it (`error-bad-nexo…` for
    /// what the configuration or the message is wrong in, `device-…` for the line).
    pub fn message_id(&self) -> &'static str {
        match self {
            NexoError::Json(_) | NexoError::Unexpected(_) | NexoError::Http(_) => "error-bad-nexo",
            NexoError::NeedKey => "error-bad-nexo-need-key",
            NexoError::Crypto(CryptoError::WrongKey { .. }) => "error-bad-nexo-wrong-key",
            NexoError::Crypto(CryptoError::WrongPassphrase) => "error-bad-nexo-wrong-passphrase",
            NexoError::Crypto(CryptoError::HmacMismatch) => "error-bad-nexo-hmac",
            NexoError::Crypto(_) => "error-bad-nexo-crypto",
            NexoError::Rejected(_) => "error-bad-nexo-rejected",
            NexoError::CertificateName(_) => "error-bad-nexo-certificate-name",
            NexoError::CertificateUntrusted(_) => "error-bad-nexo-certificate-untrusted",
            NexoError::TlsConfig(_) => "error-bad-nexo-tls-config",
            NexoError::Connect(_) => "device-unavailable",
            NexoError::Timeout => "device-timeout",
            NexoError::LineLost(_) => "device-line-lost",
        }
    }
}

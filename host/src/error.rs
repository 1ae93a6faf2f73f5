//! The host's one error type, and how it answers a till (JSON) or a person (a page).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use till_sync::{WireError, codes};

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// PostgreSQL failed or is unreachable.
    #[error("database: {0}")]
    Db(#[from] sqlx_core::Error),
    /// The schema migrations could not be applied.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx_core::migrate::MigrateError),
    /// A request body or parameter could not be read; the text says which part.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A till spoke a protocol version this host does not know.
    #[error("unsupported protocol version {0}")]
    Version(u32),
    /// A body above the size limit, or an upload with too many events.
    #[error("request too large: {0}")]
    TooLarge(String),
    /// No valid device credential or session.
    #[error("not signed in")]
    Unauthorized,
    /// Signed in, but the permission matrix (H7) does not allow this here.
    #[error("not allowed")]
    Forbidden,
    /// No such thing, or not this merchant's (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// An activation code or link that is unknown, used or expired.
    #[error("activation code invalid or expired")]
    ActivationInvalid,
    /// A till's activation code that was right but is past its time.
    #[error("activation code expired")]
    ActivationExpired,
    /// A till's activation code that another till has already used.
    #[error("activation code already used")]
    ActivationUsed,
    /// Events that do not follow what the host holds: `held` is where to resume.
    #[error("sequence gap: the host holds up to {held}")]
    SequenceGap { held: u64 },
    /// A sequence the host already holds, re-sent with different content.
    #[error("sequence {seq} was already received with different content")]
    SequenceConflict { seq: u64 },
    /// A form field the portal refuses (message id for the page).
    #[error("invalid input: {0}")]
    Invalid(&'static str),
    /// Input refused for a reason a person can be told: `key` is the portal's message for it,
    /// `detail` the English that the CLI and the tills' API show (worded as `Malformed`).
    #[error("malformed request: {detail}")]
    Refused { key: &'static str, detail: String },
    /// Hashing a PIN or a token failed.
    #[error("hashing: {0}")]
    Hash(String),
    /// TLS certificate or key could not be loaded.
    #[error("tls: {0}")]
    Tls(String),
    /// Reading a file or a socket failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = HostError> = std::result::Result<T, E>;

impl HostError {
    pub fn status(&self) -> StatusCode {
        match self {
            HostError::Malformed(_) | HostError::Version(_) | HostError::Invalid(_) | HostError::Refused { .. } => {
                StatusCode::BAD_REQUEST
            }
            HostError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HostError::Unauthorized => StatusCode::UNAUTHORIZED,
            HostError::Forbidden => StatusCode::FORBIDDEN,
            HostError::NotFound => StatusCode::NOT_FOUND,
            HostError::ActivationInvalid | HostError::ActivationExpired | HostError::ActivationUsed => StatusCode::GONE,
            HostError::SequenceGap { .. } | HostError::SequenceConflict { .. } => StatusCode::CONFLICT,
            HostError::Db(_) | HostError::Migrate(_) | HostError::Hash(_) | HostError::Tls(_) | HostError::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            HostError::Malformed(_) | HostError::Invalid(_) | HostError::Refused { .. } => codes::MALFORMED,
            HostError::Version(_) => codes::UNSUPPORTED_VERSION,
            HostError::TooLarge(_) => codes::TOO_LARGE,
            HostError::Unauthorized | HostError::Forbidden => codes::UNAUTHORIZED,
            HostError::NotFound => "not-found",
            HostError::ActivationInvalid => codes::ACTIVATION_CODE_INVALID,
            HostError::ActivationExpired => codes::ACTIVATION_CODE_EXPIRED,
            HostError::ActivationUsed => codes::ACTIVATION_CODE_USED,
            HostError::SequenceGap { .. } => codes::SEQUENCE_GAP,
            HostError::SequenceConflict { .. } => codes::SEQUENCE_CONFLICT,
            _ => codes::INTERNAL,
        }
    }
}

/// An error answered to a till as [`WireError`] JSON.
#[derive(Debug)]
pub struct ApiError(pub HostError);

impl<E: Into<HostError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if e.status() == StatusCode::INTERNAL_SERVER_ERROR {
            eprintln!("till-host: {e}");
        }
        let held = match e {
            HostError::SequenceGap { held } => Some(held),
            _ => None,
        };
        let message = match &e {
            // Internals stay in the host's log.
            HostError::Db(_) | HostError::Migrate(_) | HostError::Hash(_) | HostError::Io(_) | HostError::Tls(_) => {
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body = WireError {
            code: e.code().to_owned(),
            message,
            held,
        };
        let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        (e.status(), [("content-type", "application/json")], json).into_response()
    }
}

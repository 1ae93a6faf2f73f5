//! The wire between a till and its host, and the till's HTTP link to it.
//!
//! Design choices:
//! - **Versioned, explicit wire types.** Every body carries `v` ([`WIRE_VERSION`]) and the paths
//!   start with `/api/v1`. Wire types are their own structs and enums (see [`wire`]), not the
//!   domain's, so the domain can change without breaking tills in the field; `From` impls convert.
//! - **Idempotent by construction.** Events go up keyed by the till's journal sequence; the host
//!   answers with the highest sequence it holds without a gap, and the till moves its
//!   acknowledgement only to that. A retry after a lost answer re-sends events the host already
//!   has and the host ignores them, so every event lands exactly once.
//! - **Commands at least once, acknowledged on the next pull.** The till acknowledges the
//!   commands of one pull in the next, after it has applied them; the acknowledgement is also
//!   kept in a small file so a restarted till does not ask for them again. Commands are states
//!   (block/unblock) or resets, so applying one twice is harmless, and losing one is not.
//! - **The client is a feature** (`client`, on by default): reqwest over rustls, no OpenSSL. The
//!   host uses only the wire types.

pub mod update;
pub mod wire;

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "client")]
pub use client::{HttpHost, enrol};
pub use wire::*;

/// What can go wrong talking to the host outside the [`till_domain::ports::HostLink`] port.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The host could not be reached, or the connection dropped.
    #[error("host unreachable: {0}")]
    Unreachable(String),
    /// The host refused the request; `code` is its error code (e.g. `activation-code-invalid`).
    #[error("host refused ({status}): {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    /// The host answered something this till cannot read.
    #[error("unexpected answer from the host: {0}")]
    Protocol(String),
    /// The host URL is not a usable http(s) URL.
    #[error("bad host URL: {0}")]
    BadUrl(String),
    /// An update that is not what was signed, or cannot be checked; the installed version stays.
    #[error("update: {0}")]
    Update(#[from] update::UpdateError),
    /// Reading or writing the till's sync state file failed.
    #[error("sync state file: {0}")]
    State(String),
}

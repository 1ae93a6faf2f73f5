//! The Slint customer screen: the `till-display` binary (feature `screen`) and, here, what the
//! till needs to drive it: the line [`protocol`] and the supervised [`SlintDisplay`].

pub mod protocol;
mod supervisor;

pub use protocol::{Command, Event, Input, Rect, SignatureLayout};
pub use supervisor::{BIN_ENV, SlintDisplay, SlintDisplayConfig};

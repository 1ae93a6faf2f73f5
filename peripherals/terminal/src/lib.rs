//! PIN pad drivers for the till — ZVT, and nexo / Adyen Terminal API ([`nexo`]) — and a
//! simulator for each.
//!
//! Layered like the zvt crate (STYLE.md): [`apdu`] and [`bmp`] are the codec (bytes ⇄ typed
//! [`packet::Packet`]s, citing the spec sections); [`transport`] and [`serial`] move APDUs over
//! TCP or a framed serial line (DLE/STX, CRC-16/KERMIT, ACK/NAK, repeats, T1/T2), both generic
//! over `AsyncRead + AsyncWrite`; [`ecr`] runs sequences (a command and the PT's stream of
//! messages until completion or abort); [`driver::ZvtTerminal`] implements the till's
//! `PaymentTerminal` port on top. [`sim::ZvtSim`] is a terminal speaking the same bytes over
//! TCP or a pseudo-terminal ([`pty`]), with scenarios chosen by magic amounts and a persistent
//! record so last result, reversal and end-of-day stay consistent across restarts.
//!
//! Card data: the PT sends masked PANs (BMP 22 with `E` nibbles); the codec masks whatever it
//! gets to the last 4 digits before it leaves the field, and never prints track data.
//! Spec references: P15 = ZVT PA00P015 rev 13.08, P16 = PA00P016 (transport); see
//! ../shared/protocols/ZVT.md.

pub mod apdu;
pub mod bmp;
pub mod config;
pub mod driver;
pub mod ecr;
pub mod error;
pub mod nexo;
pub mod packet;
#[cfg(unix)]
pub mod pty;
pub mod serial;
pub mod sim;
pub mod stream;
pub mod transport;
pub mod view;

pub use apdu::Apdu;
pub use config::{TerminalConfig, TerminalKind};
pub use driver::{Connection, ZvtConfig, ZvtTerminal};
pub use error::ZvtError;
pub use packet::Packet;
pub use sim::ZvtSim;
pub use stream::{ByteStream, LinkStream, StreamSource};

//! Customer-facing displays for the till's `CustomerDisplay` port.
//!
//! Today: serial 2x20 pole displays ([`pole`]), in the two command sets most of them speak,
//! with Chinese for displays that have a GB18030 or Big5 font. The till sends ready, localised
//! snapshots; a display only lays them out. (The Slint customer screen of issue 8 will live
//! here too.)

pub mod pole;

pub use pole::{Charset, CommandSet, PoleDisplay, PoleProfile};

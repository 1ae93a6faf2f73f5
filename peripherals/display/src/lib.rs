//! Customer-facing displays for the till's `CustomerDisplay` port. The till sends ready,
//! localised snapshots; a display only lays them out.
//!
//! - **The customer screen** is a Slint application in its own process, `till-display` (Tauri
//!   and Slint each want the main thread, and a display that crashes must not take the till
//!   with it). [`SlintDisplay`] spawns and supervises it and speaks JSON lines with it
//!   ([`screen::protocol`]). The binary sits behind the default feature `screen`; crates that
//!   only drive it depend with `default-features = false` and never compile Slint.
//! - **Pole displays** ([`pole`]): serial 2x20 VFDs in the two command sets most of them speak,
//!   with Chinese for displays that have a GB18030 or Big5 font.

pub mod pole;
pub mod screen;

pub use pole::{Charset, CommandSet, PoleDisplay, PoleProfile};
pub use screen::{SlintDisplay, SlintDisplayConfig};

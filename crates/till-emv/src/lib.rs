//! EMV data for the till: a BER-TLV codec, the EMV tag dictionary, bit-level decoding of the
//! elements that explain a card transaction, the card facts a receipt prints, and a serialisable
//! explanation for the `till emv decode` command.
//!
//! Design choices:
//! - **Faithful codec.** [`parse`] keeps each object's tag, value and the form its length was
//!   written in, so [`encode`] gives back the input byte for byte; built objects get the minimal
//!   form Book 3 asks for. Repeated tags (several `61` in a directory record) stay a list, never a
//!   map that would drop all but one.
//! - **Total on bad input.** Parsing never panics: every cut-off tag, length or value is an
//!   [`EmvError`] naming the byte offset (counted from the start of the buffer) and the tag, and
//!   nesting is bounded by [`tlv::MAX_DEPTH`] so hostile input cannot exhaust the stack. A lone
//!   `80` length (BER "indefinite", never used by EMV) reads as length 0, as pyemv reads it.
//! - **PAN hygiene.** The dictionary marks the PAN, track data and PIN data sensitive
//!   ([`Masking`]); `Debug` of a [`Tlv`], the JSON [`view`] and the [`CardSummary`] never show
//!   them. The summary masks the PAN while reading it, so no full PAN is ever copied into a value
//!   that outlives the call. The parsed [`Tlv`] list itself holds the card data it was given: drop
//!   it once the summary is taken.
//! - **Tables, not guesses.** Names and bit meanings are the EMV 4.3 Book 3/Book 4 wording; bits
//!   the books reserve are reported as "RFU" when set instead of being dropped. Tags outside the
//!   dictionary are named by their class (`DFxx` is a proprietary data element).
//! - Pure: no I/O, no async, no global state.

mod bits;
mod dictionary;
mod error;
mod summary;
pub mod tlv;
mod view;

pub use bits::{
    AdviceReason, BitFlag, CryptogramInformation, CryptogramType, CvmCondition, CvmMethod, CvmOutcome, CvmResults,
    TerminalCapabilities, Tsi, Tvr,
};
pub use dictionary::{Format, Masking, TagInfo, is_sensitive, tag_info, tag_name};
pub use error::EmvError;
pub use summary::{CardSummary, CvmLine};
pub use tlv::{LengthForm, Tag, TagClass, Tlv, Value, decode_hex, encode, find, parse, parse_hex};
pub use view::{Decoded, TlvView, view};

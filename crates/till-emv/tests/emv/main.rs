//! till-emv against the world: public BER-TLV and EMV decoder test vectors, round trips, hostile
//! input, and what reaches a receipt or the JSON view.

mod no_panic;
mod receipt;
mod support;
mod vectors;

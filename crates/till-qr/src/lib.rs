//! QR payments for the till: EMVCo merchant-presented payloads (the code the till shows: HK FPS,
//! SG PayNow, and the many national schemes it may be asked to read), and the classification of
//! customer-presented payment codes (the code the till scans: WeChat Pay, Alipay, UnionPay).
//!
//! Design choices:
//! - **One field model for reading and writing.** A [`Payload`] is the list of its [`Field`]s in
//!   order, templates nested one level (26–51, 62, 64, 80–99, as EMVCo defines them). Parsing
//!   keeps every field, known or not, in its place; [`Payload::encode`] writes them back, so a
//!   parsed payload re-encodes to the exact text that was read, lowercase CRC included.
//! - **Strict where money is at stake, lenient elsewhere.** Structure (IDs, lengths) and the CRC
//!   are errors ([`QrError`], with the character offset and field ID); everything else that real
//!   codes get wrong (PromptPay without merchant name, DuitNow's format indicator `02`, amount `0`,
//!   a template that is not one) is read and reported as a [`Warning`].
//! - **Characters, not bytes.** Lengths count Unicode scalar values and offsets are character
//!   offsets; the CRC (CRC-16/CCITT-FALSE) runs over the UTF-8 bytes. Both as the EMVCo spec and
//!   the non-ASCII vectors (Khmer, Chinese, Vietnamese) require.
//! - **Builders write what the reference generators write.** [`FpsQr`] and [`PayNowQr`] emit the
//!   field order and sub-fields of Odoo's and hkqr-fps's generators; amounts come in as integer
//!   minor units and a number of decimals ([`Amount`]), never floats.
//! - **Classification picks a gateway, nothing more.** [`classify`] applies the published length
//!   and prefix rules, cited in its module; unknown codes are left to the cashier.
//! - Pure: no I/O, no async, no global state.

mod amount;
mod cpm;
mod crc;
mod error;
mod names;
mod payload;
mod schemes;
mod view;

pub use amount::{Amount, MAX_AMOUNT_LEN};
pub use cpm::{CustomerCode, WeChatPayOrigin, classify};
pub use crc::{crc_field_value, crc16_ccitt_false};
pub use error::QrError;
pub use names::{Scheme, field_name, scheme_by_guid, sub_field_name};
pub use payload::{
    Field, FieldValue, MAX_PAYLOAD_LEN, MAX_VALUE_LEN, Parsed, Payload, PointOfInitiation, Tip, Warning, WarningKind,
    ids, is_template_id, parse,
};
pub use schemes::{FpsProxy, FpsQr, HKD, PayNowProxy, PayNowQr, SGD, UNSPECIFIED_MCC};
pub use view::{CrcView, FieldView, PayloadView, WarningView};

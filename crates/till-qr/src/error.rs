//! The one error type of this crate.

/// Why a payload could not be read, or a payload or amount could not be built.
///
/// Offsets are **character** offsets into the payload text (EMVCo lengths count characters, so
/// that is where a person counting along the string will look), starting at 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The payload text is empty (or only whitespace was scanned).
    #[error("the payload is empty")]
    Empty,

    /// Fewer than the four characters of an ID and a length remain at `offset`: the payload was
    /// cut short, or something was appended after the last field.
    #[error("at character {offset}: {remaining} character(s) left, too few for a field ID and length")]
    TruncatedField {
        /// Where the incomplete field starts.
        offset: usize,
        /// How many characters are left.
        remaining: usize,
    },

    /// A field ID is not two decimal digits.
    #[error("at character {offset}: field ID {found:?} is not two digits")]
    InvalidId {
        /// Where the ID starts.
        offset: usize,
        /// The two characters found.
        found: String,
    },

    /// A field length is not two decimal digits.
    #[error("at character {offset}: length {found:?} of field {id:02} is not two digits")]
    InvalidLength {
        /// Where the length starts.
        offset: usize,
        /// The field whose length it is.
        id: u8,
        /// The two characters found.
        found: String,
    },

    /// A field declares more characters than remain in the payload.
    #[error("at character {offset}: field {id:02} declares {declared} character(s), only {available} remain")]
    ValueOverrun {
        /// Where the field starts.
        offset: usize,
        /// The field.
        id: u8,
        /// The length the field declares.
        declared: usize,
        /// The characters left after its ID and length.
        available: usize,
    },

    /// The first field is not the payload format indicator `00` (EMVCo MPM §4.6): this is not an
    /// EMVCo merchant-presented payload, or it is cut at the front.
    #[error("the payload must start with field 00 (payload format indicator), found field {found:02}")]
    FormatIndicatorNotFirst {
        /// The ID of the first field.
        found: u8,
    },

    /// There is no CRC field `63`.
    #[error("the payload has no CRC field 63")]
    MissingCrc,

    /// Field `63` is followed by other fields; it must be last (EMVCo MPM §4.6).
    #[error("at character {offset}: CRC field 63 must be the last field")]
    CrcNotLast {
        /// Where field 63 starts.
        offset: usize,
    },

    /// Field `63` does not hold exactly four characters.
    #[error("at character {offset}: CRC field 63 must be 4 characters, declares {declared}")]
    CrcLength {
        /// Where field 63 starts.
        offset: usize,
        /// The length it declares.
        declared: usize,
    },

    /// Field `63` holds characters that are not hexadecimal digits.
    #[error("at character {offset}: CRC {found:?} is not four hexadecimal digits")]
    CrcNotHex {
        /// Where the CRC value starts.
        offset: usize,
        /// The value found.
        found: String,
    },

    /// The CRC in field `63` does not match the payload: a character was misread, changed or
    /// lost, or the generator computed it over something else.
    #[error("at character {offset}: CRC is {found}, but the payload's CRC is {computed}")]
    CrcMismatch {
        /// Where the CRC value starts.
        offset: usize,
        /// The CRC the payload carries.
        found: String,
        /// The CRC computed over the payload.
        computed: String,
    },

    /// A field ID above 99 was given to a constructor.
    #[error("field ID {id} is not between 00 and 99")]
    IdOutOfRange {
        /// The ID given.
        id: u8,
    },

    /// A value is longer than its field allows: 99 characters for any field, less for some
    /// (merchant name 25, city 15, additional data 25, amount 13).
    #[error("field {field}: {length} characters, at most {max} allowed")]
    ValueTooLong {
        /// The field, e.g. `59` or `62.05`.
        field: String,
        /// Its length in characters.
        length: usize,
        /// The maximum.
        max: usize,
    },

    /// An amount is not a positive decimal number as EMVCo MPM §4.7.4 demands (digits, at most one
    /// `.`, not zero, at most 13 characters).
    #[error("invalid amount: {reason}")]
    InvalidAmount {
        /// What is wrong.
        reason: &'static str,
    },

    /// A builder input is not acceptable for its field (e.g. an FPS participant code that is not
    /// three digits, a PayNow expiry that is not a date).
    #[error("field {field}: {reason}")]
    InvalidField {
        /// The field, e.g. `26.01`.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
}

//! The one error type of this crate.

use crate::tlv::Tag;

/// Everything that can go wrong while reading, building or interpreting EMV data.
///
/// Offsets are byte offsets into the buffer given to [`crate::parse`] (for nested objects too:
/// always counted from the start of the outermost buffer), so a log line can point at the byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmvError {
    /// The input ended (or the enclosing constructed object ended) in the middle of a tag: a first
    /// tag byte announcing more bytes (`xxx11111`) or a subsequent byte with bit 8 set was the last
    /// byte available. `offset` is where the tag starts.
    #[error("tag starting at byte {offset} is cut off: it announces more tag bytes than remain")]
    TruncatedTag {
        /// Byte offset of the tag's first byte.
        offset: usize,
    },

    /// A tag is longer than the [`crate::tlv::MAX_TAG_LEN`] bytes this codec accepts. EMV uses at
    /// most three; anything longer is corrupt data rather than a tag we should carry.
    #[error("tag starting at byte {offset} is longer than {max} bytes")]
    TagTooLong {
        /// Byte offset of the tag's first byte.
        offset: usize,
        /// The longest tag accepted.
        max: usize,
    },

    /// The length field of an object is missing or cut off. `offset` is where the missing length
    /// bytes should start and `needed` how many were expected from there.
    #[error("length of tag {tag} is cut off: expected {needed} byte(s) at byte {offset}")]
    TruncatedLength {
        /// The tag whose length is cut off.
        tag: Tag,
        /// Byte offset where the missing length bytes start.
        offset: usize,
        /// How many length bytes were expected from `offset`.
        needed: usize,
    },

    /// A long-form length field gives a length too big to address on this machine (or uses more
    /// length bytes than BER allows).
    #[error("length of tag {tag} at byte {offset} is too large to be real")]
    LengthOverflow {
        /// The tag whose length overflows.
        tag: Tag,
        /// Byte offset of the length field's first byte.
        offset: usize,
    },

    /// An object declares more value bytes than remain in the input or in its enclosing object.
    #[error("value of tag {tag} is cut off: {declared} byte(s) declared at byte {offset}, {available} available")]
    TruncatedValue {
        /// The tag whose value is cut off.
        tag: Tag,
        /// Byte offset where the value starts.
        offset: usize,
        /// The length the object declares.
        declared: usize,
        /// The bytes actually left in the enclosing data.
        available: usize,
    },

    /// Constructed objects are nested deeper than [`crate::tlv::MAX_DEPTH`] levels. Real EMV data
    /// nests a handful of levels; the limit keeps hostile input from exhausting the stack.
    #[error("constructed objects nested deeper than {limit} levels at byte {offset}")]
    NestingTooDeep {
        /// Byte offset of the object that would exceed the limit.
        offset: usize,
        /// The deepest nesting accepted.
        limit: usize,
    },

    /// Text given as hexadecimal is not: a character that is not a hex digit, or an odd count of
    /// digits. `position` is the character index of the problem (the length for an odd count).
    #[error("invalid hexadecimal at character {position}: {reason}")]
    InvalidHex {
        /// Character index of the offending character, or the text length for an odd count.
        position: usize,
        /// What is wrong, for people.
        reason: &'static str,
    },

    /// Bytes given as a tag are not one well-formed BER tag (empty, cut off, too long, or with
    /// bytes left over after the tag ends).
    #[error("not a well-formed tag ({bytes_hex}): {reason}")]
    MalformedTag {
        /// The offending bytes, hex.
        bytes_hex: String,
        /// What is wrong, for people.
        reason: &'static str,
    },

    /// A primitive value was given for a constructed tag (bit 6 of the first tag byte set), or
    /// children for a primitive tag.
    #[error("tag {tag} is {expected}, but a {given} value was given")]
    ValueKindMismatch {
        /// The tag.
        tag: Tag,
        /// What the tag demands: "primitive" or "constructed".
        expected: &'static str,
        /// What was given.
        given: &'static str,
    },

    /// A fixed-length data element (TVR, TSI, CVM Results, ...) has the wrong number of bytes, so
    /// its bits cannot be decoded.
    #[error("{element} must be {expected} byte(s), got {actual}")]
    WrongValueLength {
        /// The data element, e.g. "Terminal Verification Results (95)".
        element: &'static str,
        /// The length EMV defines.
        expected: usize,
        /// The length found.
        actual: usize,
    },
}

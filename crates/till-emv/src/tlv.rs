//! BER-TLV as EMV uses it (EMV 4.3 Book 3, Annex B): tags of one or more bytes, definite lengths
//! in short or long form, constructed objects holding further objects.
//!
//! Parsing keeps how each length was written ([`LengthForm`]), so encoding a parsed list gives
//! back the input byte for byte, even where the input used a needlessly long length field.

use std::fmt;

use crate::error::EmvError;

/// The longest tag accepted, in bytes. EMV tags are one to three bytes long; four leaves room
/// for proprietary data without letting garbage pass as a tag.
pub const MAX_TAG_LEN: usize = 4;

/// The deepest nesting of constructed objects accepted. Card and terminal data nest a few
/// levels (`6F` > `A5` > `BF0C` > `61` ...); the bound keeps recursion safe on hostile input.
pub const MAX_DEPTH: usize = 32;

/// A BER tag, such as `9F02` or `5A`: one byte, or a first byte whose low five bits are all set
/// followed by bytes whose bit 8 says whether another follows (Book 3, Annex B1).
///
/// Stored as the big-endian number of its bytes, so `Tag` is `Copy`. Tags order like their bytes
/// (and so like their hex form): `5F56` < `61` < `9F02` < `A5`. Every `Tag` value is well formed:
/// constructors check the structure.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(u32);

/// The class of a tag, from bits 8 and 7 of its first byte (Book 3, Annex B1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagClass {
    /// `00xxxxxx`: ISO/IEC 8825 universal tags.
    Universal,
    /// `01xxxxxx`: application class, e.g. `4F`, `5A`, `5F20`, `6F`, `70`.
    Application,
    /// `10xxxxxx`: context-specific, e.g. `82`, `95`, `9F02`, `A5`, `BF0C`.
    ContextSpecific,
    /// `11xxxxxx`: private class, where proprietary data lives (`DFxx`, `E1`, `EF`, `FFxx`).
    Private,
}

impl Tag {
    /// A tag from its number, for tags known to be well formed (the dictionary's constants).
    pub(crate) const fn from_raw(number: u32) -> Tag {
        Tag(number)
    }

    /// The tag written by `bytes`, which must be exactly one well-formed tag.
    ///
    /// # Errors
    /// [`EmvError::MalformedTag`] if `bytes` is empty, announces more bytes than it has, is
    /// longer than [`MAX_TAG_LEN`], or goes on after the tag ends.
    pub fn from_bytes(bytes: &[u8]) -> Result<Tag, EmvError> {
        let malformed = |reason| EmvError::MalformedTag {
            bytes_hex: hex::encode_upper(bytes),
            reason,
        };
        if bytes.is_empty() {
            return Err(malformed("a tag has at least one byte"));
        }
        match read_tag(bytes, 0, bytes.len()) {
            Ok((tag, end)) if end == bytes.len() => Ok(tag),
            Ok(_) => Err(malformed("bytes follow the end of the tag")),
            Err(EmvError::TagTooLong { .. }) => Err(malformed("longer than 4 bytes")),
            Err(_) => Err(malformed("announces more tag bytes than given")),
        }
    }

    /// The tag written as hex text, e.g. `"9F02"` (either case).
    ///
    /// # Errors
    /// [`EmvError::InvalidHex`] for text that is not hex, [`EmvError::MalformedTag`] for hex that
    /// is not one well-formed tag (`"9F"` alone announces a second byte).
    pub fn from_hex(text: &str) -> Result<Tag, EmvError> {
        Tag::from_bytes(&decode_hex(text)?)
    }

    /// The tag whose bytes, big-endian, make `number` (`0x9F02` is tag `9F02`).
    ///
    /// # Errors
    /// [`EmvError::MalformedTag`] if those bytes are not one well-formed tag.
    pub fn from_u32(number: u32) -> Result<Tag, EmvError> {
        let bytes = number.to_be_bytes();
        let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
        Tag::from_bytes(&bytes[skip..])
    }

    /// The tag's bytes as a big-endian number (`9F02` is `0x9F02`).
    pub fn as_u32(self) -> u32 {
        self.0
    }

    /// How many bytes the tag takes.
    pub fn byte_len(self) -> usize {
        let significant_bits = 32 - self.0.leading_zeros() as usize;
        significant_bits.div_ceil(8).max(1)
    }

    /// The tag's bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let all = self.0.to_be_bytes();
        all[all.len() - self.byte_len()..].to_vec()
    }

    fn first_byte(self) -> u8 {
        let shift = 8 * (self.byte_len() - 1);
        // The shift leaves exactly the first byte, so the truncation keeps all of it.
        (self.0 >> shift) as u8
    }

    /// Whether the tag is constructed (bit 6 of its first byte): its value is a list of objects.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// The tag's class, from bits 8 and 7 of its first byte.
    pub fn class(self) -> TagClass {
        match self.first_byte() >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        }
    }
}

impl Ord for Tag {
    fn cmp(&self, other: &Tag) -> std::cmp::Ordering {
        let left_aligned = |tag: &Tag| tag.0 << (8 * (MAX_TAG_LEN - tag.byte_len()));
        left_aligned(self)
            .cmp(&left_aligned(other))
            .then(self.byte_len().cmp(&other.byte_len()))
    }
}

impl PartialOrd for Tag {
    fn partial_cmp(&self, other: &Tag) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.to_bytes() {
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// How a length field is written. Book 3 asks for the shortest form (one byte for 0–127, else
/// `0x80 | n` and `n` big-endian length bytes), but cards and terminals in the field also send
/// `81 05` or `83 00 00 01`; parsing records such a longer form so re-encoding reproduces it.
///
/// `Long { octets: 0 }` is the lone byte `80`. BER reads it as "indefinite length", which EMV
/// never uses; like pyemv, this codec reads it as a long form with no length bytes, i.e. length 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LengthForm {
    /// The shortest form for the length: what built objects get and what most data uses.
    #[default]
    Minimal,
    /// A longer form than needed: `0x80 | octets`, then `octets` bytes of big-endian length.
    Long {
        /// The number of length bytes after the first (0–127).
        octets: u8,
    },
}

/// A value: bytes for a primitive tag, further objects for a constructed one.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// The bytes of a primitive object.
    Primitive(Vec<u8>),
    /// The objects inside a constructed object, in order (tags may repeat, e.g. `61` in a
    /// directory record).
    Constructed(Vec<Tlv>),
}

/// One BER-TLV data object.
///
/// The tag and the kind of value always agree (a constructed tag holds objects, a primitive one
/// bytes). Two objects are equal when they encode to the same bytes (length form included).
/// `Debug` never shows the value of a tag the dictionary marks sensitive (PAN, track data).
#[derive(Clone, PartialEq, Eq)]
pub struct Tlv {
    tag: Tag,
    value: Value,
    length_form: LengthForm,
}

impl Tlv {
    /// A primitive object.
    ///
    /// # Errors
    /// [`EmvError::ValueKindMismatch`] if `tag` is constructed.
    pub fn primitive(tag: Tag, value: impl Into<Vec<u8>>) -> Result<Tlv, EmvError> {
        if tag.is_constructed() {
            return Err(EmvError::ValueKindMismatch {
                tag,
                expected: "constructed",
                given: "primitive",
            });
        }
        Ok(Tlv {
            tag,
            value: Value::Primitive(value.into()),
            length_form: LengthForm::Minimal,
        })
    }

    /// A constructed object holding `children`.
    ///
    /// # Errors
    /// [`EmvError::ValueKindMismatch`] if `tag` is primitive.
    pub fn constructed(tag: Tag, children: Vec<Tlv>) -> Result<Tlv, EmvError> {
        if !tag.is_constructed() {
            return Err(EmvError::ValueKindMismatch {
                tag,
                expected: "primitive",
                given: "constructed",
            });
        }
        Ok(Tlv {
            tag,
            value: Value::Constructed(children),
            length_form: LengthForm::Minimal,
        })
    }

    /// The tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The bytes of a primitive object; `None` for a constructed one.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Primitive(bytes) => Some(bytes),
            Value::Constructed(_) => None,
        }
    }

    /// The objects inside a constructed object; empty for a primitive one.
    pub fn children(&self) -> &[Tlv] {
        match &self.value {
            Value::Primitive(_) => &[],
            Value::Constructed(children) => children,
        }
    }

    /// How the length field is written: [`LengthForm::Long`] only for parsed objects whose input
    /// used a longer form than needed.
    pub fn length_form(&self) -> LengthForm {
        self.length_form
    }

    /// The length of the encoded value, i.e. what the length field says.
    pub fn value_len(&self) -> usize {
        match &self.value {
            Value::Primitive(bytes) => bytes.len(),
            Value::Constructed(children) => children.iter().map(Tlv::encoded_len).sum(),
        }
    }

    /// The length of the whole encoded object: tag, length field and value.
    pub fn encoded_len(&self) -> usize {
        let value_len = self.value_len();
        self.tag.byte_len() + length_field(value_len, self.length_form).len() + value_len
    }

    /// The first object with `tag` in this object's subtree (itself included), depth first.
    pub fn find(&self, tag: Tag) -> Option<&Tlv> {
        if self.tag == tag {
            return Some(self);
        }
        find(self.children(), tag)
    }

    /// Appends the encoded object to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tag.to_bytes());
        out.extend_from_slice(&length_field(self.value_len(), self.length_form));
        match &self.value {
            Value::Primitive(bytes) => out.extend_from_slice(bytes),
            Value::Constructed(children) => children.iter().for_each(|c| c.encode_into(out)),
        }
    }

    /// The encoded object.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }
}

impl fmt::Debug for Value {
    /// Shows structure and sizes only: a bare value does not know its tag, so it cannot know
    /// whether its bytes are a PAN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Primitive(bytes) => write!(f, "Primitive(<{} bytes>)", bytes.len()),
            Value::Constructed(children) => f.debug_tuple("Constructed").field(children).finish(),
        }
    }
}

impl fmt::Debug for Tlv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Tlv");
        out.field("tag", &self.tag);
        match &self.value {
            Value::Constructed(children) => out.field("children", children),
            Value::Primitive(bytes) if crate::dictionary::is_sensitive(self.tag) => {
                out.field("value", &format_args!("<masked, {} bytes>", bytes.len()))
            }
            Value::Primitive(bytes) => out.field("value", &format_args!("{}", hex::encode_upper(bytes))),
        };
        out.finish()
    }
}

/// Parses a buffer holding zero or more BER-TLV objects.
///
/// Never panics; on malformed input the error names the problem and the byte offset.
///
/// # Errors
/// [`EmvError::TruncatedTag`], [`EmvError::TagTooLong`], [`EmvError::TruncatedLength`],
/// [`EmvError::LengthOverflow`], [`EmvError::TruncatedValue`] or [`EmvError::NestingTooDeep`].
pub fn parse(bytes: &[u8]) -> Result<Vec<Tlv>, EmvError> {
    parse_range(bytes, 0, bytes.len(), 0)
}

/// Parses BER-TLV given as hex text (either case; ASCII whitespace between digits is ignored).
///
/// # Errors
/// [`EmvError::InvalidHex`], or any error of [`parse`].
pub fn parse_hex(text: &str) -> Result<Vec<Tlv>, EmvError> {
    parse(&decode_hex(text)?)
}

/// Encodes a list of objects, one after the other.
pub fn encode(list: &[Tlv]) -> Vec<u8> {
    let mut out = Vec::with_capacity(list.iter().map(Tlv::encoded_len).sum());
    list.iter().for_each(|tlv| tlv.encode_into(&mut out));
    out
}

/// The first object with `tag` in `list` and its descendants, depth first in input order.
pub fn find(list: &[Tlv], tag: Tag) -> Option<&Tlv> {
    list.iter().find_map(|tlv| tlv.find(tag))
}

fn parse_range(input: &[u8], start: usize, end: usize, depth: usize) -> Result<Vec<Tlv>, EmvError> {
    let mut list = Vec::new();
    let mut pos = start;
    while pos < end {
        let (tlv, next) = parse_one(input, pos, end, depth)?;
        list.push(tlv);
        pos = next;
    }
    Ok(list)
}

fn parse_one(input: &[u8], pos: usize, end: usize, depth: usize) -> Result<(Tlv, usize), EmvError> {
    let (tag, after_tag) = read_tag(input, pos, end)?;
    let (len, length_form, value_start) = read_length(input, tag, after_tag, end)?;
    let available = end - value_start;
    if len > available {
        return Err(EmvError::TruncatedValue {
            tag,
            offset: value_start,
            declared: len,
            available,
        });
    }
    let value_end = value_start + len;
    let value = if tag.is_constructed() {
        if depth >= MAX_DEPTH {
            return Err(EmvError::NestingTooDeep {
                offset: pos,
                limit: MAX_DEPTH,
            });
        }
        Value::Constructed(parse_range(input, value_start, value_end, depth + 1)?)
    } else {
        Value::Primitive(input[value_start..value_end].to_vec())
    };
    let tlv = Tlv {
        tag,
        value,
        length_form,
    };
    Ok((tlv, value_end))
}

/// Reads the tag starting at `pos` (< `end`); returns it and the offset after it.
fn read_tag(input: &[u8], pos: usize, end: usize) -> Result<(Tag, usize), EmvError> {
    let Some(&first) = input.get(pos).filter(|_| pos < end) else {
        return Err(EmvError::TruncatedTag { offset: pos });
    };
    let mut number = u32::from(first);
    let mut next = pos + 1;
    if first & 0x1F == 0x1F {
        loop {
            if next >= end {
                return Err(EmvError::TruncatedTag { offset: pos });
            }
            if next - pos >= MAX_TAG_LEN {
                return Err(EmvError::TagTooLong {
                    offset: pos,
                    max: MAX_TAG_LEN,
                });
            }
            let byte = input[next];
            number = (number << 8) | u32::from(byte);
            next += 1;
            if byte & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((Tag(number), next))
}

/// Reads the length field at `pos`; returns the length, its form and the offset of the value.
fn read_length(input: &[u8], tag: Tag, pos: usize, end: usize) -> Result<(usize, LengthForm, usize), EmvError> {
    if pos >= end {
        return Err(EmvError::TruncatedLength {
            tag,
            offset: pos,
            needed: 1,
        });
    }
    let first = input[pos];
    if first < 0x80 {
        return Ok((usize::from(first), LengthForm::Minimal, pos + 1));
    }
    let octets = first & 0x7F;
    let count = usize::from(octets);
    let from = pos + 1;
    if count > end - from {
        return Err(EmvError::TruncatedLength {
            tag,
            offset: from,
            needed: count,
        });
    }
    let mut len: usize = 0;
    for &byte in &input[from..from + count] {
        len = len
            .checked_mul(256)
            .and_then(|l| l.checked_add(usize::from(byte)))
            .ok_or(EmvError::LengthOverflow { tag, offset: pos })?;
    }
    // Long form is minimal only for lengths of 128 and more, with no leading zero bytes.
    let form = if len >= 0x80 && length_field(len, LengthForm::Minimal).len() == 1 + count {
        LengthForm::Minimal
    } else {
        LengthForm::Long { octets }
    };
    Ok((len, form, from + count))
}

/// The bytes of a length field for `len` written in `form`, or in the minimal form if `form`
/// cannot hold `len` (a value changed after parsing).
fn length_field(len: usize, form: LengthForm) -> Vec<u8> {
    let be = len.to_be_bytes();
    let needed = be.iter().skip_while(|b| **b == 0).count();
    let octets = match form {
        LengthForm::Long { octets } if usize::from(octets) >= needed => usize::from(octets),
        _ if len < 0x80 => return vec![len as u8],
        _ => needed,
    };
    let mut out = Vec::with_capacity(1 + octets);
    // octets <= 127 for a parsed form and <= size_of::<usize>() for a computed one.
    out.push(0x80 | (octets as u8));
    out.extend(std::iter::repeat_n(0, octets.saturating_sub(be.len())));
    out.extend_from_slice(&be[be.len() - octets.min(be.len())..]);
    out
}

/// Decodes hex text (either case, ASCII whitespace ignored), e.g. a value typed on the command line.
///
/// # Errors
/// [`EmvError::InvalidHex`] with the position of the first non-hex character, or for an odd count.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, EmvError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (position, c) in text.chars().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let Some(digit) = c.to_digit(16) else {
            return Err(EmvError::InvalidHex {
                position,
                reason: "not a hexadecimal digit",
            });
        };
        // to_digit(16) is at most 15.
        let digit = digit as u8;
        match high.take() {
            None => high = Some(digit),
            Some(h) => out.push((h << 4) | digit),
        }
    }
    if high.is_some() {
        return Err(EmvError::InvalidHex {
            position: text.chars().count(),
            reason: "odd number of hexadecimal digits",
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), EmvError>;

    #[test]
    fn multi_byte_tags_know_their_length_and_class() -> TestResult {
        let tag = Tag::from_hex("9F8201")?;
        assert_eq!(
            tag.byte_len(),
            3,
            "9F 82 01: 82 has bit 8 set, so 01 belongs to the tag"
        );
        assert_eq!(tag.to_string(), "9F8201");
        assert_eq!(tag.class(), TagClass::ContextSpecific);
        assert!(!tag.is_constructed());
        let template = Tag::from_hex("BF0C")?;
        assert!(template.is_constructed(), "BF has bit 6 set");
        assert_eq!(Tag::from_hex("DF0D")?.class(), TagClass::Private);
        assert_eq!(Tag::from_u32(0x5F20)?.to_string(), "5F20");
        assert_eq!(Tag::from_u32(0)?.byte_len(), 1, "tag 00 is one byte, not zero");
        assert!(
            Tag::from_hex("5F56")? < Tag::from_hex("61")?,
            "tags order like their bytes"
        );
        assert!(Tag::from_hex("9F02")? < Tag::from_hex("A5")?);
        Ok(())
    }

    #[test]
    fn malformed_tags_are_rejected() -> Result<(), EmvError> {
        assert!(matches!(Tag::from_hex("9F"), Err(EmvError::MalformedTag { .. })));
        assert!(matches!(
            Tag::from_hex("00X"),
            Err(EmvError::InvalidHex { position: 2, .. })
        ));
        assert!(matches!(Tag::from_hex("5A5A"), Err(EmvError::MalformedTag { .. })));
        assert!(matches!(Tag::from_hex("9F818181"), Err(EmvError::MalformedTag { .. })));
        assert!(matches!(Tag::from_bytes(&[]), Err(EmvError::MalformedTag { .. })));
        Ok(())
    }

    #[test]
    fn long_form_lengths_survive_a_round_trip() -> TestResult {
        for hex in [
            "9C8101FF",
            "9C83000001FF",
            "9C80",
            "9C8400000000",
            "E0039C01FF",
            "9F820101FF",
        ] {
            let bytes = decode_hex(hex)?;
            let list = parse(&bytes)?;
            assert_eq!(encode(&list), bytes, "{hex} must re-encode byte for byte");
        }
        Ok(())
    }

    #[test]
    fn only_needlessly_long_lengths_are_recorded() -> TestResult {
        let minimal = parse(&decode_hex(&format!("9C8180{}", "00".repeat(128)))?)?;
        assert_eq!(
            minimal[0].length_form(),
            LengthForm::Minimal,
            "81 80 is the shortest form for 128"
        );
        let long = parse(&decode_hex("9C820001FF")?)?;
        assert_eq!(long[0].length_form(), LengthForm::Long { octets: 2 });
        let short = parse(&decode_hex("9C01FF")?)?;
        assert_eq!(short[0].bytes(), long[0].bytes());
        assert_ne!(short, long, "objects are equal only if they encode to the same bytes");
        Ok(())
    }

    #[test]
    fn built_objects_get_minimal_lengths() -> TestResult {
        let short = Tlv::primitive(Tag::from_hex("9C")?, vec![0xFF; 127])?;
        assert_eq!(&short.to_bytes()[..2], &[0x9C, 0x7F]);
        let one_octet = Tlv::primitive(Tag::from_hex("9C")?, vec![0xFF; 128])?;
        assert_eq!(&one_octet.to_bytes()[..3], &[0x9C, 0x81, 0x80]);
        let two_octets = Tlv::primitive(Tag::from_hex("9C")?, vec![0xFF; 256])?;
        assert_eq!(&two_octets.to_bytes()[..4], &[0x9C, 0x82, 0x01, 0x00]);
        assert_eq!(two_octets.encoded_len(), 4 + 256);
        Ok(())
    }

    #[test]
    fn value_kind_must_match_the_tag() -> TestResult {
        assert!(Tlv::primitive(Tag::from_hex("EC")?, vec![]).is_err());
        assert!(Tlv::constructed(Tag::from_hex("9C")?, vec![]).is_err());
        Ok(())
    }

    #[test]
    fn errors_carry_offsets_from_the_outermost_buffer() -> TestResult {
        let bytes = decode_hex("E0049C810200C001FF")?;
        assert_eq!(
            parse(&bytes),
            Err(EmvError::TruncatedValue {
                tag: Tag::from_hex("9C")?,
                offset: 5,
                declared: 2,
                available: 1
            })
        );
        Ok(())
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() -> TestResult {
        let nest = |depth: usize| {
            let mut bytes = Vec::new();
            for _ in 0..depth {
                let mut outer = vec![0xE0];
                outer.extend(length_field(bytes.len(), LengthForm::Minimal));
                outer.extend(bytes);
                bytes = outer;
            }
            bytes
        };
        let allowed = nest(MAX_DEPTH);
        assert_eq!(encode(&parse(&allowed)?), allowed);
        assert!(matches!(
            parse(&nest(MAX_DEPTH + 1)),
            Err(EmvError::NestingTooDeep { .. })
        ));
        let hostile = nest(5_000);
        assert!(
            matches!(parse(&hostile), Err(EmvError::NestingTooDeep { offset, .. }) if offset > 0),
            "5 000 levels must be refused, not recursed into"
        );
        Ok(())
    }

    #[test]
    fn debug_masks_sensitive_values() -> TestResult {
        let pan = Tlv::primitive(Tag::from_hex("5A")?, decode_hex("4761739001010010")?)?;
        let shown = format!("{pan:?}");
        assert!(!shown.contains("4761739001010010"), "Debug leaked a PAN: {shown}");
        assert!(shown.contains("masked"));
        Ok(())
    }
}

//! Every vector of `emv-tlv/vectors.jsonl` decodes (or fails, or encodes) as its `expected` and
//! `oracle_decode_pyemv_1_5_0` fields say.

use serde_json::{Map, Value as Json};
use till_emv::{CvmResults, EmvError, Tag, TerminalCapabilities, Tlv, TlvView, Tvr, decode_hex, encode, parse, view};

use crate::support::{Ordered, TestResult, Vector, all_vectors, fixture_vectors_path, load, shared_vectors_path};

fn fail(vector: &Vector, what: impl std::fmt::Display) -> Box<dyn std::error::Error> {
    format!("{}: {what}", vector.origin).into()
}

/// The list as pyemv 1.5.0 decodes it: a map per level, a repeated tag keeps its last value.
fn collapse(list: &[Tlv]) -> Json {
    let mut map = Map::new();
    for tlv in list {
        let value = match tlv.bytes() {
            Some(bytes) => Json::String(hex::encode_upper(bytes)),
            None => collapse(tlv.children()),
        };
        map.insert(tlv.tag().to_string(), value);
    }
    Json::Object(map)
}

#[test]
fn every_vector_meets_its_expectations() -> TestResult {
    let vectors = all_vectors()?;
    assert!(vectors.len() >= 20, "the fixtures alone hold 20 vectors");
    for vector in &vectors {
        match (vector.str("kind"), vector.str("tag")) {
            (Some("decode-error"), _) => check_decode_error(vector)?,
            (Some("decode"), _) => check_decode(vector)?,
            (Some("encode"), _) => check_encode(vector)?,
            (Some("encode-error"), _) => check_encode_error(vector)?,
            (None, Some(tag)) => check_bits(vector, tag)?,
            (None, None) => check_data(vector)?,
            (Some(other), _) => return Err(fail(vector, format!("unknown kind {other}"))),
        }
    }
    Ok(())
}

#[test]
fn fixtures_are_verbatim_copies_of_shared_vectors() -> TestResult {
    let Some(shared) = shared_vectors_path() else {
        eprintln!("shared test data not found beside the repo: nothing to compare");
        return Ok(());
    };
    let shared = std::fs::read_to_string(shared)?;
    let fixtures = std::fs::read_to_string(fixture_vectors_path())?;
    for line in fixtures.lines().filter(|l| !l.is_empty()) {
        assert!(
            shared.lines().any(|s| s == line),
            "fixture line is not in the shared file (provenance lost?): {line}"
        );
    }
    assert_eq!(load(&fixture_vectors_path())?.len(), 20);
    Ok(())
}

fn hex_of(vector: &Vector) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let hex = vector.str("hex").ok_or_else(|| fail(vector, "no hex"))?;
    Ok(decode_hex(hex)?)
}

/// Terminal or card data with pyemv's decoding and hand-written expectations.
fn check_data(vector: &Vector) -> TestResult {
    let bytes = hex_of(vector)?;
    let list = parse(&bytes).map_err(|e| fail(vector, e))?;
    assert_eq!(encode(&list), bytes, "{}: round trip", vector.origin);
    if let Some(oracle) = vector.json.get("oracle_decode_pyemv_1_5_0") {
        assert_eq!(&collapse(&list), oracle, "{}: pyemv decoding", vector.origin);
    }
    let views = view(&list);
    let expected = vector
        .json
        .get("expected")
        .and_then(Json::as_object)
        .ok_or_else(|| fail(vector, "no expected"))?;
    for (key, want) in expected {
        check_expectation(vector, &list, &views, key, want)?;
    }
    Ok(())
}

fn check_expectation(vector: &Vector, list: &[Tlv], views: &[TlvView], key: &str, want: &Json) -> TestResult {
    let key = key.strip_suffix(" (helper)").unwrap_or(key);
    if key == "source_asserts" {
        // "parses without error; ... 50="VISA", 5F20 starts "CARD3/EMV""
        let text = |tag: &str| resolve(views, tag).first().and_then(|v| v.text.clone());
        assert_eq!(text("50").as_deref(), Some("VISA"), "{}", vector.origin);
        let name = text("5F20").unwrap_or_default();
        assert!(name.starts_with("CARD3/EMV"), "{}: 5F20 is {name:?}", vector.origin);
        return Ok(());
    }
    if key.starts_with("reading_by_EMV_Book3_names") {
        // A human reading, not from the source: check it names the tags that are there.
        for tag in want.as_object().into_iter().flat_map(|m| m.keys()) {
            assert!(
                !resolve(views, tag).is_empty(),
                "{}: reading names {tag}, which is not in the data",
                vector.origin
            );
        }
        return Ok(());
    }
    if key == "apps" {
        let apps = resolve(views, "61");
        let want = want.as_array().ok_or_else(|| fail(vector, "apps is a list"))?;
        assert_eq!(apps.len(), want.len(), "{}: one 61 per app", vector.origin);
        for (app, expect) in apps.iter().zip(want) {
            for (tag, as_text) in [("4F", false), ("50", true), ("87", false)] {
                let child = app.children.iter().find(|c| c.tag == tag);
                let got = child.and_then(|c| if as_text { c.text.clone() } else { c.value.clone() });
                assert_eq!(got.as_deref(), expect[tag].as_str(), "{}: app {tag}", vector.origin);
            }
        }
        return Ok(());
    }
    if let Some(tag) = key.strip_prefix("count(").and_then(|k| k.strip_suffix(')')) {
        assert_eq!(
            Some(resolve(views, tag).len() as u64),
            want.as_u64(),
            "{}: {key}",
            vector.origin
        );
        return Ok(());
    }
    if let Some(path) = key.strip_suffix(" text") {
        let node = first(vector, views, path)?;
        assert_eq!(node.text.as_deref(), want.as_str(), "{}: {key}", vector.origin);
        return Ok(());
    }
    if let Some((path, count)) = key.split_once(" is a list of ") {
        let count: usize = count.parse()?;
        assert_eq!(resolve(views, path).len(), count, "{}: {key}", vector.origin);
        assert_eq!(want, &Json::Bool(true));
        return Ok(());
    }
    if let Some((path, tag)) = key.split_once(" contains ") {
        let node = first(vector, views, path)?;
        let found = !resolve(std::slice::from_ref(node), tag).is_empty();
        assert_eq!(Json::Bool(found), *want, "{}: {key}", vector.origin);
        return Ok(());
    }
    if key.chars().all(|c| c.is_ascii_hexdigit()) {
        let tlv = till_emv::find(list, Tag::from_hex(key)?).ok_or_else(|| fail(vector, key))?;
        let hex = tlv.bytes().map(hex::encode_upper);
        assert_eq!(hex.as_deref(), want.as_str(), "{}: value of {key}", vector.origin);
        return Ok(());
    }
    Err(fail(vector, format!("uninterpreted expectation {key:?}")))
}

fn first<'a>(vector: &Vector, views: &'a [TlvView], path: &str) -> Result<&'a TlvView, Box<dyn std::error::Error>> {
    resolve(views, path)
        .into_iter()
        .next()
        .ok_or_else(|| fail(vector, format!("nothing at {path}")))
}

/// Nodes at a path like `E1/9F1E` or `EF[1]/DF7F`: the first step matches at any depth, later
/// steps match children; `[i]` picks the i-th match of a step.
fn resolve<'a>(roots: &'a [TlvView], path: &str) -> Vec<&'a TlvView> {
    let mut current: Vec<&TlvView> = Vec::new();
    for (depth, step) in path.split('/').enumerate() {
        let (tag, index) = match step.split_once('[') {
            Some((tag, rest)) => (tag, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (step, None),
        };
        let matches: Vec<&TlvView> = if depth == 0 {
            let mut all = Vec::new();
            descendants(roots, &mut all);
            all.into_iter().filter(|v| v.tag == tag).collect()
        } else {
            current
                .iter()
                .flat_map(|v| v.children.iter())
                .filter(|v| v.tag == tag)
                .collect()
        };
        current = match index {
            Some(i) => matches.get(i).copied().into_iter().collect(),
            None => matches,
        };
    }
    current
}

fn descendants<'a>(views: &'a [TlvView], out: &mut Vec<&'a TlvView>) {
    for v in views {
        out.push(v);
        descendants(&v.children, out);
    }
}

/// pyemv's decode errors: "Tag malformed" (cut-off tag), "Tag length malformed, expecting N
/// byte(s)", "Tag value malformed, expecting N byte(s)", with the tag and offset.
fn check_decode_error(vector: &Vector) -> TestResult {
    let bytes = hex_of(vector)?;
    let expected = vector.json.get("expected").ok_or_else(|| fail(vector, "no expected"))?;
    let message = expected.get("error").and_then(Json::as_str).unwrap_or_default();
    let offset = expected
        .get("error_offset")
        .and_then(Json::as_u64)
        .ok_or_else(|| fail(vector, "no offset"))?;
    let offset = usize::try_from(offset)?;
    let tag_hex = expected.get("error_tag").and_then(Json::as_str).unwrap_or_default();
    let expecting = message
        .split("expecting ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    let error = match parse(&bytes) {
        Ok(list) => return Err(fail(vector, format!("accepted: {list:?}"))),
        Err(error) => error,
    };
    let matches = match &error {
        EmvError::TruncatedTag { offset: at } => message.starts_with("Tag malformed") && *at == offset,
        EmvError::TruncatedLength {
            tag,
            offset: at,
            needed,
        } => {
            message.starts_with("Tag length malformed")
                && *at == offset
                && tag.to_string() == tag_hex
                && Some(*needed) == expecting
        }
        EmvError::TruncatedValue {
            tag,
            offset: at,
            declared,
            ..
        } => {
            message.starts_with("Tag value malformed")
                && *at == offset
                && tag.to_string() == tag_hex
                && Some(*declared) == expecting
        }
        _ => false,
    };
    assert!(matches, "{}: pyemv says {message:?}, we say {error:?}", vector.origin);
    Ok(())
}

fn check_decode(vector: &Vector) -> TestResult {
    let bytes = hex_of(vector)?;
    let list = parse(&bytes).map_err(|e| fail(vector, e))?;
    let expected = vector
        .json
        .pointer("/expected/decoded")
        .ok_or_else(|| fail(vector, "no decoded"))?;
    assert_eq!(&collapse(&list), expected, "{}", vector.origin);
    assert_eq!(
        encode(&list),
        bytes,
        "{}: round trip keeps the length form",
        vector.origin
    );
    Ok(())
}

/// Builds objects from pyemv's encode input: `{"TAG": {"hex": ".."}}` or `{"TAG": ".."}` is a
/// primitive, `{"TAG": {children}}` a constructed object.
fn build(entries: &[(String, Ordered)]) -> Result<Vec<Tlv>, EmvError> {
    let mut list = Vec::new();
    for (tag_hex, node) in entries {
        let tag = Tag::from_hex(tag_hex)?;
        let tlv = match node {
            Ordered::Text(hex) => Tlv::primitive(tag, decode_hex(hex)?)?,
            Ordered::Map(inner) => match inner.as_slice() {
                [(key, Ordered::Text(hex))] if key == "hex" => Tlv::primitive(tag, decode_hex(hex)?)?,
                children => Tlv::constructed(tag, build(children)?)?,
            },
            // pyemv's "list" is a value of a type the tag does not take: give each kind of tag
            // the other kind of value.
            Ordered::List(_) | Ordered::Other if tag.is_constructed() => Tlv::primitive(tag, Vec::new())?,
            Ordered::List(_) | Ordered::Other => Tlv::constructed(tag, Vec::new())?,
        };
        list.push(tlv);
    }
    Ok(list)
}

fn check_encode(vector: &Vector) -> TestResult {
    let Some(Ordered::Map(input)) = vector.ordered.get("input") else {
        return Err(fail(vector, "no input map"));
    };
    let want = vector
        .json
        .pointer("/expected/encoded_hex")
        .and_then(Json::as_str)
        .ok_or_else(|| fail(vector, "no encoded_hex"))?;
    let encoded = encode(&build(input)?);
    let simple_mode = vector.str("source").is_some_and(|s| s.contains("(test_encode_simple)"));
    if simple_mode && hex::encode_upper(&encoded) != want {
        // pyemv's "simple" mode writes any length below 256 as one bare byte, which is not BER
        // (a first length byte >= 0x80 announces long form). We write BER: 0x81 and the length.
        let want = decode_hex(want)?;
        let (tag_len, len) = (1, want[1]);
        assert!(len >= 0x80, "{}: only long lengths differ", vector.origin);
        assert_eq!(&encoded[..tag_len], &want[..tag_len]);
        assert_eq!(&encoded[tag_len..tag_len + 2], &[0x81, len], "{}", vector.origin);
        assert_eq!(&encoded[tag_len + 2..], &want[tag_len + 1..], "{}", vector.origin);
        return Ok(());
    }
    assert_eq!(hex::encode_upper(&encoded), want, "{}", vector.origin);
    assert_eq!(parse(&encoded)?, build(input)?, "{}: decodes back", vector.origin);
    Ok(())
}

fn check_encode_error(vector: &Vector) -> TestResult {
    let Some(Ordered::Map(tags)) = vector.ordered.get("params").and_then(|p| p.get("tags")) else {
        return Err(fail(vector, "no params.tags"));
    };
    let message = vector
        .json
        .pointer("/params/error")
        .and_then(Json::as_str)
        .unwrap_or_default();
    if message.contains("'simple' is enabled") {
        // pyemv's optional "simple" mode caps lengths at one byte. We have no such mode: the
        // value is encoded with a two-byte long-form length instead.
        let encoded = encode(&build(tags)?);
        assert_eq!(&encoded[..4], &[0x9C, 0x82, 0x01, 0x00], "{}", vector.origin);
        return Ok(());
    }
    assert!(
        build(tags).is_err(),
        "{}: pyemv rejects it ({message}), so must we",
        vector.origin
    );
    Ok(())
}

/// Bit decoders, checked against binaryfoo's decoder tests.
fn check_bits(vector: &Vector, tag: &str) -> TestResult {
    let bytes = hex_of(vector)?;
    let expected = vector.json.get("expected").ok_or_else(|| fail(vector, "no expected"))?;
    match tag {
        "95" => {
            let tvr = Tvr::from_bytes(&bytes)?;
            let want: Vec<&str> = expected["set_bits"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["meaning"].as_str())
                .collect();
            let got: Vec<&str> = tvr.flags().iter().map(|f| f.meaning).collect();
            assert_eq!(got, want, "{}", vector.origin);
        }
        "9F33" => {
            let flags = TerminalCapabilities::from_bytes(&bytes)?.flags();
            if let Some(count) = expected.get("decoded_item_count").and_then(Json::as_u64) {
                assert_eq!(flags.len() as u64, count, "{}: every set bit is an item", vector.origin);
            }
            if let Some(bits) = expected.get("set_bits").and_then(Json::as_array) {
                let got: Vec<String> = flags
                    .iter()
                    .map(|f| format!("Byte {} Bit {}: {}", f.byte, f.bit, f.meaning))
                    .collect();
                let want: Vec<&str> = bits.iter().filter_map(Json::as_str).collect();
                assert_eq!(got, want, "{}", vector.origin);
            }
        }
        "9F34" => {
            let cvm = CvmResults::from_bytes(&bytes)?;
            let want = |key: &str| expected.get(key).and_then(Json::as_str).unwrap_or_default();
            assert!(
                cvm.method.description().starts_with(want("method")),
                "{}: method",
                vector.origin
            );
            assert_eq!(cvm.condition.description(), want("condition"), "{}", vector.origin);
            // The source spells it "Sucessful [sic]".
            let result = want("result").replace("Sucessful [sic]", "Successful");
            assert_eq!(cvm.outcome.description(), result, "{}", vector.origin);
        }
        other => return Err(fail(vector, format!("no bit decoder for tag {other}"))),
    }
    Ok(())
}

//! Loading the test vectors, and a JSON reader that keeps key order (pyemv's encode inputs are
//! ordered maps; serde_json's default map is sorted).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One line of a vectors file.
#[derive(Debug)]
pub struct Vector {
    /// Where it comes from, for failure messages.
    pub origin: String,
    pub json: serde_json::Value,
    pub ordered: Ordered,
}

impl Vector {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.json.get(key).and_then(serde_json::Value::as_str)
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared vectors beside the repository, if that folder is there.
pub fn shared_vectors_path() -> Option<PathBuf> {
    let path = manifest_dir().join("../../../shared/testdata/emv-tlv/vectors.jsonl");
    path.exists().then_some(path)
}

pub fn fixture_vectors_path() -> PathBuf {
    manifest_dir().join("tests/fixtures/emv-tlv-vectors-sample.jsonl")
}

pub fn load(path: &Path) -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut vectors = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let json: serde_json::Value = serde_json::from_str(line)?;
        let ordered: Ordered = serde_json::from_str(line)?;
        let source = json.get("source").and_then(|s| s.as_str()).unwrap_or("?");
        vectors.push(Vector {
            origin: format!("{name}:{} ({source})", index + 1),
            json,
            ordered,
        });
    }
    Ok(vectors)
}

/// The fixture vectors, plus the shared ones when the shared folder is present.
pub fn all_vectors() -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    let mut vectors = load(&fixture_vectors_path())?;
    match shared_vectors_path() {
        Some(path) => vectors.extend(load(&path)?),
        None => eprintln!("shared test data not found beside the repo: using the fixtures only"),
    }
    Ok(vectors)
}

/// JSON with object keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Text(String),
    Map(Vec<(String, Ordered)>),
    List(Vec<Ordered>),
    Other,
}

impl Ordered {
    pub fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Text(v.to_owned()))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
        Ok(Ordered::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
        Ok(Ordered::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
        Ok(Ordered::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
        Ok(Ordered::Other)
    }

    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Ordered::Map(entries))
    }
}

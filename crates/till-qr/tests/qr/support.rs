//! Loading the vectors: the fixtures always, the shared files beside the repo when present.

use std::path::{Path, PathBuf};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

#[derive(Debug)]
pub struct Vector {
    /// File, line and source, for failure messages.
    pub origin: String,
    pub payload: String,
    pub json: serde_json::Value,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

pub fn shared(name: &str) -> Option<PathBuf> {
    let path = manifest_dir().join("../../../shared/testdata/emv-mpm").join(name);
    path.exists().then_some(path)
}

pub fn load(path: &Path) -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut vectors = Vec::new();
    for (index, line) in std::fs::read_to_string(path)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(line)?;
        let payload = json["payload"].as_str().ok_or("every vector has a payload")?.to_owned();
        let source = json["source"].as_str().unwrap_or("?");
        vectors.push(Vector {
            origin: format!("{name}:{} ({source})", index + 1),
            payload,
            json,
        });
    }
    Ok(vectors)
}

/// Fixture vectors plus the shared ones, for `vectors.jsonl` or `negatives.jsonl`.
pub fn all(shared_name: &str, fixture_name: &str) -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    let mut vectors = load(&fixture(fixture_name))?;
    match shared(shared_name) {
        Some(path) => vectors.extend(load(&path)?),
        None => eprintln!("shared test data not found beside the repo: using the fixtures only"),
    }
    Ok(vectors)
}

pub fn positives() -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    all("vectors.jsonl", "emv-mpm-vectors-sample.jsonl")
}

pub fn negatives() -> Result<Vec<Vector>, Box<dyn std::error::Error>> {
    all("negatives.jsonl", "emv-mpm-negatives.jsonl")
}

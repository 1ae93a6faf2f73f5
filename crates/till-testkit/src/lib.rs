//! Test helpers shared by OpenTill's crates: fixed times, temporary data directories that clean
//! up after themselves, file fingerprints for "nothing changed" assertions, and a throwaway
//! PostgreSQL cluster ([`pg`]) for the tests that need a real back office.

pub mod office;
pub mod pg;

use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};

/// 2026-11-21 10:00 in Hong Kong: a fixed "now" for tests.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0)
        .single()
        .expect("a valid fixed time")
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("opentill-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The bytes of every file in `dir` whose name starts with `prefix` (e.g. `journal.sqlite`,
/// with its `-wal`), for asserting that a refused command changed nothing.
pub fn fingerprint(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .filter(|e| !e.file_name().to_string_lossy().ends_with("-shm"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Where benchmarks write their JSON: `$CARGO_TARGET_DIR/bench`, else the workspace's
/// `target/bench`; created if missing.
pub fn bench_dir() -> std::io::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A duration in milliseconds, as benchmark tables print them.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

//! What the tests share: the shared test data, code images made on the spot, and a till over
//! the simulators with our scanner in place of the simulated one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use till::{ManualClock, Sims, Till, TillOptions};
use till_domain::TillConfig;
use till_domain::ports::CodeScanner;
use till_journal::{AuthStore, Journal};
use till_scanner::{LumaFrame, code_frame, encode_png};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `../shared/testdata/<name>` beside the repository. The photos are not copied into the repo:
/// without them the decode-rate test has nothing to measure, so it fails rather than pass empty.
pub fn shared(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(name);
    assert!(
        path.is_dir(),
        "shared test data {} is missing: check out ../shared beside the repository",
        path.display()
    );
    path
}

/// A fresh folder in the temporary directory for this test's files.
pub fn scratch(test: &str) -> Result<PathBuf, std::io::Error> {
    let dir = std::env::temp_dir().join(format!("till-scanner-{test}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A 640x480 camera-like frame (mid-grey with a darker band) with `text` as a QR code in it.
pub fn scene_with(text: &str) -> Result<LumaFrame, Box<dyn std::error::Error>> {
    let mut scene = LumaFrame::new(640, 480, (0..640 * 480).map(|i| 150 + (i % 640 / 64) as u8).collect())?;
    scene.paste(&code_frame(text, 4)?, 200, 100);
    Ok(scene)
}

/// A 640x480 frame with no code in it.
pub fn empty_scene() -> Result<LumaFrame, Box<dyn std::error::Error>> {
    Ok(LumaFrame::new(640, 480, vec![170; 640 * 480])?)
}

/// Writes `frame` as `dir/name` (PNG).
pub fn write_png(dir: &Path, name: &str, frame: &LumaFrame) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    std::fs::write(&path, encode_png(frame)?)?;
    Ok(path)
}

pub const PIN: &str = "135790";

/// A till over an in-memory journal with every device simulated except the scanner, which is
/// `scanner`; operator 1 past the first-login PIN change and logged in.
pub fn till_with(config: TillConfig, scanner: Arc<dyn CodeScanner>) -> Result<Till, Box<dyn std::error::Error>> {
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let mut devices = sims.devices();
    devices.scanner = scanner;
    let mut options = TillOptions::new(config);
    options.clock = clock;
    let till = Till::open(
        Journal::open_in_memory()?,
        AuthStore::open_in_memory()?,
        devices,
        options,
    )?;
    till.change_pin("1", "0001", PIN)?;
    till.login("1", PIN)?;
    Ok(till)
}

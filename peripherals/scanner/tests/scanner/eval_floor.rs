//! The read count of the still pipeline (what `till qr decode` runs) on a subset of the
//! evaluation set must not drop below what it was measured at: a later change that loses codes
//! fails here. The subset is every fifth image (64 of 320, every distortion and version), to
//! keep the test to seconds; the bench reads all 320 and compares with zxing-cpp.

use till_scanner::{Decoder, Rxing};

use crate::evalset::{SEED, every};
use crate::support::TestResult;

/// Every fifth image of the evaluation set.
const STEP: usize = 5;

/// Measured on the subset with the pipeline of this commit (and rxing 0.9.3, rqrr 0.11): the
/// count is deterministic (the still pipeline has no time budget), so it is the same in every
/// profile and on every machine.
const FLOOR: usize = 48;

#[test]
fn the_still_pipeline_reads_no_fewer_evaluation_codes_than_measured() -> TestResult {
    let samples = every(SEED, STEP);
    assert_eq!(samples.len(), 64, "every fifth of 320 images");
    let mut decoder = Rxing::still();
    let mut missed = Vec::new();
    for sample in &samples {
        let found = decoder.decode(&sample.frame)?;
        if found.as_deref() != Some(sample.text.as_str()) {
            missed.push(sample.name.as_str());
        }
    }
    let read = samples.len() - missed.len();
    eprintln!("evaluation subset: {read} of {} read; missed {missed:?}", samples.len());
    assert!(
        read >= FLOOR,
        "the still pipeline read {read} of {} evaluation images, fewer than the {FLOOR} measured; missed {missed:?}",
        samples.len()
    );
    Ok(())
}

/// The live pipeline (a camera frame each, each image held up for [`HELD`] frames as a customer
/// holds a phone up for many) on the same subset, measured as above with no time budget, so the
/// count does not depend on how busy the machine is. A quicker live path that stops reading what
/// it read fails here.
const LIVE_FLOOR: usize = 48;

/// Frames each image is shown for (the bench's figure too).
const HELD: usize = 3;

#[test]
fn the_live_pipeline_reads_no_fewer_evaluation_codes_than_measured() -> TestResult {
    let samples = every(SEED, STEP);
    let mut decoder = Rxing::live().with_budget(std::time::Duration::from_secs(3600));
    let mut missed = Vec::new();
    for sample in &samples {
        let mut read = false;
        for _ in 0..HELD {
            read |= decoder.decode(&sample.frame)?.as_deref() == Some(sample.text.as_str());
        }
        if !read {
            missed.push(sample.name.as_str());
        }
    }
    let read = samples.len() - missed.len();
    eprintln!(
        "evaluation subset, live: {read} of {} read; missed {missed:?}",
        samples.len()
    );
    assert!(
        read >= LIVE_FLOOR,
        "the live pipeline read {read} of {} evaluation images, fewer than the {LIVE_FLOOR} measured; missed {missed:?}",
        samples.len()
    );
    Ok(())
}

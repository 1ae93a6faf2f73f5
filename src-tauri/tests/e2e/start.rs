//! The app's start when its journal is held by another process — its previous run still ending
//! after a crash, or a `till` command: it waits for the journal, and when it never comes free,
//! says so in the window, in words, instead of dying.

use crate::support::{App, Launch, Size, TestResult};
use std::fs::File;
use std::time::Duration;

/// The journal's lock, taken as another till process takes it.
fn hold_journal(dir: &std::path::Path) -> Result<File, crate::support::Error> {
    let lock = File::create(dir.join("journal.sqlite.lock"))?;
    lock.lock()?;
    Ok(lock)
}

#[test]
fn a_start_waits_for_a_journal_that_is_still_held_then_opens_the_till() -> TestResult {
    let dir = crate::support::temp_dir("start-wait")?;
    let log = crate::support::temp_dir("start-wait-log")?.join("driver.log");
    let lock = hold_journal(&dir)?;
    // Released once the app has found the journal held and said it waits.
    let watched = log.clone();
    let release = std::thread::spawn(move || -> Result<(), String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let text = std::fs::read_to_string(&watched).unwrap_or_default();
            if text.contains("is in use; waiting for it") {
                drop(lock);
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err("the app never said it waits for the journal".to_owned());
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    });
    let app = App::launch_with(
        Launch::new(Size::XGA)
            .data_dir(&dir)
            .log_to(&log)
            .env("OPENTILL_OPEN_WAIT_MS", "120000"),
    )?;
    release.join().map_err(|_| "the watcher panicked")??;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    Ok(())
}

#[test]
fn a_journal_that_stays_held_is_explained_in_the_window_not_a_crash() -> TestResult {
    let dir = crate::support::temp_dir("start-held")?;
    let _lock = hold_journal(&dir)?;
    let app = App::launch_with(
        Launch::new(Size::XGA)
            .data_dir(&dir)
            .env("OPENTILL_OPEN_WAIT_MS", "1000")
            .env("LANG", "zh_TW.UTF-8"),
    )?;
    app.wait_attribute("[data-testid=start-failed]", "data-code", "journal-in-use")?;
    let said = app.text("[data-testid=start-failed]")?;
    assert!(said.contains("無法開啟收銀機"), "in the machine's language: {said}");
    assert!(said.contains("另一個收銀程式"), "why: {said}");
    app.screenshot("start-journal-held-zh-Hant")?;
    Ok(())
}

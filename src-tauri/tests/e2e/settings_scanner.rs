//! T13: the code scanner and the customer display changed in Settings. This machine has no
//! webcam: the camera choice says "no camera found" and is refused, nothing changed. A scanner
//! on a serial port (a pseudo-terminal whose other end the test types into, as the scanner
//! would) is tested by showing it a code and then reads the next sale's; a keyboard scanner's
//! burst of keys, typed into the page, is read as a code. A pole display on a port (a
//! pseudo-terminal the test reads) shows the test sample; a malformed window position is
//! refused.

use crate::flows_support::*;
use crate::setup::choose;
use crate::support::*;
use rustix::fd::OwnedFd;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// A pseudo-terminal: the app opens `path`, the test holds the other end; what the app writes
/// there is collected.
struct Pty {
    path: String,
    master: std::fs::File,
    read: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    fn open() -> Result<Pty, Error> {
        let master: OwnedFd = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let path = ptsname(&master, Vec::new())?.into_string()?;
        let master = std::fs::File::from(master);
        let read = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone()?;
        let into = read.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            // Ends when the test drops the master (EIO) or the process ends.
            while let Ok(n @ 1..) = reader.read(&mut buffer) {
                into.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&buffer[..n]);
            }
        });
        Ok(Pty { path, master, read })
    }

    fn saw(&self, text: &str) -> bool {
        let bytes = self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }
}

fn till_toml(app: &App) -> Result<Vec<u8>, Error> {
    Ok(std::fs::read(app.data_dir().join("till.toml"))?)
}

fn open_editor(app: &App, device: &str) -> TestResult {
    app.click("[data-testid=tab-settings]")?;
    // Scrolled to first: the lower rows may be under the status bar.
    let change = format!("[data-testid=device-{device}-change]");
    app.wait_for(&change)?;
    app.execute(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
        vec![change.clone().into()],
    )?;
    app.click(&change)?;
    app.wait_attribute(
        &format!("[data-testid=settings-{device}-editor]"),
        "data-loaded",
        "true",
    )?;
    Ok(())
}

#[test]
fn the_scanner_and_the_display_change_in_settings_and_a_missing_camera_is_said_plainly() -> TestResult {
    let scanner_port = Pty::open()?;
    let pole = Pty::open()?;
    let app = logged_in(quick(Size::XGA))?;
    let dir = app.data_dir().to_owned();
    open_editor(&app, "scanner")?;

    // No webcam on this machine: said, and refused if saved anyway.
    let cameras: Vec<_> = std::fs::read_dir("/dev")?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("video"))
        .collect();
    assert!(cameras.is_empty(), "this test expects a machine without a camera");
    choose(&app, "[data-testid=settings-scanner-kind]", "camera")?;
    app.wait_for("[data-testid=settings-scanner-no-camera]")?;
    app.screenshot("settings-scanner-no-camera")?;
    let was = till_toml(&app)?;
    app.click("[data-testid=settings-scanner-save]")?;
    app.wait_attribute(
        "[data-testid=settings-scanner-error]",
        "data-code",
        "bad-setting-no-camera",
    )?;
    assert_eq!(till_toml(&app)?, was, "a camera that is not there changes nothing");

    // A serial scanner: Test waits for a code shown to it.
    choose(&app, "[data-testid=settings-scanner-kind]", "serial")?;
    choose(&app, "[data-testid=settings-scanner-port]", &scanner_port.path)?;
    app.click("[data-testid=settings-scanner-test]")?;
    let mut master = scanner_port.master.try_clone()?;
    app.wait_until("the code shown to the scanner, read by the Test", || {
        // Typed again until read: the scanner's port opens a moment after the click.
        master.write_all(b"2812345678904321\r\n")?;
        let said = content(&app, "[data-testid=settings-scanner-result]").unwrap_or_default();
        Ok(said.contains("4321").then_some(()))
    })?;
    app.click("[data-testid=settings-scanner-save]")?;
    app.wait_for("[data-testid=settings-scanner-saved]")?;
    let settings = String::from_utf8(till_toml(&app)?)?;
    assert!(
        settings.contains("[scanner]") && settings.contains(&scanner_port.path),
        "{settings}"
    );

    // A keyboard scanner: a burst of keys ending in Enter, typed while the Test waits.
    app.click("[data-testid=settings-scanner-cancel]")?;
    open_editor(&app, "scanner")?;
    choose(&app, "[data-testid=settings-scanner-kind]", "wedge")?;
    app.click("[data-testid=settings-scanner-test]")?;
    app.wait_until("the keyboard scanner's burst, read as a code", || {
        app.execute(
            "for (const key of [...'2876543210987651', 'Enter']) \
               window.dispatchEvent(new KeyboardEvent('keydown', { key }));",
            vec![],
        )?;
        let said = content(&app, "[data-testid=settings-scanner-result]").unwrap_or_default();
        Ok(said.contains("7651").then_some(()))
    })?;
    app.screenshot("settings-scanner-wedge-tested")?;

    // The customer display: a malformed position is refused; a pole display shows the sample.
    app.click("[data-testid=settings-scanner-cancel]")?;
    open_editor(&app, "display")?;
    choose(&app, "[data-testid=settings-display-kind]", "screen")?;
    app.type_into("[data-testid=settings-display-position]", "left")?;
    let was = till_toml(&app)?;
    app.click("[data-testid=settings-display-save]")?;
    app.wait_attribute(
        "[data-testid=settings-display-error]",
        "data-code",
        "bad-setting-position",
    )?;
    assert_eq!(till_toml(&app)?, was, "a malformed position changes nothing");
    choose(&app, "[data-testid=settings-display-kind]", "pole")?;
    choose(&app, "[data-testid=settings-display-port]", &pole.path)?;
    app.click("[data-testid=settings-display-test]")?;
    app.wait_attribute("[data-testid=settings-display-result]", "data-ok", "true")?;
    app.wait_until("the sample on the pole display", || {
        Ok(pole.saw("OpenTill").then_some(()))
    })?;
    app.click("[data-testid=settings-display-save]")?;
    app.wait_for("[data-testid=settings-display-saved]")?;
    app.screenshot("settings-display-pole")?;
    let settings = String::from_utf8(till_toml(&app)?)?;
    assert!(
        settings.contains("[display]") && settings.contains(&pole.path),
        "{settings}"
    );

    // The journal has each change: the scanner once (the camera was refused), the display once.
    drop(app);
    let changes = crate::settings_devices::settings_journaled(&dir)?;
    for (key, times) in [("scanner", 1), ("display", 1)] {
        let n = changes
            .iter()
            .filter(|(_, e)| e.contains(&format!("\"key\":\"{key}\"")))
            .count();
        assert_eq!(n, times, "{key} changes journaled: {changes:?}");
    }
    Ok(())
}

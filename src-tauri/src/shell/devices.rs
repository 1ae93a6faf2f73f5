//! Settings → Devices (T13): each device's form checked, tested, written to till.toml and
//! journaled, and the till going on with the new device at once. The PIN pad and printer come
//! from the setup wizard's pickers; the scanner and display sections are taken as they are
//! written in till.toml (`till_devices::ScannerSection`, `DisplaySection`).

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use till::{Till, TillError};
use till_domain::Action;
use till_domain::ports::{DeviceError, DisplaySnapshot};

use super::{Shell, lock};
use crate::devices::Assembled;
use crate::dto::{self, Res};
use crate::setup;

/// Receipt header or footer lines: at most 4, each one line of at most 48 characters.
fn receipt_lines(lines: &[String]) -> Res<()> {
    let bad = lines
        .iter()
        .find(|l| l.chars().count() > 48 || l.chars().any(char::is_control))
        .cloned()
        .or_else(|| (lines.len() > 4).then(|| format!("{} lines", lines.len())));
    match bad {
        Some(input) => Err(TillError::Input {
            what: "setting-receipt-line",
            input,
        }
        .into()),
        None => Ok(()),
    }
}

impl Shell {
    /// Settings → Devices: the PIN pad, printer, scanner and display as set now, and what is
    /// plugged in.
    pub fn device_settings(&self) -> Res<dto::DeviceSettings> {
        let till = self.till();
        till.may(Action::Settings)?;
        let (terminal, printer) = setup::current(&self.dir);
        let section = till_devices::settings::section(&self.dir, "printer")?;
        let text = |key: &str, default: &str| {
            section
                .get(key)
                .and_then(toml::Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        let merchant = &till.config().merchant;
        Ok(dto::DeviceSettings {
            terminal,
            printer,
            paper: text("paper", "80mm"),
            chinese: text("chinese", ""),
            logo: text("logo", ""),
            header: merchant.header.clone(),
            footer: merchant.footer.clone(),
            scanner: till_devices::scanner_section(&self.dir)?,
            display: till_devices::display_section(&self.dir)?,
            cameras: till_devices::attached::attached().cameras,
            ports: setup::ports(),
        })
    }

    /// A device form's answer as a checked change of till.toml (nothing written): `terminal`,
    /// `scanner` and `display` replaced whole; `printer`'s connection and paper, its other keys
    /// (Chinese mode, logo, header) kept.
    fn check_device(&self, change: &dto::DeviceIn) -> Res<till_devices::settings::SettingChange> {
        let (key, value) = match change {
            dto::DeviceIn::Terminal { terminal } => ("terminal", setup::terminal_section(terminal)?),
            dto::DeviceIn::Printer {
                printer,
                paper,
                chinese,
                logo,
                header,
                footer,
            } => {
                if !matches!(paper.as_str(), "58mm" | "80mm") {
                    return Err(refused("setup-paper", paper));
                }
                if !matches!(chinese.as_str(), "" | "gb18030" | "big5" | "raster") {
                    return Err(refused("setting-chinese", chinese));
                }
                receipt_lines(header)?;
                receipt_lines(footer)?;
                let mut section = till_devices::settings::section(&self.dir, "printer")?;
                section.insert("paper".into(), paper.clone().into());
                section.insert("connection".into(), setup::printer_connection(printer)?.into());
                for (key, value) in [("chinese", chinese.trim()), ("logo", logo.trim())] {
                    if value.is_empty() {
                        section.remove(key);
                    } else {
                        section.insert(key.into(), value.into());
                    }
                }
                // The logo must be a picture the printer can print: its profile loads it.
                let config: till_printer::PrinterConfig = toml::Value::Table(section.clone())
                    .try_into()
                    .map_err(|e: toml::de::Error| refused("setting-printer", e.message()))?;
                config
                    .profile(&self.dir, 48)
                    .map_err(|e| refused("setting-logo", &format!("{} ({e})", logo.trim())))?;
                ("printer", section)
            }
            dto::DeviceIn::Scanner { scanner } => ("scanner", scanner_table(scanner)?),
            dto::DeviceIn::Display { display } => ("display", display_table(display)?),
        };
        Ok(till_devices::settings::check_value(
            &self.dir,
            key,
            toml::Value::Table(value),
        )?)
    }

    /// The device a checked change names, opened from it and asked: the PIN pad and printer
    /// for their status (before a change too); with `test`, the scanner for a code ("show a
    /// code") and the display for a sample. A scanner or display being set is not opened here:
    /// `reopen_devices` opens it, and a failure there puts till.toml back. The answer's
    /// detail for the screen.
    async fn probe(&self, change: &till_devices::settings::SettingChange, test: bool) -> Res<String> {
        let till = self.till();
        let section = change.section(&change.key);
        let bad = |e: toml::de::Error| TillError::Config(e.to_string());
        match change.key.as_str() {
            "scanner" | "display" if !test => Ok(String::new()),
            "scanner" => {
                let section: till_devices::ScannerSection = section.try_into().map_err(bad)?;
                let cancel = self.devices().cancel.clone();
                let scanner = crate::devices::open_scanner_from(&self.dir, &section, &self.ui, &cancel)?;
                if let Some(wedge) = &scanner.wedge {
                    *lock(&self.test_wedge) = Some(wedge.clone());
                }
                cancel.arm();
                let read = tokio::time::timeout(Duration::from_secs(15), scanner.port.next_code()).await;
                *lock(&self.test_wedge) = None;
                match read {
                    Ok(Ok(code)) => Ok(format!("…{}", crate::devices::last4(&code.text))),
                    Ok(Err(e)) => Err(TillError::device("scanner")(e).into()),
                    Err(_) => Err(TillError::device("scanner")(DeviceError::Timeout).into()),
                }
            }
            "display" => {
                let section: till_devices::DisplaySection = section.try_into().map_err(bad)?;
                let sim = self.devices().sim_display.clone();
                let (display, name) = crate::devices::open_display(&self.dir, &section, &self.ui, &sim).await?;
                let text = till.localizer().text("app-display-test", &[]);
                display
                    .show(&DisplaySnapshot::Idle { text })
                    .await
                    .map_err(TillError::device("display"))?;
                Ok(name)
            }
            device => {
                let device = if device == "terminal" { "terminal" } else { "printer" };
                let currency = till.config().currency.numeric();
                till_devices::settings::probe_device(&self.dir, change, device, currency, 48, Duration::from_secs(15))
                    .await?;
                Ok(String::new())
            }
        }
    }

    /// A device form's Test button: the new setting checked and the device asked; nothing is
    /// written and the devices in use stay.
    pub async fn try_device(&self, change: &dto::DeviceIn) -> Res<String> {
        self.till().may(Action::Settings)?;
        let checked = self.check_device(change)?;
        let _no_status_polls = self.changing.lock().await;
        self.probe(&checked, true).await
    }

    /// T13: a device changed in Settings (Manager). Checked first (a bad value changes
    /// nothing); then, once no sale is in flight, a new PIN pad or printer is asked for its
    /// status (one that does not answer is refused and the working one stays), till.toml is
    /// replaced atomically, the change is journaled (who, what, from, to), and the till goes on
    /// with the new device — no restart.
    pub async fn set_device(&self, change: &dto::DeviceIn) -> Res<dto::AppInfo> {
        let till = self.till();
        till.may(Action::Settings)?;
        let checked = self.check_device(change)?;
        let _idle = till.quiesce().await;
        let _no_status_polls = self.changing.lock().await;
        self.probe(&checked, false).await?;
        let before = std::fs::read(self.dir.join("till.toml")).ok();
        till_devices::settings::write(&self.dir, &checked)?;
        let reopened = self.reopen_devices(&till, &checked.key).await;
        let (devices, reopened) = match reopened {
            Ok(r) => r,
            Err(e) => {
                // The file goes back to what worked; the devices in use never changed.
                if let Some(b) = before {
                    let _ = std::fs::write(self.dir.join("till.toml"), b);
                }
                return Err(e.into());
            }
        };
        till.record_setting(&checked.key, checked.from.clone(), checked.to.clone())?;
        // The receipt's own lines, checked above, go with the printer's settings; the till
        // over the new devices is opened again to read them.
        let reopened = match change {
            dto::DeviceIn::Printer { header, footer, .. } => {
                let mut changed = false;
                for (key, lines) in [("merchant.header", header), ("merchant.footer", footer)] {
                    let value = toml::Value::Array(lines.iter().map(|l| l.trim().into()).collect());
                    let line_change = till_devices::settings::check_value(&self.dir, key, value)?;
                    if line_change.from.as_deref() != Some(line_change.to.as_str())
                        && !(line_change.from.is_none() && lines.is_empty())
                    {
                        till_devices::settings::write(&self.dir, &line_change)?;
                        till.record_setting(&line_change.key, line_change.from.clone(), line_change.to.clone())?;
                        changed = true;
                    }
                }
                if changed {
                    till.reopened_with(&self.dir, devices.devices.clone())?
                } else {
                    reopened
                }
            }
            _ => reopened,
        };
        *self.devices.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(devices);
        *self.till.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(reopened);
        Ok(self.info())
    }

    /// The devices with the one `key` names opened anew from till.toml, and a till over them.
    async fn reopen_devices(&self, till: &Till, key: &str) -> Result<(Assembled, Till), TillError> {
        let mut devices = (*self.devices()).clone();
        if key == "printer" {
            let (printer, profile, name) = crate::devices::open_printer(&self.dir, 48)?;
            devices.devices.printer = printer;
            devices.profile = profile;
            devices.printer_name = name;
        } else if key == "scanner" {
            let scanner = crate::devices::open_scanner(&self.dir, &self.ui, &devices.cancel)?;
            devices.devices.scanner = scanner.port.clone();
            devices.scanner = scanner;
        } else if key == "display" {
            let section = till_devices::display_section(&self.dir)?;
            let (display, name) =
                crate::devices::open_display(&self.dir, &section, &self.ui, &devices.sim_display).await?;
            devices.devices.display = display;
            devices.display_name = name;
        } else {
            let (terminal, name) = crate::devices::open_terminal(
                &self.dir,
                till.config(),
                devices.devices.printer.clone(),
                &devices.sim_terminal,
            )?;
            devices.devices.terminal = terminal;
            devices.terminal_name = name;
        }
        let reopened = till.reopened_with(&self.dir, devices.devices.clone())?;
        Ok((devices, reopened))
    }
}

fn refused(what: &'static str, input: &str) -> dto::Error {
    TillError::Input {
        what,
        input: input.to_owned(),
    }
    .into()
}

impl Shell {
    /// Keystrokes the screen saw while a code was awaited, for a keyboard-wedge scanner (the
    /// one being tested in Settings, else the till's): `ms` is each key's event time. Nothing
    /// happens when the scanner is not a wedge.
    pub fn scanner_keys(&self, keys: &[dto::KeyIn]) {
        let sender = lock(&self.test_wedge)
            .clone()
            .or_else(|| self.devices().scanner.wedge.clone());
        let (Some(sender), Some(last)) = (sender, keys.last()) else {
            return;
        };
        let now = std::time::Instant::now();
        for k in keys {
            let key = match k.key.as_str() {
                "Enter" => till_scanner::Key::Enter,
                text => match text.chars().collect::<Vec<_>>().as_slice() {
                    [c] => till_scanner::Key::Char(*c),
                    _ => continue,
                },
            };
            let ago = Duration::from_secs_f64(((last.ms - k.ms).max(0.0)) / 1000.0);
            let at = now.checked_sub(ago).unwrap_or(now);
            // The wedge is gone when the scanner was replaced: the keys go nowhere.
            let _ = sender.send(till_scanner::KeyStroke { key, at });
        }
    }
}

/// `[scanner]` as the form chose it, checked: a port, a camera that is there, a size.
fn scanner_table(scanner: &till_devices::ScannerSection) -> Res<toml::Table> {
    use till_devices::ScannerSection as S;
    match scanner {
        S::Folder { path: Some(p) } if p.as_os_str().is_empty() => {
            return Err(refused("setting-scanner-folder", ""));
        }
        S::Camera { index, size } => {
            let cameras = till_devices::attached::attached().cameras;
            if !cameras.iter().any(|c| c.ends_with(&format!("video{index}"))) {
                return Err(refused("setting-no-camera", &format!("/dev/video{index}")));
            }
            if let Some(s) = size.as_deref().filter(|s| till_devices::parse_size(s).is_none()) {
                return Err(refused("setting-size", s));
            }
        }
        S::Serial { port, baud } => {
            if port.trim().is_empty() {
                return Err(refused("setup-scanner-port", port));
            }
            if !BAUDS.contains(baud) {
                return Err(refused("setting-baud", &baud.to_string()));
            }
        }
        S::Folder { .. } | S::Wedge => {}
    }
    table(scanner)
}

/// `[display]` as the form chose it, checked: a window's corner and size, a pole's port.
fn display_table(display: &till_devices::DisplaySection) -> Res<toml::Table> {
    use till_devices::DisplaySection as D;
    match display {
        D::Screen { position, size, .. } => {
            if let Some(p) = position
                .as_deref()
                .filter(|p| till_devices::parse_position(p).is_none())
            {
                return Err(refused("setting-position", p));
            }
            if let Some(s) = size.as_deref().filter(|s| till_devices::parse_size(s).is_none()) {
                return Err(refused("setting-size", s));
            }
        }
        D::Pole { port, baud, .. } => {
            if port.trim().is_empty() {
                return Err(refused("setup-display-port", port));
            }
            if !BAUDS.contains(baud) {
                return Err(refused("setting-baud", &baud.to_string()));
            }
        }
        D::None => {}
    }
    table(display)
}

/// The line speeds the forms offer.
const BAUDS: &[u32] = &[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

fn table<T: serde::Serialize>(section: &T) -> Res<toml::Table> {
    match toml::Value::try_from(section) {
        Ok(toml::Value::Table(t)) => Ok(t),
        Ok(other) => Err(TillError::Config(format!("not a section: {other}")).into()),
        Err(e) => Err(TillError::Config(e.to_string()).into()),
    }
}

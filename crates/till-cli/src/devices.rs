//! `till devices list`: what is plugged into this machine (serial ports with their USB ids,
//! pseudo-terminals, USB printers, cameras, Windows printer queues), for a technician choosing
//! what to put in till.toml. The finding itself is `till_devices::attached()`, which the app's
//! settings screens share.

use clap::Subcommand;
use till_i18n::Localizer;

use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum DevicesCmd {
    /// List serial ports (with USB vendor:product ids), pseudo-terminals, USB printers,
    /// cameras and (Windows) printer queues.
    List,
}

pub fn run(cmd: &DevicesCmd, out: &Out) -> u8 {
    match cmd {
        DevicesCmd::List => {
            let found = till_devices::attached();
            if out.json {
                let v = serde_json::json!({"ok": true, "data": found});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print!("{}", human(&found, &out.l));
            }
            0
        }
    }
}

/// The list as a technician reads it, in their language; an empty class says so.
fn human(found: &till_devices::Attached, l: &Localizer) -> String {
    let mut s = String::new();
    let mut line = |text: String| {
        s.push_str(&text);
        s.push('\n');
    };
    line(l.text("devices-serial-heading", &[]));
    if found.serial_ports.is_empty() {
        line(format!("  {}", l.text("devices-serial-none", &[])));
    }
    for p in &found.serial_ports {
        let path = ("path", p.path.clone());
        let text = match (p.kind, &p.vid, &p.pid) {
            ("usb", Some(vid), Some(pid)) => {
                let name = [p.manufacturer.as_deref(), p.product.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                l.text(
                    "devices-serial-usb",
                    &[path, ("vid", vid.clone()), ("pid", pid.clone()), ("name", name)],
                )
            }
            ("pseudo-terminal", ..) => l.text("devices-serial-pty", &[path]),
            (kind, ..) => l.text("devices-serial-other", &[path, ("kind", kind.to_owned())]),
        };
        line(format!("  {text}"));
    }
    for (heading, none, list) in [
        ("devices-printers-heading", "devices-printers-none", &found.usb_printers),
        ("devices-cameras-heading", "devices-cameras-none", &found.cameras),
    ] {
        line(l.text(heading, &[]));
        if list.is_empty() {
            line(format!("  {}", l.text(none, &[])));
        }
        for item in list {
            line(format!("  {item}"));
        }
    }
    if cfg!(windows) {
        line(l.text("devices-queues-heading", &[]));
        if found.printer_queues.is_empty() {
            line(format!("  {}", l.text("devices-queues-none", &[])));
        }
        for q in &found.printer_queues {
            line(format!("  {q}"));
        }
    }
    for note in &found.notes {
        line(l.text("devices-note", &[("note", note.clone())]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_devices::{Attached, SerialPortFound};
    use till_i18n::Lang;

    #[test]
    fn an_empty_machine_says_no_camera_found_rather_than_nothing() -> Result<(), String> {
        let text = human(&Attached::default(), &Localizer::new(Lang::En));
        for expected in ["No serial port found.", "No USB printer found.", "No camera found."] {
            if !text.contains(expected) {
                return Err(format!("{expected:?} missing from {text}"));
            }
        }
        let zh = human(&Attached::default(), &Localizer::new(Lang::ZhHant));
        assert!(zh.contains("找不到攝影機"), "in the technician's language: {zh}");
        Ok(())
    }

    #[test]
    fn a_usb_serial_adapter_shows_its_ids_and_name() -> Result<(), String> {
        let found = Attached {
            serial_ports: vec![SerialPortFound {
                path: "/dev/ttyUSB0".into(),
                kind: "usb",
                vid: Some("067b".into()),
                pid: Some("2303".into()),
                manufacturer: Some("Prolific".into()),
                product: Some("USB-Serial Controller".into()),
                serial_number: None,
            }],
            ..Attached::default()
        };
        let text = human(&found, &Localizer::new(Lang::En));
        assert!(
            text.contains("/dev/ttyUSB0 — USB 067b:2303 Prolific USB-Serial Controller"),
            "{text}"
        );
        Ok(())
    }
}

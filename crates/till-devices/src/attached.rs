//! What is plugged into this machine, for a technician (`till devices list`) and for the
//! settings screens that let one pick a port from a list rather than type its name.
//!
//! Serial ports come from the serialport crate (through tokio-serial, which the drivers use):
//! without libudev it scans /sys/class/tty and reads USB vendor and product ids there. That scan
//! only sees ports backed by a device, so pseudo-terminals (a simulator's, a USB-serial bridge
//! run in software) are listed separately from /dev/pts. USB printers are the kernel's
//! /dev/usb/lp* nodes. Cameras are V4L2 nodes (/dev/video*): no library is needed to see that
//! one is attached; opening it is the scanner's `camera` feature (nokhwa).

use serde::Serialize;
use std::path::Path;

/// A serial port and, for a USB-serial adapter, who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialPortFound {
    /// What to put in till.toml (`/dev/ttyUSB0`, `COM3`).
    pub path: String,
    /// `usb`, `pci`, `bluetooth`, `pseudo-terminal` or `unknown`.
    pub kind: &'static str,
    /// USB vendor and product ids, as 4 hex digits (`067b`, `2303`).
    pub vid: Option<String>,
    pub pid: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial_number: Option<String>,
}

/// Everything found, by device class. An empty list is a finding ("no camera found"), not an
/// error; `notes` says what could not be looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attached {
    pub serial_ports: Vec<SerialPortFound>,
    /// USB printer device nodes (`/dev/usb/lp0`).
    pub usb_printers: Vec<String>,
    /// Camera device nodes (`/dev/video0`).
    pub cameras: Vec<String>,
    /// Printer queues of the operating system (Windows); empty elsewhere.
    pub printer_queues: Vec<String>,
    /// What could not be enumerated, and why (English, for a technician's log).
    pub notes: Vec<String>,
}

/// A program that has a device open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub pid: u32,
    /// Its name (`/proc/PID/comm`).
    pub name: String,
}

/// The other programs that have the device `path` open now (this process is left out: the
/// till's own driver keeps its port open). Linux reads `/proc/*/fd`, seeing every process when
/// run as root and the user's own otherwise — enough to find another till, a `screen` or a
/// modem manager on the port. Elsewhere the list is empty: Windows refuses a second opener of a
/// COM port itself, and that error is reported as it comes.
pub fn holders(path: &Path) -> Vec<Holder> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    holders_in(Path::new("/proc"), path, std::process::id())
}

fn holders_in(proc: &Path, path: &Path, me: u32) -> Vec<Holder> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        let fds: Vec<_> = fds.flatten().collect();
        let holds = |p: &Path| fds.iter().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == p));
        // A pseudo-terminal's other end is the device itself (a simulator, a software bridge):
        // its master holds the slave open too, and is not another program in the way.
        let is_its_master = pts_index(&target).is_some_and(|n| {
            fds.iter().any(|fd| {
                let master = std::fs::read_link(fd.path())
                    .is_ok_and(|l| l == Path::new("/dev/ptmx") || l == Path::new("/dev/pts/ptmx"));
                let info = e.path().join("fdinfo").join(fd.file_name());
                master
                    && std::fs::read_to_string(info).is_ok_and(|t| {
                        t.lines()
                            .any(|l| l.strip_prefix("tty-index:").is_some_and(|i| i.trim() == n.to_string()))
                    })
            })
        });
        if holds(&target) && !is_its_master {
            let name = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            found.push(Holder {
                pid,
                name: name.trim().to_owned(),
            });
        }
    }
    found.sort_by_key(|h| h.pid);
    found
}

/// `N` of `/dev/pts/N`.
fn pts_index(path: &Path) -> Option<u32> {
    path.strip_prefix("/dev/pts").ok()?.to_str()?.parse().ok()
}

/// Looks at the machine now.
pub fn attached() -> Attached {
    let mut found = Attached::default();
    serial_ports(&mut found);
    found.serial_ports.extend(pseudo_terminals(Path::new("/dev/pts")));
    found.usb_printers = nodes(Path::new("/dev/usb"), "lp");
    found.cameras = nodes(Path::new("/dev"), "video");
    found.printer_queues = printer_queues(&mut found.notes);
    found
}

fn serial_ports(found: &mut Attached) {
    // serialport's sysfs scan panics where /sys/class/tty is missing (some containers).
    if cfg!(target_os = "linux") && !Path::new("/sys/class/tty").is_dir() {
        found
            .notes
            .push("/sys/class/tty is missing: serial ports not enumerated".to_owned());
        return;
    }
    match tokio_serial::available_ports() {
        Ok(ports) => {
            for p in ports {
                found.serial_ports.push(serial_port(p));
            }
        }
        Err(e) => found.notes.push(format!("serial ports: {e}")),
    }
    found.serial_ports.sort_by(|a, b| a.path.cmp(&b.path));
}

fn serial_port(p: tokio_serial::SerialPortInfo) -> SerialPortFound {
    let mut s = SerialPortFound {
        path: p.port_name,
        kind: "unknown",
        vid: None,
        pid: None,
        manufacturer: None,
        product: None,
        serial_number: None,
    };
    match p.port_type {
        tokio_serial::SerialPortType::UsbPort(u) => {
            s.kind = "usb";
            s.vid = Some(format!("{:04x}", u.vid));
            s.pid = Some(format!("{:04x}", u.pid));
            s.manufacturer = u.manufacturer;
            s.product = u.product;
            s.serial_number = u.serial_number;
        }
        tokio_serial::SerialPortType::PciPort => s.kind = "pci",
        tokio_serial::SerialPortType::BluetoothPort => s.kind = "bluetooth",
        tokio_serial::SerialPortType::Unknown => {}
    }
    s
}

/// The pseudo-terminals open now (`/dev/pts/N`), which the serial scan does not see.
fn pseudo_terminals(dir: &Path) -> Vec<SerialPortFound> {
    let mut numbers: Vec<u32> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .collect()
        })
        .unwrap_or_default();
    numbers.sort_unstable();
    numbers
        .into_iter()
        .map(|n| SerialPortFound {
            path: dir.join(n.to_string()).to_string_lossy().into_owned(),
            kind: "pseudo-terminal",
            vid: None,
            pid: None,
            manufacturer: None,
            product: None,
            serial_number: None,
        })
        .collect()
}

/// `dir/prefixN` device nodes, in number order.
fn nodes(dir: &Path, prefix: &str) -> Vec<String> {
    let mut found: Vec<(u32, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_owned();
                    let n = name.strip_prefix(prefix)?.parse::<u32>().ok()?;
                    Some((n, e.path().to_string_lossy().into_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

#[cfg(windows)]
fn printer_queues(notes: &mut Vec<String>) -> Vec<String> {
    // Without a Win32 binding in the workspace, ask PowerShell's Get-Printer.
    match std::process::Command::new("powershell")
        .args([
            "-NoProfile",
            "-Command",
            "Get-Printer | Select-Object -ExpandProperty Name",
        ])
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        Ok(o) => {
            notes.push(format!("printer queues: Get-Printer failed ({})", o.status));
            Vec::new()
        }
        Err(e) => {
            notes.push(format!("printer queues: {e}"));
            Vec::new()
        }
    }
}

#[cfg(not(windows))]
fn printer_queues(_notes: &mut Vec<String>) -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_nodes_are_listed_in_number_order_and_others_ignored() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-devices-nodes-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        for name in ["lp10", "lp2", "lpx", "video0", "ptmx"] {
            std::fs::write(dir.join(name), b"")?;
        }
        let lp = nodes(&dir, "lp");
        let names: Vec<&str> = lp.iter().filter_map(|p| p.rsplit('/').next()).collect();
        assert_eq!(names, ["lp2", "lp10"], "numbered nodes only, by number");
        assert!(
            nodes(&dir.join("missing"), "lp").is_empty(),
            "a missing folder is none found"
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn pseudo_terminals_are_the_numbered_entries_of_dev_pts() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-devices-pts-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        for name in ["3", "ptmx", "12"] {
            std::fs::write(dir.join(name), b"")?;
        }
        let found = pseudo_terminals(&dir);
        let paths: Vec<String> = found.iter().map(|p| p.path.clone()).collect();
        assert_eq!(
            paths,
            [dir.join("3"), dir.join("12")].map(|p| p.to_string_lossy().into_owned()),
            "ptmx is the multiplexer, not a terminal"
        );
        assert!(found.iter().all(|p| p.kind == "pseudo-terminal"));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}

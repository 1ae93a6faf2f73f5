//! `till bluetooth scan | pair | forget | status`: a technician's view of Bluetooth card
//! readers on this till, through the till's own agent (no desktop pop-up). Linux through BlueZ
//! (`till_bluetooth::bluez`); elsewhere the commands say Bluetooth is not supported here yet.

use clap::Subcommand;
use till_bluetooth::{BtError, Reader};
use till_i18n::Localizer;

use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum BluetoothCmd {
    /// Look for card readers nearby (and list the ones already known).
    Scan {
        /// How long to look.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Pair with a reader, by its address or its name when only one reader has it.
    Pair {
        reader: String,
        /// The six digits the reader shows: the pairing goes on only if the till is given the
        /// same ones.
        #[arg(long)]
        passkey: Option<u32>,
        /// A legacy reader's PIN code.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Remove a reader's pairing from this till.
    Forget { reader: String },
    /// The adapter and the paired readers.
    Status,
}

/// Exit code: 2 for input the operator can correct, 6 for Bluetooth itself.
fn code(e: &BtError) -> u8 {
    match e {
        BtError::BadAddress(_) | BtError::NoneNamed(_) | BtError::SameName { .. } => 2,
        _ => 6,
    }
}

fn args(e: &BtError) -> Vec<(&'static str, String)> {
    match e {
        BtError::BadAddress(a) => vec![("input", a.clone())],
        BtError::NotFound(a) => vec![("address", a.to_string())],
        BtError::Refused(r) | BtError::Unreachable(r) | BtError::Other(r) => vec![("reason", r.clone())],
        BtError::NoneNamed(n) => vec![("name", n.clone())],
        BtError::SameName { name, addresses } => {
            vec![("name", name.clone()), ("addresses", addresses.join(", "))]
        }
        _ => Vec::new(),
    }
}

fn fail(e: &BtError, out: &Out) -> u8 {
    let message = out.l.text(e.message_id(), &args(e));
    if out.json {
        let v = serde_json::json!({"ok": false, "error": {"id": e.message_id(), "message": message, "detail": e.to_string()}});
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        eprintln!("{message}");
    }
    code(e)
}

fn line(r: &Reader, l: &Localizer, same: bool) -> String {
    let mut s = l.text(
        "bt-reader-line",
        &[
            ("address", r.address.to_string()),
            ("name", r.name.clone().unwrap_or_else(|| l.text("bt-unnamed", &[]))),
            ("rssi", r.rssi.map(|v| v.to_string()).unwrap_or_else(|| "?".to_owned())),
        ],
    );
    if r.paired {
        s.push_str(&format!(" · {}", l.text("bt-mark-paired", &[])));
    }
    if same {
        s.push_str(&format!(" · {}", l.text("bt-mark-same-name", &[])));
    }
    s
}

pub async fn run(cmd: &BluetoothCmd, out: &Out) -> u8 {
    match platform::run(cmd, out).await {
        Ok(code) => code,
        Err(e) => fail(&e, out),
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use super::*;
    use std::time::Duration;
    use till_bluetooth::ReaderFilter;
    use till_bluetooth::bluez::{Answers, BlueZ, same_names};

    fn list(readers: &[Reader], out: &Out, empty: &str) {
        let same = same_names(readers);
        if readers.is_empty() {
            println!("{}", out.l.text(empty, &[]));
        }
        for r in readers {
            let twin = r.name.as_ref().is_some_and(|n| same.contains_key(&n.to_lowercase()));
            println!("{}", line(r, &out.l, twin));
        }
    }

    pub async fn run(cmd: &BluetoothCmd, out: &Out) -> Result<u8, BtError> {
        let filter = ReaderFilter::default();
        let bluez = BlueZ::open().await?;
        match cmd {
            BluetoothCmd::Scan { seconds } => {
                let found = bluez.scan(&filter, Duration::from_secs(*seconds)).await?;
                if out.json {
                    let v = serde_json::json!({"ok": true, "data": found});
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                } else {
                    list(&found, out, "bt-scan-none");
                }
            }
            BluetoothCmd::Pair { reader, passkey, pin } => {
                let address = bluez.find(reader, &filter).await?;
                let answers = Answers {
                    passkey: *passkey,
                    pin: pin.clone(),
                };
                let (paired, asked) = bluez.pair(&address, answers).await?;
                if out.json {
                    let asked: Vec<String> = asked.iter().map(|a| format!("{a:?}")).collect();
                    let v = serde_json::json!({"ok": true, "data": {"reader": paired, "asked": asked}});
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                } else {
                    println!("{}", out.l.text("bt-paired", &[("address", address.to_string())]));
                }
            }
            BluetoothCmd::Forget { reader } => {
                let address = bluez.find(reader, &filter).await?;
                bluez.forget(&address).await?;
                out.message(
                    "bt-forgotten",
                    &[("address", address.to_string())],
                    &serde_json::json!({"address": address}),
                );
            }
            BluetoothCmd::Status => {
                let (adapter, powered) = bluez.adapter().await?;
                let paired = if powered {
                    bluez.paired(&filter).await?
                } else {
                    Vec::new()
                };
                if out.json {
                    let v = serde_json::json!({"ok": true, "data": {"adapter": adapter, "powered": powered, "paired": paired}});
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                } else {
                    let id = if powered { "bt-status-on" } else { "bt-status-off" };
                    println!("{}", out.l.text(id, &[("adapter", adapter)]));
                    if powered {
                        list(&paired, out, "bt-status-none-paired");
                    }
                }
            }
        }
        Ok(0)
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::*;

    pub async fn run(_cmd: &BluetoothCmd, _out: &Out) -> Result<u8, BtError> {
        Err(BtError::Other(
            "Bluetooth readers are paired on Linux for now".to_owned(),
        ))
    }
}

//! `till config show | set KEY VALUE`: till.toml for a technician. A change is checked by
//! `till_devices::settings` (the file still parses into the till's types, the key is one the
//! till reads, a serial device exists), written atomically and journaled with who made it; a
//! refused value exits 2 and leaves till.toml byte for byte as it was. Only a manager may.

use clap::Subcommand;
use std::path::Path;
use till::{Till, TillError};

use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print till.toml (secrets masked).
    Show,
    /// Change one setting, e.g. `printer.paper 58mm` or
    /// `terminal.connection '{ kind = "tcp", address = "10.0.0.5:20007" }'`.
    Set { key: String, value: String },
}

pub fn run(cmd: &ConfigCmd, till: &Till, dir: &Path, out: &Out) -> Result<u8, TillError> {
    match cmd {
        ConfigCmd::Show => {
            let text = till_devices::settings::show(dir)?;
            if out.json {
                let v = serde_json::json!({"ok": true, "data": {"till_toml": text}});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print!("{text}");
            }
            Ok(0)
        }
        ConfigCmd::Set { key, value } => {
            // Who may, before anything is looked at.
            till.check_may_change_settings()?;
            let change = till_devices::settings::check(dir, key, value)?;
            till_devices::settings::write(dir, &change)?;
            till.record_setting(&change.key, change.from.clone(), change.to.clone())?;
            out.message(
                "config-saved",
                &[("key", change.key.clone()), ("value", change.to.clone())],
                &serde_json::json!({"key": change.key, "from": change.from, "to": change.to}),
            );
            Ok(0)
        }
    }
}

//! `till config show | set KEY VALUE | test DEVICE`: till.toml for a technician. A change is
//! checked by `till_devices::settings` (the file still parses into the till's types, the key is
//! one the till reads, a serial device exists, an address is host:port), the PIN pad or printer
//! it reconfigures is asked whether it answers, and only then is the file written atomically
//! and the change journaled with who made it. A refused value exits 2 (a device that does not
//! answer: 6) and leaves till.toml byte for byte as it was. Only a manager may.

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
    Set {
        key: String,
        value: String,
        /// Save a PIN pad or printer setting without asking the device first (setting up a
        /// till before its devices are plugged in).
        #[arg(long)]
        no_test: bool,
    },
    /// The test button of a device: `terminal` (its status), `printer` (status, then a test
    /// page) or `display` (a sample on the customer display).
    Test { device: String },
}

/// How long a device is given to answer before a change to it is refused.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

pub async fn run(cmd: &ConfigCmd, till: &Till, dir: &Path, columns: usize, out: &Out) -> Result<u8, TillError> {
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
        ConfigCmd::Set { key, value, no_test } => {
            // Who may, before anything is looked at.
            till.check_may_change_settings()?;
            let change = till_devices::settings::check(dir, key, value)?;
            if !no_test {
                let currency = till.config().currency.numeric();
                let probed = till_devices::settings::probe(dir, &change, currency, columns, PROBE_WAIT).await;
                if let Err(e) = probed {
                    if !out.json {
                        eprintln!(
                            "{}",
                            till.localizer()
                                .text("config-not-saved", &[("key", change.key.clone())])
                        );
                    }
                    return Err(e);
                }
            }
            till_devices::settings::write(dir, &change)?;
            till.record_setting(&change.key, change.from.clone(), change.to.clone())?;
            out.message(
                "config-saved",
                &[("key", change.key.clone()), ("value", change.to.clone())],
                &serde_json::json!({"key": change.key, "from": change.from, "to": change.to}),
            );
            Ok(0)
        }
        ConfigCmd::Test { device } => match device.as_str() {
            "terminal" => crate::terminal::status(till, out.json).await,
            "printer" => crate::print::test(dir, columns, out).await,
            "display" => {
                let text = till.localizer().text("app-display-test", &[]);
                till.show_on_display(&till_domain::ports::DisplaySnapshot::Idle { text })
                    .await?;
                out.message("config-display-shown", &[], &serde_json::json!({"device": "display"}));
                Ok(0)
            }
            other => Err(TillError::Input {
                what: "device",
                input: other.to_owned(),
            }),
        },
    }
}

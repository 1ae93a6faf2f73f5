//! `till config`: till.toml changed one key at a time, for a technician (and, later, the app's
//! settings screens: the same code). A change is checked before anything is written — the
//! whole file must still parse into the till's types, the key must be one the till reads (a
//! typo is refused, not silently ignored), a serial device must exist — and the file is then
//! replaced atomically (a temporary file beside it, synced, renamed over it), so a power cut
//! leaves either the old file or the new one. Journaling who changed what is the caller's, with
//! [`till::Till::record_setting`].

use std::path::Path;
use till::TillError;
use till_domain::TillConfig;
use till_printer::PrinterConfig;
use till_terminal::TerminalConfig;

use crate::{DisplaySection, HostSection, ScannerSection};

/// A checked change, not yet written.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange {
    pub key: String,
    /// The value before, as TOML (`None`: not set), secrets masked.
    pub from: Option<String>,
    /// The new value, as TOML, secrets masked.
    pub to: String,
    /// The whole new file, as checked and as it is written.
    table: toml::Table,
    text: String,
}

impl SettingChange {
    /// The section `name` of the new file (empty when it has none).
    pub fn section(&self, name: &str) -> toml::Value {
        self.table
            .get(name)
            .cloned()
            .unwrap_or_else(|| toml::Value::Table(toml::Table::new()))
    }
}

/// till.toml as it is now, with secrets masked (the host token).
pub fn show(dir: &Path) -> Result<String, TillError> {
    till::store::load_or_create_config(dir)?;
    let table = read(dir)?;
    let mut shown = toml::Value::Table(table);
    mask_all(&mut shown);
    toml::to_string_pretty(&shown).map_err(|e| TillError::Config(e.to_string()))
}

/// One section of till.toml as it is written (empty when there is none).
pub fn section(dir: &Path, name: &str) -> Result<toml::Table, TillError> {
    till::store::load_or_create_config(dir)?;
    Ok(read(dir)?
        .remove(name)
        .and_then(|v| v.as_table().cloned())
        .unwrap_or_default())
}

fn read(dir: &Path) -> Result<toml::Table, TillError> {
    let path = dir.join("till.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))
}

fn refused(key: &str, value: &str, why: impl std::fmt::Display) -> TillError {
    // A secret is never echoed, even refused.
    let value = if secret(key) { "********" } else { value };
    TillError::Input {
        what: "setting",
        input: format!("{key} = {value} ({why})"),
    }
}

fn secret(key: &str) -> bool {
    key.ends_with("token") || key.ends_with("password") || key.ends_with("passphrase")
}

/// `v` with every secret in it masked (a table's `token`, `password`, `passphrase`).
fn mask_all(v: &mut toml::Value) {
    if let toml::Value::Table(t) = v {
        for (k, v) in t.iter_mut() {
            if secret(k) && !v.is_table() {
                *v = toml::Value::String("********".to_owned());
            } else {
                mask_all(v);
            }
        }
    }
}

fn masked(key: &str, v: &toml::Value) -> String {
    if secret(key) {
        "********".to_owned()
    } else {
        let mut v = v.clone();
        mask_all(&mut v);
        v.to_string()
    }
}

/// `value` as TOML (`80`, `true`, `"COM3"`, `{ kind = "tcp", address = "..." }`), else as a
/// plain string (`/dev/ttyUSB0`, `80mm`).
fn parse_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

fn get<'t>(table: &'t toml::Table, path: &[&str]) -> Option<&'t toml::Value> {
    let (last, parents) = path.split_last()?;
    let mut t = table;
    for p in parents {
        t = t.get(*p)?.as_table()?;
    }
    t.get(*last)
}

/// Checks `key = value` against till.toml in `dir` and returns the change; writes nothing.
pub fn check(dir: &Path, key: &str, value: &str) -> Result<SettingChange, TillError> {
    check_value(dir, key, parse_value(value))
}

/// [`check`] with the value already TOML (the app's device forms). An empty list clears a
/// list setting (receipt header lines).
pub fn check_value(dir: &Path, key: &str, new: toml::Value) -> Result<SettingChange, TillError> {
    till::store::load_or_create_config(dir)?;
    let mut table = read(dir)?;
    let value = &new.to_string();
    let path: Vec<&str> = key.split('.').collect();
    if path
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(refused(key, value, "not a setting name"));
    }
    let from = get(&table, &path).map(|v| masked(key, v));
    set_path(&mut table, &path, new.clone()).map_err(|why| refused(key, value, why))?;
    // The whole file must still be the till's, and the key one it reads: what the typed parse
    // gives back must hold the value (an unknown key is dropped by the parse; an empty list is
    // left out, so a list key must be one the parse knows, filled).
    let reread = typed_round_trip(&table).map_err(|why| refused(key, value, why))?;
    let cleared = matches!(&new, toml::Value::Array(a) if a.is_empty()) && {
        let mut probe = table.clone();
        let filled = toml::Value::Array(vec![toml::Value::String("x".into())]);
        set_path(&mut probe, &path, filled).is_ok() && typed_round_trip(&probe).is_ok_and(|r| get(&r, &path).is_some())
    };
    if !cleared && !get(&reread, &path).is_some_and(|kept| holds(kept, &new)) {
        return Err(refused(key, value, "not a setting this till reads"));
    }
    // Only the device this key belongs to: a paper change is not refused because the PIN pad's
    // port is open (by this very till, run beside the CLI).
    let section = path.first().copied().unwrap_or_default();
    devices_free(&table, &[section])?;
    addresses_valid(&table).map_err(|why| refused(key, value, why))?;
    terminal_usable(&table).map_err(|why| refused(key, value, why))?;
    let text = toml::to_string_pretty(&table).map_err(|e| TillError::Config(e.to_string()))?;
    Ok(SettingChange {
        key: key.to_owned(),
        from,
        to: masked(key, &new),
        table,
        text,
    })
}

/// Sets `path` in `table`, making the sections on the way; refused when one of them is not a
/// section.
fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty")?;
    let mut t = table;
    for p in parents {
        t = t
            .entry((*p).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("{p} is not a section"))?;
    }
    t.insert((*last).to_owned(), value);
    Ok(())
}

/// Whether `kept` (after the typed parse) holds `new`: equal, or for a table every key of `new`
/// with what it holds (the parse adds defaults, e.g. a serial printer's baud).
/// A whole new till.toml (the setup wizard's), checked as [`check`] checks one key: every part
/// parses into the till's own types, a named device exists, addresses are addresses, the PIN
/// pad's kind has what it needs. Journaled as `key` with the file (secrets masked) as its value.
pub fn check_whole(key: &str, table: toml::Table) -> Result<SettingChange, TillError> {
    let refuse = |why: String| refused(key, "(till.toml)", why);
    typed_round_trip(&table).map_err(refuse)?;
    devices_free(&table, &["printer", "terminal", "display"])?;
    addresses_valid(&table).map_err(refuse)?;
    terminal_usable(&table).map_err(refuse)?;
    let text = toml::to_string_pretty(&table).map_err(|e| TillError::Config(e.to_string()))?;
    let mut shown = toml::Value::Table(table.clone());
    mask_all(&mut shown);
    Ok(SettingChange {
        key: key.to_owned(),
        from: None,
        to: toml::to_string(&shown).map_err(|e| TillError::Config(e.to_string()))?,
        table,
        text,
    })
}

fn holds(kept: &toml::Value, new: &toml::Value) -> bool {
    match (kept, new) {
        (toml::Value::Table(k), toml::Value::Table(n)) => {
            n.iter().all(|(key, v)| k.get(key).is_some_and(|kv| holds(kv, v)))
        }
        _ => kept == new,
    }
}

/// Parses every part of the file into the till's own types and serialises them back.
fn typed_round_trip(table: &toml::Table) -> Result<toml::Table, String> {
    fn back<T: serde::Serialize + serde::de::DeserializeOwned>(v: &toml::Value) -> Result<toml::Value, String> {
        let typed: T = v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        toml::Value::try_from(typed).map_err(|e| e.to_string())
    }
    let mut top = table.clone();
    let mut out = toml::Table::new();
    for (name, f) in [
        (
            "printer",
            back::<PrinterConfig> as fn(&toml::Value) -> Result<toml::Value, String>,
        ),
        ("terminal", back::<TerminalConfig>),
        ("display", back::<DisplaySection>),
        ("scanner", back::<ScannerSection>),
        ("host", back::<HostSection>),
    ] {
        if let Some(v) = top.remove(name) {
            out.insert(name.to_owned(), f(&v).map_err(|e| format!("[{name}]: {e}"))?);
        }
    }
    let config = back::<TillConfig>(&toml::Value::Table(top))?;
    if let toml::Value::Table(t) = config {
        out.extend(t);
    }
    Ok(out)
}

/// A serial port or USB printer named in `sections` of the file must exist on this machine
/// and be free: another program that has it open (another till, a terminal program, a modem
/// manager) would take the PIN pad's answers. Refused with the port and who holds it.
fn devices_free(table: &toml::Table, sections: &[&str]) -> Result<(), TillError> {
    for section in sections {
        let Some(t) = table.get(*section).and_then(toml::Value::as_table) else {
            continue;
        };
        let connection = t.get("connection").and_then(toml::Value::as_table).unwrap_or(t);
        for field in ["path", "port", "device"] {
            let Some(p) = connection.get(field).and_then(toml::Value::as_str) else {
                continue;
            };
            if !p.starts_with("/dev/") {
                continue;
            }
            if !Path::new(p).exists() {
                return Err(TillError::Input {
                    what: "setting-port-missing",
                    input: p.to_owned(),
                });
            }
            if let Some(h) = crate::attached::holders(Path::new(p)).first() {
                return Err(TillError::Input {
                    what: "setting-port-busy",
                    input: format!("{p} ({}, {})", h.name, h.pid),
                });
            }
        }
    }
    Ok(())
}

/// `[terminal]` names what its kind needs (a ZVT connection, a nexo table, stop bits 1 or 2):
/// checked by building the driver, which touches no device.
fn terminal_usable(table: &toml::Table) -> Result<(), String> {
    let Some(section) = table.get("terminal") else {
        return Ok(());
    };
    let config: TerminalConfig = section.clone().try_into().map_err(|e| e.to_string())?;
    config.open(0).map(|_| ()).map_err(|e| e.to_string())
}

/// Every `address` of a device section is `host:port` (a printer's port may be left out: 9100).
fn addresses_valid(table: &toml::Table) -> Result<(), String> {
    fn walk(section: &str, v: &toml::Value) -> Result<(), String> {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    match (k.as_str(), v) {
                        ("address", toml::Value::String(a)) => check_address(a, section == "printer")?,
                        // Where the till listens (nexo device requests): a port is needed.
                        ("listen", toml::Value::String(a)) => check_address(a, false)?,
                        _ => walk(section, v)?,
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    for section in ["printer", "terminal", "display"] {
        if let Some(v) = table.get(section) {
            walk(section, v)?;
        }
    }
    Ok(())
}

/// `host:port`, `[v6]:port`, or (`port_optional`) a bare host.
fn check_address(address: &str, port_optional: bool) -> Result<(), String> {
    let bad = || format!("{address:?} is not an address (host:port)");
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or_else(bad)?;
        v6.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        match after.strip_prefix(':') {
            Some(p) => (v6, Some(p)),
            None if after.is_empty() => (v6, None),
            None => return Err(bad()),
        }
    } else {
        match address.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (address, None),
        }
    };
    let host_ok = !host.is_empty()
        && (address.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'));
    if !host_ok {
        return Err(bad());
    }
    match port {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(()),
            _ => Err(format!("{address:?}: {p:?} is not a port (1–65535)")),
        },
        None if port_optional => Ok(()),
        None => Err(format!("{address:?} needs a port (host:port)")),
    }
}

/// Which device a change of `key` reconfigures, if a real one: the one asked by [`probe`].
fn device_of(key: &str) -> Option<&'static str> {
    let mut parts = key.split('.');
    match (parts.next(), parts.next()) {
        (Some("terminal"), _) => Some("terminal"),
        (Some("printer"), Some("connection")) => Some("printer"),
        _ => None,
    }
}

/// The device a checked change reconfigures, opened from the new file and asked for its status
/// before anything is saved: a PIN pad or printer that does not answer is refused (the error
/// names the device and why), so the setting that worked stays. Simulated devices need no
/// asking. `wait` bounds the whole probe.
pub async fn probe(
    dir: &Path,
    change: &SettingChange,
    currency_numeric: u16,
    columns: usize,
    wait: std::time::Duration,
) -> Result<(), TillError> {
    let Some(device) = device_of(&change.key) else {
        return Ok(());
    };
    probe_device(dir, change, device, currency_numeric, columns, wait).await
}

/// [`probe`] of one device (`terminal` or `printer`) of a checked file, whatever its key (the
/// setup wizard's whole file names both).
pub async fn probe_device(
    dir: &Path,
    change: &SettingChange,
    device: &'static str,
    currency_numeric: u16,
    columns: usize,
    wait: std::time::Duration,
) -> Result<(), TillError> {
    use till_domain::ports::DeviceError;
    let section = change
        .table
        .get(device)
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    let asked = async {
        match device {
            "terminal" => {
                let config: TerminalConfig = section.try_into().map_err(|e| TillError::Config(e.to_string()))?;
                let Some(terminal) = config
                    .open(currency_numeric)
                    .map_err(|e| TillError::Config(e.to_string()))?
                else {
                    return Ok(());
                };
                let status = terminal.status().await.map_err(TillError::device("terminal"))?;
                if status.ready {
                    Ok(())
                } else {
                    Err(TillError::device("terminal")(DeviceError::Unavailable(status.detail)))
                }
            }
            _ => {
                let config: PrinterConfig = section.try_into().map_err(|e| TillError::Config(e.to_string()))?;
                if matches!(config.connection, till_printer::ConnectionConfig::Virtual { .. }) {
                    return Ok(());
                }
                let printer = config
                    .open(dir, columns)
                    .map_err(|e| TillError::Config(e.to_string()))?
                    .port;
                printer.status().await.map(|_| ()).map_err(TillError::device("printer"))
            }
        }
    };
    match tokio::time::timeout(wait, asked).await {
        Ok(answer) => answer,
        Err(_) => Err(TillError::Device {
            device,
            error: DeviceError::Timeout,
        }),
    }
}

/// Replaces till.toml with the change: a temporary file beside it, synced, renamed over it.
pub fn write(dir: &Path, change: &SettingChange) -> Result<(), TillError> {
    use std::io::Write;
    let path = dir.join("till.toml");
    let tmp = dir.join("till.toml.new");
    let io = |e: std::io::Error| TillError::Config(format!("{}: {e}", path.display()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(change.text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(io)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("till-devices-settings-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_good_value_is_checked_and_written_a_typo_or_bad_type_is_refused() -> Result<(), TillError> {
        let d = dir("check");
        let change = check(&d, "printer.paper", "\"58mm\"")?;
        write(&d, &change)?;
        // A table value keeps its keys; the parse may add defaults (baud) without refusing it.
        check(
            &d,
            "printer.connection",
            "{ kind = \"tcp\", address = \"127.0.0.1:9100\" }",
        )?;
        assert_eq!(change.to, "\"58mm\"");
        // A list setting is set, and cleared with an empty list; an unknown list key is not.
        write(&d, &check(&d, "merchant.header", "[\"Open 9:00-18:00\"]")?)?;
        write(&d, &check(&d, "merchant.header", "[]")?)?;
        assert!(
            check(&d, "merchant.headre", "[]").is_err(),
            "a typo is refused, empty or not"
        );
        let text = std::fs::read_to_string(d.join("till.toml")).map_err(|e| TillError::Config(e.to_string()))?;
        assert!(text.contains("paper = \"58mm\""), "{text}");
        for (key, value) in [
            ("printer.papre", "\"58mm\""),
            ("printer.paper", "\"59mm\""),
            ("max_amount_minor", "\"lots\""),
            (
                "terminal.connection",
                "{ kind = \"serial\", path = \"/dev/ttyNOPE9\", baud = 9600 }",
            ),
        ] {
            let e = check(&d, key, value).err();
            assert!(
                matches!(e, Some(TillError::Input { what, .. }) if what.starts_with("setting")),
                "{key} = {value}: {e:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&d);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_port_another_program_holds_open_is_refused_as_busy_and_named() -> Result<(), TillError> {
        let d = dir("busy");
        check(&d, "printer.paper", "\"80mm\"").and_then(|c| write(&d, &c))?;
        let io = |e: std::io::Error| TillError::Config(e.to_string());
        // A file under /dev stands in for a port: `sleep` holds it open as its stdin.
        let port = std::path::PathBuf::from(format!("/dev/shm/till-busy-port-{}", std::process::id()));
        std::fs::write(&port, b"").map_err(io)?;
        let value = format!("{{ kind = \"serial\", path = \"{}\", baud = 9600 }}", port.display());
        check(&d, "printer.connection", &value)?;
        let mut holder = std::process::Command::new("sleep")
            .arg("600")
            .stdin(std::fs::File::open(&port).map_err(io)?)
            .spawn()
            .map_err(io)?;
        // The holder is seen once its fd table shows the file (at once: stdin is set before exec).
        let refused = check(&d, "printer.connection", &value).err();
        // A key of another part of the file is not refused for it.
        let other = check(&d, "till_id", "\"FRONT-2\"").map(|_| ());
        let _ = holder.kill();
        let _ = holder.wait();
        let _ = std::fs::remove_file(&port);
        match refused {
            Some(TillError::Input {
                what: "setting-port-busy",
                input,
            }) => {
                assert!(
                    input.contains("sleep") && input.contains(&holder.id().to_string()),
                    "{input}"
                );
            }
            other => panic!("a held port must be refused as busy: {other:?}"),
        }
        other?;
        let _ = std::fs::remove_dir_all(&d);
        Ok(())
    }
}

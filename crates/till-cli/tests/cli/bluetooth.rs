//! `till bluetooth` against BlueZ as PyPI's python-dbusmock plays it (template `bluez5`) on a
//! private D-Bus of each test's own: the real `till` process, the real D-Bus protocol, a mocked
//! BlueZ. The mock pairs without calling an agent and opens no RFCOMM channel; what it can
//! show — discovery, the reader filter, two readers with one name, pairing, trust, forgetting,
//! an adapter switched off or absent — is shown here.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestResult;

const READER_A: &str = "00:1B:10:55:0A:01";
const READER_B: &str = "00:1B:10:55:0A:02";
const HEADPHONES: &str = "40:4E:36:00:00:01";

/// The venv `cargo xtask test` installs python-dbusmock into.
fn python() -> Result<PathBuf, String> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/oracle-venv/bin/python");
    let has = Command::new(&python)
        .args(["-c", "import dbusmock"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        Ok(python)
    } else {
        Err(format!(
            "python-dbusmock is not installed in {} (cargo xtask test installs it)",
            python.display()
        ))
    }
}

/// A private bus with the BlueZ mock on it, both stopped when dropped.
struct Bus {
    address: String,
    python: PathBuf,
    daemon: Child,
    mock: Child,
    dir: till_testkit::TempDir,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.mock.kill();
        let _ = self.mock.wait();
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Bus {
    fn start(name: &str) -> Result<Bus, Box<dyn std::error::Error>> {
        let python = python()?;
        let dir = till_testkit::TempDir::new(name);
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>"#,
                dir.path().join("bus").display()
            ),
        )?;
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("bus.log"))?)
            .spawn()?;
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().ok_or("dbus-daemon's output")?).read_line(&mut address)?;
        let address = address.trim().to_owned();
        let log = std::fs::File::create(dir.path().join("mock.log"))?;
        let mock = Command::new(&python)
            .args(["-m", "dbusmock", "--system", "-t", "bluez5"])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut bus = Bus {
            address,
            python,
            daemon,
            mock,
            dir,
        };
        // Until the mock owns org.bluez (a condition, bounded only so a broken mock fails).
        let deadline = Instant::now() + Duration::from_secs(60);
        while !bus
            .py("sys.exit(0 if b.name_has_owner('org.bluez') else 1)")?
            .status
            .success()
        {
            if Instant::now() > deadline || bus.mock.try_wait()?.is_some() {
                let log = std::fs::read_to_string(bus.dir.path().join("mock.log")).unwrap_or_default();
                return Err(format!("the BlueZ mock never came up: {log}").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(bus)
    }

    /// Python on the bus: `b` is the connection, `m` the mock's control interface.
    fn py(&self, code: &str) -> Result<Output, std::io::Error> {
        let prelude = format!(
            "import sys, dbus\nb = dbus.bus.BusConnection({:?})\n\
             m = dbus.Interface(b.get_object('org.bluez', '/org/bluez'), 'org.bluez.Mock')\n",
            self.address
        );
        Command::new(&self.python).arg("-c").arg(prelude + code).output()
    }

    fn mock(&self, code: &str) -> TestResult {
        let out = self.py(code)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("mock: {code}: {}", String::from_utf8_lossy(&out.stderr)).into())
        }
    }

    /// An adapter and three devices: two readers that share a name, and headphones.
    fn shop(&self) -> TestResult {
        self.mock(&format!(
            "m.AddAdapter('hci0', 'till-1')\n\
             m.AddDevice('hci0', '{READER_A}', 'Miura 010')\n\
             m.AddDevice('hci0', '{READER_B}', 'Miura 010')\n\
             m.AddDevice('hci0', '{HEADPHONES}', 'Jabra Elite')\n"
        ))
    }

    fn till(&self, lang: &str, args: &[&str]) -> Result<Output, std::io::Error> {
        Command::new(env!("CARGO_BIN_EXE_till"))
            .args(["--lang", lang, "bluetooth"])
            .args(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .env("TILL_DATA_DIR", self.dir.path().join("till"))
            .output()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&o.stdout)?)
}

/// The addresses of the readers in a JSON list, sorted.
fn addresses(list: &serde_json::Value) -> Result<Vec<&str>, &'static str> {
    let mut found: Vec<&str> = list
        .as_array()
        .ok_or("a list")?
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    found.sort_unstable();
    Ok(found)
}

#[test]
fn a_scan_lists_the_readers_not_the_headphones_and_marks_the_twins() -> TestResult {
    let bus = Bus::start("bt-scan")?;
    bus.shop()?;
    let scan = bus.till("en", &["scan", "--seconds", "1", "--json"])?;
    assert_eq!(scan.status.code(), Some(0), "{}", text(&scan));
    let found = json(&scan)?;
    assert_eq!(addresses(&found["data"])?, [READER_A, READER_B], "{found}");

    let human = bus.till("zh-Hant", &["scan", "--seconds", "1"])?;
    let out = text(&human);
    assert_eq!(out.matches("與另一部讀卡器同名").count(), 2, "{out}");
    assert!(!out.contains("Jabra"), "{out}");
    Ok(())
}

#[test]
fn a_shared_name_is_refused_then_the_reader_pairs_by_address_and_is_forgotten() -> TestResult {
    let bus = Bus::start("bt-pair")?;
    bus.shop()?;
    let twins = bus.till("en", &["pair", "Miura 010"])?;
    assert_eq!(twins.status.code(), Some(2), "{}", text(&twins));
    let said = text(&twins);
    assert!(
        said.contains("More than one reader") && said.contains(READER_A) && said.contains(READER_B),
        "{said}"
    );

    let pair = bus.till("en", &["pair", READER_A, "--passkey", "123456", "--json"])?;
    assert_eq!(pair.status.code(), Some(0), "{}", text(&pair));
    assert_eq!(json(&pair)?["data"]["reader"]["paired"], true);
    // Trusted in BlueZ, so it may reconnect by itself after its nightly reboot.
    let trusted = bus.py(&format!(
        "d = b.get_object('org.bluez', '/org/bluez/hci0/dev_{}')\n\
         sys.exit(0 if d.Get('org.bluez.Device1', 'Trusted', dbus_interface='org.freedesktop.DBus.Properties') else 1)",
        READER_A.replace(':', "_")
    ))?;
    assert!(trusted.status.success(), "{}", String::from_utf8_lossy(&trusted.stderr));

    let status = json(&bus.till("en", &["status", "--json"])?)?;
    assert_eq!(addresses(&status["data"]["paired"])?, [READER_A], "{status}");

    let forget = bus.till("zh-Hans", &["forget", READER_A])?;
    assert_eq!(forget.status.code(), Some(0), "{}", text(&forget));
    assert!(text(&forget).contains("已移除读卡器"), "{}", text(&forget));
    let status = json(&bus.till("en", &["status", "--json"])?)?;
    assert_eq!(status["data"]["paired"], serde_json::json!([]), "{status}");
    Ok(())
}

#[test]
fn bad_input_and_a_missing_or_switched_off_adapter_are_told_plainly() -> TestResult {
    let bus = Bus::start("bt-adapter")?;
    bus.shop()?;
    let typo = bus.till("en", &["pair", "00:1B:10:55"])?;
    assert_eq!(typo.status.code(), Some(2), "{}", text(&typo));
    assert!(text(&typo).contains("is not a Bluetooth address"), "{}", text(&typo));
    let absent = bus.till("en", &["pair", "00:1B:10:55:0A:99"])?;
    assert_eq!(absent.status.code(), Some(6), "{}", text(&absent));
    assert!(
        text(&absent).contains("No reader 00:1B:10:55:0A:99"),
        "{}",
        text(&absent)
    );

    bus.mock(
        "a = b.get_object('org.bluez', '/org/bluez/hci0')\n\
         a.UpdateProperties('org.bluez.Adapter1', {'Powered': False}, dbus_interface='org.freedesktop.DBus.Mock')\n",
    )?;
    let off = bus.till("zh-Hant", &["scan", "--seconds", "1"])?;
    assert_eq!(off.status.code(), Some(6), "{}", text(&off));
    assert!(text(&off).contains("藍牙已關閉"), "{}", text(&off));
    let pair = bus.till("en", &["pair", READER_A, "--passkey", "123456"])?;
    assert!(text(&pair).contains("switched off"), "{}", text(&pair));
    let status = json(&bus.till("en", &["status", "--json"])?)?;
    assert_eq!(status["data"]["powered"], false, "{status}");

    bus.mock("m.RemoveAdapterWithDevices('hci0')\n")?;
    let none = bus.till("en", &["status"])?;
    assert_eq!(none.status.code(), Some(6), "{}", text(&none));
    assert!(text(&none).contains("no Bluetooth adapter"), "{}", text(&none));
    Ok(())
}

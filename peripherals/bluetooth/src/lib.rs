//! Bluetooth mPOS card readers (FLOWS.md T14): the vendor-neutral part of a reader on a
//! Bluetooth link. OpenTill owns discovery, pairing through the till's own agent, remembering
//! the reader, and keeping the link up; a terminal protocol (ZVT, serial-framed) rides on the
//! link's byte stream exactly as on a cable, so the `PaymentTerminal` port does not change.
//!
//! - [`Address`], [`Transport`], [`Reader`] and [`ReaderFilter`]: what a scan finds and which of
//!   it is a card reader.
//! - [`supervisor::Supervisor`]: keeps the link to the paired reader, reconnects with backoff
//!   when it reboots, sleeps or leaves range, publishes [`LinkState`] for the status bar and the
//!   customer display, and lends the live stream to the driver (`till_terminal::StreamSource`),
//!   so a transaction never starts on a dead link.
//! - [`sim::SimReader`]: a reader for the demo and the tests, the ZVT simulator behind the byte
//!   stream, which can be switched off and on.

#[cfg(target_os = "linux")]
pub mod bluez;
pub mod sim;
pub mod supervisor;

use serde::{Deserialize, Serialize};

/// A Bluetooth device address, `AA:BB:CC:DD:EE:FF` (upper case once parsed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Address(String);

impl Address {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` is written like an address (hex digits with `:` or `-` between), right or
    /// not: a mistyped address is told as such, not looked up as a reader's name.
    pub fn looks_like(s: &str) -> bool {
        let s = s.trim();
        s.contains([':', '-']) && s.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '-')
    }
}

impl std::str::FromStr for Address {
    type Err = BtError;
    fn from_str(s: &str) -> Result<Address, BtError> {
        let s = s.trim();
        let parts: Vec<&str> = s.split([':', '-']).collect();
        let hex = |p: &&str| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit());
        if parts.len() == 6 && parts.iter().all(hex) {
            Ok(Address(parts.join(":").to_ascii_uppercase()))
        } else {
            Err(BtError::BadAddress(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Address {
    type Error = BtError;
    fn try_from(s: String) -> Result<Address, BtError> {
        s.parse()
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.0
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the terminal protocol travels over the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// Classic Bluetooth, the Serial Port Profile (RFCOMM, UUID 0x1101): a serial port.
    #[default]
    Rfcomm,
    /// Bluetooth Low Energy "UART": one write and one notify characteristic.
    BleUart,
}

/// The Serial Port Profile's service class.
pub const SPP_UUID: &str = "00001101-0000-1000-8000-00805f9b34fb";
/// The Nordic UART service, the common BLE "UART".
pub const BLE_UART_UUID: &str = "6e400001-b5a3-f393-e0a9-e50e24dcca9e";

/// A device a scan found, as the pairing screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    pub address: Address,
    /// The name it advertises; readers of one model often share it.
    pub name: Option<String>,
    /// Signal strength in dBm, when the scan saw it.
    pub rssi: Option<i16>,
    /// Class of device (classic Bluetooth).
    pub class: Option<u32>,
    /// Service UUIDs it advertises, lower case.
    pub services: Vec<String>,
    pub paired: bool,
    pub connected: bool,
    /// The transport its services offer: RFCOMM when it has SPP, else BLE UART.
    pub transport: Option<Transport>,
}

impl Reader {
    /// The transport its advertised services offer, RFCOMM first.
    pub fn transport_of(services: &[String]) -> Option<Transport> {
        let has = |uuid: &str| services.iter().any(|s| s.eq_ignore_ascii_case(uuid));
        if has(SPP_UUID) {
            Some(Transport::Rfcomm)
        } else if has(BLE_UART_UUID) {
            Some(Transport::BleUart)
        } else {
            None
        }
    }
}

/// Which devices a scan shows as card readers (`[bluetooth]` in till.toml). A device is shown
/// when its name matches a pattern, its class of device is a listed one, or it advertises a
/// listed service. The defaults cover the serial-port readers (Miura class) and BLE UARTs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReaderFilter {
    /// Name patterns, `*` for any run of characters, case-insensitive: `Miura *`, `PAX-*`.
    pub names: Vec<String>,
    /// Classes of device, matched on the major and minor class (bits 2–12), the service bits
    /// ignored.
    pub classes: Vec<u32>,
    /// Service UUIDs, lower case.
    pub services: Vec<String>,
}

impl Default for ReaderFilter {
    fn default() -> ReaderFilter {
        ReaderFilter {
            names: [
                "Miura *",
                "WisePad*",
                "Chipper*",
                "BBPOS*",
                "PAX*",
                "D1*0-*",
                "mPOS*",
                "OpenTill reader*",
            ]
            .map(String::from)
            .to_vec(),
            // Major class peripheral (0x05, bits 8-12), minor card reader (0x06, bits 2-5), as
            // the Bluetooth Assigned Numbers give them.
            classes: vec![0x0518],
            services: vec![SPP_UUID.to_owned(), BLE_UART_UUID.to_owned()],
        }
    }
}

impl ReaderFilter {
    pub fn matches(&self, device: &Reader) -> bool {
        let by_name = device
            .name
            .as_deref()
            .is_some_and(|n| self.names.iter().any(|p| glob(p, n)));
        let by_class = device
            .class
            .is_some_and(|c| self.classes.iter().any(|k| (k & 0x1FFC) == (c & 0x1FFC)));
        let by_service = device
            .services
            .iter()
            .any(|s| self.services.iter().any(|k| k.eq_ignore_ascii_case(s)));
        by_name || by_class || by_service
    }
}

/// `*`-only glob, case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return p == t;
    };
    let Some(mut rest) = t.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The link to the paired reader, as the status bar and the customer display show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum LinkState {
    /// Starting: the first connection is being made.
    Connecting,
    /// Up. `battery` in percent when the reader reports it.
    Connected { battery: Option<u8> },
    /// It dropped; trying again (attempt counts from 1).
    Reconnecting { attempt: u32 },
    /// Not reached for a long while; still trying, less often.
    Lost { reason: String },
}

impl LinkState {
    pub fn is_connected(&self) -> bool {
        matches!(self, LinkState::Connected { .. })
    }
}

/// What went wrong with Bluetooth, in words for the technician; the app and the CLI put them
/// in the operator's language by [`BtError::message_id`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BtError {
    #[error("{0:?} is not a Bluetooth address (six pairs of hex digits, AA:BB:CC:DD:EE:FF)")]
    BadAddress(String),
    #[error("this till has no Bluetooth adapter")]
    NoAdapter,
    #[error("the Bluetooth adapter is switched off")]
    AdapterOff,
    #[error("no reader {0} in range")]
    NotFound(Address),
    #[error("the passkey did not match the reader's")]
    WrongPasskey,
    #[error("the reader refused pairing: {0}")]
    Refused(String),
    #[error("the reader is not paired")]
    NotPaired,
    #[error("no reader is called {0:?}")]
    NoneNamed(String),
    #[error("{} readers are called {name:?} ({}): choose one by its address", addresses.len(), addresses.join(", "))]
    SameName { name: String, addresses: Vec<String> },
    #[error("the reader did not answer: {0}")]
    Unreachable(String),
    #[error("Bluetooth: {0}")]
    Other(String),
}

impl BtError {
    /// The Fluent message id (locales/*/till.ftl) that tells the operator.
    pub fn message_id(&self) -> &'static str {
        match self {
            BtError::BadAddress(_) => "bt-bad-address",
            BtError::NoAdapter => "bt-no-adapter",
            BtError::AdapterOff => "bt-adapter-off",
            BtError::NotFound(_) => "bt-not-found",
            BtError::WrongPasskey => "bt-wrong-passkey",
            BtError::Refused(_) => "bt-refused",
            BtError::NotPaired => "bt-not-paired",
            BtError::NoneNamed(_) => "bt-none-named",
            BtError::SameName { .. } => "bt-same-name",
            BtError::Unreachable(_) => "bt-unreachable",
            BtError::Other(_) => "bt-other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_in_either_notation_and_refuse_the_rest() -> Result<(), BtError> {
        let a: Address = "aa-bb-cc-dd-ee-0f".parse()?;
        assert_eq!(a.as_str(), "AA:BB:CC:DD:EE:0F");
        for bad in [
            "",
            "AA:BB:CC:DD:EE",
            "AA:BB:CC:DD:EE:GG",
            "AAA:BB:CC:DD:EE:FF",
            "AA:BB:CC:DD:EE:FF:00",
        ] {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
        assert!(Address::looks_like("11:22") && Address::looks_like("aa-bb"));
        assert!(!Address::looks_like("Miura 010") && !Address::looks_like("cafe"));
        Ok(())
    }

    fn device(name: Option<&str>, class: Option<u32>, services: &[&str]) -> Result<Reader, BtError> {
        Ok(Reader {
            address: "00:11:22:33:44:55".parse()?,
            name: name.map(str::to_owned),
            rssi: Some(-60),
            class,
            services: services.iter().map(|s| s.to_string()).collect(),
            paired: false,
            connected: false,
            transport: None,
        })
    }

    #[test]
    fn the_filter_shows_readers_and_hides_headphones() -> Result<(), BtError> {
        let f = ReaderFilter::default();
        assert!(f.matches(&device(Some("Miura 1234"), None, &[])?));
        assert!(f.matches(&device(Some("pax-a920"), None, &[])?));
        assert!(f.matches(&device(None, Some(0x0518), &[])?));
        assert!(
            f.matches(&device(None, Some(0x20_0518), &[])?),
            "service bits are ignored"
        );
        assert!(f.matches(&device(Some("X"), None, &[BLE_UART_UUID])?));
        assert!(!f.matches(&device(Some("Jabra Elite"), Some(0x0240_0418), &[])?));
        assert!(!f.matches(&device(None, None, &[])?));
        Ok(())
    }

    #[test]
    fn globs() {
        assert!(glob("Miura *", "MIURA 010"));
        assert!(glob("*reader", "my reader"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXcYYb"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "Exact"));
        assert!(!glob("exact", "exactly"));
    }

    #[test]
    fn the_transport_follows_the_services() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Reader::transport_of(&s(&[BLE_UART_UUID, SPP_UUID])),
            Some(Transport::Rfcomm)
        );
        assert_eq!(Reader::transport_of(&s(&[BLE_UART_UUID])), Some(Transport::BleUart));
        assert_eq!(Reader::transport_of(&s(&[])), None);
    }
}

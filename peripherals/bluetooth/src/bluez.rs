//! Linux: BlueZ over D-Bus with `bluer` — the adapter, discovery filtered to card readers,
//! pairing through the till's own agent (never a desktop pop-up), trust, forget.
//!
//! The till's agent answers BlueZ's questions itself: a passkey to confirm is compared with
//! the one the merchant read off the reader's screen (the app shows ours beside theirs), a
//! passkey or PIN to type is the one the merchant gave. An answer we do not have is a refusal,
//! so a wrong or missing passkey never pairs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bluer::Session;
use bluer::agent::{Agent, ReqError};
use tokio_stream::StreamExt;

use crate::{Address, BtError, Reader, ReaderFilter};

/// What the merchant answers when the reader asks, given before pairing starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// The six digits the reader shows (to confirm) or asks to be typed.
    pub passkey: Option<u32>,
    /// A legacy reader's PIN code (often 0000 or 1234).
    pub pin: Option<String>,
}

/// What the agent was asked during a pairing, for the operator and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    Confirm { passkey: u32, accepted: bool },
    Passkey { given: bool },
    Pin { given: bool },
}

fn bt(e: bluer::Error) -> BtError {
    use bluer::ErrorKind as K;
    match e.kind {
        K::NotReady => BtError::AdapterOff,
        K::AuthenticationFailed | K::AuthenticationRejected | K::AuthenticationCanceled => BtError::WrongPasskey,
        K::ConnectionAttemptFailed | K::AuthenticationTimeout => BtError::Unreachable(e.message),
        K::NotAuthorized | K::NotPermitted => BtError::Refused(e.message),
        _ => BtError::Other(if e.message.is_empty() {
            format!("{:?}", e.kind)
        } else {
            e.message
        }),
    }
}

/// The default adapter on the system bus.
#[derive(Debug)]
pub struct BlueZ {
    session: Session,
    adapter: bluer::Adapter,
}

impl BlueZ {
    /// The system's default adapter; [`BtError::NoAdapter`] when BlueZ has none (or is not
    /// running).
    pub async fn open() -> Result<BlueZ, BtError> {
        let session = Session::new().await.map_err(|_| BtError::NoAdapter)?;
        let adapter = match session.default_adapter().await {
            Ok(a) => a,
            Err(e) if matches!(e.kind, bluer::ErrorKind::NotFound | bluer::ErrorKind::DoesNotExist) => {
                return Err(BtError::NoAdapter);
            }
            Err(e) => return Err(bt(e)),
        };
        Ok(BlueZ { session, adapter })
    }

    /// The adapter's name (hci0) and whether it is switched on.
    pub async fn adapter(&self) -> Result<(String, bool), BtError> {
        let powered = self.adapter.is_powered().await.map_err(bt)?;
        Ok((self.adapter.name().to_owned(), powered))
    }

    async fn powered(&self) -> Result<(), BtError> {
        if self.adapter.is_powered().await.map_err(bt)? {
            Ok(())
        } else {
            Err(BtError::AdapterOff)
        }
    }

    fn address(a: &Address) -> Result<bluer::Address, BtError> {
        a.as_str().parse().map_err(|_| BtError::BadAddress(a.to_string()))
    }

    /// What BlueZ knows of `address`.
    pub async fn reader(&self, address: &Address) -> Result<Reader, BtError> {
        let at = BlueZ::address(address)?;
        if !self.adapter.device_addresses().await.map_err(bt)?.contains(&at) {
            return Err(BtError::NotFound(address.clone()));
        }
        self.describe(address.clone(), at).await
    }

    /// A device BlueZ lists, as the pairing screen shows it.
    async fn describe(&self, address: Address, at: bluer::Address) -> Result<Reader, BtError> {
        let d = self.adapter.device(at).map_err(bt)?;
        let services: Vec<String> = d
            .uuids()
            .await
            .map_err(bt)?
            .unwrap_or_default()
            .iter()
            .map(|u| u.to_string().to_lowercase())
            .collect();
        Ok(Reader {
            address,
            name: d.name().await.map_err(bt)?,
            rssi: d.rssi().await.map_err(bt)?,
            class: d.class().await.map_err(bt)?,
            transport: Reader::transport_of(&services),
            services,
            paired: d.is_paired().await.map_err(bt)?,
            connected: d.is_connected().await.map_err(bt)?,
        })
    }

    async fn known(&self, filter: &ReaderFilter) -> Result<Vec<Reader>, BtError> {
        let mut found = Vec::new();
        for at in self.adapter.device_addresses().await.map_err(bt)? {
            let reader = self.describe(at.to_string().parse()?, at).await?;
            if filter.matches(&reader) {
                found.push(reader);
            }
        }
        Ok(found)
    }

    /// Discovers for `duration` and lists the card readers seen or already known, strongest
    /// signal first.
    pub async fn scan(&self, filter: &ReaderFilter, duration: Duration) -> Result<Vec<Reader>, BtError> {
        self.powered().await?;
        {
            let events = self.adapter.discover_devices().await.map_err(bt)?;
            tokio::pin!(events);
            let deadline = tokio::time::Instant::now() + duration;
            // Discovery runs while the stream is held; what it finds lands in BlueZ's objects,
            // which `known` reads after.
            while let Ok(Some(_)) = tokio::time::timeout_at(deadline, events.next()).await {}
        }
        let mut found = self.known(filter).await?;
        found.sort_by_key(|r| std::cmp::Reverse(r.rssi.unwrap_or(i16::MIN)));
        Ok(found)
    }

    /// The paired readers.
    pub async fn paired(&self, filter: &ReaderFilter) -> Result<Vec<Reader>, BtError> {
        Ok(self.known(filter).await?.into_iter().filter(|r| r.paired).collect())
    }

    /// The one reader `who` names: an address, or a name only one reader has.
    pub async fn find(&self, who: &str, filter: &ReaderFilter) -> Result<Address, BtError> {
        match who.parse::<Address>() {
            Ok(address) => return Ok(address),
            // Hex pairs and separators only: an address mistyped, not a name.
            Err(e) if Address::looks_like(who) => return Err(e),
            Err(_) => {}
        }
        let named: Vec<Address> = self
            .known(filter)
            .await?
            .into_iter()
            .filter(|r| r.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(who.trim())))
            .map(|r| r.address)
            .collect();
        match named.as_slice() {
            [] => Err(BtError::NoneNamed(who.to_owned())),
            [one] => Ok(one.clone()),
            many => Err(BtError::SameName {
                name: who.to_owned(),
                addresses: many.iter().map(ToString::to_string).collect(),
            }),
        }
    }

    /// Pairs with `address` through the till's own agent answering from `answers`, then trusts
    /// it so it may reconnect by itself. Returns the reader and what the agent was asked.
    pub async fn pair(&self, address: &Address, answers: Answers) -> Result<(Reader, Vec<Asked>), BtError> {
        self.powered().await?;
        let at = BlueZ::address(address)?;
        if !self.adapter.device_addresses().await.map_err(bt)?.contains(&at) {
            return Err(BtError::NotFound(address.clone()));
        }
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let _agent = self
            .session
            .register_agent(agent(answers, asked.clone()))
            .await
            .map_err(bt)?;
        let device = self.adapter.device(at).map_err(bt)?;
        if !device.is_paired().await.map_err(bt)? {
            device.pair().await.map_err(bt)?;
        }
        device.set_trusted(true).await.map_err(bt)?;
        let asked = asked.lock().map(|a| a.clone()).unwrap_or_default();
        Ok((self.reader(address).await?, asked))
    }

    /// Removes the reader's pairing from this till.
    pub async fn forget(&self, address: &Address) -> Result<(), BtError> {
        let at = BlueZ::address(address)?;
        if !self.adapter.device_addresses().await.map_err(bt)?.contains(&at) {
            return Err(BtError::NotFound(address.clone()));
        }
        self.adapter.remove_device(at).await.map_err(bt)
    }

    /// The D-Bus session, for the link's profile (RFCOMM).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

/// The till's agent: answers from `answers`, records each question in `asked`.
fn agent(answers: Answers, asked: Arc<std::sync::Mutex<Vec<Asked>>>) -> Agent {
    let note = move |a: Asked| {
        if let Ok(mut v) = asked.lock() {
            v.push(a);
        }
    };
    let (n1, n2, n3) = (note.clone(), note.clone(), note);
    let passkey = answers.passkey;
    let pin = answers.pin.clone();
    Agent {
        request_default: false,
        request_confirmation: Some(Box::new(move |req| {
            let accepted = passkey == Some(req.passkey);
            n1(Asked::Confirm {
                passkey: req.passkey,
                accepted,
            });
            Box::pin(async move { if accepted { Ok(()) } else { Err(ReqError::Rejected) } })
        })),
        request_passkey: Some(Box::new(move |_req| {
            n2(Asked::Passkey {
                given: passkey.is_some(),
            });
            Box::pin(async move { passkey.ok_or(ReqError::Rejected) })
        })),
        request_pin_code: Some(Box::new(move |_req| {
            n3(Asked::Pin { given: pin.is_some() });
            let pin = pin.clone();
            Box::pin(async move { pin.ok_or(ReqError::Rejected) })
        })),
        ..Default::default()
    }
}

/// Groups readers by name, for the pairing list's "two readers have this name" mark.
pub fn same_names(readers: &[Reader]) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for r in readers {
        if let Some(n) = &r.name {
            *names.entry(n.to_lowercase()).or_insert(0) += 1;
        }
    }
    names.retain(|_, n| *n > 1);
    names
}

//! `till-terminal-sim`: a ZVT payment terminal for development and tests, over TCP or a
//! pseudo-terminal — or a nexo / Adyen Terminal API terminal over HTTPS. Scenarios are chosen
//! by the amount (see the crate docs of till-terminal).
//!
//! ```text
//! till-terminal-sim --tcp 127.0.0.1:20007 [--record FILE]
//! OPENTILL_NEXO_PASSPHRASE=... till-terminal-sim --nexo 127.0.0.1:8443 --cert CHAIN.pem \
//!     --key KEY.pem --poiid V400m-324688179 --key-id ID [--key-version 1] [--record FILE] \
//!     [--notify TILL:PORT]    # send the till's [terminal.nexo] listen its Display/Input/Print
//! till-terminal-sim --pty [--record FILE]        # prints "PTY /dev/pts/N" (Linux)
//! till-terminal-sim --serial COM5 [--baud 9600] [--record FILE]   # a real serial port
//! ```

use std::io::Write;
use till_terminal::ZvtSim;
use till_terminal::serial::{SerialLink, Timings};
use till_terminal::transport::ApduStream;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let record = arg("--record").map(std::path::PathBuf::from);
    if let Some(address) = arg("--nexo") {
        return nexo(&address, record.as_deref()).await;
    }
    let sim = ZvtSim::open(record.as_deref()).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    if std::env::args().any(|a| a == "--pty") {
        let pty = till_terminal::pty::PtyMaster::open().map_err(|e| e.to_string())?;
        println!("PTY {}", pty.path().display());
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut link = SerialLink::new(pty, Timings::default());
        loop {
            if let Err(e) = sim.serve(&mut link).await {
                eprintln!("till-terminal-sim: {e}");
            }
        }
    }
    if let Some(path) = arg("--serial") {
        use tokio_serial::SerialPortBuilderExt;
        let baud = arg("--baud").and_then(|b| b.parse().ok()).unwrap_or(9600);
        let port = tokio_serial::new(&path, baud)
            .open_native_async()
            .map_err(|e| format!("{path}: {e}"))?;
        println!("SERIAL {path}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut link = SerialLink::new(port, Timings::default());
        loop {
            if let Err(e) = sim.serve(&mut link).await {
                eprintln!("till-terminal-sim: {e}");
            }
        }
    }
    let address = arg("--tcp").unwrap_or_else(|| "127.0.0.1:20007".to_owned());
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    println!("TCP {}", listener.local_addr().map_err(|e| e.to_string())?);
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    loop {
        let (socket, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut stream = ApduStream::new(socket);
        if let Err(e) = sim.serve(&mut stream).await {
            eprintln!("till-terminal-sim: {e}");
        }
    }
}

/// The nexo simulator on `address`, its certificate chain and key from PEM files, the key's
/// passphrase from OPENTILL_NEXO_PASSPHRASE (never on the command line).
async fn nexo(address: &str, record: Option<&std::path::Path>) -> Result<(), String> {
    let read = |flag: &str| {
        let path = arg(flag).ok_or(format!("--nexo needs {flag} FILE"))?;
        std::fs::read(&path).map_err(|e| format!("{path}: {e}"))
    };
    let (chain, key_pem) = (read("--cert")?, read("--key")?);
    let key = till_terminal::nexo::SecurityKey {
        passphrase: std::env::var("OPENTILL_NEXO_PASSPHRASE")
            .map_err(|_| "set OPENTILL_NEXO_PASSPHRASE to the key's passphrase".to_owned())?,
        key_identifier: arg("--key-id").ok_or("--nexo needs --key-id")?,
        key_version: arg("--key-version").map_or(Ok(1), |v| v.parse().map_err(|_| format!("--key-version {v}")))?,
        crypto_version: 1,
    };
    let poiid = arg("--poiid").ok_or("--nexo needs --poiid")?;
    let sim = till_terminal::nexo::NexoSim::open(&key, &poiid, record).map_err(|e| e.to_string())?;
    if let Some(till) = arg("--notify") {
        sim.notify(&till);
    }
    let acceptor = till_terminal::nexo::sim::acceptor(&chain, &key_pem).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    println!("HTTPS {}", listener.local_addr().map_err(|e| e.to_string())?);
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    std::sync::Arc::new(sim).serve(listener, acceptor).await;
    Ok(())
}

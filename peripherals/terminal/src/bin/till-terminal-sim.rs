//! `till-terminal-sim`: a ZVT payment terminal for development and tests, over TCP or a
//! pseudo-terminal. Scenarios are chosen by the amount (see the crate docs of till-terminal).
//!
//! ```text
//! till-terminal-sim --tcp 127.0.0.1:20007 [--record FILE]
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

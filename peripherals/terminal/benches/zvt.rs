//! `cargo xtask bench` (ZVT part): an authorization sequence through the driver against the
//! zero-latency simulator over a real pseudo-terminal, beside the time its bytes would take
//! on a real wire (8N2 = 11 bits per byte) at 115200 and 9600 baud. A pseudo-terminal moves
//! bytes at memory speed, so the measured time is the driver's and simulator's own overhead.
//!
//! In the same run, the same sale through the nexo driver and simulator (HTTPS over TLS 1.3
//! on loopback, a fresh connection per request, NexoBlob encryption both ways), and the
//! difference of the two p50s (goal: nexo adds at most 5 ms per sale).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use till_domain::ports::{CardRequest, NoProgress, PaymentTerminal};
use till_domain::{Currency, Money, TraceNo, TxnId};
use till_terminal::ZvtSim;
use till_terminal::driver::{Connection, ZvtConfig, ZvtTerminal};
use till_terminal::nexo::transport::Endpoint;
use till_terminal::nexo::{NexoConfig, NexoSim, NexoTerminal, SecurityKey};
use till_terminal::pty::PtyMaster;
use till_terminal::serial::{SerialLink, Timings};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Counts every byte through the simulator's end of the line (both directions).
struct Counting<S> {
    inner: S,
    bytes: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counting<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.bytes
            .fetch_add((buf.filled().len() - before) as u64, Ordering::Relaxed);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counting<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = &r {
            self.bytes.fetch_add(*n as u64, Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A throwaway root and terminal certificate (rcgen), the simulator on a loopback port.
async fn nexo_terminal() -> NexoTerminal {
    let name = "V400m-324688179";
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let ca = ca_params.self_signed(&ca_key).expect("root");
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let leaf = rcgen::CertificateParams::new(vec![name.to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &ca, &ca_key)
        .expect("leaf");
    let key = SecurityKey {
        passphrase: "throwaway bench passphrase".to_owned(),
        key_identifier: "bench".to_owned(),
        key_version: 1,
        crypto_version: 1,
    };
    let sim = Arc::new(NexoSim::open(&key, name, None).expect("simulator"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let chain = format!("{}{}", leaf.pem(), ca.pem());
    let acceptor =
        till_terminal::nexo::sim::acceptor(chain.as_bytes(), leaf_key.serialize_pem().as_bytes()).expect("tls");
    tokio::spawn(sim.serve(listener, acceptor));
    let endpoint = Endpoint {
        address,
        name: name.to_owned(),
        root_pem: ca.pem().into_bytes(),
    };
    NexoTerminal::new(NexoConfig::new(endpoint, key, name, "bench", "HKD")).expect("driver")
}

/// p50 and p99 of `n` approved sales (after 20 warm-up ones).
async fn sales(terminal: &dyn PaymentTerminal, n: usize, mut each: impl FnMut(Duration)) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let req = CardRequest {
            txn: TxnId(format!("bench-{i}")),
            trace: TraceNo::new(i as u32 + 1).expect("trace"),
            amount: Money::new(1000 + (i as i64 % 40), Currency::Hkd),
            tip: Money::zero(Currency::Hkd),
        };
        let t = Instant::now();
        let outcome = terminal.authorize(&req, &NoProgress).await.expect("authorization");
        let took = t.elapsed();
        assert!(matches!(outcome, till_domain::ports::Outcome::Approved(_)), "approved");
        if i >= 20 {
            times.push(took);
            each(took);
        }
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sim = Arc::new(ZvtSim::open(None).expect("simulator"));
        let pty = PtyMaster::open().expect("pseudo-terminal");
        let path = pty.path().display().to_string();
        let bytes = Arc::new(AtomicU64::new(0));
        let counted = Counting {
            inner: pty,
            bytes: bytes.clone(),
        };
        let served = sim.clone();
        tokio::spawn(async move {
            let mut link = SerialLink::new(counted, Timings::default());
            loop {
                let _ = served.serve(&mut link).await;
            }
        });
        let terminal = ZvtTerminal::new(ZvtConfig::new(Connection::Serial { path, baud: 115_200 }, 344));
        let n = 300;
        let mut wire = Vec::with_capacity(n);
        // Bytes between consecutive measured sales (the first only sets the mark).
        let mut before: Option<u64> = None;
        let (p50, p99) = sales(&terminal, n, |_| {
            let now = bytes.load(Ordering::Relaxed);
            if let Some(b) = before {
                wire.push(now - b);
            }
            before = Some(now);
        })
        .await;
        let nexo = nexo_terminal().await;
        let (nexo_p50, nexo_p99) = sales(&nexo, n, |_| {}).await;
        let per_auth = wire.iter().sum::<u64>() as f64 / wire.len() as f64;
        let wire_time = |baud: f64| Duration::from_secs_f64(per_auth * 11.0 / baud);
        let (w115, w96) = (wire_time(115_200.0), wire_time(9_600.0));
        let ms = till_testkit::ms;
        println!("\n{:<46} measured", "ZVT authorization over a pseudo-terminal");
        println!("{}", "-".repeat(96));
        println!(
            "{:<46} p50 {:.3} ms, p99 {:.3} ms",
            "driver + simulator, end to end",
            ms(p50),
            ms(p99)
        );
        println!(
            "{:<46} {per_auth:.0} bytes (frames, ACKs, 80 00 acks)",
            "bytes on the line per authorization"
        );
        println!(
            "{:<46} {:.1} ms at 115200, {:.1} ms at 9600",
            "those bytes' time on a real wire (8N2)",
            ms(w115),
            ms(w96)
        );
        println!(
            "{:<46} {:.1}% of the wire time at 115200",
            "software overhead",
            100.0 * ms(p50) / ms(w115)
        );
        println!(
            "{:<46} p50 {:.3} ms, p99 {:.3} ms",
            "nexo sale: driver + simulator, TLS + crypto",
            ms(nexo_p50),
            ms(nexo_p99)
        );
        let added = ms(nexo_p50) - ms(p50);
        println!(
            "{:<46} {added:+.3} ms p50 (goal: at most +5 ms) {}",
            "nexo minus ZVT",
            if added <= 5.0 { "met" } else { "MISSED" }
        );
        let json = serde_json::json!({
            "nexo_authorization_ms": {"p50": ms(nexo_p50), "p99": ms(nexo_p99)},
            "nexo_minus_zvt_p50_ms": added,
            "authorization_ms": {"p50": ms(p50), "p99": ms(p99)},
            "bytes_per_authorization": per_auth,
            "wire_ms": {"115200": ms(w115), "9600": ms(w96)},
            "overhead_vs_wire_115200": ms(p50) / ms(w115),
        });
        let out = till_testkit::bench_dir().expect("bench dir");
        std::fs::write(out.join("zvt.json"), serde_json::to_string_pretty(&json).expect("json")).expect("write");
        println!("\nwritten: {}", out.join("zvt.json").display());
    });
}

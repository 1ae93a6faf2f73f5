//! `cargo xtask bench` (ZVT part): an authorization sequence through the driver against the
//! zero-latency simulator over a real pseudo-terminal, beside the time its bytes would take
//! on a real wire (8N2 = 11 bits per byte) at 115200 and 9600 baud. A pseudo-terminal moves
//! bytes at memory speed, so the measured time is the driver's and simulator's own overhead.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use till_domain::ports::{CardRequest, NoProgress, PaymentTerminal};
use till_domain::{Currency, Money, TraceNo, TxnId};
use till_terminal::ZvtSim;
use till_terminal::driver::{Connection, ZvtConfig, ZvtTerminal};
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
        let mut times = Vec::with_capacity(n);
        let mut wire = Vec::with_capacity(n);
        for i in 0..n + 20 {
            let req = CardRequest {
                txn: TxnId(format!("bench-{i}")),
                trace: TraceNo::new(i as u32 + 1).expect("trace"),
                amount: Money::new(1000 + (i as i64 % 40), Currency::Hkd),
            };
            let before = bytes.load(Ordering::Relaxed);
            let t = Instant::now();
            let outcome = terminal.authorize(&req, &NoProgress).await.expect("authorization");
            let took = t.elapsed();
            assert!(matches!(outcome, till_domain::ports::Outcome::Approved(_)), "approved");
            if i >= 20 {
                times.push(took);
                wire.push(bytes.load(Ordering::Relaxed) - before);
            }
        }
        times.sort();
        let p50 = times[times.len() / 2];
        let p99 = times[times.len() * 99 / 100];
        let per_auth = wire.iter().sum::<u64>() as f64 / wire.len() as f64;
        let wire_time = |baud: f64| Duration::from_secs_f64(per_auth * 11.0 / baud);
        let (w115, w96) = (wire_time(115_200.0), wire_time(9_600.0));
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
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
        let json = serde_json::json!({
            "authorization_ms": {"p50": ms(p50), "p99": ms(p99)},
            "bytes_per_authorization": per_auth,
            "wire_ms": {"115200": ms(w115), "9600": ms(w96)},
            "overhead_vs_wire_115200": ms(p50) / ms(w115),
        });
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
        std::fs::create_dir_all(&out).expect("bench dir");
        std::fs::write(out.join("zvt.json"), serde_json::to_string_pretty(&json).expect("json")).expect("write");
        println!("\nwritten: {}", out.join("zvt.json").display());
    });
}

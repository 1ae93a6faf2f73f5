//! Every event reaches the host exactly once, whatever fails in between: the host killed and
//! restarted during an upload, the connection cut after the host committed but before the till
//! heard, a till restarted with a backlog. And the host's commands reach the till (S4).

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use till::{SaleInput, Till, TillError};
use till_domain::{Currency, DomainError, Money, PaymentMeans};
use till_host::db;
use till_journal::Journal;
use till_sync::HttpHost;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

/// Fills a till's journal with `n` approved sales: a till is opened once first (it records
/// its first batch and operator), then the generator appends.
pub fn prefill(dir: &std::path::Path, n: u64) -> Result<(), Error> {
    drop(open_till(dir, None)?);
    let mut j = Journal::open(&dir.join("journal.sqlite"))?;
    till_journal::fill_for_benchmark(&mut j, n, 4, till_testkit::t0())?;
    Ok(())
}

fn journal_events(till: &Till) -> Result<i64, Error> {
    Ok(till.verify_journal()?.events as i64)
}

/// A POS row and its activation code, made directly in the database.
pub async fn device_with_code(state: &till_host::AppState, merchant: i64, shop: i64) -> Result<(i64, String), Error> {
    let code = db::new_activation_code();
    let id: i64 = query("INSERT INTO devices (merchant_id, shop_id, name) VALUES ($1, $2, 'Till') RETURNING id")
        .bind(merchant)
        .bind(shop)
        .fetch_one(&state.pool)
        .await?
        .try_get(0)?;
    query("INSERT INTO activation_codes (hash, device_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')")
        .bind(db::secret_hash(&db::normalise_code(&code)))
        .bind(id)
        .execute(&state.pool)
        .await?;
    Ok((id, code))
}

/// The real `till-host` binary.
pub struct HostProcess(Child);

impl HostProcess {
    /// Starts `till-host serve` without waiting for it.
    pub fn spawn(db_url: &str, port: u16, extra: &[&str]) -> Result<HostProcess, Error> {
        Ok(HostProcess(
            Command::new(env!("CARGO_BIN_EXE_till-host"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .args(extra)
                .env("DATABASE_URL", db_url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ))
    }

    async fn start(db_url: &str, port: u16) -> Result<HostProcess, Error> {
        let child = Command::new(env!("CARGO_BIN_EXE_till-host"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}/healthz");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(HostProcess(child));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("till-host did not come up".into())
    }

    fn kill9(mut self) -> Result<(), Error> {
        self.0.kill()?; // SIGKILL: no graceful shutdown, open transactions die with it
        self.0.wait()?;
        Ok(())
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_killed_and_restarted_during_an_upload_holds_every_event_once() -> TestResult {
    let db_url = fresh_db().await?;
    let host = Host::start_on(&db_url).await?; // for migrations and direct reads
    let seed = seed(&host.state).await?;
    let (device, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let first = HostProcess::start(&db_url, port).await?;
    let token = enrol(&url, &code).await?;

    let dir = temp_dir("killed")?;
    prefill(&dir, 3_000)?;
    // Small uploads, so the kill lands in the middle of the backlog.
    let link = Arc::new(HttpHost::new(&url, &token, None)?.with_batch_limit(50));
    let (till, _sims) = open_till(&dir, Some(link))?;
    let total = journal_events(&till)?;

    let pool = host.state.pool.clone();
    let killer = async {
        // Wait until the host holds part of the backlog, then kill it mid-stream.
        let mut at_kill = 0;
        for _ in 0..2_000 {
            at_kill = held(&host.state, device).await?.2;
            if at_kill > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first.kill9()?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = HostProcess::start(&db_url, port).await?;
        Ok::<_, Error>((at_kill, second, pool))
    };
    let (drained, killed) = tokio::join!(drain(&till, 10_000), killer);
    let (at_kill, _second, _) = killed?;
    drained?;
    assert!(
        at_kill > 0 && at_kill < total,
        "the host must die with part of the backlog held ({at_kill} of {total})"
    );
    assert_eq!(
        held(&host.state, device).await?,
        (total, total, total),
        "every event once, no gap"
    );
    assert_eq!(till.sync_backlog()?, 0, "the till's queue is empty");
    let txns = host
        .count("SELECT count(*) FROM txns WHERE device_id = $1", device)
        .await?;
    assert_eq!(txns, 3_000, "every sale is in the projection once");
    Ok(())
}

/// A proxy that forwards everything but, while armed, cuts a response after its first bytes:
/// the host has done the work, the till never hears the answer.
struct CutProxy {
    url: String,
    armed: Arc<AtomicU32>,
    cut: Arc<AtomicU32>,
}

impl CutProxy {
    async fn start(upstream: SocketAddr) -> Result<CutProxy, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let armed = Arc::new(AtomicU32::new(0));
        let cut = Arc::new(AtomicU32::new(0));
        let (a, c) = (armed.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (a, c) = (a.clone(), c.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut cr, &mut sw).await;
                    });
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let cut_now = a
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
                            .is_ok();
                        if cut_now {
                            let _ = cw.write_all(&buf[..n.min(12)]).await;
                            let _ = cw.shutdown().await;
                            c.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    up.abort();
                });
            }
        });
        Ok(CutProxy { url, armed, cut })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_cut_after_the_host_committed_is_retried_without_duplicates() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (device, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;
    let upstream: SocketAddr = host.url.trim_start_matches("http://").parse()?;
    let proxy = CutProxy::start(upstream).await?;

    let dir = temp_dir("cut")?;
    prefill(&dir, 200)?;
    let link = Arc::new(HttpHost::new(&proxy.url, &token, Some(dir.join("host-commands.ack")))?);
    let (till, _sims) = open_till(&dir, Some(link))?;
    let total = journal_events(&till)?;

    proxy.armed.store(1, Ordering::SeqCst);
    assert!(
        till.sync().await.is_err(),
        "the till must not take a cut answer as an acknowledgement"
    );
    assert_eq!(proxy.cut.load(Ordering::SeqCst), 1, "the proxy cut one response");
    assert_eq!(
        held(&host.state, device).await?.2,
        total.min(500),
        "the host committed the first upload"
    );
    assert_eq!(till.sync_backlog()? as i64, total, "the till still queues everything");

    drain(&till, 20).await?;
    assert_eq!(
        held(&host.state, device).await?,
        (total, total, total),
        "re-sent events are stored once"
    );

    // Commands survive a cut answer too: not acknowledged until the till pulls again.
    query("INSERT INTO commands (device_id, body) VALUES ($1, '{\"type\":\"block-pos\"}')")
        .bind(device)
        .execute(&host.state.pool)
        .await?;
    proxy.armed.store(1, Ordering::SeqCst);
    assert!(till.sync().await.is_err(), "the command list was cut");
    assert!(!till.blocks()?.pos, "nothing applied from a cut answer");
    till.sync().await?;
    assert!(till.blocks()?.pos, "the command came again and was applied");
    till.sync().await?;
    let pending = host
        .count(
            "SELECT count(*) FROM commands WHERE device_id = $1 AND acked_at IS NULL",
            device,
        )
        .await?;
    assert_eq!(pending, 0, "applied commands are acknowledged on the next pull");
    Ok(())
}

async fn cash_sale(till: &Till, minor: i64) -> Result<till::TxnResult, TillError> {
    till.sale(SaleInput {
        amount: Money::new(minor, Currency::Hkd),
        tip: Money::zero(Currency::Hkd),
        means: PaymentMeans::Cash,
        qr_scheme: None,
        code: None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_restarted_with_a_backlog_drains_it_once() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (device, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("restart")?;
    {
        // Offline: the host's address answers nothing.
        let dead = format!("http://127.0.0.1:{}", free_port()?);
        let (till, _sims) = open_till(&dir, Some(Arc::new(HttpHost::new(&dead, &token, None)?)))?;
        for i in 0..20 {
            cash_sale(&till, 1_000 + i).await?;
        }
        assert!(till.sync().await.is_err(), "no host, no sync");
        assert!(till.sync_backlog()? > 40, "the sales wait in the journal");
    }
    let link = Arc::new(HttpHost::new(&host.url, &token, None)?);
    let (till, _sims) = open_till(&dir, Some(link))?;
    let total = journal_events(&till)?;
    drain(&till, 10).await?;
    assert_eq!(held(&host.state, device).await?, (total, total, total));
    let approved = host
        .count(
            "SELECT count(*) FROM txns WHERE device_id = $1 AND status = 'approved' AND means = 'cash'",
            device,
        )
        .await?;
    assert_eq!(approved, 20, "the 20 offline sales are in the host's history");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_and_pin_resets_from_the_portal_reach_the_till() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (device, code) = set_up_pos(&host, &owner, seed.shop_a, "Counter+1").await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("s4")?;
    let (till, _sims) = open_till(&dir, Some(Arc::new(HttpHost::new(&host.url, &token, None)?)))?;
    let sale = cash_sale(&till, 2_500).await?;

    let r = post(&host, &owner, &format!("/pos/{device}/block"), "").await?;
    assert_eq!(r.status().as_u16(), 303);
    till.sync().await?;
    match cash_sale(&till, 100).await {
        Err(TillError::Domain(e @ DomainError::PosBlocked)) => {
            assert_eq!(
                e.message_id(),
                "error-pos-blocked",
                "the reason is shown in the operator's language"
            )
        }
        other => return Err(format!("a blocked POS sold: {other:?}").into()),
    }
    post(&host, &owner, &format!("/pos/{device}/unblock"), "").await?;
    post(&host, &owner, &format!("/pos/{device}/refund-block"), "").await?;
    till.sync().await?;
    cash_sale(&till, 100).await?;
    let refund = till
        .refund(
            sale.txn.trace,
            None,
            &till::Credentials {
                operator: "1".into(),
                pin: TILL_PIN.into(),
            },
        )
        .await;
    assert!(
        matches!(refund, Err(TillError::Domain(DomainError::RefundBlocked))),
        "refund-block refuses refunds: {refund:?}"
    );

    post(&host, &owner, &format!("/pos/{device}/reset-pin"), "operator=1").await?;
    till.sync().await?;
    assert!(
        matches!(
            till.login("1", TILL_PIN),
            Err(TillError::Domain(DomainError::PinWrong { .. }))
        ) || matches!(
            till.login("1", "0001"),
            Err(TillError::Domain(DomainError::PinChangeRequired))
        ),
        "a PIN reset forces a PIN change at the till"
    );
    assert!(
        matches!(
            till.login("1", "0001"),
            Err(TillError::Domain(DomainError::PinChangeRequired))
        ),
        "the reset PIN logs in only to change it"
    );
    Ok(())
}

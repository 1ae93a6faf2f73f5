//! 100,000 transactions queued during an outage drain once the host is back.

use std::sync::Arc;
use std::time::Instant;
use till_sync::HttpHost;

use crate::exactly_once::{device_with_code, prefill};
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100k_transaction_backlog_drains_after_an_outage() -> TestResult {
    let count: u64 = std::env::var("OPENTILL_DRAIN_TXNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (device, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("drain")?;
    let filled = Instant::now();
    prefill(&dir, count)?;
    let fill_time = filled.elapsed();

    // The outage: the till cannot reach its host and keeps everything.
    let dead = format!("http://127.0.0.1:{}", free_port()?);
    {
        let (till, _sims) = open_till(&dir, Some(Arc::new(HttpHost::new(&dead, &token, None)?)))?;
        assert!(till.sync().await.is_err());
    }
    let link = Arc::new(HttpHost::new(&host.url, &token, None)?);
    let (till, _sims) = open_till(&dir, Some(link))?;
    let backlog = till.sync_backlog()? as i64;
    assert!(backlog > 2 * count as i64, "each sale is two events: {backlog}");

    let started = Instant::now();
    let passes = drain(&till, 10).await?;
    let took = started.elapsed();
    assert_eq!(
        held(&host.state, device).await?,
        (backlog, backlog, backlog),
        "all of it, once"
    );
    let txns = host
        .count("SELECT count(*) FROM txns WHERE device_id = $1", device)
        .await?;
    assert_eq!(txns, count as i64);
    eprintln!(
        "drain: {count} transactions ({backlog} events) in {:.1} s = {:.0} events/s, {passes} sync passes (journal filled in {:.1} s)",
        took.as_secs_f64(),
        backlog as f64 / took.as_secs_f64(),
        fill_time.as_secs_f64()
    );
    Ok(())
}

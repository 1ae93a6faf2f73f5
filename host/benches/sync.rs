//! `cargo bench -p till-host --bench sync` (part of `cargo xtask bench`): the host's ingest rate
//! and the time a 100,000-transaction backlog takes to drain, against a throwaway PostgreSQL
//! started here (till-testkit's `pg`). Prints a table and writes target/bench/host.json.

use std::sync::Arc;
use std::time::Instant;
use till::{Sims, SystemClock, Till, TillOptions};
use till_domain::TillConfig;
use till_domain::ports::HostLink;
use till_host::{AppState, db};
use till_sync::{EnrolRequest, HttpHost, WIRE_VERSION};
use till_testkit::pg;

type Error = pg::Error;

const TXNS: u64 = 100_000;

fn open_till(dir: &std::path::Path, link: Option<Arc<HttpHost>>) -> Result<Till, Error> {
    let config = TillConfig::demo();
    let sims = Sims::open(Some(&dir.join("sim")), Arc::new(SystemClock), config.currency, 48)?;
    let mut devices = sims.devices();
    if let Some(l) = link {
        devices.host = l;
    }
    Ok(Till::open_dir(dir, devices, TillOptions::new(config))?)
}

/// A POS ready to enrol; returns its device token.
async fn device(state: &AppState, url: &str, merchant: i64, shop: i64) -> Result<String, Error> {
    let code = db::new_activation_code();
    let id: i64 = sqlx_core::row::Row::try_get(
        &sqlx_core::query::query(
            "INSERT INTO devices (merchant_id, shop_id, name) VALUES ($1, $2, 'Bench') RETURNING id",
        )
        .bind(merchant)
        .bind(shop)
        .fetch_one(&state.pool)
        .await?,
        0,
    )?;
    sqlx_core::query::query(
        "INSERT INTO activation_codes (hash, device_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
    )
    .bind(db::secret_hash(&db::normalise_code(&code)))
    .bind(id)
    .execute(&state.pool)
    .await?;
    let req = EnrolRequest {
        v: WIRE_VERSION,
        code,
        till_id: "BENCH".into(),
        serial: "OT2026000001".into(),
        software: "bench".into(),
    };
    Ok(till_sync::enrol(url, &req).await?.token)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let pg = pg::Pg::start()?;
    let pool = db::connect(&pg.url("postgres"), 8).await?;
    db::migrate(&pool).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState::load(pool, url.clone(), 480).await?;
    tokio::spawn(axum::serve(listener, till_host::router(state.clone())).into_future());
    let merchant: i64 = sqlx_core::row::Row::try_get(
        &sqlx_core::query::query("INSERT INTO merchants (name, app_id) VALUES ('Bench', 'b') RETURNING id")
            .fetch_one(&state.pool)
            .await?,
        0,
    )?;
    let shop: i64 = sqlx_core::row::Row::try_get(
        &sqlx_core::query::query("INSERT INTO shops (merchant_id, name) VALUES ($1, 'Bench') RETURNING id")
            .bind(merchant)
            .fetch_one(&state.pool)
            .await?,
        0,
    )?;

    // A till with a 100,000-transaction backlog (queued while the host was unreachable).
    let dir = std::env::temp_dir().join(format!("opentill-host-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    drop(open_till(&dir, None)?);
    {
        let mut j = till_journal::Journal::open(&dir.join("journal.sqlite"))?;
        till_journal::fill_for_benchmark(&mut j, TXNS, 10, chrono::Utc::now())?;
    }

    // 1. Host ingest alone: the journal's events in the protocol's largest uploads.
    let events = till_journal::Journal::open(&dir.join("journal.sqlite"))?.events_after(0, u32::MAX)?;
    let ingest_link = HttpHost::new(&url, &device(&state, &url, merchant, shop).await?, None)?;
    let started = Instant::now();
    let held = ingest_link.upload(&events).await?;
    let ingest = started.elapsed().as_secs_f64();
    assert_eq!(held as usize, events.len(), "the host took every event");
    let ingest_rate = events.len() as f64 / ingest;

    // 2. The till's drain after the outage, end to end (journal -> HTTP -> PostgreSQL).
    let link = Arc::new(HttpHost::new(&url, &device(&state, &url, merchant, shop).await?, None)?);
    let till = open_till(&dir, Some(link))?;
    let backlog = till.sync_backlog()?;
    let started = Instant::now();
    while till.sync_backlog()? > 0 {
        till.sync().await?;
    }
    let drain = started.elapsed().as_secs_f64();

    println!("| benchmark | measured | goal |");
    println!("|---|---|---|");
    println!(
        "| host ingest ({} events, 5,000 per upload) | {ingest_rate:.0} events/s | >= 5,000/s |",
        events.len()
    );
    println!("| drain of a {TXNS}-transaction backlog ({backlog} events) | {drain:.1} s | <= 30 s |");
    let json = serde_json::json!({
        "host_ingest_events_per_s": ingest_rate,
        "ingest_events": events.len(),
        "drain_100k_s": drain,
        "drain_events": backlog,
    });
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("host.json"), serde_json::to_string_pretty(&json)?)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

//! The portal in a real browser: Debian's headless Chromium driven by playwright-core
//! (host/tests/browser/portal.mjs) logs in, filters the history by a means tab and a date range,
//! downloads the CSV, blocks a POS and pins a shop to a beta release, with a full-page screenshot
//! of each step in target/portal-screenshots/. The till then syncs and refuses its next sale.
//!
//! Needs `chromium` (Debian) and `npm ci` in host/tests/browser; `cargo xtask test` does both.
//! Without them this test fails, saying what is missing.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use till::{Clock, ManualClock, SaleInput, TillError};
use till_domain::{Currency, DomainError, Money, PaymentMeans};
use till_sync::HttpHost;

use crate::support::*;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Chromium and the script's node_modules, or a clear reason why the test cannot run.
fn browser_ready() -> Result<PathBuf, Error> {
    let chromium = std::env::var_os("OPENTILL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "{} is missing: install Debian's chromium (apt-get install chromium; `cargo xtask test` does) \
             or point OPENTILL_CHROMIUM at a Chromium",
            chromium.display()
        )
        .into());
    }
    let dir = browser_dir();
    if !dir.join("node_modules/playwright-core/package.json").exists() {
        return Err(format!(
            "playwright-core is not installed: run `npm ci` in {} (`cargo xtask test` does)",
            dir.display()
        )
        .into());
    }
    Ok(chromium)
}

fn sale(minor: i64, means: PaymentMeans) -> SaleInput {
    SaleInput {
        amount: Money::new(minor, Currency::Hkd),
        tip: Money::zero(Currency::Hkd),
        means,
        qr_scheme: None,
        code: (means == PaymentMeans::QrCustomer).then(|| "280012345678901234".to_owned()),
    }
}

/// Hong Kong local time (the test host's offset is UTC+8) on a day of March 2026, in UTC.
fn hk(day: u32, hour: u32) -> Result<DateTime<Utc>, Error> {
    let local = chrono::FixedOffset::east_opt(8 * 3600)
        .ok_or("offset")?
        .with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .ok_or("no such time")?;
    Ok(local.with_timezone(&Utc))
}

fn rows(v: &Value, key: &str) -> Result<Vec<Vec<String>>, Error> {
    let rows = v[key]
        .as_array()
        .ok_or(format!("no {key} in the script's output: {v}"))?;
    Ok(rows
        .iter()
        .map(|r| {
            r.as_array()
                .map(|cells| cells.iter().map(|c| c.as_str().unwrap_or("").to_owned()).collect())
                .unwrap_or_default()
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_in_headless_chromium() -> TestResult {
    let chromium = browser_ready()?;
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (device, code) = set_up_pos(&host, &owner, seed.shop_a, "Front counter").await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("browser")?;
    let clock = Arc::new(ManualClock::new(hk(10, 10)?));
    let link = Arc::new(HttpHost::new(&host.url, &token, None)?);
    let (till, _sims) = open_till_on(&dir, Some(link.clone()), clock.clone())?;

    // Five sales over three days: 10 March cash 12.50 and card 42.00, 11 March cash 30.00 and
    // QR 9.90, 12 March cash 5.00.
    let day = |d: u32, h: u32| -> Result<(), Error> {
        let now = clock.now();
        clock.advance(hk(d, h)? - now);
        // Hours later the operator's session has expired: log in again.
        till.login("1", TILL_PIN)?;
        Ok(())
    };
    till.sale(sale(1_250, PaymentMeans::Cash)).await?;
    day(10, 11)?;
    till.sale(sale(4_200, PaymentMeans::Card)).await?;
    day(11, 10)?;
    till.sale(sale(3_000, PaymentMeans::Cash)).await?;
    day(11, 12)?;
    till.sale(sale(990, PaymentMeans::QrCustomer)).await?;
    day(12, 10)?;
    till.sale(sale(500, PaymentMeans::Cash)).await?;
    drain(&till, 5).await?;

    // Releases on two channels, and the till has asked for an update running 0.3.0.
    for (channel, version) in [("stable", "0.3.0"), ("beta", "0.4.0-beta.1")] {
        let release = till_host::updates::Release {
            channel: channel.into(),
            version: version.into(),
            notes: String::new(),
            packages: [(
                "linux-x86_64".to_owned(),
                till_sync::update::Package {
                    url: format!("https://packages.example/opentill_{version}_amd64.deb"),
                    signature: "c2lnbmF0dXJl".into(),
                },
            )]
            .into(),
        };
        till_host::updates::publish(&host.state.pool, &release).await?;
    }
    assert!(
        link.check_update("linux-x86_64", "0.3.0").await?.is_none(),
        "up to date on stable"
    );

    // The browser, driven by the script.
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/portal-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let config = serde_json::json!({
        "url": host.url,
        "email": "merchant@harbour.example",
        "pin": PORTAL_PIN,
        "pos": device,
        "shop": seed.shop_a,
        "channel": "beta",
        "version": "0.4.0-beta.1",
        "tab": "cash",
        "from": "2026-03-10",
        "to": "2026-03-11",
        "shots": shots,
    });
    let script = browser_dir().join("portal.mjs");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .arg(config.to_string())
            .env("OPENTILL_CHROMIUM", &chromium)
            .current_dir(browser_dir())
            .output()
    })
    .await?
    .map_err(|e| format!("node could not be started (apt-get install nodejs): {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser script failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    let v: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("the script printed no JSON ({e}): {stdout}\n{stderr}"))?;

    // Every step left a real page and a screenshot.
    let steps = v["steps"].as_array().ok_or("no steps")?;
    let names: Vec<&str> = steps.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "login",
            "home",
            "history",
            "tab-cash",
            "filtered",
            "pos",
            "pos-blocked",
            "shop",
            "shop-updates"
        ]
    );
    for s in steps {
        let file = s["screenshot"].as_str().ok_or("no screenshot path")?;
        let png = std::fs::read(file)?;
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "{file} is a real screenshot"
        );
    }
    assert_eq!(v["server_errors"], serde_json::json!([]), "no page answered 5xx");
    assert!(
        v["home"].as_str().unwrap_or("").contains("Harbour Noodles"),
        "logged in: {}",
        v["home"]
    );

    // History: all five, then the cash tab's three, then the two cash sales of 10–11 March.
    let all = rows(&v, "all_rows")?;
    assert_eq!(all.len(), 5, "{all:?}");
    let tab = rows(&v, "tab_rows")?;
    assert_eq!(v["tab_on"], "Cash");
    assert_eq!(tab.len(), 3, "the cash tab: {tab:?}");
    let filtered = rows(&v, "filtered_rows")?;
    let url = v["filtered_url"].as_str().unwrap_or("");
    assert!(
        url.contains("tab=cash") && url.contains("from=2026-03-10") && url.contains("to=2026-03-11"),
        "{url}"
    );
    let shown: Vec<(&str, &str, &str)> = filtered
        .iter()
        .map(|r| (r[0].as_str(), r[5].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("2026-03-11 10:00", "Cash", "HKD 30.00"),
            ("2026-03-10 10:00", "Cash", "HKD 12.50"),
        ],
        "newest first, local time: {filtered:?}"
    );
    assert!(filtered.iter().all(|r| r[2] == "Front counter" && r[1] == "Shop A"));

    // The CSV holds the same two rows.
    assert_eq!(v["csv_name"], "transactions.csv");
    let csv = v["csv"].as_str().ok_or("no csv")?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time,shop,pos,trace,kind,means,tab,status,currency,amount,tip,total,refunded,auth_code,last4,id"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    let fields: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    for (f, (time, total)) in fields
        .iter()
        .zip([("2026-03-11 10:00:00", "30.00"), ("2026-03-10 10:00:00", "12.50")])
    {
        assert_eq!(
            (f[0], f[1], f[2], f[4], f[5], f[6], f[7], f[8], f[11]),
            (
                time,
                "Shop A",
                "Front counter",
                "sale",
                "cash",
                "cash",
                "approved",
                "HKD",
                total
            ),
            "{csv}"
        );
    }

    // Blocked in the portal...
    let before = v["pos_before"].as_str().unwrap_or("");
    let after = v["pos_after"].as_str().unwrap_or("");
    assert!(before.contains("Active") && !before.contains("Blocked"), "{before}");
    assert!(after.contains("Blocked"), "the page says the POS is blocked: {after}");
    assert_eq!(v["unblock_button"], "Unblock POS");
    // The shop pinned to the beta release in the browser: the page and the till's offer say so.
    let policy = v["update_policy"].as_str().unwrap_or("");
    assert_eq!(policy, "Channel: beta · Version: pinned to 0.4.0-beta.1");
    let offered = v["update_offered"].as_str().unwrap_or("");
    assert!(offered.starts_with("Offered now: 0.4.0-beta.1 (beta)"), "{offered}");
    let tills = rows(&v, "till_versions")?;
    let front: Vec<&str> = tills.iter().flatten().map(String::as_str).collect();
    assert_eq!(front.len(), 6, "one till, six cells: {tills:?}");
    assert_eq!(
        (&front[..4], front[5]),
        (
            &["Front counter", "DEMO-01", "0.3.0", "linux-x86_64"][..],
            "Update offered"
        ),
        "the till's last check, against the pinned release: {tills:?}"
    );
    let manifest = link
        .check_update("linux-x86_64", "0.3.0")
        .await?
        .ok_or("no beta offered")?;
    assert_eq!(manifest.version, "0.4.0-beta.1");

    // ...and at the till after its next sync.
    till.sync().await?;
    match till.sale(sale(100, PaymentMeans::Cash)).await {
        Err(TillError::Domain(DomainError::PosBlocked)) => {}
        other => return Err(format!("a POS blocked in the browser sold: {other:?}").into()),
    }
    Ok(())
}

//! The portal's per-till settings (T11 receipt header and copies), diagnostics on request
//! (T12), and HTTPS.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use till_sync::HttpHost;

use crate::exactly_once::HostProcess;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_settings_and_a_diagnostics_request_reach_the_till() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (device, code) = set_up_pos(&host, &owner, seed.shop_a, "Front").await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("settings")?;
    let link = Arc::new(HttpHost::new(&host.url, &token, None)?);
    let (till, _sims) = open_till(&dir, Some(link.clone()))?;

    let r = post(
        &host,
        &owner,
        &format!("/pos/{device}/receipt"),
        "receipt_name=%E6%B8%AF%E7%81%A3%E9%BA%B5%E5%AE%B6+Harbour&copy_customer=on",
    )
    .await?;
    assert_eq!(r.status().as_u16(), 303);
    let pass = till::sync::sync_once(&till, link.as_ref(), Some(&dir)).await?;
    assert!(pass.settings_changed, "the new header reached till.toml");
    assert!(!pass.diagnostics_sent, "nobody asked for diagnostics yet");
    let config = till::store::load_or_create_config(&dir)?;
    assert_eq!(config.merchant.name, "港灣麵家 Harbour");
    assert!(
        !config.copies.merchant && config.copies.customer,
        "merchant copy off, customer copy on"
    );
    let again = till::sync::sync_once(&till, link.as_ref(), Some(&dir)).await?;
    assert!(!again.settings_changed, "unchanged settings do not rewrite the file");

    post(&host, &owner, &format!("/pos/{device}/diagnostics"), "").await?;
    let pass = till::sync::sync_once(&till, link.as_ref(), Some(&dir)).await?;
    assert!(pass.diagnostics_sent, "asked for, sent");
    let page = get(&host, &owner, &format!("/pos/{device}/diagnostics"))
        .await?
        .text()
        .await?;
    assert!(
        page.contains("DEMO-01") && page.contains("journal_intact"),
        "the bundle is on the POS page"
    );
    let next = till::sync::sync_once(&till, link.as_ref(), Some(&dir)).await?;
    assert!(!next.diagnostics_sent, "one request, one bundle");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_serves_https_with_a_given_certificate() -> TestResult {
    let db_url = fresh_db().await?;
    let dir = temp_dir("tls")?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            // A server certificate, not a CA: webpki refuses a CA certificate as a server's.
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()?;
    assert!(
        ok.status.success(),
        "openssl made a test certificate: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let port = free_port()?;
    let (c, k) = (cert.to_string_lossy().into_owned(), key.to_string_lossy().into_owned());
    let _host = HostProcess::spawn(&db_url, port, &["--tls-cert", &c, "--tls-key", &k])?;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&cert)?)?)
        .build()?;
    let started = Instant::now();
    let mut answer = None;
    while started.elapsed() < Duration::from_secs(30) && answer.is_none() {
        answer = client
            .get(format!("https://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .ok();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resp = answer.ok_or("no HTTPS answer")?;
    assert_eq!(resp.text().await?, "ok", "HTTPS with the given certificate");
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.is_err(), "plain HTTP gets no answer from a TLS listener");
    Ok(())
}

//! The tills' API at its edges: one till cannot see another's data, and bad input is refused
//! clearly with nothing stored.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::sync::Arc;
use till_domain::ports::HostLink;
use till_sync::{HttpHost, WireError, codes, paths};

use crate::exactly_once::device_with_code;
use crate::support::*;

const EVENT: &str = r#"{"at":"2026-11-21T02:00:00Z","body":{"kind":"batch-opened","batch":1}}"#;

async fn raw_upload(host: &Host, token: &str, body: String) -> Result<(u16, Option<WireError>), Error> {
    let resp = client()?
        .post(format!("{}{}", host.url, paths::EVENTS))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, serde_json::from_str(&resp.text().await?).ok()))
}

fn batch(events: &[(u64, &str)]) -> String {
    let list: Vec<String> = events
        .iter()
        .map(|(s, e)| {
            format!(
                "{{\"seq\":{s},\"event\":{}}}",
                serde_json::Value::String((*e).to_owned())
            )
        })
        .collect();
    format!("{{\"v\":1,\"events\":[{}]}}", list.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_cannot_read_or_write_another_tills_data() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (a, code_a) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let (b, code_b) = device_with_code(&host.state, seed.merchant, seed.shop_b).await?;
    let link_a = HttpHost::new(&host.url, &enrol(&host.url, &code_a).await?, None)?;
    let link_b = HttpHost::new(&host.url, &enrol(&host.url, &code_b).await?, None)?;
    query("INSERT INTO commands (device_id, body) VALUES ($1, '{\"type\":\"block-pos\"}')")
        .bind(b)
        .execute(&host.state.pool)
        .await?;
    query("UPDATE devices SET receipt_name = 'B only' WHERE id = $1")
        .bind(b)
        .execute(&host.state.pool)
        .await?;
    assert!(link_a.pull_commands().await?.is_empty(), "A gets none of B's commands");
    let settings_a = link_a.pull_settings().await?.ok_or("no settings")?;
    assert_eq!(settings_a.receipt_name, None, "A does not see B's settings");
    assert_eq!(link_b.pull_commands().await?.len(), 1, "B gets its own");
    assert_eq!(link_a.upload(&[(1, EVENT.to_owned())]).await?, 1);
    assert_eq!(held(&host.state, a).await?.0, 1, "A's upload lands under A");
    assert_eq!(held(&host.state, b).await?.0, 0, "and never under B");
    // Enrolment codes are one-time: B's used code cannot enrol anyone again.
    assert!(enrol(&host.url, &code_b).await.is_err(), "a used code is refused");
    // A deleted shop's terminals lose their credentials.
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    post(&host, &owner, &format!("/shops/{}/delete", seed.shop_b), "").await?;
    assert!(link_b.pull_commands().await.is_err(), "B's credential no longer works");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_nothing_is_stored_wrongly() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (device, code) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;

    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("not JSON", "{\"v\":1,\"events\":[".into(), 400, codes::MALFORMED),
        (
            "a future version",
            "{\"v\":2,\"events\":[]}".into(),
            400,
            codes::UNSUPPORTED_VERSION,
        ),
        (
            "not a journal event",
            batch(&[(1, "{\"at\":\"x\"}")]),
            400,
            codes::MALFORMED,
        ),
        ("out of order", batch(&[(2, EVENT), (1, EVENT)]), 400, codes::MALFORMED),
        ("a gap", batch(&[(5, EVENT)]), 409, codes::SEQUENCE_GAP),
        ("sequence zero", batch(&[(0, EVENT)]), 400, codes::MALFORMED),
        (
            "too large",
            format!("{{\"v\":1,\"pad\":\"{}\"}}", "x".repeat(9 * 1024 * 1024)),
            413,
            codes::TOO_LARGE,
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, err) = raw_upload(&host, &token, body).await?;
        assert_eq!(got, status, "{what}");
        assert_eq!(err.as_ref().map(|e| e.code.as_str()), Some(code), "{what}: {err:?}");
        if code == codes::SEQUENCE_GAP {
            assert_eq!(err.and_then(|e| e.held), Some(0), "a gap says where to resume");
        }
    }
    assert_eq!(
        held(&host.state, device).await?,
        (0, 0, 0),
        "nothing stored from bad uploads"
    );

    // A replay is idempotent; a replay with different content is refused.
    let (s, _) = raw_upload(&host, &token, batch(&[(1, EVENT), (2, EVENT)])).await?;
    assert_eq!(s, 200);
    let (s, _) = raw_upload(&host, &token, batch(&[(1, EVENT), (2, EVENT), (3, EVENT)])).await?;
    assert_eq!(s, 200, "re-sent events are accepted and skipped");
    assert_eq!(held(&host.state, device).await?, (3, 3, 3));
    let other = EVENT.replace("\"batch\":1", "\"batch\":9");
    let (s, err) = raw_upload(&host, &token, batch(&[(2, &other)])).await?;
    assert_eq!(
        (s, err.map(|e| e.code)),
        (409, Some(codes::SEQUENCE_CONFLICT.to_owned()))
    );
    let stored: String = query("SELECT body FROM events WHERE device_id = $1 AND seq = 2")
        .bind(device)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    assert_eq!(stored, EVENT, "the first version stays");

    // An expired activation code, a used one and a wrong one are each refused, and say which.
    let (_, late) = device_with_code(&host.state, seed.merchant, seed.shop_a).await?;
    query("UPDATE activation_codes SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL")
        .execute(&host.state.pool)
        .await?;
    let last = if late.ends_with('1') { '2' } else { '1' };
    let wrong = format!("{}{last}", &late[..late.len() - 1]);
    for (what, c, expected) in [
        ("expired", &late, codes::ACTIVATION_CODE_EXPIRED),
        ("used", &code, codes::ACTIVATION_CODE_USED),
        ("wrong", &wrong, codes::ACTIVATION_CODE_INVALID),
    ] {
        match enrol(&host.url, c).await {
            Err(e) => assert!(e.to_string().contains(expected), "{what}: {e}"),
            Ok(_) => return Err(format!("an {what} code enrolled a till").into()),
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_meta_characters_in_filters_are_refused_and_harmless() -> TestResult {
    let host = Host::start().await?;
    seed(&host.state).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    for q in [
        "status=approved%27%3B+DROP+TABLE+txns%3B--",
        "tab=cash%27+OR+%271%27%3D%271",
        "shop=1+OR+1%3D1",
        "from=2026-01-01%27--",
    ] {
        let r = get(&host, &owner, &format!("/transactions?{q}")).await?;
        assert_eq!(r.status().as_u16(), 400, "{q} is refused with a clear error");
        assert!(r.text().await?.contains("class=\"error\""), "{q}: an error page");
    }
    // A shop name full of markup and quotes is stored and shown as text.
    post(
        &host,
        &owner,
        "/shops",
        "name=%3Cscript%3Ealert(1)%3C%2Fscript%3E%27%22&address=x",
    )
    .await?;
    let page = get(&host, &owner, "/shops").await?.text().await?;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&#39;&quot;"),
        "escaped on the page"
    );
    assert!(!page.contains("<script>alert"), "never as markup");
    let n: i64 = query("SELECT count(*) FROM txns")
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    assert_eq!(n, 0, "the txns table is still there");
    let _ = Arc::new(());
    Ok(())
}

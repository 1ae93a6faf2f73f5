//! Issue 18, a hardened portal: the security headers on every response, redirects only to this
//! site, control characters refused before they reach PostgreSQL.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use till_sync::paths;

use crate::exactly_once::device_with_code;
use crate::matrix::{ROUTES, world};
use crate::support::*;

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_pages_downloads_and_the_api() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let pages = [
        ("", "/login".to_owned()),
        ("", "/forgot".to_owned()),
        ("", "/style.css".to_owned()),
        ("", paths::COMMANDS.to_owned()),
        (owner.as_str(), "/".to_owned()),
        (owner.as_str(), "/transactions".to_owned()),
        (owner.as_str(), "/transactions.csv".to_owned()),
        (owner.as_str(), "/reports/t1.csv".to_owned()),
        (owner.as_str(), format!("/pos/{}", w.pos[0])),
        (owner.as_str(), "/no-such-page".to_owned()),
    ];
    for (cookie, path) in &pages {
        let r = get(&host, cookie, path).await?;
        let csp = header(&r, "content-security-policy").ok_or(format!("{path}: no CSP"))?;
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(header(&r, "x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(&r, "referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(
            header(&r, "strict-transport-security"),
            None,
            "{path}: HSTS over plain HTTP"
        );
        let cache = header(&r, "cache-control").unwrap_or("");
        if *path == "/style.css" {
            assert!(cache.starts_with("public"), "the style sheet may be kept: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
        if header(&r, "content-type").is_some_and(|t| t.starts_with("text/html")) {
            let body = r.text().await?;
            for inline in ["<script", "style=", " onclick", " onsubmit", "javascript:"] {
                assert!(!body.contains(inline), "{path} has {inline}, which the policy blocks");
            }
        }
    }

    // Over TLS (here: a public address with https) HSTS is on.
    let mut state = host.state.clone();
    state.public_url = "https://till.example".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(axum::serve(listener, till_host::router(state)).into_future());
    let r = client()?.get(format!("{url}/login")).send().await?;
    task.abort();
    assert_eq!(header(&r, "strict-transport-security"), Some("max-age=31536000"));
    let pre = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("otpre="))
        .ok_or("no pre-session cookie")?;
    assert!(pre.contains("; Secure") && pre.contains("HttpOnly"), "{pre}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_goes_back_only_to_a_page_of_this_site() -> TestResult {
    let host = Host::start().await?;
    let own = format!("{}/transactions?tab=card", host.url);
    let c = client()?;
    let cases = [
        (Some(own.as_str()), "/transactions?tab=card"),
        (None, "/"),
        (Some("https://other.host/"), "/"),
        (Some("//other.host/x"), "/"),
        (Some("/\\other.host"), "/"),
        (Some("http://other.host/login"), "/"),
        (Some("javascript:alert(1)"), "/"),
    ];
    for (referer, want) in cases {
        let mut req = c.get(format!("{}/lang/zh", host.url));
        if let Some(r) = referer {
            req = req.header("referer", r);
        }
        let r = req.send().await?;
        assert_eq!(r.status().as_u16(), 303, "{referer:?}");
        assert_eq!(header(&r, "location"), Some(want), "Referer {referer:?}");
    }
    // A Referer on this host whose path would leave it is not followed either.
    let sneaky = format!("{}//other.host/x", host.url);
    let r = c
        .get(format!("{}/lang/en", host.url))
        .header("referer", &sneaky)
        .send()
        .await?;
    assert_eq!(header(&r, "location"), Some("/"), "{sneaky}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_anywhere_answer_400_and_never_reach_the_database() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let fill = |s: &str| {
        s.replace("{shop}", &w.seed.shop_a.to_string())
            .replace("{shopname}", "Shop+A")
            .replace("{pos}", &w.pos[0].to_string())
            .replace("{txn}", &w.txn[0])
            .replace("{user}", "1")
            .replace("{merchant}", &w.seed.merchant.to_string())
            .replace("{pin}", PORTAL_PIN)
            .replace("{email}", "x%40harbour.example")
    };
    let mut checked = 0;
    for bad in ["%00", "%1B", "%7F", "%08"] {
        for (method, path, _, _, body) in ROUTES {
            let (path, body) = (fill(path), fill(body));
            // Into a query parameter, a path segment and every form field.
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut tries = vec![("GET", format!("{path}{sep}shop=1{bad}"), String::new())];
            if *method == "POST" {
                let fields: Vec<String> = body
                    .split('&')
                    .filter(|f| !f.is_empty())
                    .map(|f| format!("{f}{bad}"))
                    .collect();
                if !fields.is_empty() {
                    tries.push(("POST", path.clone(), fields.join("&")));
                }
                tries.push(("POST", path.clone(), format!("note={bad}")));
            }
            for (m, p, b) in tries {
                let r = if m == "GET" {
                    get(&host, &owner, &p).await?
                } else {
                    post(&host, &owner, &p, &b).await?
                };
                assert_eq!(r.status().as_u16(), 400, "{m} {p} {b}");
                let text = r.text().await?;
                assert!(text.contains("control characters"), "{m} {p} {b}: {text}");
                checked += 1;
            }
        }
        for (p, b) in [
            (format!("/activate/x{bad}"), "pin=112233&pin2=112233".to_owned()),
            (format!("/reset/x{bad}"), "pin=112233&pin2=112233".to_owned()),
            ("/login".to_owned(), format!("email=a{bad}%40b.example&pin=1")),
            ("/forgot".to_owned(), format!("email=a{bad}%40b.example")),
        ] {
            let shown = if p.contains(bad) {
                p.clone()
            } else {
                format!("{p}?q={bad}")
            };
            assert_eq!(get(&host, "", &shown).await?.status().as_u16(), 400, "GET {shown}");
            assert_eq!(post(&host, "", &p, &b).await?.status().as_u16(), 400, "POST {p} {b}");
            checked += 2;
        }
        let r = get(&host, &owner, &format!("/pos/{}{bad}", w.pos[0])).await?;
        assert_eq!(r.status().as_u16(), 400, "a control character in a path");
    }
    assert!(checked > 100, "only {checked} checks");
    // Tab, CR and LF are text a textarea may send: not refused by this check.
    let r = post(&host, &owner, "/profile", "alias=Mei%09Ling").await?;
    assert_eq!(
        r.status().as_u16(),
        303,
        "a tab in a field is no control character here"
    );

    // The tills' API: a transaction id with NUL is a 400 and stores nothing.
    let (device, code) = device_with_code(&host.state, w.seed.merchant, w.seed.shop_a).await?;
    let token = enrol(&host.url, &code).await?;
    let real: String = query("SELECT body FROM events WHERE device_id = $1 AND body LIKE $2 ORDER BY seq LIMIT 1")
        .bind(w.pos[0])
        .bind(format!("%{}%", w.txn[0]))
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    let upload = |event: &str| {
        format!(
            "{{\"v\":1,\"events\":[{{\"seq\":1,\"event\":{}}}]}}",
            serde_json::Value::String(event.to_owned())
        )
    };
    for bad in ["\\u0000", "\\u001b"] {
        let forged = real.replace(&w.txn[0], &format!("{}{bad}", w.txn[0]));
        assert_ne!(forged, real);
        let r = client()?
            .post(format!("{}{}", host.url, paths::EVENTS))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(upload(&forged))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 400, "a transaction id with {bad}");
        assert_eq!(held(&host.state, device).await?.0, 0, "nothing stored");
    }
    let r = client()?
        .post(format!("{}{}", host.url, paths::EVENTS))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(upload(&real))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200, "the same event without it is taken");
    // Enrolment's strings too.
    let (_, code) = device_with_code(&host.state, w.seed.merchant, w.seed.shop_a).await?;
    let r = client()?
        .post(format!("{}{}", host.url, paths::ENROL))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"v\":1,\"code\":\"{code}\",\"till_id\":\"T\\u0000\",\"serial\":\"S\",\"software\":\"x\"}}"
        ))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400, "a till id with NUL");
    Ok(())
}

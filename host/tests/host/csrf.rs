//! Issue 18, CSRF: every state-changing portal route — each POST in `portal/mod.rs`'s routes(),
//! found by reading that file so a new one cannot be missed — refuses a forged post (no token,
//! another session's token, a foreign Origin or Referer) with 403 and changes nothing, and takes
//! the real form with the token its page carries.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_core::sql_str::AssertSqlSafe;

use crate::matrix::{Obj, ROUTES, fresh_shop, fresh_user, world};
use crate::support::*;

/// Every row of every table, as one digest per table (sessions without their last-use time,
/// which reading a page moves).
pub async fn fingerprint(host: &Host) -> Result<Vec<(String, String)>, Error> {
    let tables: Vec<String> = query(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' ORDER BY 1",
    )
    .fetch_all(&host.state.pool)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in tables {
        let from = if t == "sessions" {
            "(SELECT hash, user_id, merchant_id, expires_at FROM sessions)".to_owned()
        } else {
            t.clone()
        };
        // Table names come from the catalogue, not from a person.
        let sql = format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {from} t");
        let digest: String = query(AssertSqlSafe(sql))
            .fetch_one(&host.state.pool)
            .await?
            .try_get(0)?;
        out.push((t, digest));
    }
    Ok(out)
}

/// The POST routes `portal/mod.rs` declares, placeholders written `{}`.
fn declared_post_routes() -> Result<Vec<String>, Error> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/portal/mod.rs"))?;
    let mut out = Vec::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).ok_or("a route without a path")?;
        let chunk = chunk.split("\n        .route").next().unwrap_or(chunk);
        if chunk.contains("post(") {
            out.push(normalise(path));
        }
    }
    Ok(out)
}

fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.split('?').next().unwrap_or(path).chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// A forgery: what it is, its body, its extra headers.
type Forgery<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

/// One post's forgeries, each refused with 403 and no change, then the real form.
async fn forgeries_refused_then_real_form_works(
    host: &Host,
    cookie: &str,
    path: &str,
    body: &str,
    other_session_token: &str,
) -> Result<reqwest::Response, Error> {
    let (cookie, token) = form_token(host, cookie).await?;
    let sep = if body.is_empty() { "" } else { "&" };
    let before = fingerprint(host).await?;
    let forged: [Forgery; 5] = [
        ("no token", body.to_owned(), vec![]),
        (
            "another session's token",
            format!("{body}{sep}csrf={other_session_token}"),
            vec![],
        ),
        (
            "a foreign Origin",
            format!("{body}{sep}csrf={token}"),
            vec![("origin", "https://evil.example")],
        ),
        (
            "a foreign Referer",
            format!("{body}{sep}csrf={token}"),
            vec![("referer", "https://evil.example/page")],
        ),
        (
            "an opaque Origin",
            format!("{body}{sep}csrf={token}"),
            vec![("origin", "null")],
        ),
    ];
    for (what, forged_body, headers) in forged {
        let r = raw_post(host, &cookie, path, &forged_body, &headers).await?;
        assert_eq!(r.status().as_u16(), 403, "POST {path} with {what}");
        assert!(
            r.headers().get("set-cookie").is_none(),
            "POST {path} with {what} set a cookie"
        );
    }
    assert_eq!(
        fingerprint(host).await?,
        before,
        "a forged POST {path} changed the database"
    );
    let own_origin = host.url.clone();
    let r = raw_post(
        host,
        &cookie,
        path,
        &format!("{body}{sep}csrf={token}"),
        &[("origin", own_origin.as_str())],
    )
    .await?;
    assert_ne!(r.status().as_u16(), 403, "the real form of POST {path} was refused");
    Ok(r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_every_post_route_refuses_forgeries_and_takes_the_real_form() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (_, other_token) = form_token(&host, &login(&host, "admin@harbour.example", PORTAL_PIN).await?).await?;
    let mut covered = Vec::new();

    // The signed-in routes, as the owner, aimed at shop A.
    for (method, path, _, obj, body) in ROUTES {
        if *method != "POST" {
            continue;
        }
        let shop = match obj {
            Obj::FreshShop => fresh_shop(&host.state, &w.seed, true).await?,
            _ => w.seed.shop_a,
        };
        let user = match obj {
            Obj::FreshUser => fresh_user(&host.state, w.seed.merchant, w.seed.shop_a).await?,
            _ => 0,
        };
        let fill = |s: &str| {
            s.replace("{shop}", &shop.to_string())
                .replace("{shopname}", "Shop+A")
                .replace("{pos}", &w.pos[0].to_string())
                .replace("{txn}", &w.txn[0])
                .replace("{user}", &user.to_string())
                .replace("{merchant}", &w.seed.merchant.to_string())
                .replace("{pin}", PORTAL_PIN)
                .replace("{email}", "csrf-invitee%40harbour.example")
        };
        let r = forgeries_refused_then_real_form_works(&host, &owner, &fill(path), &fill(body), &other_token).await?;
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("");
        assert!(
            matches!(status, 200 | 201 | 303) && location != "/login",
            "the owner's real POST {path} answered {status} {location}"
        );
        covered.push(normalise(path));
    }

    // The public forms: login, forgotten PIN, activation and reset links.
    let r = forgeries_refused_then_real_form_works(
        &host,
        "",
        "/login",
        &format!("email=merchant%40harbour.example&pin={PORTAL_PIN}"),
        &other_token,
    )
    .await?;
    assert!(set_cookie(&r, "otsid").is_some(), "the real login form signs in");
    covered.push("/login".into());
    forgeries_refused_then_real_form_works(&host, "", "/forgot", "email=merchant%40harbour.example", &other_token)
        .await?;
    covered.push("/forgot".into());
    let link = till_host::portal::create_merchant(&host.state, "Lantau Tea", "owner@lantau.example", "Owner").await?;
    let path = link.strip_prefix(&host.url).ok_or("an activation link elsewhere")?;
    let r = forgeries_refused_then_real_form_works(&host, "", path, "pin=112233&pin2=112233", &other_token).await?;
    assert_eq!(r.status().as_u16(), 303, "the real activation form activates");
    covered.push("/activate/{}".into());
    let reset = till_host::db::new_secret();
    query(
        "INSERT INTO user_tokens (hash, kind, user_id, expires_at)
         SELECT $1, 'reset', id, now() + interval '1 hour' FROM users WHERE email = 'owner@lantau.example'",
    )
    .bind(till_host::db::secret_hash(&reset))
    .execute(&host.state.pool)
    .await?;
    let r = forgeries_refused_then_real_form_works(
        &host,
        "",
        &format!("/reset/{reset}"),
        "pin=445566&pin2=445566",
        &other_token,
    )
    .await?;
    assert_eq!(r.status().as_u16(), 303, "the real reset form resets");
    covered.push("/reset/{}".into());

    // Last, as it ends the session.
    let r = forgeries_refused_then_real_form_works(&host, &owner, "/logout", "", &other_token).await?;
    assert_eq!(r.status().as_u16(), 303, "the real logout form logs out");
    covered.push("/logout".into());

    let declared = declared_post_routes()?;
    assert!(declared.len() > 20, "the scan of routes() found only {declared:?}");
    let missed: Vec<_> = declared.iter().filter(|d| !covered.contains(d)).collect();
    assert!(missed.is_empty(), "POST routes with no CSRF check here: {missed:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_every_post_form_on_a_page_carries_the_sessions_token() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (_, token) = form_token(&host, &owner).await?;
    for page in [
        "/".to_owned(),
        "/profile".to_owned(),
        "/users".to_owned(),
        "/shops".to_owned(),
        format!("/shops/{}", w.seed.shop_a),
        format!("/shops/{}/pos", w.seed.shop_a),
        format!("/pos/{}", w.pos[0]),
        "/transactions".to_owned(),
        "/merchants".to_owned(),
    ] {
        let body = get(&host, &owner, &page).await?.text().await?;
        let forms = body.matches("method=\"post\"").count();
        let tokens = body.matches(&format!("name=\"csrf\" value=\"{token}\"")).count();
        assert!(forms > 0, "{page} has no POST form");
        assert_eq!(tokens, forms, "{page}: every POST form carries the session's token");
    }
    Ok(())
}

/// till-testkit's office (the app's and the installers' end-to-end tests drive the portal
/// through it) posts its forms as a browser does, token and all: activation, login, a shop and
/// "Set up POS" work against the real `till-host` program.
#[test]
fn csrf_the_testkit_office_posts_real_forms() -> TestResult {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_till-host"));
    let office = till_testkit::office::Office::start(bin, "Kowloon Bakery", "owner@kowloon.example")?;
    let owner = office.owner_session()?;
    assert!(owner.starts_with("otsid="), "{owner}");
    let shop = office.create_shop(&owner, "九龍 Bakery", "1 Nathan Road")?;
    assert!(shop.parse::<i64>().is_ok(), "a shop id: {shop}");
    let code = office.pos_code(&owner, &shop)?;
    assert!(code.len() >= 6, "an activation code: {code}");
    // And without the page's token the same post is refused.
    let a = office.http("POST", "/shops", Some(&owner), Some("name=Forged&address=x"))?;
    assert_eq!(a.status, 403, "{}", a.body);
    Ok(())
}

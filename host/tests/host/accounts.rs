//! Issue 18, accounts: login tells no one which addresses exist and its lock holds under
//! concurrency; "forgot PIN" is limited; sessions rotate at login, end at logout, at a PIN change
//! and after the idle timeout; a merchant changes only its own membership of a person.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

use crate::support::*;

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
}

async fn timed_login(host: &Host, email: &str, pin: &str) -> Result<(u16, Option<String>, Duration), Error> {
    let (cookie, token) = form_token(host, "").await?;
    let started = Instant::now();
    let r = raw_post(
        host,
        &cookie,
        "/login",
        &format!("email={}&pin={pin}&csrf={token}", email.replace('@', "%40")),
        &[],
    )
    .await?;
    let took = started.elapsed();
    assert!(set_cookie(&r, "otsid").is_none(), "{email} was signed in with {pin}");
    Ok((r.status().as_u16(), location(&r), took))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_an_unknown_address_answers_like_a_wrong_pin_and_as_slowly() -> TestResult {
    let host = Host::start().await?;
    seed(&host.state).await?;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        let (s, l, t) = timed_login(&host, "staff@harbour.example", "11111111").await?;
        wrong.push(t);
        let (s2, l2, t2) = timed_login(&host, "nobody@harbour.example", "11111111").await?;
        unknown.push(t2);
        assert_eq!((s, l.as_deref()), (303, Some("/login?done=failed")), "a wrong PIN");
        assert_eq!((s2, l2), (s, l), "an unknown address answers exactly as a wrong PIN");
    }
    wrong.sort();
    unknown.sort();
    // Both verify an argon2 hash; without the dummy hash an unknown address answered at once.
    assert!(
        unknown[1] * 3 > wrong[1],
        "an unknown address takes {:?}, a wrong PIN {:?}",
        unknown[1],
        wrong[1]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_the_lock_holds_for_twenty_wrong_logins_at_once() -> TestResult {
    let host = Host::start().await?;
    seed(&host.state).await?;
    let (cookie, token) = form_token(&host, "").await?;
    let mut set = JoinSet::new();
    for _ in 0..20 {
        let (url, cookie, token) = (host.url.clone(), cookie.clone(), token.clone());
        set.spawn(async move {
            let r = client()?
                .post(format!("{url}/login"))
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("email=staff%40harbour.example&pin=99999999&csrf={token}"))
                .send()
                .await?;
            Ok::<u16, Error>(r.status().as_u16())
        });
    }
    let mut checked = 0;
    let mut locked = 0;
    while let Some(done) = set.join_next().await {
        match done?? {
            303 => checked += 1,
            429 => locked += 1,
            other => return Err(format!("a wrong login answered {other}").into()),
        }
    }
    assert_eq!(checked + locked, 20);
    assert!(checked <= 5, "{checked} PINs were checked before the lock (at most 5)");
    assert!(checked >= 1, "none was checked at all");
    let r = post(
        &host,
        "",
        "/login",
        &format!("email=staff%40harbour.example&pin={PORTAL_PIN}"),
    )
    .await?;
    assert_eq!(r.status().as_u16(), 429, "the right PIN waits for the lock too");
    let row = query("SELECT failed_logins, locked_until > now() FROM users WHERE email = 'staff@harbour.example'")
        .fetch_one(&host.state.pool)
        .await?;
    assert_eq!(row.try_get::<i32, _>(0)?, 5);
    assert!(row.try_get::<bool, _>(1)?, "locked");
    Ok(())
}

async fn mails_to(host: &Host, email: &str) -> Result<i64, Error> {
    Ok(query("SELECT count(*) FROM outbox WHERE to_email = $1")
        .bind(email)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_pin_is_limited_per_address_and_per_client() -> TestResult {
    let host = Host::start().await?;
    seed(&host.state).await?;
    for email in ["staff@harbour.example", "nobody@harbour.example"] {
        let mut answers = Vec::new();
        for _ in 0..5 {
            let r = post(&host, "", "/forgot", &format!("email={}", email.replace('@', "%40"))).await?;
            answers.push(r.status().as_u16());
            if r.status().as_u16() == 429 {
                assert!(r.text().await?.contains("Too many requests for a new PIN"));
            }
        }
        assert_eq!(answers, [200, 200, 200, 429, 429], "{email}: three links an hour");
    }
    assert_eq!(
        mails_to(&host, "staff@harbour.example").await?,
        3,
        "no mail past the limit"
    );
    assert_eq!(mails_to(&host, "nobody@harbour.example").await?, 0);
    // Ten requests from this client in the hour: an eleventh, for a fresh address, is refused.
    let r = post(&host, "", "/forgot", "email=admin%40harbour.example").await?;
    assert_eq!(r.status().as_u16(), 429, "the client's limit");
    assert_eq!(mails_to(&host, "admin@harbour.example").await?, 0, "and nothing queued");
    Ok(())
}

async fn works(host: &Host, cookie: &str) -> Result<bool, Error> {
    let r = get(host, cookie, "/profile").await?;
    Ok(r.status().as_u16() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_rotate_at_login_end_at_logout_pin_change_reset_and_idle() -> TestResult {
    let host = Host::start().await?;
    seed(&host.state).await?;
    let email = "admin@harbour.example";
    // Rotation: signing in again with a session cookie gives a new id and ends the old one.
    let first = login(&host, email, PORTAL_PIN).await?;
    let r = post(
        &host,
        &first,
        "/login",
        &format!("email=admin%40harbour.example&pin={PORTAL_PIN}"),
    )
    .await?;
    let second = set_cookie(&r, "otsid").ok_or("no session")?;
    assert_ne!(first, second, "a new session id at login");
    assert!(!works(&host, &first).await?, "the old id is signed out");
    assert!(works(&host, &second).await?);

    // Logout ends it.
    post(&host, &second, "/logout", "").await?;
    assert!(!works(&host, &second).await?, "logged out");

    // A PIN change ends the person's other sessions, not the one that changed it.
    let here = login(&host, email, PORTAL_PIN).await?;
    let elsewhere = login(&host, email, PORTAL_PIN).await?;
    let other_person = login(&host, "staff@harbour.example", PORTAL_PIN).await?;
    let r = post(
        &host,
        &here,
        "/profile/pin",
        &format!("old={PORTAL_PIN}&pin=13572468&pin2=13572468"),
    )
    .await?;
    assert_eq!(r.status().as_u16(), 303, "PIN changed");
    assert!(works(&host, &here).await?, "the session that changed the PIN goes on");
    assert!(!works(&host, &elsewhere).await?, "the other session ended");
    assert!(
        works(&host, &other_person).await?,
        "another person's session is untouched"
    );

    // A reset by mail ends every session.
    post(&host, "", "/forgot", "email=admin%40harbour.example").await?;
    let body: String = query("SELECT body FROM outbox WHERE to_email = $1 ORDER BY id DESC LIMIT 1")
        .bind(email)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    let link = body
        .lines()
        .next()
        .ok_or("empty mail")?
        .trim_start_matches(&host.url)
        .to_owned();
    let r = post(&host, "", &link, "pin=24682468&pin2=24682468").await?;
    assert_eq!(r.status().as_u16(), 303, "reset");
    assert!(!works(&host, &here).await?, "a reset ends every session");

    // Idle timeout (30 minutes by default): 29 minutes unused still works and moves the clock,
    // 31 does not.
    let s = login(&host, email, "24682468").await?;
    let hash = till_host::db::secret_hash(s.trim_start_matches("otsid="));
    let idle = |mins: i32| {
        query("UPDATE sessions SET last_seen_at = now() - make_interval(mins => $2) WHERE hash = $1")
            .bind(hash.clone())
            .bind(mins)
    };
    idle(host.state.idle_minutes - 1).execute(&host.state.pool).await?;
    assert!(works(&host, &s).await?, "used within the idle timeout");
    let fresh: bool = query("SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE hash = $1")
        .bind(&hash)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    assert!(fresh, "a use moves the idle clock");
    idle(host.state.idle_minutes + 1).execute(&host.state.pool).await?;
    let r = get(&host, &s, "/").await?;
    assert_eq!(location(&r).as_deref(), Some("/login"), "idle too long");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_changes_only_its_membership_never_the_persons_profile() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    // A second merchant whose owner invites a person who already works for Harbour.
    till_host::portal::create_merchant(&host.state, "Lantau Tea", "owner@lantau.example", "Lan").await?;
    query("UPDATE users SET pin_hash = (SELECT pin_hash FROM users WHERE email = 'staff@harbour.example') WHERE email = 'owner@lantau.example'")
        .execute(&host.state.pool)
        .await?;
    let lantau = login(&host, "owner@lantau.example", PORTAL_PIN).await?;
    let lantau_shop = query(
        "INSERT INTO shops (merchant_id, name) SELECT id, 'Tea' FROM merchants WHERE name = 'Lantau Tea' RETURNING id",
    )
    .fetch_one(&host.state.pool)
    .await?
    .try_get::<i64, _>(0)?;
    let profile = |email: &'static str| {
        query("SELECT alias, mobile FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&host.state.pool)
    };
    let before = profile("staff@harbour.example").await?;
    let before: (String, String) = (before.try_get(0)?, before.try_get(1)?);

    let r = post(
        &host,
        &lantau,
        "/users/invite",
        &format!("alias=Renamed+by+Lantau&email=staff%40harbour.example&mobile=999&role=staff&shop={lantau_shop}"),
    )
    .await?;
    assert_eq!(r.status().as_u16(), 303, "invited");
    let after = profile("staff@harbour.example").await?;
    assert_eq!(
        (after.try_get::<String, _>(0)?, after.try_get::<String, _>(1)?),
        before,
        "the invite renamed no one"
    );
    let page = get(&host, &lantau, "/users").await?.text().await?;
    assert!(
        page.contains("Renamed by Lantau"),
        "Lantau knows the person by its own alias"
    );

    // Harbour's owner edits its membership of the person: role, shops, alias — not the profile.
    let staff: i64 = query("SELECT id FROM users WHERE email = 'staff@harbour.example'")
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    let harbour = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let r = post(
        &host,
        &harbour,
        &format!("/users/{staff}/edit"),
        &format!("alias=Harbour+Name&mobile=111&role=supervisor&shop={}", seed.shop_b),
    )
    .await?;
    assert_eq!(r.status().as_u16(), 303, "edited");
    let after = profile("staff@harbour.example").await?;
    assert_eq!(
        (after.try_get::<String, _>(0)?, after.try_get::<String, _>(1)?),
        before,
        "the edit renamed no one"
    );
    let m = query("SELECT role, alias FROM memberships WHERE user_id = $1 AND merchant_id = $2")
        .bind(staff)
        .bind(seed.merchant)
        .fetch_one(&host.state.pool)
        .await?;
    assert_eq!(m.try_get::<String, _>(0)?, "supervisor");
    assert_eq!(m.try_get::<Option<String>, _>(1)?.as_deref(), Some("Harbour Name"));
    let harbour_page = get(&host, &harbour, "/users").await?.text().await?;
    assert!(harbour_page.contains("Harbour Name") && !harbour_page.contains("Renamed by Lantau"));
    let lantau_page = get(&host, &lantau, "/users").await?.text().await?;
    assert!(lantau_page.contains("Renamed by Lantau") && !lantau_page.contains("Harbour Name"));
    // The person's own profile still shows their own name.
    let own = login(&host, "staff@harbour.example", PORTAL_PIN).await?;
    let mine = get(&host, &own, "/profile").await?.text().await?;
    assert!(mine.contains(&before.0), "own profile: {}", before.0);
    Ok(())
}

//! Shared test rig: one PostgreSQL cluster per test process, a fresh database per test, the
//! host in-process (or as its real binary), portal sessions, and tills enrolled through the
//! portal's "set up POS" code.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use till::{Clock, Sims, SystemClock, Till, TillOptions};
use till_domain::TillConfig;
use till_host::{AppState, db};
use till_sync::{EnrolRequest, HttpHost, WIRE_VERSION};

pub use till_testkit::pg::{Error, Pg, free_port};

pub type TestResult = Result<(), Error>;

/// The PIN every seeded portal user has.
pub const PORTAL_PIN: &str = "24681357";
/// The till operator's PIN after the first-login change.
pub const TILL_PIN: &str = "135790";

static CLUSTER: OnceLock<Result<Pg, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

pub fn cluster() -> Result<&'static Pg, Error> {
    CLUSTER
        .get_or_init(|| Pg::start().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| e.clone().into())
}

/// A new, empty database in the shared cluster; returns its URL.
pub async fn fresh_db() -> Result<String, Error> {
    let pg = cluster()?;
    let name = format!("t{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let admin = db::connect(&pg.url("postgres"), 1).await?;
    // The name is ours (digits and an underscore): safe to put in the statement.
    query(sqlx_core::sql_str::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(pg.url(&name))
}

/// A till's data directory, inside the cluster's directory so the watchdog removes it too.
pub fn temp_dir(name: &str) -> Result<PathBuf, Error> {
    let dir = cluster()?
        .dir
        .join("tills")
        .join(format!("{name}-{}", NEXT_DB.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The host served in-process on a free loopback port.
#[derive(Debug)]
pub struct Host {
    pub url: String,
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Host {
    pub async fn start() -> Result<Host, Error> {
        let db_url = fresh_db().await?;
        Host::start_on(&db_url).await
    }

    pub async fn start_on(db_url: &str) -> Result<Host, Error> {
        let pool = db::connect(db_url, 8).await?;
        db::migrate(&pool).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = AppState::load(pool, url.clone(), 480).await?;
        let app = till_host::router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        Ok(Host { url, state, task })
    }

    pub async fn count(&self, sql: &'static str, device: i64) -> Result<i64, Error> {
        Ok(query(sql).bind(device).fetch_one(&self.state.pool).await?.try_get(0)?)
    }
}

/// A seeded merchant: two shops and one user per role (`<role>@harbour.example`, PIN
/// [`PORTAL_PIN`]); the shop-scoped roles work in shop A.
#[derive(Debug, Clone)]
pub struct Seed {
    pub merchant: i64,
    pub shop_a: i64,
    pub shop_b: i64,
}

pub async fn seed(state: &AppState) -> Result<Seed, Error> {
    let pool = &state.pool;
    let merchant: i64 = query("INSERT INTO merchants (name, app_id) VALUES ('Harbour Noodles', 'app-1') RETURNING id")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    let mut shops = Vec::new();
    for (name, address) in [("Shop A", "1 Nathan Road"), ("Shop B", "2 Des Voeux Road")] {
        let id: i64 = query("INSERT INTO shops (merchant_id, name, address) VALUES ($1, $2, $3) RETURNING id")
            .bind(merchant)
            .bind(name)
            .bind(address)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        shops.push(id);
    }
    let hash = db::hash_pin(PORTAL_PIN)?;
    for role in till_host::access::Role::ALL {
        let email = format!("{}@harbour.example", role.id());
        let id: i64 = query("INSERT INTO users (email, alias, pin_hash) VALUES ($1, $2, $3) RETURNING id")
            .bind(&email)
            .bind(format!("{} user", role.id()))
            .bind(&hash)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        query("INSERT INTO memberships (user_id, merchant_id, role) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(merchant)
            .bind(role.id())
            .execute(pool)
            .await?;
        if role.shop_scoped() {
            query("INSERT INTO membership_shops (user_id, merchant_id, shop_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(merchant)
                .bind(shops[0])
                .execute(pool)
                .await?;
        }
    }
    Ok(Seed {
        merchant,
        shop_a: shops[0],
        shop_b: shops[1],
    })
}

/// A browser-like client that does not follow redirects.
pub fn client() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// The `name=value` of a `Set-Cookie` named `name` in an answer.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
        .map(str::to_owned)
}

/// The CSRF field of the first POST form in a page.
pub fn csrf_of(page: &str) -> Option<String> {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_owned)
}

/// Loads `page` as a browser would with `cookie` and takes what its forms post with: the
/// cookie (with the pre-session cookie the page may have set) and the form's CSRF token.
pub async fn form_token_from(host: &Host, cookie: &str, page: &str) -> Result<(String, String), Error> {
    let resp = get(host, cookie, page).await?;
    let pre = set_cookie(&resp, "otpre");
    let body = resp.text().await?;
    let token = csrf_of(&body).ok_or_else(|| format!("no CSRF field on {page}: {body}"))?;
    let cookie = match pre {
        Some(p) if cookie.is_empty() => p,
        Some(p) => format!("{cookie}; {p}"),
        None => cookie.to_owned(),
    };
    Ok((cookie, token))
}

/// The same from the login page, which has a form for everyone.
pub async fn form_token(host: &Host, cookie: &str) -> Result<(String, String), Error> {
    form_token_from(host, cookie, "/login").await
}

/// Logs in through the portal; returns the `Cookie` header value.
pub async fn login(host: &Host, email: &str, pin: &str) -> Result<String, Error> {
    let resp = post(
        host,
        "",
        "/login",
        &format!("email={}&pin={pin}", email.replace('@', "%40")),
    )
    .await?;
    let cookie = set_cookie(&resp, "otsid")
        .ok_or_else(|| format!("login of {email} set no session (status {})", resp.status()))?;
    Ok(cookie)
}

pub async fn get(host: &Host, cookie: &str, path: &str) -> Result<reqwest::Response, Error> {
    Ok(client()?
        .get(format!("{}{path}", host.url))
        .header("cookie", cookie)
        .send()
        .await?)
}

/// A form post as the portal's own page sends it: with the CSRF token of `cookie`'s session (or
/// of a pre-session), taken from a page first.
pub async fn post(host: &Host, cookie: &str, path: &str, body: &str) -> Result<reqwest::Response, Error> {
    let (cookie, token) = form_token(host, cookie).await?;
    let sep = if body.is_empty() { "" } else { "&" };
    raw_post(host, &cookie, path, &format!("{body}{sep}csrf={token}"), &[]).await
}

/// A form post exactly as given (no token added), with extra headers: what a forged form sends.
pub async fn raw_post(
    host: &Host,
    cookie: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<reqwest::Response, Error> {
    let mut req = client()?
        .post(format!("{}{path}", host.url))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Ok(req.body(body.to_owned()).send().await?)
}

/// H3 "set up POS" through the portal as the owner: (device id, activation code).
pub async fn set_up_pos(host: &Host, owner: &str, shop: i64, name: &str) -> Result<(i64, String), Error> {
    let resp = post(host, owner, &format!("/shops/{shop}/pos"), &format!("name={name}")).await?;
    let status = resp.status();
    let page = resp.text().await?;
    if status.as_u16() != 201 {
        return Err(format!("set up POS answered {status}: {page}").into());
    }
    let code = page
        .split("id=\"activation-code\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .ok_or("no activation code on the page")?
        .to_owned();
    let device: i64 = query("SELECT max(id) FROM devices WHERE shop_id = $1")
        .bind(shop)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    Ok((device, code))
}

/// A till whose files live in `dir`, linked to the host through `link`, operator 1 logged in.
pub fn open_till(dir: &Path, link: Option<Arc<HttpHost>>) -> Result<(Till, Sims), Error> {
    open_till_on(dir, link, Arc::new(SystemClock))
}

/// The same on a given clock (a `ManualClock` puts sales on known days).
pub fn open_till_on(dir: &Path, link: Option<Arc<HttpHost>>, clock: Arc<dyn Clock>) -> Result<(Till, Sims), Error> {
    let config = TillConfig::demo();
    let sims = Sims::open(Some(&dir.join("sim")), clock.clone(), config.currency, 48)?;
    let mut devices = sims.devices();
    if let Some(l) = link {
        devices.host = l;
    }
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    let till = Till::open_dir(dir, devices, opts)?;
    if till.login("1", TILL_PIN).is_err() {
        till.change_pin("1", "0001", TILL_PIN)?;
        till.login("1", TILL_PIN)?;
    }
    Ok((till, sims))
}

/// Enrols with `code` at `url` and returns the device token.
pub async fn enrol(url: &str, code: &str) -> Result<String, Error> {
    let e = till_sync::enrol(
        url,
        &EnrolRequest {
            v: WIRE_VERSION,
            code: code.to_owned(),
            till_id: "DEMO-01".into(),
            serial: "OT2026000001".into(),
            software: "test".into(),
        },
    )
    .await?;
    Ok(e.token)
}

/// Syncs until the till's backlog is empty, retrying failures; returns the passes it took.
pub async fn drain(till: &Till, limit: u32) -> Result<u32, Error> {
    for pass in 1..=limit {
        match till.sync().await {
            Ok(_) if till.sync_backlog()? == 0 => return Ok(pass),
            Ok(_) => {}
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    Err(format!("backlog {} after {limit} passes", till.sync_backlog()?).into())
}

/// Every event of `device` the host holds: (count, distinct sequences, highest sequence).
pub async fn held(host: &AppState, device: i64) -> Result<(i64, i64, i64), Error> {
    let r = query("SELECT count(*), count(DISTINCT seq), COALESCE(max(seq), 0) FROM events WHERE device_id = $1")
        .bind(device)
        .fetch_one(&host.pool)
        .await?;
    Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
}

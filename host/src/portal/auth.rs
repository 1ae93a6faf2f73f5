//! The public pages (H1): language, login and logout, account activation, forgotten PIN, and a
//! new merchant's first owner (`till-host create-merchant`).

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sqlx_core::query::query;
use sqlx_core::row::Row;

use super::guard::ClientAddr;
use super::{
    ACTIVATION_HOURS, Account, LOCK_MINUTES, MAX_FAILED_LOGINS, OrPage, Page, PageErr, RESET_HOURS, SESSION_COOKIE,
    SESSION_HOURS, form, query_form,
};
use crate::AppState;
use crate::db;
use crate::error::HostError;
use crate::html::{cookie, esc, page, redirect, status_page};
use crate::text::{Lang, tr};

pub(super) async fn set_lang(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = Lang::from_id(&lang);
    // Back to the page the link was on, only when that page is on this site.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .filter(|r| super::guard::ours(&headers, &state.public_url, r))
        .and_then(|r| {
            r.split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|j| &rest[j..]))
        })
        .and_then(crate::html::same_site_path)
        .unwrap_or("/")
        .to_owned();
    let mut resp = redirect(&back);
    if let Ok(v) = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.id()).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn public_page(lang: Lang, title: &'static str, body: &str) -> Response {
    page(lang, tr(lang, title), &[], None, body).into_response()
}

pub(super) async fn login_form(lang: Lang, q: RawQuery) -> Response {
    let q = query_form(&q);
    let notice = match q.get("done") {
        Some("activated") => format!("<p class=\"notice\">{}</p>", esc(tr(lang, "activated"))),
        Some("reset") => format!("<p class=\"notice\">{}</p>", esc(tr(lang, "pin-reset-done"))),
        Some("failed") => format!("<p class=\"error\">{}</p>", esc(tr(lang, "login-failed"))),
        _ => String::new(),
    };
    public_page(
        lang,
        "login",
        &format!(
            "{notice}<form method=\"post\" action=\"/login\"><label>{} <input name=\"email\" type=\"email\" required></label>\
             <label>{} <input name=\"pin\" type=\"password\" inputmode=\"numeric\" required></label>\
             <button>{}</button></form><p><a href=\"/forgot\">{}</a></p>",
            esc(tr(lang, "email")),
            esc(tr(lang, "pin")),
            esc(tr(lang, "login")),
            esc(tr(lang, "forgot"))
        ),
    )
}

/// A hash no PIN matches, verified for an unknown address so it takes as long as a wrong PIN.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| db::hash_pin(&db::new_secret()).unwrap_or_default())
}

pub(super) async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Page {
    let f = form(&body);
    let email = f.text("email").to_lowercase();
    let pin = f.text("pin");
    // The attempt is counted before the PIN is checked, in one statement: of any number of
    // logins at once, at most MAX_FAILED_LOGINS are checked before the lock holds. A lock that
    // has run out starts the count again.
    let row = query(
        "WITH next AS (
            SELECT id, CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END AS n
            FROM users WHERE email = $1 AND (locked_until IS NULL OR locked_until <= now()) FOR UPDATE)
         UPDATE users u SET failed_logins = next.n,
                locked_until = CASE WHEN next.n >= $2 THEN now() + make_interval(mins => $3) END
         FROM next WHERE u.id = next.id
         RETURNING u.id, u.pin_hash",
    )
    .bind(&email)
    .bind(MAX_FAILED_LOGINS)
    .bind(LOCK_MINUTES as i32)
    .fetch_optional(&state.pool)
    .await
    .or_page(lang)?;
    let Some(row) = row else {
        let locked = query("SELECT 1 FROM users WHERE email = $1 AND locked_until > now()")
            .bind(&email)
            .fetch_optional(&state.pool)
            .await
            .or_page(lang)?;
        if locked.is_some() {
            return Ok(status_page(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                tr(lang, "login-locked"),
            ));
        }
        // An unknown address: the same work and the same answer as a wrong PIN.
        let _ = db::verify_pin(dummy_hash(), &pin);
        return Ok(redirect("/login?done=failed"));
    };
    let user: i64 = row.try_get(0).or_page(lang)?;
    let hash: Option<String> = row.try_get(1).or_page(lang)?;
    let ok = db::verify_pin(hash.as_deref().unwrap_or_else(|| dummy_hash()), &pin) && hash.is_some();
    if !ok {
        return Ok(redirect("/login?done=failed"));
    }
    query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user)
        .execute(&state.pool)
        .await
        .or_page(lang)?;
    let merchants: Vec<i64> = query("SELECT merchant_id FROM memberships WHERE user_id = $1")
        .bind(user)
        .fetch_all(&state.pool)
        .await
        .or_page(lang)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .or_page(lang)?;
    let merchant = (merchants.len() == 1).then(|| merchants[0]);
    // A new session id at every login: a session id planted before it is never signed in.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        query("DELETE FROM sessions WHERE hash = $1")
            .bind(db::secret_hash(old))
            .execute(&state.pool)
            .await
            .or_page(lang)?;
    }
    let token = db::new_secret();
    query("INSERT INTO sessions (hash, user_id, merchant_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))")
        .bind(db::secret_hash(&token))
        .bind(user)
        .bind(merchant)
        .bind(SESSION_HOURS as i32)
        .execute(&state.pool)
        .await
        .or_page(lang)?;
    let mut resp = redirect(if merchant.is_some() { "/" } else { "/merchants" });
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}").parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub(super) async fn logout(State(state): State<AppState>, account: Account) -> Page {
    query("DELETE FROM sessions WHERE hash = $1")
        .bind(&account.session_hash)
        .execute(&state.pool)
        .await
        .or_page(account.lang)?;
    let mut resp = redirect("/login");
    if let Ok(v) = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0").parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// The user a one-time link names, if it is unused and in time.
async fn link_user(state: &AppState, token: &str, kind: &str) -> Result<i64, HostError> {
    let row = query(
        "SELECT user_id FROM user_tokens WHERE hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()",
    )
    .bind(db::secret_hash(token))
    .bind(kind)
    .fetch_optional(&state.pool)
    .await?
    .ok_or(HostError::ActivationInvalid)?;
    Ok(row.try_get(0)?)
}

fn set_pin_form(lang: Lang, action: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><label>{} <input name=\"pin\" type=\"password\" inputmode=\"numeric\" required></label>\
         <label>{} <input name=\"pin2\" type=\"password\" inputmode=\"numeric\" required></label><button>{}</button></form>",
        esc(action),
        esc(tr(lang, "new-pin")),
        esc(tr(lang, "repeat-pin")),
        esc(tr(lang, "save"))
    )
}

pub(super) async fn activate_form(State(state): State<AppState>, lang: Lang, Path(token): Path<String>) -> Page {
    link_user(&state, &token, "activation").await.or_page(lang)?;
    Ok(public_page(
        lang,
        "activate",
        &set_pin_form(lang, &format!("/activate/{token}")),
    ))
}

async fn use_link(state: &AppState, lang: Lang, token: &str, kind: &str, body: &Bytes) -> Result<(), PageErr> {
    let user = link_user(state, token, kind).await.or_page(lang)?;
    let f = form(body);
    let pin = f.text("pin");
    if !db::valid_portal_pin(&pin) {
        return Err(PageErr(HostError::Invalid("pin-rule"), lang));
    }
    if f.text("pin2") != pin {
        return Err(PageErr(HostError::Invalid("pin-mismatch"), lang));
    }
    let hash = db::hash_pin(&pin).or_page(lang)?;
    let mut tx = state.pool.begin().await.or_page(lang)?;
    let used = query("UPDATE user_tokens SET used_at = now() WHERE hash = $1 AND used_at IS NULL")
        .bind(db::secret_hash(token))
        .execute(&mut *tx)
        .await
        .or_page(lang)?;
    if used.rows_affected() != 1 {
        return Err(PageErr(HostError::ActivationInvalid, lang));
    }
    query("UPDATE users SET pin_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user)
        .bind(hash)
        .execute(&mut *tx)
        .await
        .or_page(lang)?;
    query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await
        .or_page(lang)?;
    tx.commit().await.or_page(lang)?;
    Ok(())
}

pub(super) async fn activate(
    State(state): State<AppState>,
    lang: Lang,
    Path(token): Path<String>,
    body: Bytes,
) -> Page {
    use_link(&state, lang, &token, "activation", &body).await?;
    Ok(redirect("/login?done=activated"))
}

pub(super) async fn forgot_form(lang: Lang) -> Response {
    public_page(
        lang,
        "forgot",
        &format!(
            "<form method=\"post\" action=\"/forgot\"><label>{} <input name=\"email\" type=\"email\" required></label><button>{}</button></form>",
            esc(tr(lang, "email")),
            esc(tr(lang, "send-link"))
        ),
    )
}

/// Mails a link (into the outbox) to `user`.
pub(super) async fn mail_link(
    state: &AppState,
    user: i64,
    kind: &str,
    hours: i64,
    subject: &str,
) -> Result<String, HostError> {
    let token = db::new_secret();
    let row = query(
        "WITH t AS (INSERT INTO user_tokens (hash, kind, user_id, expires_at)
                    VALUES ($1, $2, $3, now() + make_interval(hours => $4)) RETURNING user_id)
         SELECT u.email FROM users u JOIN t ON t.user_id = u.id",
    )
    .bind(db::secret_hash(&token))
    .bind(kind)
    .bind(user)
    .bind(hours as i32)
    .fetch_one(&state.pool)
    .await?;
    let email: String = row.try_get(0)?;
    let path = if kind == "activation" { "activate" } else { "reset" };
    let link = format!("{}/{path}/{token}", state.public_url);
    query("INSERT INTO outbox (to_email, subject, body) VALUES ($1, $2, $3)")
        .bind(&email)
        .bind(subject)
        .bind(format!("{link}\n(valid {hours} hours)"))
        .execute(&state.pool)
        .await?;
    eprintln!("till-host: mail to {email}: {subject}: {link}");
    Ok(link)
}

pub(super) async fn forgot(
    State(state): State<AppState>,
    lang: Lang,
    Extension(client): Extension<ClientAddr>,
    body: Bytes,
) -> Page {
    let email = form(&body).text("email").to_lowercase();
    // Every request is kept, known address or not (so the limit tells nobody which are known),
    // then counted with the ones before it in the last hour.
    let row = query(
        "WITH gone AS (DELETE FROM forgot_requests WHERE at < now() - interval '1 day'),
              mine AS (INSERT INTO forgot_requests (email, client) VALUES ($1, $2))
         SELECT count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE client = $2)
         FROM forgot_requests WHERE at > now() - interval '1 hour'",
    )
    .bind(&email)
    .bind(&client.0)
    .fetch_one(&state.pool)
    .await
    .or_page(lang)?;
    let (per_address, per_client): (i64, i64) = (row.try_get(0).or_page(lang)?, row.try_get(1).or_page(lang)?);
    // The statement does not see its own insert: this one is the count + 1.
    if per_address >= FORGOT_PER_ADDRESS_HOUR || per_client >= FORGOT_PER_CLIENT_HOUR {
        return Ok(status_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            tr(lang, "forgot-limited"),
        ));
    }
    let user = query("SELECT id FROM users WHERE email = $1 AND pin_hash IS NOT NULL")
        .bind(&email)
        .fetch_optional(&state.pool)
        .await
        .or_page(lang)?;
    if let Some(row) = user {
        let id: i64 = row.try_get(0).or_page(lang)?;
        mail_link(&state, id, "reset", RESET_HOURS, "OpenTill: reset your PIN")
            .await
            .or_page(lang)?;
    }
    // The same answer whether or not the address is known.
    Ok(public_page(
        lang,
        "forgot",
        &format!("<p class=\"notice\">{}</p>", esc(tr(lang, "link-sent"))),
    ))
}

/// Links asked for one address in an hour, and by one client.
const FORGOT_PER_ADDRESS_HOUR: i64 = 3;
const FORGOT_PER_CLIENT_HOUR: i64 = 10;

pub(super) async fn reset_form(State(state): State<AppState>, lang: Lang, Path(token): Path<String>) -> Page {
    link_user(&state, &token, "reset").await.or_page(lang)?;
    Ok(public_page(
        lang,
        "reset-pin",
        &set_pin_form(lang, &format!("/reset/{token}")),
    ))
}

pub(super) async fn reset(State(state): State<AppState>, lang: Lang, Path(token): Path<String>, body: Bytes) -> Page {
    use_link(&state, lang, &token, "reset", &body).await?;
    Ok(redirect("/login?done=reset"))
}

/// Creates a merchant with its owner (role Merchant) and mails the owner's 72-hour activation
/// link, which is returned. The first step of a new merchant, run by the operator of the host.
pub async fn create_merchant(state: &AppState, name: &str, email: &str, alias: &str) -> Result<String, HostError> {
    let email = email.trim().to_lowercase();
    if name.trim().is_empty() || !email.contains('@') {
        return Err(HostError::Invalid("email-invalid"));
    }
    let mut tx = state.pool.begin().await?;
    let merchant: i64 = query("INSERT INTO merchants (name, app_id) VALUES ($1, $2) RETURNING id")
        .bind(name.trim())
        .bind(&db::new_secret()[..16])
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let row = query(
        "INSERT INTO users (email, alias) VALUES ($1, $2)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id, pin_hash IS NULL",
    )
    .bind(&email)
    .bind(alias)
    .fetch_one(&mut *tx)
    .await?;
    let user: i64 = row.try_get(0)?;
    let new_user: bool = row.try_get(1)?;
    query("INSERT INTO memberships (user_id, merchant_id, role) VALUES ($1, $2, 'merchant')")
        .bind(user)
        .bind(merchant)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if new_user {
        mail_link(
            state,
            user,
            "activation",
            ACTIVATION_HOURS,
            "OpenTill: activate your account",
        )
        .await
    } else {
        Ok(format!("{}/login", state.public_url))
    }
}

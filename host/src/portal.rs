//! The merchant portal (H1–H7): server-rendered pages over the same database the tills fill.
//!
//! Every guarded handler starts with [`Ctx::require`], which asks [`access::allowed`] — the one
//! permission table — with the scope the request aims at (the merchant, or the shop a POS,
//! transaction or shop page belongs to). Anything of another merchant is "not found".

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;
use std::fmt::Write as _;
use till_sync::CommandBody;

use crate::AppState;
use crate::access::{self, Action, Grant, Role, Scope};
use crate::db;
use crate::error::HostError;
use crate::html::{FormData, NavItem, cookie, esc, page, redirect, status_page, url_enc};
use crate::text::{Lang, tr};

const SESSION_COOKIE: &str = "otsid";
const SESSION_HOURS: i64 = 12;
const ACTIVATION_HOURS: i64 = 72;
const RESET_HOURS: i64 = 1;
const POS_CODE_HOURS: i64 = 24;
const MAX_FAILED_LOGINS: i32 = 5;
const LOCK_MINUTES: i64 = 15;

/// Transaction statuses a filter may name.
pub const STATUSES: &[&str] = &[
    "approved",
    "declined",
    "voided",
    "reversed",
    "cancelled",
    "pending",
    "unknown",
];
/// Payment-means tabs (H4), see `ingest::tab_of`.
pub const TABS: &[&str] = &[
    "card",
    "unionpay",
    "alipay",
    "wechat-pay",
    "fps",
    "paynow",
    "tap-and-go",
    "stored-value",
    "cash",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/style.css", get(style))
        .route("/healthz", get(|| async { "ok" }))
        .route("/lang/{lang}", get(set_lang))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/activate/{token}", get(activate_form).post(activate))
        .route("/forgot", get(forgot_form).post(forgot))
        .route("/reset/{token}", get(reset_form).post(reset))
        .route("/merchants", get(merchants))
        .route("/merchants/choose", post(choose_merchant))
        .route("/profile", get(profile).post(profile_save))
        .route("/profile/pin", post(profile_pin))
        .route("/", get(home))
        .route("/merchant", get(merchant_detail))
        .route("/merchant/app", get(merchant_app))
        .route("/merchant/dev-files", get(dev_files))
        .route("/users", get(users))
        .route("/users/invite", post(invite))
        .route("/users/{id}/edit", post(user_edit))
        .route("/users/{id}/remove", post(user_remove))
        .route("/transactions", get(transactions))
        .route("/transactions.csv", get(transactions_csv))
        .route("/transactions/{device}/{txn}/refund", post(refund))
        .route("/reports/t1", get(report_t1))
        .route("/reports/t1.csv", get(report_t1_csv))
        .route("/shops", get(shops).post(shop_create))
        .route("/shops/{id}", get(shop_detail))
        .route("/shops/{id}/edit", post(shop_edit))
        .route("/shops/{id}/members", get(shop_members))
        .route("/shops/{id}/delete", post(shop_delete))
        .route("/shops/{id}/pos", get(shop_pos).post(pos_setup))
        .route("/pos", get(pos_list))
        .route("/pos/{id}", get(pos_detail))
        .route("/pos/{id}/reset-pin", post(pos_reset_pin))
        .route("/pos/{id}/reset-refund-pin", post(pos_reset_refund_pin))
        .route("/pos/{id}/block", post(pos_block))
        .route("/pos/{id}/unblock", post(pos_unblock))
        .route("/pos/{id}/refund-block", post(pos_refund_block))
        .route("/pos/{id}/refund-unblock", post(pos_refund_unblock))
        .route("/pos/{id}/receipt", post(pos_receipt))
        .route(
            "/pos/{id}/diagnostics",
            get(pos_diagnostics).post(pos_request_diagnostics),
        )
}

// ---- errors and context ------------------------------------------------------------------

/// An error answered as a page in the reader's language.
#[derive(Debug)]
pub struct PageErr(HostError, Lang);

impl IntoResponse for PageErr {
    fn into_response(self) -> Response {
        let PageErr(e, lang) = self;
        match e {
            HostError::Unauthorized => redirect("/login"),
            HostError::Forbidden => status_page(StatusCode::FORBIDDEN, lang, tr(lang, "forbidden")),
            HostError::NotFound => status_page(StatusCode::NOT_FOUND, lang, tr(lang, "not-found")),
            HostError::ActivationInvalid => status_page(StatusCode::GONE, lang, tr(lang, "link-invalid")),
            HostError::Invalid(id) => status_page(StatusCode::BAD_REQUEST, lang, tr(lang, id)),
            HostError::Malformed(_) | HostError::TooLarge(_) => status_page(e.status(), lang, tr(lang, "bad-request")),
            other => {
                eprintln!("till-host: {other}");
                status_page(StatusCode::INTERNAL_SERVER_ERROR, lang, tr(lang, "internal-error"))
            }
        }
    }
}

type Page = Result<Response, PageErr>;

trait OrPage<T> {
    fn or_page(self, lang: Lang) -> Result<T, PageErr>;
}

impl<T, E: Into<HostError>> OrPage<T> for Result<T, E> {
    fn or_page(self, lang: Lang) -> Result<T, PageErr> {
        self.map_err(|e| PageErr(e.into(), lang))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(cookie(&parts.headers, "lang").map_or(Lang::En, Lang::from_id))
    }
}

/// A signed-in person (no merchant chosen yet, maybe).
#[derive(Debug, Clone)]
pub struct Account {
    pub session_hash: String,
    pub user_id: i64,
    pub email: String,
    pub alias: String,
    pub merchant_id: Option<i64>,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for Account {
    type Rejection = PageErr;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Account, PageErr> {
        let lang = cookie(&parts.headers, "lang").map_or(Lang::En, Lang::from_id);
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(PageErr(HostError::Unauthorized, lang))?;
        let hash = db::secret_hash(token);
        let row = query(
            "SELECT s.user_id, u.email, u.alias, s.merchant_id FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.hash = $1 AND s.expires_at > now()",
        )
        .bind(&hash)
        .fetch_optional(&state.pool)
        .await
        .or_page(lang)?
        .ok_or(PageErr(HostError::Unauthorized, lang))?;
        Ok(Account {
            session_hash: hash,
            user_id: row.try_get(0).or_page(lang)?,
            email: row.try_get(1).or_page(lang)?,
            alias: row.try_get(2).or_page(lang)?,
            merchant_id: row.try_get(3).or_page(lang)?,
            lang,
        })
    }
}

/// A signed-in person acting for one merchant.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub account: Account,
    pub merchant_id: i64,
    pub merchant_name: String,
    pub grant: Grant,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
        let account = Account::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = account.lang;
        let Some(merchant_id) = account.merchant_id else {
            return Err(redirect("/merchants"));
        };
        let row = query(
            "SELECT m.role, mer.name FROM memberships m JOIN merchants mer ON mer.id = m.merchant_id
             WHERE m.user_id = $1 AND m.merchant_id = $2",
        )
        .bind(account.user_id)
        .bind(merchant_id)
        .fetch_optional(&state.pool)
        .await
        .or_page(lang)
        .map_err(IntoResponse::into_response)?;
        // Removed from the merchant since signing in: choose again.
        let Some(row) = row else {
            return Err(redirect("/merchants"));
        };
        let role_id: String = row.try_get(0).or_page(lang).map_err(IntoResponse::into_response)?;
        let role = Role::from_id(&role_id).ok_or_else(|| PageErr(HostError::Forbidden, lang).into_response())?;
        let shops = user_shops(state, account.user_id, merchant_id)
            .await
            .or_page(lang)
            .map_err(IntoResponse::into_response)?;
        Ok(Ctx {
            merchant_name: row.try_get(1).or_page(lang).map_err(IntoResponse::into_response)?,
            account,
            merchant_id,
            grant: Grant { role, shops },
            lang,
        })
    }
}

async fn user_shops(state: &AppState, user: i64, merchant: i64) -> Result<Vec<i64>, HostError> {
    let rows = query("SELECT shop_id FROM membership_shops WHERE user_id = $1 AND merchant_id = $2 ORDER BY shop_id")
        .bind(user)
        .bind(merchant)
        .fetch_all(&state.pool)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

impl Ctx {
    /// The guard: the permission matrix at this scope, or 403.
    fn require(&self, action: Action, scope: Scope) -> Result<(), PageErr> {
        if access::allowed(&self.grant, action, scope) {
            Ok(())
        } else {
            Err(PageErr(HostError::Forbidden, self.lang))
        }
    }

    fn t(&self, key: &'static str) -> &'static str {
        tr(self.lang, key)
    }

    fn nav(&self) -> Vec<NavItem> {
        let items: [(&str, &str, Action); 8] = [
            ("/", "home", Action::Account),
            ("/transactions", "transactions", Action::History),
            ("/reports/t1", "report-t1", Action::History),
            ("/shops", "shops", Action::Shops),
            ("/pos", "pos-list", Action::PosList),
            ("/users", "users", Action::Users),
            ("/merchant/app", "merchant-app", Action::MerchantApp),
            ("/profile", "profile", Action::Account),
        ];
        items
            .into_iter()
            .filter(|(_, _, a)| access::allowed(&self.grant, *a, Scope::Merchant))
            .map(|(href, label, _)| NavItem { href, label })
            .collect()
    }

    fn page(&self, title: &'static str, body: &str) -> Response {
        let who = format!(
            "{} · {} · {}",
            self.account.alias,
            self.merchant_name,
            self.t(role_label(self.grant.role))
        );
        page(self.lang, self.t(title), &self.nav(), Some(&who), body).into_response()
    }

    fn err(&self, e: impl Into<HostError>) -> PageErr {
        PageErr(e.into(), self.lang)
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Merchant => "role-merchant",
        Role::Admin => "role-admin",
        Role::CustomerService => "role-customer-service",
        Role::Developer => "role-developer",
        Role::School => "role-school",
        Role::ShopManager => "role-shop-manager",
        Role::Supervisor => "role-supervisor",
        Role::Staff => "role-staff",
    }
}

fn form(body: &Bytes) -> FormData {
    FormData::parse(body)
}

fn query_form(q: &RawQuery) -> FormData {
    FormData::parse(q.0.as_deref().unwrap_or("").as_bytes())
}

fn id_param(s: &str, lang: Lang) -> Result<i64, PageErr> {
    s.parse().map_err(|_| PageErr(HostError::NotFound, lang))
}

// ---- public pages: style, language, login, activation, reset ---------------------------

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css")], crate::html::STYLE).into_response()
}

async fn set_lang(Path(lang): Path<String>, headers: axum::http::HeaderMap) -> Response {
    let lang = Lang::from_id(&lang);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned()))
        })
        .unwrap_or_else(|| "/".to_owned());
    let mut resp = redirect(&back);
    if let Ok(v) = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.id()).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn public_page(lang: Lang, title: &'static str, body: &str) -> Response {
    page(lang, tr(lang, title), &[], None, body).into_response()
}

async fn login_form(lang: Lang, q: RawQuery) -> Response {
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

async fn login(State(state): State<AppState>, lang: Lang, body: Bytes) -> Page {
    let f = form(&body);
    let email = f.text("email").to_lowercase();
    let pin = f.text("pin");
    let row = query("SELECT id, pin_hash, failed_logins, locked_until FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&state.pool)
        .await
        .or_page(lang)?;
    let Some(row) = row else {
        return Ok(redirect("/login?done=failed"));
    };
    let user: i64 = row.try_get(0).or_page(lang)?;
    let hash: Option<String> = row.try_get(1).or_page(lang)?;
    let locked: Option<DateTime<Utc>> = row.try_get(3).or_page(lang)?;
    if locked.is_some_and(|l| l > Utc::now()) {
        return Ok(status_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            tr(lang, "login-locked"),
        ));
    }
    let ok = hash.as_deref().is_some_and(|h| db::verify_pin(h, &pin));
    if !ok {
        query(
            "UPDATE users SET failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) END
             WHERE id = $1",
        )
        .bind(user)
        .bind(MAX_FAILED_LOGINS)
        .bind(LOCK_MINUTES as i32)
        .execute(&state.pool)
        .await
        .or_page(lang)?;
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

async fn logout(State(state): State<AppState>, account: Account) -> Page {
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

async fn activate_form(State(state): State<AppState>, lang: Lang, Path(token): Path<String>) -> Page {
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

async fn activate(State(state): State<AppState>, lang: Lang, Path(token): Path<String>, body: Bytes) -> Page {
    use_link(&state, lang, &token, "activation", &body).await?;
    Ok(redirect("/login?done=activated"))
}

async fn forgot_form(lang: Lang) -> Response {
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
async fn mail_link(state: &AppState, user: i64, kind: &str, hours: i64, subject: &str) -> Result<String, HostError> {
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

async fn forgot(State(state): State<AppState>, lang: Lang, body: Bytes) -> Page {
    let email = form(&body).text("email").to_lowercase();
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

async fn reset_form(State(state): State<AppState>, lang: Lang, Path(token): Path<String>) -> Page {
    link_user(&state, &token, "reset").await.or_page(lang)?;
    Ok(public_page(
        lang,
        "reset-pin",
        &set_pin_form(lang, &format!("/reset/{token}")),
    ))
}

async fn reset(State(state): State<AppState>, lang: Lang, Path(token): Path<String>, body: Bytes) -> Page {
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

// ---- account: merchant profiles, own profile ----------------------------------------------

async fn merchants(State(state): State<AppState>, account: Account) -> Page {
    let lang = account.lang;
    let rows = query(
        "SELECT mer.id, mer.name, m.role FROM memberships m JOIN merchants mer ON mer.id = m.merchant_id
         WHERE m.user_id = $1 ORDER BY mer.name",
    )
    .bind(account.user_id)
    .fetch_all(&state.pool)
    .await
    .or_page(lang)?;
    let mut body = format!(
        "<table><tr><th>{}</th><th>{}</th><th></th></tr>",
        esc(tr(lang, "merchant")),
        esc(tr(lang, "role"))
    );
    for r in rows {
        let id: i64 = r.try_get(0).or_page(lang)?;
        let name: String = r.try_get(1).or_page(lang)?;
        let role: String = r.try_get(2).or_page(lang)?;
        let role = Role::from_id(&role).map_or("", |r| tr(lang, role_label(r)));
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/merchants/choose\"><input type=\"hidden\" name=\"merchant\" value=\"{id}\"><button>{}</button></form></td></tr>",
            esc(&name),
            esc(role),
            esc(tr(lang, "choose"))
        );
    }
    body.push_str("</table>");
    Ok(page(lang, tr(lang, "merchant-profiles"), &[], Some(&account.alias), &body).into_response())
}

async fn choose_merchant(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
    let lang = account.lang;
    let merchant: i64 = form(&body)
        .text("merchant")
        .parse()
        .map_err(|_| PageErr(HostError::NotFound, lang))?;
    let member = query("SELECT 1 FROM memberships WHERE user_id = $1 AND merchant_id = $2")
        .bind(account.user_id)
        .bind(merchant)
        .fetch_optional(&state.pool)
        .await
        .or_page(lang)?;
    if member.is_none() {
        return Err(PageErr(HostError::NotFound, lang));
    }
    query("UPDATE sessions SET merchant_id = $2 WHERE hash = $1")
        .bind(&account.session_hash)
        .bind(merchant)
        .execute(&state.pool)
        .await
        .or_page(lang)?;
    Ok(redirect("/"))
}

async fn profile(State(state): State<AppState>, account: Account) -> Page {
    let lang = account.lang;
    let row = query("SELECT mobile FROM users WHERE id = $1")
        .bind(account.user_id)
        .fetch_one(&state.pool)
        .await
        .or_page(lang)?;
    let mobile: String = row.try_get(0).or_page(lang)?;
    let body = format!(
        "<p>{}: {}</p><form method=\"post\" action=\"/profile\"><label>{} <input name=\"alias\" value=\"{}\" required></label>\
         <label>{} <input name=\"mobile\" value=\"{}\"></label><button>{}</button></form>\
         <h2>{}</h2><form method=\"post\" action=\"/profile/pin\"><label>{} <input name=\"old\" type=\"password\" required></label>\
         <label>{} <input name=\"pin\" type=\"password\" required></label><label>{} <input name=\"pin2\" type=\"password\" required></label>\
         <button>{}</button></form><p><a href=\"/merchants\">{}</a></p>",
        esc(tr(lang, "email")),
        esc(&account.email),
        esc(tr(lang, "alias")),
        esc(&account.alias),
        esc(tr(lang, "mobile")),
        esc(&mobile),
        esc(tr(lang, "save")),
        esc(tr(lang, "change-pin")),
        esc(tr(lang, "old-pin")),
        esc(tr(lang, "new-pin")),
        esc(tr(lang, "repeat-pin")),
        esc(tr(lang, "save")),
        esc(tr(lang, "merchant-profiles")),
    );
    Ok(page(lang, tr(lang, "profile"), &[], Some(&account.alias), &body).into_response())
}

async fn profile_save(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
    let lang = account.lang;
    let f = form(&body);
    let alias = f.text("alias");
    if alias.is_empty() || alias.chars().count() > 100 {
        return Err(PageErr(HostError::Invalid("alias-rule"), lang));
    }
    query("UPDATE users SET alias = $2, mobile = $3 WHERE id = $1")
        .bind(account.user_id)
        .bind(alias)
        .bind(f.text("mobile"))
        .execute(&state.pool)
        .await
        .or_page(lang)?;
    Ok(redirect("/profile"))
}

async fn profile_pin(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
    let lang = account.lang;
    let f = form(&body);
    let row = query("SELECT pin_hash FROM users WHERE id = $1")
        .bind(account.user_id)
        .fetch_one(&state.pool)
        .await
        .or_page(lang)?;
    let hash: Option<String> = row.try_get(0).or_page(lang)?;
    if !hash.as_deref().is_some_and(|h| db::verify_pin(h, &f.text("old"))) {
        return Err(PageErr(HostError::Invalid("old-pin-wrong"), lang));
    }
    let pin = f.text("pin");
    if !db::valid_portal_pin(&pin) {
        return Err(PageErr(HostError::Invalid("pin-rule"), lang));
    }
    if f.text("pin2") != pin {
        return Err(PageErr(HostError::Invalid("pin-mismatch"), lang));
    }
    query("UPDATE users SET pin_hash = $2 WHERE id = $1")
        .bind(account.user_id)
        .bind(db::hash_pin(&pin).or_page(lang)?)
        .execute(&state.pool)
        .await
        .or_page(lang)?;
    Ok(redirect("/profile"))
}

// ---- merchant -----------------------------------------------------------------------------

async fn home(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::Account, Scope::Merchant)?;
    let mut body = String::new();
    if access::allowed(&ctx.grant, Action::History, Scope::Merchant) {
        let filter = access::shop_filter(&ctx.grant, Action::History);
        let row = query(
            "SELECT count(*), COALESCE(sum(amount_minor + tip_minor), 0)::bigint FROM txns
             WHERE merchant_id = $1 AND ($2::bigint[] IS NULL OR shop_id = ANY($2))
               AND kind = 'sale' AND status = 'approved' AND started_at >= $3",
        )
        .bind(ctx.merchant_id)
        .bind(filter)
        .bind(local_midnight(
            &state,
            Utc::now().with_timezone(&offset(&state)).date_naive(),
        ))
        .fetch_one(&state.pool)
        .await
        .or_page(ctx.lang)?;
        let count: i64 = row.try_get(0).or_page(ctx.lang)?;
        let sum: i64 = row.try_get(1).or_page(ctx.lang)?;
        let _ = write!(
            body,
            "<p>{}: {count} · {}</p>",
            esc(ctx.t("today-sales")),
            esc(&decimal(sum, 2))
        );
    }
    let _ = write!(body, "<p>{}</p>", esc(ctx.t("welcome")));
    Ok(ctx.page("home", &body))
}

async fn merchant_detail(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::Account, Scope::Merchant)?;
    let row = query("SELECT name, created_at FROM merchants WHERE id = $1")
        .bind(ctx.merchant_id)
        .fetch_one(&state.pool)
        .await
        .or_page(ctx.lang)?;
    let name: String = row.try_get(0).or_page(ctx.lang)?;
    let since: DateTime<Utc> = row.try_get(1).or_page(ctx.lang)?;
    let body = format!(
        "<p>{}: {}</p><p>{}: {}</p><p>{}: {}</p>",
        esc(ctx.t("merchant")),
        esc(&name),
        esc(ctx.t("role")),
        esc(ctx.t(role_label(ctx.grant.role))),
        esc(ctx.t("since")),
        since.format("%Y-%m-%d")
    );
    Ok(ctx.page("merchant", &body))
}

async fn merchant_app(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::MerchantApp, Scope::Merchant)?;
    let row = query("SELECT app_id FROM merchants WHERE id = $1")
        .bind(ctx.merchant_id)
        .fetch_one(&state.pool)
        .await
        .or_page(ctx.lang)?;
    let app_id: String = row.try_get(0).or_page(ctx.lang)?;
    let body = format!(
        "<p>{}: <code>{}</code></p><p>{}: <code>{}/api/v1</code></p><p><a href=\"/merchant/dev-files\">{}</a></p>",
        esc(ctx.t("app-id")),
        esc(&app_id),
        esc(ctx.t("api-base")),
        esc(&state.public_url),
        esc(ctx.t("dev-files"))
    );
    Ok(ctx.page("merchant-app", &body))
}

async fn dev_files(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::MerchantApp, Scope::Merchant)?;
    let text = format!(
        "OpenTill host API v{}\nbase: {}\n\nPOST {} (EnrolRequest -> Enrolment)\nPOST {} (UploadBatch -> UploadAck)\nGET {}?ack=ID (-> CommandBatch)\nGET {} (-> SettingsBody)\nPOST {} (DiagnosticsBundle -> Accepted)\n\nEvery request but enrolment carries Authorization: Bearer <device token>.\n",
        till_sync::WIRE_VERSION,
        state.public_url,
        till_sync::paths::ENROL,
        till_sync::paths::EVENTS,
        till_sync::paths::COMMANDS,
        till_sync::paths::SETTINGS,
        till_sync::paths::DIAGNOSTICS,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"opentill-api.txt\""),
        ],
        text,
    )
        .into_response())
}

// ---- users (H6) ---------------------------------------------------------------------------

struct Member {
    user_id: i64,
    email: String,
    alias: String,
    mobile: String,
    role: Role,
    shops: Vec<i64>,
    active: bool,
}

async fn members(state: &AppState, merchant: i64) -> Result<Vec<Member>, HostError> {
    let rows = query(
        "SELECT u.id, u.email, u.alias, u.mobile, m.role, u.pin_hash IS NOT NULL,
                COALESCE(array_agg(ms.shop_id ORDER BY ms.shop_id) FILTER (WHERE ms.shop_id IS NOT NULL), '{}')
         FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN membership_shops ms ON ms.user_id = m.user_id AND ms.merchant_id = m.merchant_id
         WHERE m.merchant_id = $1 GROUP BY u.id, m.role ORDER BY u.alias, u.id",
    )
    .bind(merchant)
    .fetch_all(&state.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let role: String = r.try_get(4)?;
        out.push(Member {
            user_id: r.try_get(0)?,
            email: r.try_get(1)?,
            alias: r.try_get(2)?,
            mobile: r.try_get(3)?,
            role: Role::from_id(&role).ok_or_else(|| HostError::Malformed(format!("role {role}")))?,
            active: r.try_get(5)?,
            shops: r.try_get(6)?,
        });
    }
    Ok(out)
}

/// The merchant's shops (id, name, address), narrowed by a filter.
async fn shop_rows(
    state: &AppState,
    merchant: i64,
    filter: Option<&[i64]>,
) -> Result<Vec<(i64, String, String)>, HostError> {
    let rows = query(
        "SELECT id, name, address FROM shops WHERE merchant_id = $1 AND deleted_at IS NULL
           AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY name, id",
    )
    .bind(merchant)
    .bind(filter)
    .fetch_all(&state.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

fn role_options(ctx: &Ctx, selected: Role) -> String {
    let mut out = String::new();
    for r in Role::ALL {
        // Offer only roles this user could give to someone.
        let any_shop: Vec<i64> = ctx.grant.shops.iter().take(1).copied().collect();
        if !access::may_manage(&ctx.grant, r, &any_shop) {
            continue;
        }
        let sel = if r == selected { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{sel}>{}</option>",
            r.id(),
            esc(ctx.t(role_label(r)))
        );
    }
    out
}

fn shop_checkboxes(shops: &[(i64, String, String)], checked: &[i64]) -> String {
    let mut out = String::new();
    for (id, name, _) in shops {
        let c = if checked.contains(id) { " checked" } else { "" };
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" name=\"shop\" value=\"{id}\"{c}> {}</label>",
            esc(name)
        );
    }
    out
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::Users, Scope::Merchant)?;
    let filter = access::shop_filter(&ctx.grant, Action::Users);
    let all = members(&state, ctx.merchant_id).await.or_page(ctx.lang)?;
    let shops = shop_rows(&state, ctx.merchant_id, filter.as_deref())
        .await
        .or_page(ctx.lang)?;
    let mut body = format!(
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
        esc(ctx.t("alias")),
        esc(ctx.t("email")),
        esc(ctx.t("mobile")),
        esc(ctx.t("role")),
        esc(ctx.t("shops"))
    );
    for m in all.iter().filter(|m| match &filter {
        None => true,
        Some(own) => m.shops.iter().any(|s| own.contains(s)),
    }) {
        let manage = m.user_id != ctx.account.user_id && access::may_manage(&ctx.grant, m.role, &m.shops);
        let actions = if manage {
            format!(
                "<form method=\"post\" action=\"/users/{id}/edit\"><input name=\"alias\" value=\"{}\"><input name=\"mobile\" value=\"{}\">\
                 <select name=\"role\">{}</select>{}<button>{}</button></form>\
                 <form method=\"post\" action=\"/users/{id}/remove\"><button>{}</button></form>",
                esc(&m.alias),
                esc(&m.mobile),
                role_options(&ctx, m.role),
                shop_checkboxes(&shops, &m.shops),
                esc(ctx.t("save")),
                esc(ctx.t("remove")),
                id = m.user_id
            )
        } else {
            String::new()
        };
        let pending = if m.active { "" } else { ctx.t("invited") };
        let _ = write!(
            body,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>",
            esc(&m.alias),
            esc(pending),
            esc(&m.email),
            esc(&m.mobile),
            esc(ctx.t(role_label(m.role))),
            esc(&shop_names(&shops, &m.shops)),
        );
    }
    let _ = write!(
        body,
        "</table><h2>{}</h2><form method=\"post\" action=\"/users/invite\"><label>{} <input name=\"alias\" required></label>\
         <label>{} <input name=\"email\" type=\"email\" required></label><label>{} <input name=\"mobile\"></label>\
         <label>{} <select name=\"role\">{}</select></label>{}<button>{}</button></form>",
        esc(ctx.t("invite")),
        esc(ctx.t("alias")),
        esc(ctx.t("email")),
        esc(ctx.t("mobile")),
        esc(ctx.t("role")),
        role_options(&ctx, Role::Staff),
        shop_checkboxes(&shops, &[]),
        esc(ctx.t("invite"))
    );
    Ok(ctx.page("users", &body))
}

fn shop_names(shops: &[(i64, String, String)], ids: &[i64]) -> String {
    shops
        .iter()
        .filter(|(id, _, _)| ids.contains(id))
        .map(|(_, n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Role and shops from a user form, checked against the merchant's shops.
async fn role_and_shops(state: &AppState, ctx: &Ctx, f: &FormData) -> Result<(Role, Vec<i64>), PageErr> {
    let role = Role::from_id(&f.text("role")).ok_or(ctx.err(HostError::Invalid("role-invalid")))?;
    let mut shops = Vec::new();
    for s in f.all("shop") {
        shops.push(
            s.parse::<i64>()
                .map_err(|_| ctx.err(HostError::Invalid("shop-invalid")))?,
        );
    }
    shops.sort_unstable();
    shops.dedup();
    let known = shop_rows(state, ctx.merchant_id, Some(&shops))
        .await
        .or_page(ctx.lang)?;
    if known.len() != shops.len() {
        return Err(ctx.err(HostError::Invalid("shop-invalid")));
    }
    if role.shop_scoped() && shops.is_empty() {
        return Err(ctx.err(HostError::Invalid("shop-required")));
    }
    if !role.shop_scoped() {
        shops.clear();
    }
    Ok((role, shops))
}

async fn set_member_shops(
    tx: &mut sqlx_postgres::PgConnection,
    user: i64,
    merchant: i64,
    shops: &[i64],
) -> Result<(), HostError> {
    query("DELETE FROM membership_shops WHERE user_id = $1 AND merchant_id = $2")
        .bind(user)
        .bind(merchant)
        .execute(&mut *tx)
        .await?;
    query("INSERT INTO membership_shops (user_id, merchant_id, shop_id) SELECT $1, $2, * FROM UNNEST($3::bigint[])")
        .bind(user)
        .bind(merchant)
        .bind(shops)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn invite(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Page {
    ctx.require(Action::Users, Scope::Merchant)?;
    let f = form(&body);
    let (role, shops) = role_and_shops(&state, &ctx, &f).await?;
    if !access::may_manage(&ctx.grant, role, &shops) {
        return Err(ctx.err(HostError::Forbidden));
    }
    let email = f.text("email").to_lowercase();
    let alias = f.text("alias");
    if !email.contains('@') || email.len() > 200 {
        return Err(ctx.err(HostError::Invalid("email-invalid")));
    }
    if alias.is_empty() || alias.chars().count() > 100 {
        return Err(ctx.err(HostError::Invalid("alias-rule")));
    }
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    let row = query(
        "INSERT INTO users (email, alias, mobile) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id, pin_hash IS NULL",
    )
    .bind(&email)
    .bind(&alias)
    .bind(f.text("mobile"))
    .fetch_one(&mut *tx)
    .await
    .or_page(ctx.lang)?;
    let user: i64 = row.try_get(0).or_page(ctx.lang)?;
    let needs_activation: bool = row.try_get(1).or_page(ctx.lang)?;
    let added =
        query("INSERT INTO memberships (user_id, merchant_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user)
            .bind(ctx.merchant_id)
            .bind(role.id())
            .execute(&mut *tx)
            .await
            .or_page(ctx.lang)?;
    if added.rows_affected() == 0 {
        return Err(ctx.err(HostError::Invalid("user-exists")));
    }
    set_member_shops(&mut tx, user, ctx.merchant_id, &shops)
        .await
        .or_page(ctx.lang)?;
    tx.commit().await.or_page(ctx.lang)?;
    if needs_activation {
        mail_link(
            &state,
            user,
            "activation",
            ACTIVATION_HOURS,
            "OpenTill: activate your account",
        )
        .await
        .or_page(ctx.lang)?;
    }
    Ok(redirect("/users"))
}

async fn managed_member(state: &AppState, ctx: &Ctx, id: &str) -> Result<Member, PageErr> {
    let id = id_param(id, ctx.lang)?;
    let m = members(state, ctx.merchant_id)
        .await
        .or_page(ctx.lang)?
        .into_iter()
        .find(|m| m.user_id == id)
        .ok_or(ctx.err(HostError::NotFound))?;
    if m.user_id == ctx.account.user_id {
        return Err(ctx.err(HostError::Invalid("not-yourself")));
    }
    if !access::may_manage(&ctx.grant, m.role, &m.shops) {
        return Err(ctx.err(HostError::Forbidden));
    }
    Ok(m)
}

async fn user_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    ctx.require(Action::Users, Scope::Merchant)?;
    let m = managed_member(&state, &ctx, &id).await?;
    let f = form(&body);
    let (role, shops) = role_and_shops(&state, &ctx, &f).await?;
    if !access::may_manage(&ctx.grant, role, &shops) {
        return Err(ctx.err(HostError::Forbidden));
    }
    let alias = f.get("alias").unwrap_or(&m.alias).to_owned();
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    query("UPDATE users SET alias = $2, mobile = $3 WHERE id = $1")
        .bind(m.user_id)
        .bind(alias)
        .bind(f.get("mobile").unwrap_or(&m.mobile))
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    query("UPDATE memberships SET role = $3 WHERE user_id = $1 AND merchant_id = $2")
        .bind(m.user_id)
        .bind(ctx.merchant_id)
        .bind(role.id())
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    set_member_shops(&mut tx, m.user_id, ctx.merchant_id, &shops)
        .await
        .or_page(ctx.lang)?;
    tx.commit().await.or_page(ctx.lang)?;
    let _ = (&m.email, m.active);
    Ok(redirect("/users"))
}

async fn user_remove(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    ctx.require(Action::Users, Scope::Merchant)?;
    let m = managed_member(&state, &ctx, &id).await?;
    query("DELETE FROM memberships WHERE user_id = $1 AND merchant_id = $2")
        .bind(m.user_id)
        .bind(ctx.merchant_id)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    query("UPDATE sessions SET merchant_id = NULL WHERE user_id = $1 AND merchant_id = $2")
        .bind(m.user_id)
        .bind(ctx.merchant_id)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    Ok(redirect("/users"))
}

// ---- transactions (H4) and the T-1 report (H5) ----------------------------------------------

fn offset(state: &AppState) -> FixedOffset {
    FixedOffset::east_opt(state.utc_offset_minutes * 60).unwrap_or(chrono::Offset::fix(&Utc))
}

fn local_midnight(state: &AppState, day: NaiveDate) -> DateTime<Utc> {
    offset(state)
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.with_timezone(&Utc))
}

/// Minor units as a plain decimal (CSV, tables).
pub fn decimal(minor: i64, digits: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    let p = 10u64.pow(digits);
    if digits == 0 {
        format!("{sign}{m}")
    } else {
        format!("{sign}{}.{:0width$}", m / p, m % p, width = digits as usize)
    }
}

fn digits_of(currency: &str) -> u32 {
    till_domain::Currency::from_code(currency).map_or(2, till_domain::Currency::minor_digits)
}

/// A history search, validated: every value reaches SQL as a bound parameter.
#[derive(Debug, Default)]
struct Filter {
    shop: Option<i64>,
    status: Option<String>,
    tab: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Filter {
    fn parse(q: &FormData) -> Result<Filter, HostError> {
        let date = |name: &str| -> Result<Option<NaiveDate>, HostError> {
            q.get(name)
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| HostError::Invalid("date-invalid")))
                .transpose()
        };
        let status = q.get("status").map(str::to_owned);
        if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
            return Err(HostError::Invalid("filter-invalid"));
        }
        let tab = q.get("tab").map(str::to_owned);
        if tab.as_deref().is_some_and(|t| !TABS.contains(&t)) {
            return Err(HostError::Invalid("filter-invalid"));
        }
        let shop = q
            .get("shop")
            .map(|s| s.parse::<i64>().map_err(|_| HostError::Invalid("filter-invalid")))
            .transpose()?;
        Ok(Filter {
            shop,
            status,
            tab,
            from: date("from")?,
            to: date("to")?,
        })
    }

    /// The query string that reproduces this filter, with `tab` replaced.
    fn query_with_tab(&self, tab: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.shop {
            parts.push(format!("shop={s}"));
        }
        if let Some(s) = &self.status {
            parts.push(format!("status={}", url_enc(s)));
        }
        if let Some(t) = tab {
            parts.push(format!("tab={}", url_enc(t)));
        }
        if let Some(d) = self.from {
            parts.push(format!("from={d}"));
        }
        if let Some(d) = self.to {
            parts.push(format!("to={d}"));
        }
        parts.join("&")
    }
}

async fn history_rows(state: &AppState, ctx: &Ctx, f: &Filter, limit: i64) -> Result<Vec<PgRow>, HostError> {
    let from = f.from.map(|d| local_midnight(state, d));
    let to = f.to.map(|d| local_midnight(state, d + Duration::days(1)));
    Ok(query(
        "SELECT t.started_at, s.name, d.name, t.trace, t.kind, t.means, t.tab, t.status, t.amount_minor, t.tip_minor,
                t.refunded_minor, t.currency, t.auth_code, t.last4, t.id, t.device_id, t.shop_id
         FROM txns t JOIN shops s ON s.id = t.shop_id JOIN devices d ON d.id = t.device_id
         WHERE t.merchant_id = $1
           AND ($2::bigint[] IS NULL OR t.shop_id = ANY($2))
           AND ($3::bigint IS NULL OR t.shop_id = $3)
           AND ($4::text IS NULL OR t.status = $4)
           AND ($5::text IS NULL OR t.tab = $5)
           AND ($6::timestamptz IS NULL OR t.started_at >= $6)
           AND ($7::timestamptz IS NULL OR t.started_at < $7)
         ORDER BY t.started_at DESC, t.device_id, t.id LIMIT $8",
    )
    .bind(ctx.merchant_id)
    .bind(access::shop_filter(&ctx.grant, Action::History))
    .bind(f.shop)
    .bind(f.status.as_deref())
    .bind(f.tab.as_deref())
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&state.pool)
    .await?)
}

async fn transactions(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
    ctx.require(Action::History, Scope::Merchant)?;
    let filter = Filter::parse(&query_form(&q)).map_err(|e| ctx.err(e))?;
    if let Some(shop) = filter.shop {
        ctx.require(Action::History, Scope::Shop(shop))?;
    }
    let rows = history_rows(&state, &ctx, &filter, 500).await.or_page(ctx.lang)?;
    let shops = shop_rows(
        &state,
        ctx.merchant_id,
        access::shop_filter(&ctx.grant, Action::History).as_deref(),
    )
    .await
    .or_page(ctx.lang)?;
    let can_refund = access::allowed(&ctx.grant, Action::Refund, Scope::Merchant);
    let mut body = String::from("<p class=\"tabs\">");
    let all_class = if filter.tab.is_none() { " class=\"on\"" } else { "" };
    let _ = write!(
        body,
        "<a{all_class} href=\"/transactions?{}\">{}</a>",
        esc(&filter.query_with_tab(None)),
        esc(ctx.t("all"))
    );
    for tab in TABS {
        let on = if filter.tab.as_deref() == Some(*tab) {
            " class=\"on\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<a{on} href=\"/transactions?{}\">{}</a>",
            esc(&filter.query_with_tab(Some(tab))),
            esc(ctx.t(tab_label(tab)))
        );
    }
    body.push_str("</p><form method=\"get\" action=\"/transactions\">");
    if let Some(t) = &filter.tab {
        let _ = write!(body, "<input type=\"hidden\" name=\"tab\" value=\"{}\">", esc(t));
    }
    let _ = write!(
        body,
        "<label>{} <select name=\"shop\"><option value=\"\">{}</option>",
        esc(ctx.t("shop")),
        esc(ctx.t("all"))
    );
    for (id, name, _) in &shops {
        let sel = if filter.shop == Some(*id) { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{id}\"{sel}>{}</option>", esc(name));
    }
    let _ = write!(
        body,
        "</select></label><label>{} <select name=\"status\"><option value=\"\">{}</option>",
        esc(ctx.t("status")),
        esc(ctx.t("all"))
    );
    for s in STATUSES {
        let sel = if filter.status.as_deref() == Some(*s) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{s}\"{sel}>{}</option>",
            esc(ctx.t(status_label(s)))
        );
    }
    let _ = write!(
        body,
        "</select></label><label>{} <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>{} <input type=\"date\" name=\"to\" value=\"{}\"></label><button>{}</button></form>\
         <p><a id=\"csv\" href=\"/transactions.csv?{}\">{}</a> · {}</p>",
        esc(ctx.t("from")),
        filter.from.map(|d| d.to_string()).unwrap_or_default(),
        esc(ctx.t("to")),
        filter.to.map(|d| d.to_string()).unwrap_or_default(),
        esc(ctx.t("search")),
        esc(&filter.query_with_tab(filter.tab.as_deref())),
        esc(ctx.t("download-csv")),
        esc(ctx.t("live-note")),
    );
    let _ = write!(
        body,
        "<table id=\"history\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
        esc(ctx.t("time")),
        esc(ctx.t("shop")),
        esc(ctx.t("pos")),
        esc(ctx.t("trace")),
        esc(ctx.t("kind")),
        esc(ctx.t("means")),
        esc(ctx.t("status")),
        esc(ctx.t("amount")),
        esc(ctx.t("card")),
    );
    let off = offset(&state);
    for r in &rows {
        let at: DateTime<Utc> = r.try_get(0).or_page(ctx.lang)?;
        let status: String = r.try_get(7).or_page(ctx.lang)?;
        let kind: String = r.try_get(4).or_page(ctx.lang)?;
        let currency: String = r.try_get(11).or_page(ctx.lang)?;
        let total: i64 = r.try_get::<i64, _>(8).or_page(ctx.lang)? + r.try_get::<i64, _>(9).or_page(ctx.lang)?;
        let refunded: i64 = r.try_get(10).or_page(ctx.lang)?;
        let last4: Option<String> = r.try_get(13).or_page(ctx.lang)?;
        let device: i64 = r.try_get(15).or_page(ctx.lang)?;
        let id: String = r.try_get(14).or_page(ctx.lang)?;
        let tab: String = r.try_get(6).or_page(ctx.lang)?;
        let refund = if can_refund && kind == "sale" && status == "approved" && refunded < total {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/transactions/{device}/{}/refund\"><input name=\"amount\" size=\"7\" value=\"{}\"><button>{}</button></form>",
                url_enc(&id),
                decimal(total - refunded, digits_of(&currency)),
                esc(ctx.t("refund"))
            )
        } else {
            String::new()
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td>{}</td><td>{refund}</td></tr>",
            at.with_timezone(&off).format("%Y-%m-%d %H:%M"),
            esc(&r.try_get::<String, _>(1).or_page(ctx.lang)?),
            esc(&r.try_get::<String, _>(2).or_page(ctx.lang)?),
            esc(&r.try_get::<String, _>(3).or_page(ctx.lang)?),
            esc(ctx.t(kind_label(&kind))),
            esc(ctx.t(tab_label(&tab))),
            esc(ctx.t(status_label(&status))),
            esc(&currency),
            decimal(total, digits_of(&currency)),
            esc(&last4.map(|l| format!("*{l}")).unwrap_or_default()),
        );
    }
    body.push_str("</table>");
    // Real time: the page refreshes itself while it is open.
    let body = format!("<meta http-equiv=\"refresh\" content=\"30\">{body}");
    Ok(ctx.page("transactions", &body))
}

/// RFC 4180 field quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv_response(name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        text,
    )
        .into_response()
}

async fn transactions_csv(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
    ctx.require(Action::History, Scope::Merchant)?;
    let filter = Filter::parse(&query_form(&q)).map_err(|e| ctx.err(e))?;
    if let Some(shop) = filter.shop {
        ctx.require(Action::History, Scope::Shop(shop))?;
    }
    let rows = history_rows(&state, &ctx, &filter, 1_000_000).await.or_page(ctx.lang)?;
    let off = offset(&state);
    let mut out = String::from(
        "time,shop,pos,trace,kind,means,tab,status,currency,amount,tip,total,refunded,auth_code,last4,id\r\n",
    );
    for r in &rows {
        let at: DateTime<Utc> = r.try_get(0).or_page(ctx.lang)?;
        let currency: String = r.try_get(11).or_page(ctx.lang)?;
        let d = digits_of(&currency);
        let amount: i64 = r.try_get(8).or_page(ctx.lang)?;
        let tip: i64 = r.try_get(9).or_page(ctx.lang)?;
        let refunded: i64 = r.try_get(10).or_page(ctx.lang)?;
        let fields = [
            at.with_timezone(&off).format("%Y-%m-%d %H:%M:%S").to_string(),
            r.try_get::<String, _>(1).or_page(ctx.lang)?,
            r.try_get::<String, _>(2).or_page(ctx.lang)?,
            r.try_get::<String, _>(3).or_page(ctx.lang)?,
            r.try_get::<String, _>(4).or_page(ctx.lang)?,
            r.try_get::<String, _>(5).or_page(ctx.lang)?,
            r.try_get::<String, _>(6).or_page(ctx.lang)?,
            r.try_get::<String, _>(7).or_page(ctx.lang)?,
            currency.clone(),
            decimal(amount, d),
            decimal(tip, d),
            decimal(amount + tip, d),
            decimal(refunded, d),
            r.try_get::<Option<String>, _>(12)
                .or_page(ctx.lang)?
                .unwrap_or_default(),
            r.try_get::<Option<String>, _>(13)
                .or_page(ctx.lang)?
                .unwrap_or_default(),
            r.try_get::<String, _>(14).or_page(ctx.lang)?,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(csv_response("transactions.csv", out))
}

async fn refund(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((device, txn)): Path<(String, String)>,
    body: Bytes,
) -> Page {
    let device = id_param(&device, ctx.lang)?;
    let row = query(
        "SELECT shop_id, kind, status, amount_minor + tip_minor - refunded_minor, currency FROM txns
         WHERE device_id = $1 AND id = $2 AND merchant_id = $3",
    )
    .bind(device)
    .bind(&txn)
    .bind(ctx.merchant_id)
    .fetch_optional(&state.pool)
    .await
    .or_page(ctx.lang)?
    .ok_or(ctx.err(HostError::NotFound))?;
    let shop: i64 = row.try_get(0).or_page(ctx.lang)?;
    ctx.require(Action::Refund, Scope::Shop(shop))?;
    let kind: String = row.try_get(1).or_page(ctx.lang)?;
    let status: String = row.try_get(2).or_page(ctx.lang)?;
    let refundable: i64 = row.try_get(3).or_page(ctx.lang)?;
    let currency: String = row.try_get(4).or_page(ctx.lang)?;
    if kind != "sale" || status != "approved" {
        return Err(ctx.err(HostError::Invalid("not-refundable")));
    }
    let amount = till_domain::Currency::from_code(&currency)
        .and_then(|c| till_domain::Money::parse(&form(&body).text("amount"), c).ok())
        .map(|m| m.minor)
        .filter(|m| *m > 0 && *m <= refundable)
        .ok_or(ctx.err(HostError::Invalid("refund-amount-invalid")))?;
    query("INSERT INTO refund_requests (device_id, txn_id, amount_minor, requested_by) VALUES ($1, $2, $3, $4)")
        .bind(device)
        .bind(&txn)
        .bind(amount)
        .bind(ctx.account.user_id)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    Ok(ctx.page(
        "refund",
        &format!("<p class=\"notice\">{}</p>", esc(ctx.t("refund-requested"))),
    ))
}

struct ReportLine {
    shop: String,
    tab: String,
    kind: String,
    status: String,
    currency: String,
    count: i64,
    total: i64,
    refunded: i64,
}

async fn t1_lines(state: &AppState, ctx: &Ctx, q: &FormData) -> Result<(NaiveDate, Vec<ReportLine>), PageErr> {
    let mut filter = Filter::parse(q).map_err(|e| ctx.err(e))?;
    if let Some(shop) = filter.shop {
        ctx.require(Action::History, Scope::Shop(shop))?;
    }
    let yesterday = Utc::now().with_timezone(&offset(state)).date_naive() - Duration::days(1);
    let day = match q.get("date") {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| ctx.err(HostError::Invalid("date-invalid")))?,
        None => yesterday,
    };
    filter.from = Some(filter.from.unwrap_or(day));
    filter.to = Some(filter.to.unwrap_or(day));
    let rows = query(
        "SELECT s.name, t.tab, t.kind, t.status, t.currency, count(*), sum(t.amount_minor + t.tip_minor)::bigint,
                sum(t.refunded_minor)::bigint
         FROM txns t JOIN shops s ON s.id = t.shop_id
         WHERE t.merchant_id = $1
           AND ($2::bigint[] IS NULL OR t.shop_id = ANY($2))
           AND ($3::bigint IS NULL OR t.shop_id = $3)
           AND ($4::text IS NULL OR t.status = $4)
           AND ($5::text IS NULL OR t.tab = $5)
           AND t.started_at >= $6 AND t.started_at < $7
         GROUP BY s.name, t.tab, t.kind, t.status, t.currency ORDER BY s.name, t.tab, t.kind, t.status",
    )
    .bind(ctx.merchant_id)
    .bind(access::shop_filter(&ctx.grant, Action::History))
    .bind(filter.shop)
    .bind(filter.status.as_deref())
    .bind(filter.tab.as_deref())
    .bind(local_midnight(state, filter.from.unwrap_or(day)))
    .bind(local_midnight(state, filter.to.unwrap_or(day) + Duration::days(1)))
    .fetch_all(&state.pool)
    .await
    .or_page(ctx.lang)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(ReportLine {
            shop: r.try_get(0).or_page(ctx.lang)?,
            tab: r.try_get(1).or_page(ctx.lang)?,
            kind: r.try_get(2).or_page(ctx.lang)?,
            status: r.try_get(3).or_page(ctx.lang)?,
            currency: r.try_get(4).or_page(ctx.lang)?,
            count: r.try_get(5).or_page(ctx.lang)?,
            total: r.try_get(6).or_page(ctx.lang)?,
            refunded: r.try_get(7).or_page(ctx.lang)?,
        });
    }
    Ok((day, out))
}

async fn report_t1(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
    ctx.require(Action::History, Scope::Merchant)?;
    let raw = query_form(&q);
    let (day, lines) = t1_lines(&state, &ctx, &raw).await?;
    let mut body = format!(
        "<form method=\"get\" action=\"/reports/t1\"><label>{} <input type=\"date\" name=\"date\" value=\"{day}\"></label><button>{}</button></form>\
         <p><a href=\"/reports/t1.csv?{}\">{}</a></p><table id=\"report\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("date")),
        esc(ctx.t("search")),
        esc(q.0.as_deref().unwrap_or("")),
        esc(ctx.t("download-csv")),
        esc(ctx.t("shop")),
        esc(ctx.t("means")),
        esc(ctx.t("kind")),
        esc(ctx.t("status")),
        esc(ctx.t("count")),
        esc(ctx.t("amount")),
        esc(ctx.t("refunded")),
    );
    for l in &lines {
        let d = digits_of(&l.currency);
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} {}</td><td class=\"num\">{}</td></tr>",
            esc(&l.shop),
            esc(ctx.t(tab_label(&l.tab))),
            esc(ctx.t(kind_label(&l.kind))),
            esc(ctx.t(status_label(&l.status))),
            l.count,
            esc(&l.currency),
            decimal(l.total, d),
            decimal(l.refunded, d),
        );
    }
    body.push_str("</table>");
    Ok(ctx.page("report-t1", &body))
}

async fn report_t1_csv(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
    ctx.require(Action::History, Scope::Merchant)?;
    let (day, lines) = t1_lines(&state, &ctx, &query_form(&q)).await?;
    let mut out = String::from("date,shop,tab,kind,status,currency,count,total,refunded\r\n");
    for l in &lines {
        let d = digits_of(&l.currency);
        let fields = [
            day.to_string(),
            l.shop.clone(),
            l.tab.clone(),
            l.kind.clone(),
            l.status.clone(),
            l.currency.clone(),
            l.count.to_string(),
            decimal(l.total, d),
            decimal(l.refunded, d),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(csv_response(&format!("t1-{day}.csv"), out))
}

fn tab_label(tab: &str) -> &'static str {
    match tab {
        "card" => "tab-card",
        "unionpay" => "tab-unionpay",
        "alipay" => "tab-alipay",
        "wechat-pay" => "tab-wechat-pay",
        "fps" => "tab-fps",
        "paynow" => "tab-paynow",
        "tap-and-go" => "tab-tap-and-go",
        "stored-value" => "tab-stored-value",
        "cash" => "tab-cash",
        _ => "tab-other",
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "approved" => "status-approved",
        "declined" => "status-declined",
        "voided" => "status-voided",
        "reversed" => "status-reversed",
        "cancelled" => "status-cancelled",
        "pending" => "status-pending",
        _ => "status-unknown",
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "void" => "kind-void",
        "refund" => "kind-refund",
        _ => "kind-sale",
    }
}

// ---- shops (H2) ---------------------------------------------------------------------------

async fn shops(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::Shops, Scope::Merchant)?;
    let list = shop_rows(
        &state,
        ctx.merchant_id,
        access::shop_filter(&ctx.grant, Action::Shops).as_deref(),
    )
    .await
    .or_page(ctx.lang)?;
    let mut body = format!(
        "<table id=\"shops\"><tr><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("shop")),
        esc(ctx.t("address"))
    );
    for (id, name, address) in &list {
        let _ = write!(
            body,
            "<tr><td><a href=\"/shops/{id}\">{}</a></td><td>{}</td></tr>",
            esc(name),
            esc(address)
        );
    }
    body.push_str("</table>");
    if access::allowed(&ctx.grant, Action::ShopCreateRemove, Scope::Merchant) {
        let _ = write!(
            body,
            "<h2>{}</h2><form method=\"post\" action=\"/shops\"><label>{} <input name=\"name\" required></label>\
             <label>{} <input name=\"address\"></label><button>{}</button></form>",
            esc(ctx.t("create-shop")),
            esc(ctx.t("name")),
            esc(ctx.t("address")),
            esc(ctx.t("create"))
        );
    }
    Ok(ctx.page("shops", &body))
}

fn shop_fields(ctx: &Ctx, body: &Bytes) -> Result<(String, String), PageErr> {
    let f = form(body);
    let name = f.text("name");
    let address = f.text("address");
    if name.is_empty() || name.chars().count() > 100 || address.chars().count() > 300 {
        return Err(ctx.err(HostError::Invalid("shop-name-rule")));
    }
    Ok((name, address))
}

async fn shop_create(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Page {
    ctx.require(Action::ShopCreateRemove, Scope::Merchant)?;
    let (name, address) = shop_fields(&ctx, &body)?;
    let row = query("INSERT INTO shops (merchant_id, name, address) VALUES ($1, $2, $3) RETURNING id")
        .bind(ctx.merchant_id)
        .bind(name)
        .bind(address)
        .fetch_one(&state.pool)
        .await
        .or_page(ctx.lang)?;
    let id: i64 = row.try_get(0).or_page(ctx.lang)?;
    Ok(redirect(&format!("/shops/{id}")))
}

/// A shop of the current merchant: (name, address), or not found.
async fn shop_of(state: &AppState, ctx: &Ctx, id: &str) -> Result<(i64, String, String), PageErr> {
    let id = id_param(id, ctx.lang)?;
    let row = query("SELECT name, address FROM shops WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL")
        .bind(id)
        .bind(ctx.merchant_id)
        .fetch_optional(&state.pool)
        .await
        .or_page(ctx.lang)?
        .ok_or(ctx.err(HostError::NotFound))?;
    Ok((id, row.try_get(0).or_page(ctx.lang)?, row.try_get(1).or_page(ctx.lang)?))
}

async fn shop_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, name, address) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::Shops, Scope::Shop(id))?;
    let mut body = format!(
        "<form method=\"post\" action=\"/shops/{id}/edit\"><label>{} <input name=\"name\" value=\"{}\" required></label>\
         <label>{} <input name=\"address\" value=\"{}\"></label><button>{}</button></form>\
         <p><a href=\"/shops/{id}/pos\">{}</a> · <a href=\"/shops/{id}/members\">{}</a></p>",
        esc(ctx.t("name")),
        esc(&name),
        esc(ctx.t("address")),
        esc(&address),
        esc(ctx.t("save")),
        esc(ctx.t("pos-list")),
        esc(ctx.t("members")),
    );
    if access::allowed(&ctx.grant, Action::ShopCreateRemove, Scope::Shop(id)) {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/shops/{id}/delete\"><button>{}</button></form>",
            esc(ctx.t("delete-shop"))
        );
    }
    Ok(ctx.page("shop", &body))
}

async fn shop_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let (id, _, _) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::Shops, Scope::Shop(id))?;
    let (name, address) = shop_fields(&ctx, &body)?;
    query("UPDATE shops SET name = $2, address = $3 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(address)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    Ok(redirect(&format!("/shops/{id}")))
}

async fn shop_members(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, _, _) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::Shops, Scope::Shop(id))?;
    let all = members(&state, ctx.merchant_id).await.or_page(ctx.lang)?;
    let mut body = format!(
        "<table id=\"members\"><tr><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("alias")),
        esc(ctx.t("role"))
    );
    for m in all.iter().filter(|m| m.shops.contains(&id) || !m.role.shop_scoped()) {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&m.alias),
            esc(ctx.t(role_label(m.role)))
        );
    }
    body.push_str("</table>");
    Ok(ctx.page("members", &body))
}

async fn shop_delete(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, _, _) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::ShopCreateRemove, Scope::Shop(id))?;
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    query("UPDATE shops SET deleted_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    // Its terminals go with it: their credentials stop working.
    query("UPDATE devices SET deleted_at = now() WHERE shop_id = $1 AND deleted_at IS NULL")
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    tx.commit().await.or_page(ctx.lang)?;
    Ok(redirect("/shops"))
}

// ---- POS terminals (H3) -------------------------------------------------------------------

struct Pos {
    id: i64,
    shop_id: i64,
    shop: String,
    name: String,
    till_id: Option<String>,
    blocked: bool,
    refund_blocked: bool,
    enrolled: bool,
    held: i64,
    last_seen: Option<DateTime<Utc>>,
}

async fn pos_rows(state: &AppState, ctx: &Ctx, shop: Option<i64>, id: Option<i64>) -> Result<Vec<Pos>, HostError> {
    let rows = query(
        "SELECT d.id, d.shop_id, s.name, d.name, d.till_id, d.blocked, d.refund_blocked, d.token_hash IS NOT NULL,
                d.held, d.last_seen
         FROM devices d JOIN shops s ON s.id = d.shop_id
         WHERE d.merchant_id = $1 AND d.deleted_at IS NULL
           AND ($2::bigint[] IS NULL OR d.shop_id = ANY($2))
           AND ($3::bigint IS NULL OR d.shop_id = $3)
           AND ($4::bigint IS NULL OR d.id = $4)
         ORDER BY s.name, d.name, d.id",
    )
    .bind(ctx.merchant_id)
    .bind(access::shop_filter(&ctx.grant, Action::PosList))
    .bind(shop)
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Pos {
                id: r.try_get(0)?,
                shop_id: r.try_get(1)?,
                shop: r.try_get(2)?,
                name: r.try_get(3)?,
                till_id: r.try_get(4)?,
                blocked: r.try_get(5)?,
                refund_blocked: r.try_get(6)?,
                enrolled: r.try_get(7)?,
                held: r.try_get(8)?,
                last_seen: r.try_get(9)?,
            })
        })
        .collect()
}

fn pos_table(ctx: &Ctx, list: &[Pos]) -> String {
    let mut body = format!(
        "<table id=\"pos\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("pos")),
        esc(ctx.t("shop")),
        esc(ctx.t("till-id")),
        esc(ctx.t("status")),
        esc(ctx.t("last-seen"))
    );
    for p in list {
        let mut state = Vec::new();
        if !p.enrolled {
            state.push(ctx.t("not-set-up"));
        }
        if p.blocked {
            state.push(ctx.t("blocked"));
        }
        if p.refund_blocked {
            state.push(ctx.t("refund-blocked"));
        }
        if state.is_empty() {
            state.push(ctx.t("active"));
        }
        let _ = write!(
            body,
            "<tr><td><a href=\"/pos/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.id,
            esc(&p.name),
            esc(&p.shop),
            esc(p.till_id.as_deref().unwrap_or("")),
            esc(&state.join(", ")),
            p.last_seen
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        );
    }
    body.push_str("</table>");
    body
}

async fn pos_list(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::PosList, Scope::Merchant)?;
    let list = pos_rows(&state, &ctx, None, None).await.or_page(ctx.lang)?;
    Ok(ctx.page("pos-list", &pos_table(&ctx, &list)))
}

async fn shop_pos(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, name, _) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosList, Scope::Shop(id))?;
    let list = pos_rows(&state, &ctx, Some(id), None).await.or_page(ctx.lang)?;
    let mut body = format!("<p>{}</p>{}", esc(&name), pos_table(&ctx, &list));
    if access::allowed(&ctx.grant, Action::PosControl, Scope::Shop(id)) {
        let _ = write!(
            body,
            "<h2>{}</h2><form method=\"post\" action=\"/shops/{id}/pos\"><label>{} <input name=\"name\" required></label><button>{}</button></form>",
            esc(ctx.t("set-up-pos")),
            esc(ctx.t("name")),
            esc(ctx.t("set-up-pos"))
        );
    }
    Ok(ctx.page("pos-list", &body))
}

/// H3 "set up POS": a new terminal and its one-time activation code.
async fn pos_setup(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let (shop, _, _) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(shop))?;
    let name = form(&body).text("name");
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ctx.err(HostError::Invalid("pos-name-rule")));
    }
    let code = db::new_activation_code();
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    let row = query("INSERT INTO devices (merchant_id, shop_id, name) VALUES ($1, $2, $3) RETURNING id")
        .bind(ctx.merchant_id)
        .bind(shop)
        .bind(&name)
        .fetch_one(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    let device: i64 = row.try_get(0).or_page(ctx.lang)?;
    query("INSERT INTO activation_codes (hash, device_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))")
        .bind(db::secret_hash(&db::normalise_code(&code)))
        .bind(device)
        .bind(POS_CODE_HOURS as i32)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    tx.commit().await.or_page(ctx.lang)?;
    let body = format!(
        "<p>{}</p><p class=\"code\" id=\"activation-code\">{}</p><p>{}</p><pre>till enrol --host {} --code {}</pre><p><a href=\"/pos/{device}\">{}</a></p>",
        esc(ctx.t("activation-code-note")),
        esc(&code),
        esc(ctx.t("activation-code-expiry")),
        esc(&state.public_url),
        esc(&code),
        esc(&name),
    );
    Ok((StatusCode::CREATED, ctx.page("set-up-pos", &body)).into_response())
}

/// A POS of the current merchant and the scope (its shop) an action on it aims at.
async fn pos_of(state: &AppState, ctx: &Ctx, id: &str) -> Result<(i64, i64), PageErr> {
    let id = id_param(id, ctx.lang)?;
    let row = query("SELECT shop_id FROM devices WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL")
        .bind(id)
        .bind(ctx.merchant_id)
        .fetch_optional(&state.pool)
        .await
        .or_page(ctx.lang)?
        .ok_or(ctx.err(HostError::NotFound))?;
    Ok((id, row.try_get(0).or_page(ctx.lang)?))
}

async fn pos_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, shop) = pos_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosList, Scope::Shop(shop))?;
    let list = pos_rows(&state, &ctx, None, Some(id)).await.or_page(ctx.lang)?;
    let p = list.first().ok_or(ctx.err(HostError::NotFound))?;
    let button = |action: &str, label: &'static str| {
        format!(
            "<form class=\"inline\" method=\"post\" action=\"/pos/{}/{action}\"><button id=\"{action}\">{}</button></form> ",
            p.id,
            esc(ctx.t(label))
        )
    };
    let mut body = pos_table(&ctx, &list);
    let _ = write!(body, "<p>{}: {}</p>", esc(ctx.t("events-held")), p.held);
    let _ = write!(
        body,
        "<h2>{}</h2><form method=\"post\" action=\"/pos/{}/reset-pin\"><label>{} <input name=\"operator\" value=\"1\"></label><button id=\"reset-pin\">{}</button></form>\
         <form method=\"post\" action=\"/pos/{}/reset-refund-pin\"><label>{} <input name=\"operator\" value=\"1\"></label><button id=\"reset-refund-pin\">{}</button></form>",
        esc(ctx.t("pins")),
        p.id,
        esc(ctx.t("operator")),
        esc(ctx.t("reset-pin")),
        p.id,
        esc(ctx.t("operator")),
        esc(ctx.t("reset-refund-pin")),
    );
    if access::allowed(&ctx.grant, Action::PosControl, Scope::Shop(p.shop_id)) {
        body.push_str("<h2>");
        body.push_str(&esc(ctx.t("control")));
        body.push_str("</h2><p>");
        body.push_str(&if p.blocked {
            button("unblock", "unblock-pos")
        } else {
            button("block", "block-pos")
        });
        body.push_str(&if p.refund_blocked {
            button("refund-unblock", "refund-unblock")
        } else {
            button("refund-block", "refund-block")
        });
        body.push_str(&button("diagnostics", "request-diagnostics"));
        let _ = write!(
            body,
            "</p><h2>{}</h2><form method=\"post\" action=\"/pos/{}/receipt\"><label>{} <input name=\"receipt_name\"></label>\
             <label>{} <input name=\"receipt_address\"></label><label><input type=\"checkbox\" name=\"copy_merchant\" checked> {}</label>\
             <label><input type=\"checkbox\" name=\"copy_customer\" checked> {}</label><button>{}</button></form>\
             <p><a href=\"/pos/{}/diagnostics\">{}</a></p>",
            esc(ctx.t("receipt-settings")),
            p.id,
            esc(ctx.t("receipt-name")),
            esc(ctx.t("receipt-address")),
            esc(ctx.t("copy-merchant")),
            esc(ctx.t("copy-customer")),
            esc(ctx.t("save")),
            p.id,
            esc(ctx.t("diagnostics")),
        );
    }
    Ok(ctx.page("pos", &body))
}

/// Queues a command for a POS (and records its state for the portal), after the guard.
async fn pos_command(state: &AppState, ctx: &Ctx, id: &str, action: Action, command: CommandBody) -> Page {
    let (id, shop) = pos_of(state, ctx, id).await?;
    ctx.require(action, Scope::Shop(shop))?;
    let body = serde_json::to_string(&command).map_err(|e| ctx.err(HostError::Malformed(e.to_string())))?;
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    query("INSERT INTO commands (device_id, body) VALUES ($1, $2)")
        .bind(id)
        .bind(body)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    let flags = match command {
        CommandBody::BlockPos => Some((Some(true), None)),
        CommandBody::UnblockPos => Some((Some(false), None)),
        CommandBody::BlockRefund => Some((None, Some(true))),
        CommandBody::UnblockRefund => Some((None, Some(false))),
        _ => None,
    };
    if let Some((blocked, refund_blocked)) = flags {
        query(
            "UPDATE devices SET blocked = COALESCE($2, blocked), refund_blocked = COALESCE($3, refund_blocked) WHERE id = $1",
        )
        .bind(id)
        .bind(blocked)
        .bind(refund_blocked)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    }
    tx.commit().await.or_page(ctx.lang)?;
    Ok(redirect(&format!("/pos/{id}")))
}

fn operator_field(ctx: &Ctx, body: &Bytes) -> Result<String, PageErr> {
    let op = form(body).get("operator").unwrap_or("1").to_owned();
    if op.len() > 20 || !op.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ctx.err(HostError::Invalid("operator-invalid")));
    }
    Ok(op)
}

async fn pos_reset_pin(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let operator = operator_field(&ctx, &body)?;
    pos_command(&state, &ctx, &id, Action::PosList, CommandBody::ResetPin { operator }).await
}

async fn pos_reset_refund_pin(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let operator = operator_field(&ctx, &body)?;
    pos_command(
        &state,
        &ctx,
        &id,
        Action::PosList,
        CommandBody::ResetRefundPin { operator },
    )
    .await
}

async fn pos_block(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::BlockPos).await
}

async fn pos_unblock(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::UnblockPos).await
}

async fn pos_refund_block(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::BlockRefund).await
}

async fn pos_refund_unblock(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::UnblockRefund).await
}

async fn pos_receipt(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let (id, shop) = pos_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(shop))?;
    let f = form(&body);
    let name = f.get("receipt_name").map(str::to_owned);
    let address = f.get("receipt_address").map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.chars().count() > 48) || address.as_ref().is_some_and(|a| a.chars().count() > 96)
    {
        return Err(ctx.err(HostError::Invalid("receipt-header-rule")));
    }
    query(
        "UPDATE devices SET receipt_name = $2, receipt_address = $3, copy_merchant = $4, copy_customer = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(address)
    .bind(f.checked("copy_merchant"))
    .bind(f.checked("copy_customer"))
    .execute(&state.pool)
    .await
    .or_page(ctx.lang)?;
    Ok(redirect(&format!("/pos/{id}")))
}

async fn pos_request_diagnostics(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, shop) = pos_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(shop))?;
    query("UPDATE devices SET diagnostics_requested = true WHERE id = $1")
        .bind(id)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    Ok(redirect(&format!("/pos/{id}/diagnostics")))
}

async fn pos_diagnostics(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, shop) = pos_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(shop))?;
    let rows = query("SELECT received_at, body FROM diagnostics WHERE device_id = $1 ORDER BY id DESC LIMIT 10")
        .bind(id)
        .fetch_all(&state.pool)
        .await
        .or_page(ctx.lang)?;
    let mut body = String::new();
    for r in rows {
        let at: DateTime<Utc> = r.try_get(0).or_page(ctx.lang)?;
        let text: String = r.try_get(1).or_page(ctx.lang)?;
        let pretty = serde_json::from_str::<serde_json::Value>(&text)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(text);
        let _ = write!(
            body,
            "<h2>{}</h2><pre>{}</pre>",
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            esc(&pretty)
        );
    }
    if body.is_empty() {
        body = format!("<p>{}</p>", esc(ctx.t("no-diagnostics")));
    }
    Ok(ctx.page("diagnostics", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_minor_units_exactly() {
        assert_eq!(decimal(12345, 2), "123.45");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(7, 0), "7");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn filters_refuse_what_is_not_on_the_list() {
        let bad = FormData::parse(b"status=approved'%20OR%201=1--");
        assert!(matches!(Filter::parse(&bad), Err(HostError::Invalid("filter-invalid"))));
        let bad_date = FormData::parse(b"from=2026-13-40");
        assert!(matches!(
            Filter::parse(&bad_date),
            Err(HostError::Invalid("date-invalid"))
        ));
        let ok = FormData::parse(b"status=approved&tab=alipay&shop=3&from=2026-01-01");
        let f = Filter::parse(&ok).map_err(|e| e.to_string());
        assert!(f.is_ok_and(|f| f.shop == Some(3) && f.tab.as_deref() == Some("alipay")));
    }
}

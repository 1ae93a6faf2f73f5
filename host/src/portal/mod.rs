//! The merchant portal (H1–H7): server-rendered pages over the same database the tills fill.
//!
//! Every guarded handler starts with [`Ctx::require`], which asks [`access::allowed`] — the one
//! permission table — with the scope the request aims at (the merchant, or the shop a POS,
//! transaction or shop page belongs to). Anything of another merchant is "not found".
//!
//! One file per page group: `auth.rs` (public pages: language, login, activation, reset),
//! `profile.rs` (own profile, merchant chooser), `merchant.rs`, `users.rs` (H6),
//! `transactions.rs` (H4, H5), `shops.rs` (H2) with `shop_updates.rs` (a shop's update channel or
//! pin and its tills' versions, issue 14), `pos.rs` (H3); `guard.rs` is the layer every portal
//! request passes (control characters, CSRF, the tokens in the forms) and the security headers
//! (issue 18). This file holds the routes and
//! what they share: the extractors ([`Account`], [`Ctx`]), the error page ([`PageErr`]), form
//! parsing, labels, dates and amounts.

mod auth;
pub mod guard;
mod merchant;
mod pos;
mod profile;
mod shop_updates;
mod shops;
mod transactions;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;

use crate::AppState;
use crate::access::{self, Action, Grant, Role, Scope};
use crate::db;
use crate::error::HostError;
use crate::html::{FormData, NavItem, cookie, page, redirect, status_page};
use crate::text::{Lang, tr};

pub use auth::create_merchant;
pub use transactions::{STATUSES, TABS};

const SESSION_COOKIE: &str = "otsid";
/// The largest form body the portal reads.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
const SESSION_HOURS: i64 = 12;
const ACTIVATION_HOURS: i64 = 72;
const RESET_HOURS: i64 = 1;
const POS_CODE_HOURS: i64 = 24;
const MAX_FAILED_LOGINS: i32 = 5;
const LOCK_MINUTES: i64 = 15;

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        crate::html::STYLE,
    )
        .into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/style.css", get(style))
        .route("/healthz", get(|| async { "ok" }))
        .route("/lang/{lang}", get(auth::set_lang))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/activate/{token}", get(auth::activate_form).post(auth::activate))
        .route("/forgot", get(auth::forgot_form).post(auth::forgot))
        .route("/reset/{token}", get(auth::reset_form).post(auth::reset))
        .route("/merchants", get(profile::merchants))
        .route("/merchants/choose", post(profile::choose_merchant))
        .route("/profile", get(profile::profile).post(profile::profile_save))
        .route("/profile/pin", post(profile::profile_pin))
        .route("/", get(merchant::home))
        .route("/merchant", get(merchant::merchant_detail))
        .route("/merchant/app", get(merchant::merchant_app))
        .route("/merchant/dev-files", get(merchant::dev_files))
        .route("/users", get(users::users))
        .route("/users/invite", post(users::invite))
        .route("/users/{id}/edit", post(users::user_edit))
        .route("/users/{id}/remove", post(users::user_remove))
        .route("/transactions", get(transactions::transactions))
        .route("/transactions.csv", get(transactions::transactions_csv))
        .route("/transactions/{device}/{txn}/refund", post(transactions::refund))
        .route("/reports/t1", get(transactions::report_t1))
        .route("/reports/t1.csv", get(transactions::report_t1_csv))
        .route("/shops", get(shops::shops).post(shops::shop_create))
        .route("/shops/{id}", get(shops::shop_detail))
        .route("/shops/{id}/edit", post(shops::shop_edit))
        .route("/shops/{id}/members", get(shops::shop_members))
        .route("/shops/{id}/delete", post(shops::shop_delete))
        .route("/shops/{id}/updates", post(shop_updates::save))
        .route("/shops/{id}/pos", get(pos::shop_pos).post(pos::pos_setup))
        .route("/pos", get(pos::pos_list))
        .route("/pos/{id}", get(pos::pos_detail))
        .route("/pos/{id}/reset-pin", post(pos::pos_reset_pin))
        .route("/pos/{id}/reset-refund-pin", post(pos::pos_reset_refund_pin))
        .route("/pos/{id}/block", post(pos::pos_block))
        .route("/pos/{id}/unblock", post(pos::pos_unblock))
        .route("/pos/{id}/refund-block", post(pos::pos_refund_block))
        .route("/pos/{id}/refund-unblock", post(pos::pos_refund_unblock))
        .route("/pos/{id}/receipt", post(pos::pos_receipt))
        .route(
            "/pos/{id}/diagnostics",
            get(pos::pos_diagnostics).post(pos::pos_request_diagnostics),
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
            HostError::Refused { key, .. } => status_page(StatusCode::BAD_REQUEST, lang, tr(lang, key)),
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
        // In time and used within the idle timeout; this use moves the idle clock.
        let row = query(
            "UPDATE sessions s SET last_seen_at = now() FROM users u
             WHERE u.id = s.user_id AND s.hash = $1 AND s.expires_at > now()
               AND s.last_seen_at > now() - make_interval(mins => $2)
             RETURNING s.user_id, u.email, u.alias, s.merchant_id",
        )
        .bind(&hash)
        .bind(state.idle_minutes)
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

// ---- labels: a stored value's message key ----------------------------------------------------

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

// ---- dates and amounts ----------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_minor_units_exactly() {
        assert_eq!(decimal(12345, 2), "123.45");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(7, 0), "7");
    }
}

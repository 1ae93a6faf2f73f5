//! The signed-in person's own pages (H1): choosing a merchant profile, their name, mobile and PIN.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;

use super::{Account, OrPage, Page, PageErr, form, role_label};
use crate::AppState;
use crate::access::Role;
use crate::db;
use crate::error::HostError;
use crate::html::{esc, page, redirect};
use crate::text::tr;

pub(super) async fn merchants(State(state): State<AppState>, account: Account) -> Page {
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

pub(super) async fn choose_merchant(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
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

pub(super) async fn profile(State(state): State<AppState>, account: Account) -> Page {
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

pub(super) async fn profile_save(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
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

pub(super) async fn profile_pin(State(state): State<AppState>, account: Account, body: Bytes) -> Page {
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
    let hash = db::hash_pin(&pin).or_page(lang)?;
    let mut tx = state.pool.begin().await.or_page(lang)?;
    query("UPDATE users SET pin_hash = $2 WHERE id = $1")
        .bind(account.user_id)
        .bind(hash)
        .execute(&mut *tx)
        .await
        .or_page(lang)?;
    // A new PIN ends every other session of the person (one opened with the old PIN elsewhere).
    query("DELETE FROM sessions WHERE user_id = $1 AND hash <> $2")
        .bind(account.user_id)
        .bind(&account.session_hash)
        .execute(&mut *tx)
        .await
        .or_page(lang)?;
    tx.commit().await.or_page(lang)?;
    Ok(redirect("/profile"))
}

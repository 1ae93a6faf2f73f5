//! Shops (H2): the list, creating and removing a shop, its detail and edit form, its members.

use axum::body::Bytes;
use axum::extract::{Path, State};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;

use super::shop_updates;
use super::users::members;
use super::{Ctx, OrPage, Page, PageErr, form, id_param, role_label, shop_rows};
use crate::AppState;
use crate::access::{self, Action, Scope};
use crate::error::HostError;
use crate::html::{esc, redirect};

pub(super) async fn shops(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn shop_create(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Page {
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
pub(super) async fn shop_of(state: &AppState, ctx: &Ctx, id: &str) -> Result<(i64, String, String), PageErr> {
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

pub(super) async fn shop_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, name, address) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::Shops, Scope::Shop(id))?;
    let body = detail_body(&state, &ctx, id, &name, &address, None).await?;
    Ok(ctx.page("shop", &body))
}

/// The shop page: its settings, its updates section (with `refusal`, the message of an update
/// change just refused) and, for those who may, its removal.
pub(super) async fn detail_body(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    name: &str,
    address: &str,
    refusal: Option<&'static str>,
) -> Result<String, PageErr> {
    let mut body = format!(
        "<form method=\"post\" action=\"/shops/{id}/edit\"><label>{} <input name=\"name\" value=\"{}\" required></label>\
         <label>{} <input name=\"address\" value=\"{}\"></label><button>{}</button></form>\
         <p><a href=\"/shops/{id}/pos\">{}</a> · <a href=\"/shops/{id}/members\">{}</a></p>",
        esc(ctx.t("name")),
        esc(name),
        esc(ctx.t("address")),
        esc(address),
        esc(ctx.t("save")),
        esc(ctx.t("pos-list")),
        esc(ctx.t("members")),
    );
    body.push_str(&shop_updates::section(state, ctx, id, refusal).await?);
    if access::allowed(&ctx.grant, Action::ShopCreateRemove, Scope::Shop(id)) {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/shops/{id}/delete\"><button>{}</button></form>",
            esc(ctx.t("delete-shop"))
        );
    }
    Ok(body)
}

pub(super) async fn shop_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
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

pub(super) async fn shop_members(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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

pub(super) async fn shop_delete(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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

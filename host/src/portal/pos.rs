//! POS terminals (H3): the list (merchant-wide and per shop), setting one up with its activation
//! code, its detail page, and the commands queued for it (PIN resets, blocks, receipt settings,
//! diagnostics).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;
use till_sync::CommandBody;

use super::shops::shop_of;
use super::{Ctx, OrPage, POS_CODE_HOURS, Page, PageErr, form, id_param};
use crate::AppState;
use crate::access::{self, Action, Scope};
use crate::db;
use crate::error::HostError;
use crate::html::{esc, redirect};

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
    /// The version it said it runs when it last asked for an update.
    app_version: Option<String>,
}

async fn pos_rows(state: &AppState, ctx: &Ctx, shop: Option<i64>, id: Option<i64>) -> Result<Vec<Pos>, HostError> {
    let rows = query(
        "SELECT d.id, d.shop_id, s.name, d.name, d.till_id, d.blocked, d.refund_blocked, d.token_hash IS NOT NULL,
                d.held, d.last_seen, d.app_version
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
                app_version: r.try_get(10)?,
            })
        })
        .collect()
}

fn pos_table(ctx: &Ctx, list: &[Pos]) -> String {
    let mut body = format!(
        "<table id=\"pos\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("pos")),
        esc(ctx.t("shop")),
        esc(ctx.t("till-id")),
        esc(ctx.t("status")),
        esc(ctx.t("last-seen")),
        esc(ctx.t("installed-version"))
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
            "<tr><td><a href=\"/pos/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.id,
            esc(&p.name),
            esc(&p.shop),
            esc(p.till_id.as_deref().unwrap_or("")),
            esc(&state.join(", ")),
            p.last_seen
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            esc(p.app_version.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</table>");
    body
}

pub(super) async fn pos_list(State(state): State<AppState>, ctx: Ctx) -> Page {
    ctx.require(Action::PosList, Scope::Merchant)?;
    let list = pos_rows(&state, &ctx, None, None).await.or_page(ctx.lang)?;
    Ok(ctx.page("pos-list", &pos_table(&ctx, &list)))
}

pub(super) async fn shop_pos(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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
pub(super) async fn pos_setup(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
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

pub(super) async fn pos_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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

pub(super) async fn pos_reset_pin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Page {
    let operator = operator_field(&ctx, &body)?;
    pos_command(&state, &ctx, &id, Action::PosList, CommandBody::ResetPin { operator }).await
}

pub(super) async fn pos_reset_refund_pin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Page {
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

pub(super) async fn pos_block(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::BlockPos).await
}

pub(super) async fn pos_unblock(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::UnblockPos).await
}

pub(super) async fn pos_refund_block(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::BlockRefund).await
}

pub(super) async fn pos_refund_unblock(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    pos_command(&state, &ctx, &id, Action::PosControl, CommandBody::UnblockRefund).await
}

pub(super) async fn pos_receipt(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
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

pub(super) async fn pos_request_diagnostics(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
    let (id, shop) = pos_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(shop))?;
    query("UPDATE devices SET diagnostics_requested = true WHERE id = $1")
        .bind(id)
        .execute(&state.pool)
        .await
        .or_page(ctx.lang)?;
    Ok(redirect(&format!("/pos/{id}/diagnostics")))
}

pub(super) async fn pos_diagnostics(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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

//! The merchant's pages: home (today's sales), merchant detail, the merchant app and its
//! development files (H7 "merchant app detail").

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;

use super::{Ctx, OrPage, Page, decimal, local_midnight, offset, role_label};
use crate::AppState;
use crate::access::{self, Action, Scope};
use crate::html::esc;

pub(super) async fn home(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn merchant_detail(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn merchant_app(State(state): State<AppState>, ctx: Ctx) -> Page {
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

pub(super) async fn dev_files(State(state): State<AppState>, ctx: Ctx) -> Page {
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

//! A shop's updates (issue 14), a section of the shop page: the channel its tills follow or the
//! version they are pinned to, what the shop is offered now, and what each till said it runs
//! when it last asked, so a merchant sees a staged roll-out reach the tills. Changing the policy
//! is H7's "set up POS" row (merchant, admin) and goes through [`updates::set_shop_policy`], as
//! `till-host shop-updates` does; a shop manager sees the section read-only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;

use super::shops::{detail_body, shop_of};
use super::{Ctx, OrPage, Page, PageErr, form};
use crate::AppState;
use crate::access::{self, Action, Scope};
use crate::error::HostError;
use crate::html::{esc, redirect};
use crate::updates::{self, Standing};

/// The section's HTML; `refusal` is the message of a change just refused.
pub(super) async fn section(
    state: &AppState,
    ctx: &Ctx,
    shop: i64,
    refusal: Option<&'static str>,
) -> Result<String, PageErr> {
    let row = query("SELECT update_channel, update_pin FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(&state.pool)
        .await
        .or_page(ctx.lang)?;
    let channel: String = row.try_get(0).or_page(ctx.lang)?;
    let pin: Option<String> = row.try_get(1).or_page(ctx.lang)?;
    let release = updates::release_for_shop(&state.pool, shop).await.or_page(ctx.lang)?;

    let mut body = format!(
        "<section id=\"updates\"><h2>{}</h2><p id=\"update-policy\">{}: <strong>{}</strong> · {}: <strong>{}</strong></p>",
        esc(ctx.t("updates")),
        esc(ctx.t("update-channel")),
        esc(&channel),
        esc(ctx.t("update-version")),
        esc(&match &pin {
            Some(v) => format!("{} {v}", ctx.t("update-pinned")),
            None => ctx.t("update-newest").to_owned(),
        }),
    );
    let offered = match &release {
        Some(r) => format!(
            "<strong>{}</strong> ({}) · {}",
            esc(&r.version),
            esc(&r.channel),
            esc(&r.packages.keys().cloned().collect::<Vec<_>>().join(", "))
        ),
        None => esc(ctx.t("update-none-published")),
    };
    let _ = write!(
        body,
        "<p id=\"update-offered\">{}: {offered}</p>",
        esc(ctx.t("update-offered-now"))
    );
    if let Some(key) = refusal {
        let _ = write!(body, "<p class=\"error\" id=\"update-refused\">{}</p>", esc(ctx.t(key)));
    }
    if access::allowed(&ctx.grant, Action::PosControl, Scope::Shop(shop)) {
        body.push_str(&policy_form(state, ctx, shop, &channel, pin.as_deref()).await?);
    } else {
        let _ = write!(body, "<p>{}</p>", esc(ctx.t("update-read-only")));
    }
    body.push_str(&tills_table(state, ctx, shop, release.as_ref()).await?);
    body.push_str("</section>");
    Ok(body)
}

/// The form: a channel that has releases (or the shop's own), and newest-of-the-channel or one
/// published version, the versions grouped by their channel.
async fn policy_form(
    state: &AppState,
    ctx: &Ctx,
    shop: i64,
    channel: &str,
    pin: Option<&str>,
) -> Result<String, PageErr> {
    let mut published = updates::published(&state.pool).await.or_page(ctx.lang)?;
    if !published.iter().any(|(c, _)| c == channel) {
        published.push((channel.to_owned(), Vec::new()));
    }
    let mut channels = String::new();
    for (c, _) in &published {
        let sel = if c == channel { " selected" } else { "" };
        let _ = write!(channels, "<option value=\"{0}\"{sel}>{0}</option>", esc(c));
    }
    // The pinned version is shown under the shop's channel if it is there, else where it is.
    let pinned_in = pin.and_then(|v| {
        published
            .iter()
            .find(|(c, vs)| c == channel && vs.iter().any(|x| x == v))
            .or_else(|| published.iter().find(|(_, vs)| vs.iter().any(|x| x == v)))
            .map(|(c, _)| c.as_str())
    });
    let mut versions = format!("<option value=\"\">{}</option>", esc(ctx.t("update-newest")));
    for (c, vs) in published.iter().filter(|(_, vs)| !vs.is_empty()) {
        let _ = write!(versions, "<optgroup label=\"{}\">", esc(c));
        for v in vs {
            let sel = if pin == Some(v.as_str()) && pinned_in == Some(c.as_str()) {
                " selected"
            } else {
                ""
            };
            let _ = write!(versions, "<option value=\"{0}\"{sel}>{0}</option>", esc(v));
        }
        versions.push_str("</optgroup>");
    }
    Ok(format!(
        "<form id=\"update-form\" method=\"post\" action=\"/shops/{shop}/updates\">\
         <label>{} <select name=\"channel\">{channels}</select></label>\
         <label>{} <select name=\"pin\">{versions}</select></label><button>{}</button></form>",
        esc(ctx.t("update-channel")),
        esc(ctx.t("update-version")),
        esc(ctx.t("save")),
    ))
}

/// Each till of the shop: the version and platform it reported at its last update check, when,
/// and where it stands against the shop's release.
async fn tills_table(
    state: &AppState,
    ctx: &Ctx,
    shop: i64,
    release: Option<&updates::Release>,
) -> Result<String, PageErr> {
    let rows = query(
        "SELECT id, name, till_id, app_version, app_platform, update_checked_at FROM devices
         WHERE shop_id = $1 AND merchant_id = $2 AND deleted_at IS NULL ORDER BY name, id",
    )
    .bind(shop)
    .bind(ctx.merchant_id)
    .fetch_all(&state.pool)
    .await
    .or_page(ctx.lang)?;
    let mut out = format!(
        "<table id=\"till-versions\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(ctx.t("pos")),
        esc(ctx.t("till-id")),
        esc(ctx.t("installed-version")),
        esc(ctx.t("platform")),
        esc(ctx.t("last-check")),
        esc(ctx.t("status")),
    );
    for r in &rows {
        let id: i64 = r.try_get(0).or_page(ctx.lang)?;
        let name: String = r.try_get(1).or_page(ctx.lang)?;
        let till_id: Option<String> = r.try_get(2).or_page(ctx.lang)?;
        let version: Option<String> = r.try_get(3).or_page(ctx.lang)?;
        let platform: Option<String> = r.try_get(4).or_page(ctx.lang)?;
        let checked: Option<DateTime<Utc>> = r.try_get(5).or_page(ctx.lang)?;
        let standing = match (&version, release) {
            (None, _) => ctx.t("update-never-checked"),
            (Some(_), None) => "",
            (Some(v), Some(rel)) => ctx.t(standing_label(updates::standing(
                rel,
                v,
                platform.as_deref().unwrap_or(""),
            ))),
        };
        let _ = write!(
            out,
            "<tr><td><a href=\"/pos/{id}\">{}</a></td><td>{}</td><td class=\"version\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&name),
            esc(till_id.as_deref().unwrap_or("")),
            esc(version.as_deref().unwrap_or("")),
            esc(platform.as_deref().unwrap_or("")),
            checked
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            esc(standing),
        );
    }
    out.push_str("</table>");
    Ok(out)
}

fn standing_label(s: Standing) -> &'static str {
    match s {
        Standing::UpToDate => "update-state-current",
        Standing::Offered => "update-state-offered",
        Standing::NoPackage => "update-state-no-package",
        Standing::Ahead => "update-state-ahead",
        Standing::Unknown => "update-state-unknown",
    }
}

/// POST /shops/{id}/updates: the shop's channel (`channel`) and pinned version (`pin`, empty for
/// the channel's newest). A refused value is shown on the shop page and changes nothing.
pub(super) async fn save(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    let (id, name, address) = shop_of(&state, &ctx, &id).await?;
    ctx.require(Action::PosControl, Scope::Shop(id))?;
    let f = form(&body);
    match updates::set_shop_policy(&state.pool, ctx.merchant_id, id, &f.text("channel"), f.get("pin")).await {
        Ok(()) => Ok(redirect(&format!("/shops/{id}#updates"))),
        Err(HostError::Refused { key, .. }) => {
            let body = detail_body(&state, &ctx, id, &name, &address, Some(key)).await?;
            Ok((StatusCode::BAD_REQUEST, ctx.page("shop", &body)).into_response())
        }
        Err(e) => Err(ctx.err(e)),
    }
}

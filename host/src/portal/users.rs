//! Users (H6): the invited users of a merchant, invitation, edit and removal, within what the
//! permission matrix lets the signed-in user manage.

use axum::body::Bytes;
use axum::extract::{Path, State};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::fmt::Write as _;

use super::auth::mail_link;
use super::{ACTIVATION_HOURS, Ctx, OrPage, Page, PageErr, form, id_param, role_label, shop_rows};
use crate::AppState;
use crate::access::{self, Action, Role, Scope};
use crate::error::HostError;
use crate::html::{FormData, esc, redirect};

pub(super) struct Member {
    pub(super) user_id: i64,
    pub(super) email: String,
    pub(super) alias: String,
    pub(super) mobile: String,
    pub(super) role: Role,
    pub(super) shops: Vec<i64>,
    pub(super) active: bool,
}

pub(super) async fn members(state: &AppState, merchant: i64) -> Result<Vec<Member>, HostError> {
    let rows = query(
        "SELECT u.id, u.email, COALESCE(m.alias, u.alias), u.mobile, m.role, u.pin_hash IS NOT NULL,
                COALESCE(array_agg(ms.shop_id ORDER BY ms.shop_id) FILTER (WHERE ms.shop_id IS NOT NULL), '{}')
         FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN membership_shops ms ON ms.user_id = m.user_id AND ms.merchant_id = m.merchant_id
         WHERE m.merchant_id = $1 GROUP BY u.id, m.role, m.alias ORDER BY 3, u.id",
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

pub(super) async fn users(State(state): State<AppState>, ctx: Ctx) -> Page {
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
                "<form method=\"post\" action=\"/users/{id}/edit\"><input name=\"alias\" value=\"{}\">\
                 <select name=\"role\">{}</select>{}<button>{}</button></form>\
                 <form method=\"post\" action=\"/users/{id}/remove\"><button>{}</button></form>",
                esc(&m.alias),
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

pub(super) async fn invite(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Page {
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
    // The alias is this merchant's name for the person; a person who already has an account keeps
    // their own name and mobile (the statement above changes neither).
    let added = query(
        "INSERT INTO memberships (user_id, merchant_id, role, alias) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(ctx.merchant_id)
    .bind(role.id())
    .bind(&alias)
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

pub(super) async fn user_edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Page {
    ctx.require(Action::Users, Scope::Merchant)?;
    let m = managed_member(&state, &ctx, &id).await?;
    let f = form(&body);
    let (role, shops) = role_and_shops(&state, &ctx, &f).await?;
    if !access::may_manage(&ctx.grant, role, &shops) {
        return Err(ctx.err(HostError::Forbidden));
    }
    let alias = f.get("alias").unwrap_or(&m.alias).to_owned();
    if alias.chars().count() > 100 {
        return Err(ctx.err(HostError::Invalid("alias-rule")));
    }
    // Only this merchant's membership changes: the person's own profile (name, mobile) is theirs.
    let mut tx = state.pool.begin().await.or_page(ctx.lang)?;
    query("UPDATE memberships SET role = $3, alias = $4 WHERE user_id = $1 AND merchant_id = $2")
        .bind(m.user_id)
        .bind(ctx.merchant_id)
        .bind(role.id())
        .bind(alias)
        .execute(&mut *tx)
        .await
        .or_page(ctx.lang)?;
    set_member_shops(&mut tx, m.user_id, ctx.merchant_id, &shops)
        .await
        .or_page(ctx.lang)?;
    tx.commit().await.or_page(ctx.lang)?;
    Ok(redirect("/users"))
}

pub(super) async fn user_remove(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Page {
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

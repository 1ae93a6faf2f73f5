//! Transaction history (H4): the list with its means tabs and filters, its CSV, a refund asked
//! for from the portal; and the T-1 report (H5).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::PgRow;
use std::fmt::Write as _;

use super::{
    Ctx, OrPage, Page, PageErr, decimal, digits_of, form, id_param, kind_label, local_midnight, offset, query_form,
    shop_rows, status_label, tab_label,
};
use crate::AppState;
use crate::access::{self, Action, Scope};
use crate::error::HostError;
use crate::html::{FormData, esc, url_enc};

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

pub(super) async fn transactions(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
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

pub(super) async fn transactions_csv(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
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

pub(super) async fn refund(
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

pub(super) async fn report_t1(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
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

pub(super) async fn report_t1_csv(State(state): State<AppState>, ctx: Ctx, q: RawQuery) -> Page {
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! H1, H4, H5 through the portal's pages: activation within 72 hours, login, forgot PIN,
//! lockout; history filtered by means and date, its CSV, the T-1 report.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::sync::Arc;
use till::SaleInput;
use till_domain::{Currency, Money, PaymentMeans};
use till_host::portal;
use till_sync::HttpHost;

use crate::support::*;

async fn last_link(host: &Host, email: &str) -> Result<String, Error> {
    let body: String = query("SELECT body FROM outbox WHERE to_email = $1 ORDER BY id DESC LIMIT 1")
        .bind(email)
        .fetch_one(&host.state.pool)
        .await?
        .try_get(0)?;
    let link = body.lines().next().ok_or("empty mail")?;
    Ok(link.trim_start_matches(&host.url).to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_login_forgotten_pin_and_lockout() -> TestResult {
    let host = Host::start().await?;
    let email = "owner@lantau.example";
    portal::create_merchant(&host.state, "Lantau Bakery", email, "Mei").await?;
    let link = last_link(&host, email).await?;
    assert!(link.starts_with("/activate/"), "{link}");
    let page = get(&host, "", &link).await?;
    assert_eq!(page.status().as_u16(), 200, "the activation link opens");
    let r = post(&host, "", &link, "pin=112233&pin2=112234").await?;
    assert_eq!(r.status().as_u16(), 400, "two different PINs are refused");
    let r = post(&host, "", &link, "pin=112233&pin2=112233").await?;
    assert_eq!(
        r.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/login?done=activated")
    );
    assert_eq!(
        post(&host, "", &link, "pin=445566&pin2=445566")
            .await?
            .status()
            .as_u16(),
        410,
        "a link works once"
    );
    let cookie = login(&host, email, "112233").await?;
    let home = get(&host, &cookie, "/").await?.text().await?;
    assert!(home.contains("Lantau Bakery"), "one merchant: chosen at login");

    // Forgot PIN: a reset link, the old PIN stops working.
    let r = post(&host, "", "/forgot", "email=owner%40lantau.example").await?;
    assert_eq!(r.status().as_u16(), 200);
    let reset = last_link(&host, email).await?;
    assert!(reset.starts_with("/reset/"));
    post(&host, "", &reset, "pin=998877&pin2=998877").await?;
    assert!(login(&host, email, "112233").await.is_err(), "the old PIN is gone");
    login(&host, email, "998877").await?;
    let unknown = post(&host, "", "/forgot", "email=nobody%40lantau.example")
        .await?
        .text()
        .await?;
    let known = post(&host, "", "/forgot", "email=owner%40lantau.example")
        .await?
        .text()
        .await?;
    assert_eq!(
        unknown, known,
        "the answer does not tell whether an address is registered"
    );

    // An activation link older than 72 hours is refused.
    portal::create_merchant(&host.state, "Late Café", "late@lantau.example", "Late").await?;
    let late = last_link(&host, "late@lantau.example").await?;
    query(
        "UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'activation' AND used_at IS NULL",
    )
    .execute(&host.state.pool)
    .await?;
    assert_eq!(
        get(&host, "", &late).await?.status().as_u16(),
        410,
        "expired activation link"
    );
    let expiry: i64 =
        query("SELECT extract(epoch FROM max(expires_at) - now())::bigint FROM user_tokens WHERE kind = 'reset'")
            .fetch_one(&host.state.pool)
            .await?
            .try_get(0)?;
    assert!(expiry > 0 && expiry <= 3600, "reset links last an hour: {expiry}");

    // Five wrong PINs lock the account, even for the right PIN.
    for _ in 0..5 {
        assert!(login(&host, email, "000000").await.is_err());
    }
    let r = post(&host, "", "/login", "email=owner%40lantau.example&pin=998877").await?;
    assert_eq!(r.status().as_u16(), 429, "locked after 5 wrong PINs");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_filters_csv_and_the_t1_report() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let (device, code) = set_up_pos(&host, &owner, seed.shop_a, "Front").await?;
    let token = enrol(&host.url, &code).await?;
    let dir = temp_dir("history")?;
    let (till, _sims) = open_till(&dir, Some(Arc::new(HttpHost::new(&host.url, &token, None)?)))?;
    let sale = |minor: i64, means: PaymentMeans| SaleInput {
        amount: Money::new(minor, Currency::Hkd),
        tip: Money::zero(Currency::Hkd),
        means,
        qr_scheme: None,
        code: (means == PaymentMeans::QrCustomer).then(|| "280012345678901234".to_owned()),
    };
    till.sale(sale(1_250, PaymentMeans::Cash)).await?;
    till.sale(sale(3_000, PaymentMeans::Cash)).await?;
    till.sale(sale(4_200, PaymentMeans::Card)).await?;
    till.sale(sale(990, PaymentMeans::QrCustomer)).await?;
    drain(&till, 5).await?;
    assert_eq!(held(&host.state, device).await?.0 as u64, till.verify_journal()?.events);

    let page = get(&host, &owner, "/transactions?tab=cash").await?.text().await?;
    assert_eq!(
        page.matches("<tr><td>").count(),
        2,
        "the cash tab holds the two cash sales"
    );
    let csv = get(&host, &owner, "/transactions.csv?tab=cash").await?.text().await?;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "time,shop,pos,trace,kind,means,tab,status,currency,amount,tip,total,refunded,auth_code,last4,id"
    );
    assert_eq!(rows.len(), 3, "a header and two rows: {csv}");
    assert!(
        rows[1..].iter().all(|r| r.contains(",cash,cash,approved,HKD,")),
        "{csv}"
    );
    let mut totals: Vec<&str> = rows[1..].iter().filter_map(|r| r.split(',').nth(11)).collect();
    totals.sort_unstable();
    assert_eq!(totals, vec!["12.50", "30.00"]);
    let all = get(&host, &owner, "/transactions.csv").await?.text().await?;
    assert_eq!(all.lines().count(), 5, "four sales in all");

    // Dates are the merchant's local days: the sales are today, not tomorrow.
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).ok_or("offset")?)
        .date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    let on_today = get(&host, &owner, &format!("/transactions.csv?from={today}&to={today}"))
        .await?
        .text()
        .await?;
    assert_eq!(on_today.lines().count(), 5);
    let on_tomorrow = get(&host, &owner, &format!("/transactions.csv?from={tomorrow}"))
        .await?
        .text()
        .await?;
    assert_eq!(on_tomorrow.lines().count(), 1, "only the header");

    // T-1 of today's date (the report takes any day): consolidated by means.
    let report = get(&host, &owner, &format!("/reports/t1.csv?date={today}"))
        .await?
        .text()
        .await?;
    let cash_line = report
        .lines()
        .find(|l| l.contains(",cash,sale,approved,"))
        .ok_or(report.clone())?;
    assert!(cash_line.ends_with(",HKD,2,42.50,0.00"), "{cash_line}");
    let yesterday = get(&host, &owner, "/reports/t1.csv").await?.text().await?;
    assert_eq!(
        yesterday.lines().count(),
        1,
        "by default T-1 is yesterday: nothing then"
    );

    // The Chinese pages.
    let zh = get(&host, &format!("{owner}; lang=zh"), "/transactions")
        .await?
        .text()
        .await?;
    assert!(
        zh.contains("交易紀錄") && zh.contains("現金"),
        "the portal speaks Chinese"
    );
    Ok(())
}

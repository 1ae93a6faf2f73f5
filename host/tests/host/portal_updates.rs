//! Issue 14 in the portal: a shop's update channel or pinned version set through the shop page's
//! form (H7: merchant and admin only), refusals shown in the reader's language and changing
//! nothing, and each till's reported version on the shop page (the staged roll-out view).

use sqlx_core::query::query;
use sqlx_core::row::Row;
use std::collections::BTreeMap;
use till_host::updates::{self, Release};
use till_sync::HttpHost;
use till_sync::update::Package;

use crate::exactly_once::device_with_code;
use crate::support::*;

const LINUX: &str = "linux-x86_64";

/// Publishes `version` on `channel` with a Linux package (the host only lists packages).
async fn publish(host: &Host, channel: &str, version: &str) -> TestResult {
    let release = Release {
        channel: channel.to_owned(),
        version: version.to_owned(),
        notes: String::new(),
        packages: BTreeMap::from([(
            LINUX.to_owned(),
            Package {
                url: format!("https://packages.example/{version}.deb"),
                signature: "c2lnbmF0dXJl".to_owned(),
            },
        )]),
    };
    updates::publish(&host.state.pool, &release).await?;
    Ok(())
}

/// The shop's stored policy: (channel, pin).
async fn policy(host: &Host, shop: i64) -> Result<(String, Option<String>), Error> {
    let r = query("SELECT update_channel, update_pin FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(&host.state.pool)
        .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// An enrolled till in `shop`: its device id and its link to the host.
async fn till_in(host: &Host, seed: &Seed, shop: i64) -> Result<(i64, HttpHost), Error> {
    let (device, code) = device_with_code(&host.state, seed.merchant, shop).await?;
    let token = enrol(&host.url, &code).await?;
    Ok((device, HttpHost::new(&host.url, &token, None)?))
}

/// The version the till is offered when it runs `current`, if any.
async fn offered(link: &HttpHost, current: &str) -> Result<Option<String>, Error> {
    Ok(link.check_update(LINUX, current).await?.map(|m| m.version))
}

/// The text of each cell of the row of `table` that links to POS `device`.
fn till_row(page: &str, table: &str, device: i64) -> Result<Vec<String>, Error> {
    let start = page
        .find(&format!("<table id=\"{table}\">"))
        .ok_or(format!("no {table} table"))?;
    let table = &page[start..start + page[start..].find("</table>").ok_or("table not closed")?];
    let row = table
        .split("<tr>")
        .find(|r| r.contains(&format!("href=\"/pos/{device}\"")))
        .ok_or(format!("no row for POS {device} in {table}"))?;
    Ok(row
        .split("<td")
        .skip(1)
        .map(|cell| {
            let mut text = String::new();
            let mut in_tag = true; // the rest of the opening <td ...>
            for c in cell.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_sets_a_channel_then_pins_a_version_and_the_tills_are_offered_it() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (_, link) = till_in(&host, &seed, seed.shop_a).await?;
    for (channel, version) in [("stable", "0.2.0"), ("stable", "0.3.0"), ("beta", "0.4.0-beta.1")] {
        publish(&host, channel, version).await?;
    }
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let path = format!("/shops/{}", seed.shop_a);

    // The form beside the shop's settings: every channel with a release, and their versions.
    let page = get(&host, &owner, &path).await?.text().await?;
    assert!(page.contains("id=\"update-form\""), "the owner sees the form");
    assert!(
        page.contains("<option value=\"stable\" selected>stable</option>")
            && page.contains("<option value=\"beta\">beta</option>"),
        "the channels with releases, the shop's selected"
    );
    assert!(
        page.contains("<optgroup label=\"beta\"><option value=\"0.4.0-beta.1\">"),
        "versions grouped by their channel"
    );
    assert!(
        page.contains("Offered now: <strong>0.3.0</strong> (stable)"),
        "stable's newest is offered"
    );
    assert_eq!(offered(&link, "0.1.0").await?.as_deref(), Some("0.3.0"));

    // The beta channel.
    let r = post(&host, &owner, &format!("{path}/updates"), "channel=beta&pin=").await?;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers().get("location").and_then(|l| l.to_str().ok()),
        Some(format!("{path}#updates").as_str())
    );
    assert_eq!(policy(&host, seed.shop_a).await?, ("beta".to_owned(), None));
    assert_eq!(offered(&link, "0.3.0").await?.as_deref(), Some("0.4.0-beta.1"));
    let page = get(&host, &owner, &path).await?.text().await?;
    assert!(page.contains("<option value=\"beta\" selected>beta</option>"), "{page}");

    // Pinned to stable's 0.2.0: offered to older tills, never a downgrade to newer ones.
    let r = post(&host, &owner, &format!("{path}/updates"), "channel=stable&pin=0.2.0").await?;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        policy(&host, seed.shop_a).await?,
        ("stable".to_owned(), Some("0.2.0".to_owned()))
    );
    assert_eq!(offered(&link, "0.1.0").await?.as_deref(), Some("0.2.0"));
    assert_eq!(offered(&link, "0.3.0").await?, None, "a pin is never a downgrade");
    let page = get(&host, &owner, &path).await?.text().await?;
    assert!(
        page.contains("pinned to 0.2.0")
            && page.contains(
                "<optgroup label=\"stable\"><option value=\"0.3.0\">0.3.0</option><option value=\"0.2.0\" selected>"
            ),
        "the pin is shown and selected"
    );
    assert!(page.contains("Offered now: <strong>0.2.0</strong> (stable)"));

    // Back to the channel's newest; the other shop was never touched.
    let r = post(&host, &owner, &format!("{path}/updates"), "channel=stable").await?;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(policy(&host, seed.shop_a).await?, ("stable".to_owned(), None));
    assert_eq!(offered(&link, "0.1.0").await?.as_deref(), Some("0.3.0"));
    assert_eq!(policy(&host, seed.shop_b).await?, ("stable".to_owned(), None));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_update_policy_is_explained_on_the_page_and_changes_nothing() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (_, link) = till_in(&host, &seed, seed.shop_a).await?;
    publish(&host, "stable", "0.3.0").await?;
    publish(&host, "beta", "0.4.0-beta.1").await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let path = format!("/shops/{}/updates", seed.shop_a);
    let r = post(&host, &owner, &path, "channel=beta").await?;
    assert_eq!(r.status().as_u16(), 303);
    let before = policy(&host, seed.shop_a).await?;
    assert_eq!(before, ("beta".to_owned(), None));

    for (body, lang, message) in [
        (
            "channel=stable&pin=9.9.9",
            "en",
            "No release of that version is published, so the shop cannot be pinned to it. Nothing was changed.",
        ),
        (
            "channel=stable&pin=9.9.9",
            "zh",
            "此版本尚未發佈，分店不能固定於此版本。設定未有更改。",
        ),
        (
            "channel=stable&pin=latest",
            "en",
            "That is not a version number (for example 1.4.0). Nothing was changed.",
        ),
        (
            "channel=Beta%21",
            "en",
            "A channel name is 1 to 32 lower-case letters, digits or hyphens. Nothing was changed.",
        ),
        (
            "channel=",
            "zh",
            "頻道名稱須為 1 至 32 個小寫英文字母、數字或連字號。設定未有更改。",
        ),
    ] {
        let r = post(&host, &format!("{owner}; lang={lang}"), &path, body).await?;
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let page = r.text().await?;
        assert!(
            page.contains(&format!("<p class=\"error\" id=\"update-refused\">{message}</p>")),
            "{body} ({lang}): the reason is on the page: {page}"
        );
        assert!(
            page.contains("id=\"update-form\""),
            "{body}: the shop page, with its form, is shown again"
        );
        assert_eq!(policy(&host, seed.shop_a).await?, before, "{body} changed nothing");
    }
    assert_eq!(offered(&link, "0.3.0").await?.as_deref(), Some("0.4.0-beta.1"));

    // Another merchant's shop: not found, and unchanged.
    let other: i64 = query(
        "WITH m AS (INSERT INTO merchants (name, app_id) VALUES ('Kowloon Tea', 'app-2') RETURNING id)
         INSERT INTO shops (merchant_id, name) SELECT id, 'Tea shop' FROM m RETURNING id",
    )
    .fetch_one(&host.state.pool)
    .await?
    .try_get(0)?;
    let r = post(&host, &owner, &format!("/shops/{other}/updates"), "channel=beta").await?;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(policy(&host, other).await?, ("stable".to_owned(), None));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_merchant_or_admin_changes_a_shops_updates_and_a_shop_manager_sees_them() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    publish(&host, "beta", "0.4.0-beta.1").await?;
    let path = format!("/shops/{}/updates", seed.shop_a);
    // Shop A is the shop-scoped users' own shop: still refused.
    for role in [
        "shop-manager",
        "supervisor",
        "staff",
        "customer-service",
        "developer",
        "school",
    ] {
        let cookie = login(&host, &format!("{role}@harbour.example"), PORTAL_PIN).await?;
        let r = post(&host, &cookie, &path, "channel=beta&pin=0.4.0-beta.1").await?;
        assert_eq!(r.status().as_u16(), 403, "{role} may not change updates");
        assert_eq!(
            policy(&host, seed.shop_a).await?,
            ("stable".to_owned(), None),
            "{role}'s forged POST changed nothing"
        );
    }

    // The shop manager sees the policy read-only on their shop's page.
    let manager = login(&host, "shop-manager@harbour.example", PORTAL_PIN).await?;
    let page = get(&host, &manager, &format!("/shops/{}", seed.shop_a))
        .await?
        .text()
        .await?;
    assert!(page.contains("id=\"update-policy\""), "the policy is shown");
    assert!(
        !page.contains("id=\"update-form\"") && !page.contains("/updates\""),
        "without a form"
    );
    assert!(page.contains("Only the merchant or an admin can change the updates of a shop."));

    // An admin may.
    let admin = login(&host, "admin@harbour.example", PORTAL_PIN).await?;
    let page = get(&host, &admin, &format!("/shops/{}", seed.shop_a))
        .await?
        .text()
        .await?;
    assert!(page.contains("id=\"update-form\""), "the admin sees the form");
    let r = post(&host, &admin, &path, "channel=beta&pin=0.4.0-beta.1").await?;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        policy(&host, seed.shop_a).await?,
        ("beta".to_owned(), Some("0.4.0-beta.1".to_owned()))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_version_a_till_reports_when_it_asks_for_an_update_is_on_the_shop_page() -> TestResult {
    let host = Host::start().await?;
    let seed = seed(&host.state).await?;
    let (front, front_link) = till_in(&host, &seed, seed.shop_a).await?;
    let (back, back_link) = till_in(&host, &seed, seed.shop_a).await?;
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let shop_page = format!("/shops/{}", seed.shop_a);

    // Nothing asked, nothing published.
    let page = get(&host, &owner, &shop_page).await?.text().await?;
    assert!(page.contains("Offered now: none published"), "{page}");
    let row = till_row(&page, "till-versions", front)?;
    assert_eq!(row[2], "", "no version before the till asks");
    assert_eq!(row[5], "Not checked yet");

    publish(&host, "stable", "0.3.0").await?;
    assert_eq!(offered(&front_link, "0.2.0").await?.as_deref(), Some("0.3.0"));
    assert_eq!(offered(&back_link, "0.3.0").await?, None);
    // A version that is not one is refused and not recorded.
    assert!(back_link.check_update(LINUX, "latest").await.is_err());

    let page = get(&host, &owner, &shop_page).await?.text().await?;
    assert!(page.contains("Offered now: <strong>0.3.0</strong> (stable) · linux-x86_64"));
    let row = till_row(&page, "till-versions", front)?;
    assert_eq!(
        (row[2].as_str(), row[3].as_str(), row[5].as_str()),
        ("0.2.0", LINUX, "Update offered"),
        "{row:?}"
    );
    assert!(row[4].ends_with(" UTC"), "when it last asked: {row:?}");
    let row = till_row(&page, "till-versions", back)?;
    assert_eq!((row[2].as_str(), row[5].as_str()), ("0.3.0", "Up to date"), "{row:?}");

    // The POS list shows the installed version too, and the page speaks Chinese.
    let pos = get(&host, &owner, "/pos").await?.text().await?;
    assert_eq!(till_row(&pos, "pos", front)?.last().map(String::as_str), Some("0.2.0"));
    let zh = get(&host, &format!("{owner}; lang=zh"), &shop_page)
        .await?
        .text()
        .await?;
    assert!(zh.contains("軟件更新") && zh.contains("已是最新") && zh.contains("已提供更新"));

    // The till updated: its next check says so.
    assert_eq!(offered(&front_link, "0.3.0").await?, None);
    let page = get(&host, &owner, &shop_page).await?.text().await?;
    let row = till_row(&page, "till-versions", front)?;
    assert_eq!((row[2].as_str(), row[5].as_str()), ("0.3.0", "Up to date"), "{row:?}");
    Ok(())
}

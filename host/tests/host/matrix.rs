//! H7 exhaustively: every portal route x every role, aimed at the user's own shop and at
//! another, answers exactly as FLOWS.md's table says. The table is transcribed here on its own
//! (not read from `access.rs`), so a wrong cell in the code fails this test.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use till_host::AppState;

use crate::exactly_once::device_with_code;
use crate::support::*;

/// FLOWS.md H7, columns MERCHANT ADMIN CS DEVELOPER SCHOOL SHOP-MANAGER SUPERVISOR STAFF.
const MATRIX: &[(&str, [char; 8])] = &[
    ("account", ['Y', 'Y', 'Y', 'Y', 'Y', 'Y', 'Y', 'Y']),
    ("merchant-app", ['Y', 'Y', '-', 'Y', '-', '-', '-', '-']),
    ("users", ['Y', 'Y', '-', '-', '-', 'S', '-', '-']),
    ("history", ['Y', 'Y', 'Y', '-', 'Y', 'S', 'S', 'S']),
    ("refund", ['Y', 'Y', '-', '-', 'Y', '-', '-', '-']),
    ("shop-create-remove", ['Y', 'Y', '-', '-', '-', '-', '-', '-']),
    ("shops", ['Y', 'Y', '-', '-', '-', 'S', '-', '-']),
    ("pos-list", ['Y', 'Y', '-', '-', '-', 'S', 'S', '-']),
    ("pos-control", ['Y', 'Y', '-', '-', '-', '-', '-', '-']),
];

const ROLES: [&str; 8] = [
    "merchant",
    "admin",
    "customer-service",
    "developer",
    "school",
    "shop-manager",
    "supervisor",
    "staff",
];

/// What a route is aimed at.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Merchant,
    /// A shop, a POS, a transaction or a user in the user's own shop (true) or another (false).
    Own(bool),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Obj {
    None,
    Shop,
    FreshShop,
    Pos,
    Txn,
    FreshUser,
}

/// Every guarded portal route: method, path (`{shop}`, `{pos}`, `{txn}`, `{user}` filled in),
/// the matrix row, what it is aimed at, and a body.
pub(crate) const ROUTES: &[(&str, &str, &str, Obj, &str)] = &[
    ("GET", "/", "account", Obj::None, ""),
    ("GET", "/merchants", "account", Obj::None, ""),
    ("POST", "/merchants/choose", "account", Obj::None, "merchant={merchant}"),
    ("GET", "/merchant", "account", Obj::None, ""),
    ("GET", "/profile", "account", Obj::None, ""),
    ("POST", "/profile", "account", Obj::None, "alias=Same+name"),
    (
        "POST",
        "/profile/pin",
        "account",
        Obj::None,
        "old={pin}&pin={pin}&pin2={pin}",
    ),
    ("GET", "/merchant/app", "merchant-app", Obj::None, ""),
    ("GET", "/merchant/dev-files", "merchant-app", Obj::None, ""),
    ("GET", "/users", "users", Obj::None, ""),
    (
        "POST",
        "/users/invite",
        "users",
        Obj::Shop,
        "alias=New&email={email}&role=staff&shop={shop}",
    ),
    (
        "POST",
        "/users/{user}/edit",
        "users",
        Obj::FreshUser,
        "alias=Edited&role=staff&shop={shop}",
    ),
    ("POST", "/users/{user}/remove", "users", Obj::FreshUser, ""),
    ("GET", "/transactions", "history", Obj::None, ""),
    ("GET", "/transactions?shop={shop}", "history", Obj::Shop, ""),
    ("GET", "/transactions.csv", "history", Obj::None, ""),
    ("GET", "/transactions.csv?shop={shop}", "history", Obj::Shop, ""),
    ("GET", "/reports/t1", "history", Obj::None, ""),
    ("GET", "/reports/t1.csv?shop={shop}", "history", Obj::Shop, ""),
    (
        "POST",
        "/transactions/{pos}/{txn}/refund",
        "refund",
        Obj::Txn,
        "amount=0.01",
    ),
    (
        "POST",
        "/shops",
        "shop-create-remove",
        Obj::None,
        "name=Pop-up&address=Pier+7",
    ),
    ("POST", "/shops/{shop}/delete", "shop-create-remove", Obj::FreshShop, ""),
    ("GET", "/shops", "shops", Obj::None, ""),
    ("GET", "/shops/{shop}", "shops", Obj::Shop, ""),
    (
        "POST",
        "/shops/{shop}/edit",
        "shops",
        Obj::Shop,
        "name={shopname}&address=Same",
    ),
    ("GET", "/shops/{shop}/members", "shops", Obj::Shop, ""),
    ("GET", "/pos", "pos-list", Obj::None, ""),
    ("GET", "/shops/{shop}/pos", "pos-list", Obj::Shop, ""),
    ("GET", "/pos/{pos}", "pos-list", Obj::Pos, ""),
    ("POST", "/pos/{pos}/reset-pin", "pos-list", Obj::Pos, "operator=1"),
    (
        "POST",
        "/pos/{pos}/reset-refund-pin",
        "pos-list",
        Obj::Pos,
        "operator=1",
    ),
    ("POST", "/shops/{shop}/pos", "pos-control", Obj::Shop, "name=New+till"),
    // Issue 14: the software a shop's POS run is set where POS are set up.
    (
        "POST",
        "/shops/{shop}/updates",
        "pos-control",
        Obj::Shop,
        "channel=stable",
    ),
    ("POST", "/pos/{pos}/block", "pos-control", Obj::Pos, ""),
    ("POST", "/pos/{pos}/unblock", "pos-control", Obj::Pos, ""),
    ("POST", "/pos/{pos}/refund-block", "pos-control", Obj::Pos, ""),
    ("POST", "/pos/{pos}/refund-unblock", "pos-control", Obj::Pos, ""),
    (
        "POST",
        "/pos/{pos}/receipt",
        "pos-control",
        Obj::Pos,
        "receipt_name=Harbour&copy_customer=on",
    ),
    ("GET", "/pos/{pos}/diagnostics", "pos-control", Obj::Pos, ""),
    ("POST", "/pos/{pos}/diagnostics", "pos-control", Obj::Pos, ""),
];

/// Routes that need no session.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("GET", "/forgot"),
    ("GET", "/style.css"),
    ("GET", "/healthz"),
];

fn expected(row: &str, role: usize, target: Target) -> Result<bool, Error> {
    let cells = MATRIX.iter().find(|(r, _)| *r == row).ok_or(format!("no row {row}"))?.1;
    Ok(match cells[role] {
        'Y' => true,
        'S' => target != Target::Own(false),
        _ => false,
    })
}

pub(crate) struct World {
    pub(crate) seed: Seed,
    pub(crate) pos: [i64; 2],
    pub(crate) txn: [String; 2],
}

/// One approved sale per shop, put in through the tills' own upload path.
pub(crate) async fn world(host: &Host) -> Result<World, Error> {
    let seed = seed(&host.state).await?;
    let mut pos = [0; 2];
    let mut txn = [String::new(), String::new()];
    for (i, shop) in [seed.shop_a, seed.shop_b].into_iter().enumerate() {
        let (device, code) = device_with_code(&host.state, seed.merchant, shop).await?;
        let token = enrol(&host.url, &code).await?;
        let dir = temp_dir("matrix")?;
        let link = std::sync::Arc::new(till_sync::HttpHost::new(&host.url, &token, None)?);
        let (till, _sims) = open_till(&dir, Some(link))?;
        let sale = till
            .sale(till::SaleInput {
                amount: till_domain::Money::new(100_000, till_domain::Currency::Hkd),
                tip: till_domain::Money::zero(till_domain::Currency::Hkd),
                means: till_domain::PaymentMeans::Cash,
                qr_scheme: None,
                code: None,
            })
            .await?;
        drain(&till, 5).await?;
        pos[i] = device;
        txn[i] = sale.txn.id.0;
    }
    Ok(World { seed, pos, txn })
}

static FRESH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A staff user in `shop` (for edit/remove), or a new shop that shop-scoped users may own.
pub(crate) async fn fresh_user(state: &AppState, merchant: i64, shop: i64) -> Result<i64, Error> {
    let n = FRESH.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let id: i64 = query("INSERT INTO users (email, alias) VALUES ($1, 'Temp') RETURNING id")
        .bind(format!("temp{n}@harbour.example"))
        .fetch_one(&state.pool)
        .await?
        .try_get(0)?;
    query("INSERT INTO memberships (user_id, merchant_id, role) VALUES ($1, $2, 'staff')")
        .bind(id)
        .bind(merchant)
        .execute(&state.pool)
        .await?;
    query("INSERT INTO membership_shops (user_id, merchant_id, shop_id) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(merchant)
        .bind(shop)
        .execute(&state.pool)
        .await?;
    Ok(id)
}

pub(crate) async fn fresh_shop(state: &AppState, seed: &Seed, own: bool) -> Result<i64, Error> {
    let id: i64 = query("INSERT INTO shops (merchant_id, name) VALUES ($1, 'Temp shop') RETURNING id")
        .bind(seed.merchant)
        .fetch_one(&state.pool)
        .await?
        .try_get(0)?;
    if own {
        // The shop-scoped users work here too.
        query(
            "INSERT INTO membership_shops (user_id, merchant_id, shop_id)
             SELECT user_id, merchant_id, $2 FROM memberships
             WHERE merchant_id = $1 AND role IN ('shop-manager', 'supervisor', 'staff')",
        )
        .bind(seed.merchant)
        .bind(id)
        .execute(&state.pool)
        .await?;
    }
    Ok(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role_answers_exactly_as_the_matrix() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (ri, role) in ROLES.iter().enumerate() {
        let email = format!("{role}@harbour.example");
        let cookie = login(&host, &email, PORTAL_PIN).await?;
        for (method, path, row, obj, body) in ROUTES {
            let targets: &[Target] = match obj {
                Obj::None => &[Target::Merchant],
                _ => &[Target::Own(true), Target::Own(false)],
            };
            for target in targets {
                let side = usize::from(*target == Target::Own(false));
                let shop = [w.seed.shop_a, w.seed.shop_b][side];
                let shop_id = match obj {
                    Obj::FreshShop => fresh_shop(&host.state, &w.seed, side == 0).await?,
                    _ => shop,
                };
                let user = match obj {
                    Obj::FreshUser => fresh_user(&host.state, w.seed.merchant, shop).await?,
                    _ => 0,
                };
                let n = FRESH.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let fill = |s: &str| {
                    s.replace("{shop}", &shop_id.to_string())
                        .replace("{shopname}", if side == 0 { "Shop+A" } else { "Shop+B" })
                        .replace("{pos}", &w.pos[side].to_string())
                        .replace("{txn}", &w.txn[side])
                        .replace("{user}", &user.to_string())
                        .replace("{merchant}", &w.seed.merchant.to_string())
                        .replace("{pin}", PORTAL_PIN)
                        .replace("{email}", &format!("invitee{n}%40harbour.example"))
                };
                let (path, body) = (fill(path), fill(body));
                let resp = if *method == "GET" {
                    get(&host, &cookie, &path).await?
                } else {
                    post(&host, &cookie, &path, &body).await?
                };
                let status = resp.status().as_u16();
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let want = expected(row, ri, *target)?;
                let got = match status {
                    403 => false,
                    200 | 201 | 303 if location != "/login" => true,
                    _ => {
                        let text = resp.text().await.unwrap_or_default();
                        return Err(
                            format!("{role} {method} {path}: unexpected {status} {location} {text:.300}").into(),
                        );
                    }
                };
                checked += 1;
                if got != want {
                    wrong.push(format!(
                        "{role} {method} {path} ({target:?}): allowed={got}, matrix says {want}"
                    ));
                }
            }
        }
        // Last: logout ends the session for every role.
        let r = post(&host, &cookie, "/logout", "").await?;
        assert_eq!(r.status().as_u16(), 303, "{role} logout");
        let after = get(&host, &cookie, "/").await?;
        assert_eq!(
            after.headers().get("location").and_then(|l| l.to_str().ok()),
            Some("/login"),
            "{role}: the session is gone"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} checks disagree with H7:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let per_role: usize = ROUTES
        .iter()
        .map(|r| if matches!(r.3, Obj::None) { 1 } else { 2 })
        .sum();
    assert_eq!(
        checked,
        per_role * ROLES.len(),
        "every route x role x scope was checked"
    );
    eprintln!("permission matrix: {checked} route x role x scope checks");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_hold_only_the_shops_a_shop_scoped_role_reaches() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let staff = login(&host, "staff@harbour.example", PORTAL_PIN).await?;
    let csv = get(&host, &staff, "/transactions.csv").await?.text().await?;
    assert!(csv.contains(&w.txn[0]), "staff sees their shop's sale");
    assert!(!csv.contains(&w.txn[1]), "and not the other shop's");
    let manager = login(&host, "shop-manager@harbour.example", PORTAL_PIN).await?;
    let shops = get(&host, &manager, "/shops").await?.text().await?;
    assert!(
        shops.contains("Shop A") && !shops.contains("Shop B"),
        "a shop manager lists only their shop"
    );
    let pos = get(&host, &manager, "/pos").await?.text().await?;
    assert!(pos.contains(&format!("/pos/{}", w.pos[0])) && !pos.contains(&format!("/pos/{}\"", w.pos[1])));
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    let all = get(&host, &owner, "/transactions.csv").await?.text().await?;
    assert!(
        all.contains(&w.txn[0]) && all.contains(&w.txn[1]),
        "the owner sees both shops"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_works_without_a_session_or_device_credential() -> TestResult {
    let host = Host::start().await?;
    let w = world(&host).await?;
    let c = client()?;
    for (method, path, _, _, body) in ROUTES {
        let path = path
            .replace("{shop}", &w.seed.shop_a.to_string())
            .replace("{pos}", &w.pos[0].to_string())
            .replace("{txn}", &w.txn[0])
            .replace("{user}", "1");
        for cookie in ["", "otsid=forged0000"] {
            // A POST carries a good CSRF token for the cookie it has: the handler decides.
            let resp = if *method == "GET" {
                c.get(format!("{}{path}", host.url))
                    .header("cookie", cookie)
                    .send()
                    .await?
            } else {
                post(&host, cookie, &path, body).await?
            };
            assert_eq!(resp.status().as_u16(), 303, "{method} {path} with {cookie:?}");
            assert_eq!(
                resp.headers().get("location").and_then(|l| l.to_str().ok()),
                Some("/login"),
                "{method} {path}"
            );
        }
    }
    for (method, path) in PUBLIC {
        let resp = c.request(method.parse()?, format!("{}{path}", host.url)).send().await?;
        assert_eq!(resp.status().as_u16(), 200, "{path} is public");
    }
    // The tills' API: no credential, a wrong one, or a portal session are all refused.
    let owner = login(&host, "merchant@harbour.example", PORTAL_PIN).await?;
    for (method, path) in [
        ("POST", till_sync::paths::EVENTS),
        ("GET", till_sync::paths::COMMANDS),
        ("GET", till_sync::paths::SETTINGS),
        ("POST", till_sync::paths::DIAGNOSTICS),
    ] {
        for (header, value) in [
            ("x-none", "1"),
            ("authorization", "Bearer forged"),
            ("cookie", owner.as_str()),
        ] {
            let resp = c
                .request(method.parse()?, format!("{}{path}", host.url))
                .header(header, value)
                .body("{\"v\":1,\"events\":[]}")
                .send()
                .await?;
            assert_eq!(resp.status().as_u16(), 401, "{method} {path} with {header}");
        }
    }
    Ok(())
}

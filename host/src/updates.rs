//! Signed updates (issue 14): which release a till is offered. Releases are published per
//! channel (`till-host publish-release`) with a package and its minisign signature per platform;
//! the host never signs anything and never holds the release key, it only hands tills what was
//! signed elsewhere. A shop follows a channel (`stable` by default) or is pinned to one version,
//! which is how a merchant rolls a release out shop by shop. Each till's last check (the version
//! it runs, its platform, when) is kept, so the shop's page shows how far a roll-out has got.

use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::PgPool;
use std::collections::BTreeMap;
use till_sync::update::{Manifest, Package};

use crate::error::{HostError, Result};

/// A release as published.
#[derive(Debug, Clone)]
pub struct Release {
    pub channel: String,
    pub version: String,
    pub notes: String,
    /// platform → package
    pub packages: BTreeMap<String, Package>,
}

/// A refusal the portal can put in the reader's language (`key`) and the CLI prints (`detail`).
fn refused(key: &'static str, detail: String) -> HostError {
    HostError::Refused { key, detail }
}

fn parse_version(v: &str) -> Result<semver::Version> {
    semver::Version::parse(v.trim()).map_err(|_| refused("update-version-invalid", format!("not a version: {v:?}")))
}

/// A channel's name: lower-case letters, digits and '-', 1 to 32 of them.
pub fn check_channel(channel: &str) -> Result<()> {
    let ok = !channel.is_empty()
        && channel.len() <= 32
        && channel
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(refused(
            "update-channel-invalid",
            format!("not a channel name: {channel:?}"),
        ))
    }
}

/// Publishes `release`; publishing the same channel and version again replaces its notes and
/// packages (a re-signed package), in one transaction.
pub async fn publish(pool: &PgPool, release: &Release) -> Result<()> {
    check_channel(&release.channel)?;
    parse_version(&release.version)?;
    if release.packages.is_empty() {
        return Err(HostError::Malformed("a release needs at least one package".into()));
    }
    for (platform, p) in &release.packages {
        if platform.is_empty() || !(p.url.starts_with("https://") || p.url.starts_with("http://")) {
            return Err(HostError::Malformed(format!(
                "{platform}: not a package URL: {:?}",
                p.url
            )));
        }
        if p.signature.trim().is_empty() {
            return Err(HostError::Malformed(format!("{platform}: no signature")));
        }
    }
    let mut tx = pool.begin().await?;
    let id: i64 = query(
        "INSERT INTO releases (channel, version, notes) VALUES ($1, $2, $3)
         ON CONFLICT (channel, version) DO UPDATE SET notes = EXCLUDED.notes, published_at = now()
         RETURNING id",
    )
    .bind(&release.channel)
    .bind(release.version.trim())
    .bind(&release.notes)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    query("DELETE FROM release_packages WHERE release_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (platform, p) in &release.packages {
        query("INSERT INTO release_packages (release_id, platform, url, signature) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(platform)
            .bind(&p.url)
            .bind(p.signature.trim())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets the channel a shop's tills follow, and the version they are pinned to (`None`: the
/// channel's newest). A pin must name a published version.
pub async fn set_shop_policy(pool: &PgPool, merchant: i64, shop: i64, channel: &str, pin: Option<&str>) -> Result<()> {
    check_channel(channel)?;
    let pin = pin.map(str::trim).filter(|p| !p.is_empty());
    if let Some(v) = pin {
        parse_version(v)?;
        let known: bool = query("SELECT EXISTS (SELECT 1 FROM releases WHERE version = $1)")
            .bind(v)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        if !known {
            return Err(refused(
                "update-pin-unpublished",
                format!("no release {v} is published"),
            ));
        }
    }
    let done = query(
        "UPDATE shops SET update_channel = $3, update_pin = $4
         WHERE id = $2 AND merchant_id = $1 AND deleted_at IS NULL",
    )
    .bind(merchant)
    .bind(shop)
    .bind(channel)
    .bind(pin)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(HostError::NotFound);
    }
    Ok(())
}

/// The release the tills of `shop` should run: the pinned version (from the shop's channel if
/// it is there, else any), or the newest of the channel by semantic version.
pub async fn release_for_shop(pool: &PgPool, shop: i64) -> Result<Option<Release>> {
    let row = query("SELECT update_channel, update_pin FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_optional(pool)
        .await?
        .ok_or(HostError::NotFound)?;
    let channel: String = row.try_get(0)?;
    let pin: Option<String> = row.try_get(1)?;
    let rows = match &pin {
        Some(v) => {
            query(
                "SELECT id, channel, version, notes FROM releases WHERE version = $2
                 ORDER BY (channel = $1) DESC, published_at DESC LIMIT 1",
            )
            .bind(&channel)
            .bind(v)
            .fetch_all(pool)
            .await?
        }
        None => {
            query("SELECT id, channel, version, notes FROM releases WHERE channel = $1")
                .bind(&channel)
                .fetch_all(pool)
                .await?
        }
    };
    let mut best: Option<(semver::Version, i64, Release)> = None;
    for r in rows {
        let version: String = r.try_get(2)?;
        let Ok(parsed) = parse_version(&version) else { continue };
        if best.as_ref().is_some_and(|(v, _, _)| *v >= parsed) {
            continue;
        }
        let release = Release {
            channel: r.try_get(1)?,
            version,
            notes: r.try_get(3)?,
            packages: BTreeMap::new(),
        };
        best = Some((parsed, r.try_get(0)?, release));
    }
    let Some((_, id, mut release)) = best else {
        return Ok(None);
    };
    for r in query("SELECT platform, url, signature FROM release_packages WHERE release_id = $1")
        .bind(id)
        .fetch_all(pool)
        .await?
    {
        release.packages.insert(
            r.try_get(0)?,
            Package {
                url: r.try_get(1)?,
                signature: r.try_get(2)?,
            },
        );
    }
    Ok(Some(release))
}

/// What a till on `platform` running `current` is offered: the shop's release when it is newer
/// and has a package for the platform (a manifest with that one platform), else nothing.
pub async fn offer(pool: &PgPool, shop: i64, platform: &str, current: &str) -> Result<Option<Manifest>> {
    let current = parse_version(current)?;
    let Some(release) = release_for_shop(pool, shop).await? else {
        return Ok(None);
    };
    if parse_version(&release.version)? <= current {
        return Ok(None);
    }
    let Some(package) = release.packages.get(platform) else {
        return Ok(None);
    };
    Ok(Some(Manifest {
        version: release.version.clone(),
        notes: release.notes.clone(),
        pub_date: None,
        platforms: BTreeMap::from([(platform.to_owned(), package.clone())]),
    }))
}

/// Every channel with a published release and its versions, newest first by semantic version;
/// `stable` is always listed (first), even before anything is published on it.
pub async fn published(pool: &PgPool) -> Result<Vec<(String, Vec<String>)>> {
    let mut channels: BTreeMap<String, Vec<(semver::Version, String)>> = BTreeMap::new();
    channels.entry("stable".to_owned()).or_default();
    for r in query("SELECT channel, version FROM releases").fetch_all(pool).await? {
        let version: String = r.try_get(1)?;
        let Ok(parsed) = parse_version(&version) else { continue };
        channels.entry(r.try_get(0)?).or_default().push((parsed, version));
    }
    let mut out: Vec<(String, Vec<String>)> = channels
        .into_iter()
        .map(|(channel, mut versions)| {
            versions.sort_by(|a, b| b.0.cmp(&a.0));
            (channel, versions.into_iter().map(|(_, v)| v).collect())
        })
        .collect();
    out.sort_by_key(|(channel, _)| channel != "stable");
    Ok(out)
}

/// Records what a till said when it asked for an update: the version it runs and its platform,
/// and when. A version that is not one is refused (as the offer would refuse it).
pub async fn record_check(pool: &PgPool, device: i64, platform: &str, installed: &str) -> Result<()> {
    parse_version(installed)?;
    if platform.len() > 64 {
        return Err(HostError::Malformed("platform: at most 64 characters".into()));
    }
    query(
        "UPDATE devices SET app_version = $2, app_platform = $3, update_checked_at = now(), last_seen = now()
         WHERE id = $1",
    )
    .bind(device)
    .bind(installed.trim())
    .bind(platform)
    .execute(pool)
    .await?;
    Ok(())
}

/// Where a till stands against its shop's release: what [`offer`] answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It runs the release.
    UpToDate,
    /// The release is newer and has a package for its platform: it is offered.
    Offered,
    /// The release is newer but has no package for its platform: nothing is offered.
    NoPackage,
    /// It runs a newer version than the release (a pin is never a downgrade).
    Ahead,
    /// Its version could not be read.
    Unknown,
}

/// The standing of a till that runs `installed` on `platform`, against `release`.
pub fn standing(release: &Release, installed: &str, platform: &str) -> Standing {
    let (Ok(installed), Ok(offered)) = (parse_version(installed), parse_version(&release.version)) else {
        return Standing::Unknown;
    };
    match offered.cmp(&installed) {
        std::cmp::Ordering::Equal => Standing::UpToDate,
        std::cmp::Ordering::Less => Standing::Ahead,
        std::cmp::Ordering::Greater if release.packages.contains_key(platform) => Standing::Offered,
        std::cmp::Ordering::Greater => Standing::NoPackage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tills_standing_follows_the_offer_rule() {
        let release = Release {
            channel: "stable".into(),
            version: "0.3.0".into(),
            notes: String::new(),
            packages: BTreeMap::from([(
                "linux-x86_64".to_owned(),
                Package {
                    url: "https://example.invalid/p.deb".into(),
                    signature: "sig".into(),
                },
            )]),
        };
        assert_eq!(standing(&release, "0.3.0", "linux-x86_64"), Standing::UpToDate);
        assert_eq!(standing(&release, "0.2.9", "linux-x86_64"), Standing::Offered);
        assert_eq!(standing(&release, "0.2.9", "windows-x86_64"), Standing::NoPackage);
        assert_eq!(standing(&release, "0.4.0-beta.1", "linux-x86_64"), Standing::Ahead);
        assert_eq!(standing(&release, "latest", "linux-x86_64"), Standing::Unknown);
    }

    #[test]
    fn refusals_name_a_message_and_keep_the_clis_words() {
        let e = check_channel("Beta!").expect_err("not a channel name");
        assert!(
            matches!(
                e,
                HostError::Refused {
                    key: "update-channel-invalid",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "malformed request: not a channel name: \"Beta!\"");
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
    }
}

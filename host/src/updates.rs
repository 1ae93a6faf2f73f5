//! Signed updates (issue 14): which release a till is offered. Releases are published per
//! channel (`till-host publish-release`) with a package and its minisign signature per platform;
//! the host never signs anything and never holds the release key, it only hands tills what was
//! signed elsewhere. A shop follows a channel (`stable` by default) or is pinned to one version,
//! which is how a merchant rolls a release out shop by shop.

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

fn parse_version(v: &str) -> Result<semver::Version> {
    semver::Version::parse(v.trim()).map_err(|_| HostError::Malformed(format!("not a version: {v:?}")))
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
        Err(HostError::Malformed(format!("not a channel name: {channel:?}")))
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
            return Err(HostError::Malformed(format!("no release {v} is published")));
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

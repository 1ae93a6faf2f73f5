//! PostgreSQL: the pool, the embedded migrations, and the helpers for secrets (random tokens
//! stored as SHA-256, PINs as argon2id).

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx_core::migrate::{Migration, MigrationType, Migrator};
use sqlx_core::sql_str::AssertSqlSafe;
use sqlx_core::sql_str::SqlSafeStr;
use sqlx_postgres::{PgPool, PgPoolOptions};
use std::borrow::Cow;

use crate::error::{HostError, Result};

/// The schema, in order. Embedded so the binary migrates the database it is pointed at.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "updates", include_str!("../migrations/0002_updates.sql")),
    (
        3,
        "device_versions",
        include_str!("../migrations/0003_device_versions.sql"),
    ),
    (4, "hardening", include_str!("../migrations/0004_hardening.sql")),
    (5, "forgot_limits", include_str!("../migrations/0005_forgot_limits.sql")),
    (
        6,
        "membership_alias",
        include_str!("../migrations/0006_membership_alias.sql"),
    ),
];

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?)
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                AssertSqlSafe(*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations).run(pool).await?;
    Ok(())
}

/// A fresh random secret (32 bytes, hex): device tokens, session ids, one-time links.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The database's secret `name`, made (random) the first time it is asked for: every host over
/// the same database derives the same values from it.
pub async fn server_secret(pool: &PgPool, name: &str) -> Result<String> {
    use sqlx_core::query::query;
    use sqlx_core::row::Row;
    query("INSERT INTO host_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(new_secret())
        .execute(pool)
        .await?;
    Ok(query("SELECT secret FROM host_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?
        .try_get(0)?)
}

/// How a secret is stored: a random 32-byte secret needs no slow hash, SHA-256 is enough.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A one-time POS activation code: 12 digits, shown as 4-4-4 for typing at the till.
pub fn new_activation_code() -> String {
    let mut rng = rand::thread_rng();
    let digits: String = (0..12)
        .map(|_| char::from(b'0' + (rng.next_u32() % 10) as u8))
        .collect();
    format!("{}-{}-{}", &digits[0..4], &digits[4..8], &digits[8..12])
}

/// Activation codes are compared without their dashes and spaces.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_digit).collect()
}

pub fn hash_pin(pin: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HostError::Hash(e.to_string()))?;
    Ok(argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map_err(|e| HostError::Hash(e.to_string()))?
        .to_string())
}

pub fn verify_pin(hash: &str, pin: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(pin.as_bytes(), &h).is_ok())
}

/// A portal PIN: 6 to 12 digits.
pub fn valid_portal_pin(pin: &str) -> bool {
    (6..=12).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_stored_only_as_hashes() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        assert_ne!(secret_hash(&s), s, "the stored form must not be the secret");
        assert_eq!(secret_hash(&s), secret_hash(&s), "and must be stable to look it up");
    }

    #[test]
    fn activation_codes_read_back_without_dashes() {
        let c = new_activation_code();
        assert_eq!(c.len(), 14);
        assert_eq!(normalise_code(&c).len(), 12);
        assert_eq!(normalise_code(" 1234-5678 9012"), "123456789012");
    }

    #[test]
    fn pins_hash_and_verify() -> Result<()> {
        let h = hash_pin("135790")?;
        assert!(verify_pin(&h, "135790"));
        assert!(!verify_pin(&h, "135791"), "a wrong PIN must not verify");
        assert!(valid_portal_pin("123456") && !valid_portal_pin("12a456") && !valid_portal_pin("123"));
        Ok(())
    }
}

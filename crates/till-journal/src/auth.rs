//! Failed-PIN counters, in a file of their own beside the journal.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use till_domain::Lockout;

use crate::Result;

#[derive(Debug)]
pub struct AuthStore {
    conn: Connection,
}

impl AuthStore {
    pub fn open(path: &Path) -> Result<AuthStore> {
        AuthStore::setup(Connection::open(path)?)
    }

    pub fn open_in_memory() -> Result<AuthStore> {
        AuthStore::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<AuthStore> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS lockouts (operator TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until TEXT);",
        )?;
        Ok(AuthStore { conn })
    }

    pub fn get(&self, operator: &str) -> Result<Lockout> {
        let row: Option<(u32, Option<String>)> = self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM lockouts WHERE operator = ?1",
                [operator],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((failures, until)) => Lockout {
                failures,
                locked_until: until
                    .and_then(|u| DateTime::parse_from_rfc3339(&u).ok())
                    .map(|u| u.with_timezone(&Utc)),
            },
            None => Lockout::default(),
        })
    }

    pub fn set(&self, operator: &str, lockout: Lockout) -> Result<()> {
        if lockout == Lockout::default() {
            self.conn
                .execute("DELETE FROM lockouts WHERE operator = ?1", [operator])?;
        } else {
            self.conn.execute(
                "INSERT INTO lockouts (operator, failures, locked_until) VALUES (?1, ?2, ?3)
                 ON CONFLICT(operator) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
                params![operator, lockout.failures, lockout.locked_until.map(|u| u.to_rfc3339())],
            )?;
        }
        Ok(())
    }
}

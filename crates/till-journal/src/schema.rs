//! Schema migrations, numbered by SQLite's `user_version`. A migration is appended, never
//! edited: a till in the field may be at any earlier version.

use rusqlite::Connection;

use crate::{JournalError, Result};

const MIGRATIONS: &[&str] = &[
    // 1: events, materialised transactions, batches, operators, small state.
    "CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        txn_id TEXT,
        body TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
     );
     CREATE TABLE txns (
        id TEXT PRIMARY KEY,
        batch INTEGER NOT NULL,
        trace INTEGER NOT NULL,
        kind TEXT NOT NULL,
        means TEXT NOT NULL,
        status TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        last4 TEXT,
        auth_code TEXT,
        started_at TEXT NOT NULL,
        body TEXT NOT NULL
     );
     CREATE INDEX txns_totals ON txns (batch, means, kind, status, total_minor);
     CREATE INDEX txns_trace ON txns (trace, started_at);
     CREATE INDEX txns_last4 ON txns (last4, started_at) WHERE last4 IS NOT NULL;
     CREATE INDEX txns_auth ON txns (auth_code, started_at) WHERE auth_code IS NOT NULL;
     CREATE INDEX txns_amount ON txns (total_minor, started_at);
     CREATE INDEX txns_started ON txns (started_at);
     CREATE INDEX txns_unresolved ON txns (status) WHERE status IN ('pending', 'unknown');
     CREATE TABLE batches (no INTEGER PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
     CREATE TABLE operators (id TEXT PRIMARY KEY, body TEXT NOT NULL);
     CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: how far the host has acknowledged the events (not a fold of the events, so kept out
    // of the tables `verify` compares).
    "CREATE TABLE sync (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // 3: transactions closed by the automatic settlement at 00:00 (T10) ahead of their batch;
    // the batch's totals count the rest, over their own covering index.
    "ALTER TABLE txns ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX txns_open_totals ON txns (batch, settled, means, kind, status, total_minor);",
];

/// Brings the file to the newest schema; does nothing (and writes nothing) when it is current.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(JournalError::TooNew {
            found: version,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

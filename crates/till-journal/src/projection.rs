//! The materialised tables: each transaction's, batch's and operator's current row, folded
//! from its events in the same SQLite transaction as the events ([`project`]), and read back
//! for the counter's queries.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction as SqlTxn, params};
use till_domain::{Batch, BatchStatus, DomainError, EventBody, Operator, Transaction, TxnEvent, TxnId};

use crate::{GENESIS, Result, ts};

pub(crate) fn head(conn: &Connection) -> Result<(u64, [u8; 32])> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(match row {
        Some((seq, hash)) => {
            let mut h = [0u8; 32];
            if hash.len() == 32 {
                h.copy_from_slice(&hash);
            }
            (seq as u64, h)
        }
        None => (0, GENESIS),
    })
}

pub(crate) fn load_txn(conn: &Connection, id: &TxnId) -> Result<Option<Transaction>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM txns WHERE id = ?1")?
        .query_row([&id.0], |r| r.get(0))
        .optional()?;
    body.map(|b| Ok(serde_json::from_str(&b)?)).transpose()
}

pub(crate) fn load_operator(conn: &Connection, id: &str) -> Result<Option<Operator>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM operators WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    body.map(|b| Ok(serde_json::from_str(&b)?)).transpose()
}

pub(crate) fn get_state<T: serde::de::DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    let v: Option<String> = conn
        .prepare_cached("SELECT value FROM state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    v.map(|s| Ok(serde_json::from_str(&s)?)).transpose()
}

pub(crate) fn set_state<T: serde::Serialize>(conn: &Connection, key: &str, value: &T) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, serde_json::to_string(value)?])?;
    Ok(())
}

pub(crate) fn save_txn(conn: &SqlTxn<'_>, t: &Transaction) -> Result<()> {
    let card = t.approval.as_ref().and_then(|a| a.card.as_ref());
    conn.prepare_cached(
        "INSERT INTO txns (id, batch, trace, kind, means, status, total_minor, last4, auth_code, started_at, body, settled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, last4 = excluded.last4,
           auth_code = excluded.auth_code, body = excluded.body, settled = excluded.settled",
    )?
    .execute(params![
        t.id.0,
        i64::from(t.batch.0),
        i64::from(t.trace.value()),
        t.kind.id(),
        t.means.id(),
        t.status.id(),
        t.total().minor,
        card.map(|c| c.last4.as_str()),
        t.approval.as_ref().and_then(|a| a.auth_code.as_deref()),
        ts(t.started_at),
        serde_json::to_string(t)?,
        t.settled_at.is_some(),
    ])?;
    Ok(())
}

pub(crate) fn save_batch(conn: &SqlTxn<'_>, b: &Batch) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO batches (no, status, body) VALUES (?1, ?2, ?3)
         ON CONFLICT(no) DO UPDATE SET status = excluded.status, body = excluded.body",
    )?
    .execute(params![
        i64::from(b.no.0),
        format!("{:?}", b.status),
        serde_json::to_string(b)?
    ])?;
    Ok(())
}

/// Folds one event into the materialised tables: the only writer of those tables, used both by
/// `commit` and by `verify`'s replay.
pub(crate) fn project(conn: &SqlTxn<'_>, at: DateTime<Utc>, body: &EventBody) -> Result<()> {
    match body {
        EventBody::Txn {
            id,
            event: TxnEvent::Started { txn },
        } => {
            if load_txn(conn, id)?.is_some() || &txn.id != id {
                return Err(DomainError::IllegalTransition {
                    what: "start".into(),
                    state: "exists".into(),
                }
                .into());
            }
            save_txn(conn, txn)?;
        }
        EventBody::Txn { id, event: e } => {
            let mut t = load_txn(conn, id)?.ok_or_else(|| DomainError::UnknownTrace { trace: id.0.clone() })?;
            t.apply(e, at)?;
            save_txn(conn, &t)?;
        }
        EventBody::BatchOpened { batch } => {
            save_batch(
                conn,
                &Batch {
                    no: *batch,
                    status: BatchStatus::Open,
                    opened_at: at,
                    settled_at: None,
                },
            )?;
        }
        EventBody::SettlementStarted { batch } | EventBody::Settled { batch, .. } => {
            let stored: String = conn
                .prepare_cached("SELECT body FROM batches WHERE no = ?1")?
                .query_row([i64::from(batch.0)], |r| r.get(0))
                .optional()?
                .ok_or_else(|| DomainError::IllegalTransition {
                    what: "settle".into(),
                    state: "no batch".into(),
                })?;
            let mut b: Batch = serde_json::from_str(&stored)?;
            if matches!(body, EventBody::Settled { .. }) {
                b.status = BatchStatus::Settled;
                b.settled_at = Some(at);
            } else {
                b.status = BatchStatus::Settling;
            }
            save_batch(conn, &b)?;
        }
        EventBody::Operator { event: e } => {
            let id = e.operator_id().to_owned();
            match e.apply(load_operator(conn, &id)?) {
                Some(op) => {
                    conn.prepare_cached(
                        "INSERT INTO operators (id, body) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                    )?
                    .execute(params![id, serde_json::to_string(&op)?])?;
                }
                None => {
                    conn.prepare_cached("DELETE FROM operators WHERE id = ?1")?
                        .execute([&id])?;
                }
            }
        }
        EventBody::Blocks { blocks } => set_state(conn, "blocks", blocks)?,
        // Nothing to materialise: till.toml holds the setting, the event is its history.
        EventBody::Setting { .. } => {}
        EventBody::MeansSettled {
            batch, means, through, ..
        } => {
            let mut closed = Vec::new();
            {
                let mut stmt = conn.prepare_cached(
                    "SELECT body FROM txns WHERE batch = ?1 AND settled = 0 AND means = ?2 AND started_at <= ?3
                     AND status NOT IN ('pending', 'unknown')",
                )?;
                for m in means {
                    let rows = stmt.query_map(params![i64::from(batch.0), m.id(), ts(*through)], |r| {
                        r.get::<_, String>(0)
                    })?;
                    for body in rows {
                        closed.push(serde_json::from_str::<Transaction>(&body?)?);
                    }
                }
            }
            for mut t in closed {
                t.settled_at = Some(at);
                save_txn(conn, &t)?;
            }
        }
    }
    Ok(())
}

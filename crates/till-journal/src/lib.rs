//! The journal: the till's one durable record, in a single SQLite file.
//!
//! Design choices:
//! - **Append-only events, hash-chained.** Every change is an [`Event`] appended with the
//!   SHA-256 of the previous one; [`Journal::verify`] walks the chain and reports the first
//!   break, and re-folds the events to check the materialised tables against them.
//! - **Materialised state in the same commit.** Each transaction's current row is the fold of
//!   its events, computed here with the domain's own `Transaction::apply`, in the same SQLite
//!   transaction as the events: they cannot disagree after a crash.
//! - **Durable before anything else.** WAL with `synchronous=FULL`: when [`Journal::commit`]
//!   returns, the events survive a power cut. The shell calls it before touching a device.
//! - **Queries for the counter**: history by trace, last 4 digits, auth code, amount and date;
//!   batch totals by means as one aggregate over a covering index.
//! - Failed PIN attempts live in a separate file ([`AuthStore`]): a wrong PIN changes no money
//!   record, and the journal stays byte-for-byte unchanged by a refused command.

mod auth;
mod fill;
mod owner;
mod projection;
mod schema;

pub use auth::AuthStore;
pub use fill::fill_for_benchmark;
use projection::*;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::Path;
use thiserror::Error;
use till_domain::{
    Batch, BatchNo, BatchTotals, Blocks, Currency, DomainError, Event, EventBody, Operator, PaymentMeans, Tally,
    TraceNo, Transaction, TxnId,
};

/// Why a journal operation failed.
#[derive(Debug, Error)]
pub enum JournalError {
    /// SQLite failed (disk full, file locked, I/O error). Nothing of the failed commit is kept.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row or event could not be (de)serialised: the file was edited or is from a newer version.
    #[error("stored data: {0}")]
    Json(#[from] serde_json::Error),
    /// An event does not apply to the state it names (an event for an unknown transaction, a
    /// transition the lifecycle forbids). The commit is refused.
    #[error("event refused: {0}")]
    Domain(#[from] DomainError),
    /// `verify` found an event whose hash or sequence does not follow from the one before, or
    /// materialised state that its events do not produce.
    #[error("chain broken at event {seq}: {detail}")]
    ChainBroken { seq: u64, detail: String },
    /// The file's schema is newer than this program knows: a newer version of OpenTill wrote
    /// it. It is not opened, so nothing of it can be damaged.
    #[error("journal schema version {found} is newer than supported {supported}")]
    TooNew { found: i64, supported: i64 },
    /// Another process (a second till, the app beside a command line) owns the journal.
    #[error("{path} is in use by another till process")]
    InUse { path: String },
    /// The file beside the journal that marks its owner could not be made or locked.
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
}

pub type Result<T> = std::result::Result<T, JournalError>;

/// A history search (T9). Every given criterion must match; results are newest first.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub batch: Option<BatchNo>,
    pub trace: Option<TraceNo>,
    pub last4: Option<String>,
    pub auth_code: Option<String>,
    /// Total (amount + tip) in minor units.
    pub amount_minor: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    pub head: String,
}

const GENESIS: [u8; 32] = [0; 32];

/// Timestamps are stored as fixed-width UTC text so that text order is time order.
fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn chain_hash(prev: &[u8], seq: u64, at: &str, kind: &str, body: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(at.as_bytes());
    h.update([0]);
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    h.finalize().into()
}

/// This process's claim on a journal file without opening it: while it is held, no other
/// process can open the journal, and this process's own [`Journal::open`] shares it. The app
/// takes it first, waiting while another process (its previous run, ending) still holds it, so
/// that nothing else is started twice.
#[derive(Debug, Clone)]
pub struct Hold {
    _owner: std::sync::Arc<owner::Ownership>,
}

/// Claims the journal at `path` for this process (see [`Hold`]); [`JournalError::InUse`] while
/// another process has it.
pub fn hold(path: &Path) -> Result<Hold> {
    owner::own(path).map(|owner| Hold { _owner: owner })
}

#[derive(Debug)]
pub struct Journal {
    conn: Connection,
    /// Held while this journal is open: no other process may open the file (see `owner`).
    _owner: Option<std::sync::Arc<owner::Ownership>>,
}

impl Journal {
    /// Opens (creating and migrating) the journal at `path`: WAL, `synchronous=FULL`.
    /// Refused with [`JournalError::InUse`] while another process has it open.
    pub fn open(path: &Path) -> Result<Journal> {
        let owner = owner::own(path)?;
        let conn = Connection::open(path)?;
        let mut journal = Journal::setup(conn)?;
        journal._owner = Some(owner);
        Ok(journal)
    }

    /// A journal in memory, for tests where the disk does not matter.
    pub fn open_in_memory() -> Result<Journal> {
        Journal::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Journal> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))?;
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        schema::migrate(&conn)?;
        Ok(Journal { conn, _owner: None })
    }

    /// Appends `events` in one durable SQLite transaction and updates the materialised state
    /// they change. Either all are kept or none.
    pub fn commit(&mut self, events: &[Event]) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let (mut seq, mut prev) = head(&tx)?;
        for event in events {
            seq += 1;
            let at = ts(event.at);
            let kind = event.body.name();
            let body = serde_json::to_string(&event.body)?;
            let hash = chain_hash(&prev, seq, &at, &kind, &body);
            let txn_id = match &event.body {
                EventBody::Txn { id, .. } => Some(id.0.as_str()),
                _ => None,
            };
            tx.prepare_cached(
                "INSERT INTO events (seq, at, kind, txn_id, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![seq as i64, at, kind, txn_id, body, &prev[..], &hash[..]])?;
            // Project with the time as stored (microseconds), so a replay folds to the same rows.
            let stored_at = DateTime::parse_from_rfc3339(&at).map_err(|e| JournalError::ChainBroken {
                seq,
                detail: e.to_string(),
            })?;
            project(&tx, stored_at.with_timezone(&Utc), &event.body)?;
            prev = hash;
        }
        tx.commit()?;
        Ok(seq)
    }

    pub fn txn(&self, id: &TxnId) -> Result<Option<Transaction>> {
        load_txn(&self.conn, id)
    }

    /// History search (T9), newest first.
    pub fn search(&self, q: &HistoryQuery) -> Result<Vec<Transaction>> {
        let mut sql = String::from("SELECT body FROM txns WHERE 1=1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |cond: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&format!(" AND {cond} ?{}", args.len()));
        };
        if let Some(b) = q.batch {
            add("batch =", i64::from(b.0).into());
        }
        if let Some(t) = q.trace {
            add("trace =", i64::from(t.value()).into());
        }
        if let Some(l) = &q.last4 {
            add("last4 =", l.clone().into());
        }
        if let Some(a) = &q.auth_code {
            add("auth_code =", a.clone().into());
        }
        if let Some(m) = q.amount_minor {
            add("total_minor =", m.into());
        }
        if let Some(f) = q.from {
            add("started_at >=", ts(f).into());
        }
        if let Some(t) = q.to {
            add("started_at <", ts(t).into());
        }
        sql.push_str(&format!(
            " ORDER BY started_at DESC, rowid DESC LIMIT {}",
            q.limit.unwrap_or(100)
        ));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// Transactions still Pending or Unknown: recovery resolves them before the next sale.
    pub fn unresolved(&self) -> Result<Vec<Transaction>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM txns WHERE status IN ('pending','unknown') ORDER BY started_at, rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// The transactions of a batch still open in it (those an automatic settlement closed are
    /// left out), in the order they were made.
    pub fn batch_txns(&self, batch: BatchNo) -> Result<Vec<Transaction>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM txns WHERE batch = ?1 AND settled = 0 ORDER BY started_at, rowid")?;
        let rows = stmt.query_map([i64::from(batch.0)], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// Batch totals by means (T10): one aggregate over the covering index.
    pub fn totals(&self, batch: BatchNo, currency: Currency) -> Result<BatchTotals> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT means, kind, COUNT(*), SUM(total_minor) FROM txns
             WHERE batch = ?1 AND settled = 0 AND (status = 'approved' OR (status = 'voided' AND kind = 'sale'))
             GROUP BY means, kind",
        )?;
        let mut totals = BatchTotals::empty(batch, currency);
        let mut rows = stmt.query([i64::from(batch.0)])?;
        while let Some(r) = rows.next()? {
            let means: String = r.get(0)?;
            let kind: String = r.get(1)?;
            let count: i64 = r.get(2)?;
            let sum: i64 = r.get(3)?;
            let means = PaymentMeans::from_id(&means).ok_or_else(|| JournalError::ChainBroken {
                seq: 0,
                detail: format!("unknown means {means}"),
            })?;
            let m = totals.by_means.entry(means).or_default();
            let tally = Tally {
                count: count as u64,
                minor: sum,
            };
            match kind.as_str() {
                "sale" => m.sales = tally,
                "void" => m.voids = tally,
                _ => m.refunds = tally,
            }
        }
        Ok(totals)
    }

    /// The batch that takes new transactions (the newest one).
    pub fn current_batch(&self) -> Result<Option<Batch>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM batches ORDER BY no DESC LIMIT 1", [], |r| r.get(0))
            .optional()?;
        body.map(|b| Ok(serde_json::from_str(&b)?)).transpose()
    }

    pub fn batch(&self, no: BatchNo) -> Result<Option<Batch>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM batches WHERE no = ?1", [i64::from(no.0)], |r| {
                r.get(0)
            })
            .optional()?;
        body.map(|b| Ok(serde_json::from_str(&b)?)).transpose()
    }

    /// The settled event of a batch: the totals and terminal totals its Z report printed.
    pub fn settlement(&self, no: BatchNo) -> Result<Option<EventBody>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM events WHERE kind = 'batch.settled' AND json_extract(body, '$.batch') = ?1",
                [i64::from(no.0)],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| Ok(serde_json::from_str(&b)?)).transpose()
    }

    pub fn operators(&self) -> Result<Vec<Operator>> {
        let mut stmt = self.conn.prepare_cached("SELECT body FROM operators ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    pub fn operator(&self, id: &str) -> Result<Option<Operator>> {
        load_operator(&self.conn, id)
    }

    pub fn blocks(&self) -> Result<Blocks> {
        Ok(get_state(&self.conn, "blocks")?.unwrap_or_default())
    }

    /// The last trace number issued on this till.
    /// (Derived from the newest transaction row rather than stored: one page less to write
    /// in every intent commit.)
    pub fn last_trace(&self) -> Result<Option<TraceNo>> {
        let t: Option<u32> = self
            .conn
            .prepare_cached("SELECT trace FROM txns ORDER BY rowid DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(t.and_then(TraceNo::new))
    }

    pub fn event_count(&self) -> Result<u64> {
        Ok(head(&self.conn)?.0)
    }

    /// Whether a recent transaction (the last 1,000) carries this device reference in its
    /// approval: recovery uses it to tell a terminal's last result from an older one.
    pub fn reference_recorded(&self, reference: &str) -> Result<bool> {
        let hit: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM txns WHERE rowid > (SELECT COALESCE(MAX(rowid), 0) - 1000 FROM txns)
                 AND json_extract(body, '$.approval.reference') = ?1 LIMIT 1",
            )?
            .query_row([reference], |r| r.get(0))
            .optional()?;
        Ok(hit.is_some())
    }

    /// The highest event sequence the host has acknowledged.
    pub fn host_acked(&self) -> Result<u64> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT value FROM sync WHERE key = 'host_acked'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    pub fn set_host_acked(&self, seq: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync (key, value) VALUES ('host_acked', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([seq as i64])?;
        Ok(())
    }

    /// Events after `seq`, as (sequence, JSON) pairs: what the uploader sends to the host.
    pub fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<(u64, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, at, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![seq as i64, limit], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (s, at, body) = r?;
            Ok((s, format!("{{\"at\":{},\"body\":{body}}}", serde_json::to_string(&at)?)))
        })
        .collect()
    }

    /// Walks the hash chain from the first event, then re-folds every event into fresh tables
    /// and compares them with the materialised ones. Reports the first break.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at, kind, body, prev_hash, hash FROM events ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_vec();
        let mut expected_seq = 0u64;
        let mut replay_tx = Connection::open_in_memory()?;
        schema::migrate(&replay_tx)?;
        let sql = replay_tx.transaction()?;
        while let Some(r) = rows.next()? {
            let seq = r.get::<_, i64>(0)? as u64;
            let at: String = r.get(1)?;
            let kind: String = r.get(2)?;
            let body: String = r.get(3)?;
            let prev_hash: Vec<u8> = r.get(4)?;
            let hash: Vec<u8> = r.get(5)?;
            expected_seq += 1;
            let broken = |detail: &str| JournalError::ChainBroken {
                seq,
                detail: detail.to_owned(),
            };
            if seq != expected_seq {
                return Err(JournalError::ChainBroken {
                    seq: expected_seq,
                    detail: format!("event {expected_seq} is missing"),
                });
            }
            if prev_hash != prev {
                return Err(broken("its previous-hash does not match the event before it"));
            }
            if chain_hash(&prev, seq, &at, &kind, &body)[..] != hash[..] {
                return Err(broken("its content does not match its hash (edited)"));
            }
            let parsed: EventBody = serde_json::from_str(&body).map_err(|e| broken(&format!("unreadable: {e}")))?;
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| broken(&format!("bad time: {e}")))?
                .with_timezone(&Utc);
            project(&sql, at, &parsed).map_err(|e| broken(&format!("does not apply: {e}")))?;
            prev = hash;
        }
        for (table, key) in [("txns", "id"), ("batches", "no"), ("operators", "id"), ("state", "key")] {
            let query = format!("SELECT {key}, body FROM {table} ORDER BY {key}");
            let read = |c: &Connection| -> Result<Vec<(String, String)>> {
                let mut s = c.prepare(&query.replace("body", if table == "state" { "value" } else { "body" }))?;
                let rows = s.query_map([], |r| {
                    let k: rusqlite::types::Value = r.get(0)?;
                    Ok((format!("{k:?}"), r.get::<_, String>(1)?))
                })?;
                Ok(rows.collect::<std::result::Result<_, _>>()?)
            };
            if read(&self.conn)? != read(&sql)? {
                return Err(JournalError::ChainBroken {
                    seq: expected_seq,
                    detail: format!("materialised table {table} differs from the fold of the events"),
                });
            }
        }
        Ok(VerifyReport {
            events: expected_seq,
            head: hex::encode(&prev),
        })
    }

    /// The file behind the journal (`None` in memory).
    pub fn path(&self) -> Option<String> {
        self.conn.path().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use till_domain::TxnEvent;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0)
            .single()
            .expect("valid time")
    }

    fn filled(n: u64) -> Result<Journal> {
        let mut j = Journal::open_in_memory()?;
        fill_for_benchmark(&mut j, n, 2, t0())?;
        Ok(j)
    }

    #[test]
    fn verify_accepts_an_untouched_chain() -> Result<()> {
        let j = filled(50)?;
        let report = j.verify()?;
        assert_eq!(report.events, j.event_count()?);
        assert_eq!(report.head.len(), 64);
        Ok(())
    }

    #[test]
    fn verify_names_the_first_edited_event() -> Result<()> {
        let j = filled(20)?;
        j.conn.execute(
            "UPDATE events SET body = replace(body, '\"minor\":', '\"minor\":9') WHERE seq = 6",
            [],
        )?;
        match j.verify() {
            Err(JournalError::ChainBroken { seq, detail }) => {
                assert_eq!(seq, 6);
                assert!(detail.contains("edited"), "{detail}");
            }
            other => panic!("expected a broken chain at 6, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn verify_finds_deleted_events_and_drifted_rows() -> Result<()> {
        let j = filled(20)?;
        j.conn.execute("DELETE FROM events WHERE seq = 5", [])?;
        assert!(
            matches!(j.verify(), Err(JournalError::ChainBroken { seq: 5, .. })),
            "a gap is a break"
        );
        let k = filled(20)?;
        k.conn.execute(
            "UPDATE txns SET body = replace(body, '\"approved\"', '\"voided\"') WHERE rowid = 3",
            [],
        )?;
        let err = k.verify().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("materialised table txns"), "{err}");
        Ok(())
    }

    #[test]
    fn refused_events_leave_nothing_behind() -> Result<()> {
        let mut j = filled(3)?;
        let before = j.event_count()?;
        let bogus = Event {
            at: t0(),
            body: EventBody::Txn {
                id: TxnId("nope".into()),
                event: TxnEvent::Reversed,
            },
        };
        let ok = Event {
            at: t0(),
            body: EventBody::Blocks {
                blocks: Blocks {
                    pos: true,
                    refund: false,
                },
            },
        };
        assert!(
            j.commit(&[ok, bogus]).is_err(),
            "an event for an unknown transaction is refused"
        );
        assert_eq!(j.event_count()?, before, "the whole commit is rolled back");
        assert!(!j.blocks()?.pos, "including the valid event before it");
        Ok(())
    }

    #[test]
    fn search_and_totals() -> Result<()> {
        let j = filled(600)?;
        let batch = j
            .current_batch()?
            .ok_or(JournalError::TooNew { found: 0, supported: 0 })?;
        let totals = j.totals(batch.no, Currency::Hkd)?;
        let fold = BatchTotals::fold(batch.no, Currency::Hkd, &j.batch_txns(batch.no)?);
        assert_eq!(totals, fold, "SQL totals equal the pure fold");
        assert_eq!(totals.grand().sales.count, 300);
        let one = j.search(&HistoryQuery {
            limit: Some(1),
            ..HistoryQuery::default()
        })?;
        let card = j.search(&HistoryQuery {
            last4: Some("0000".into()),
            ..HistoryQuery::default()
        })?;
        assert!(card.iter().all(|t| {
            t.approval
                .as_ref()
                .and_then(|a| a.card.as_ref())
                .is_some_and(|c| c.last4 == "0000")
        }));
        assert_eq!(one.len(), 1);
        let trace = one[0].trace;
        assert!(
            j.search(&HistoryQuery {
                trace: Some(trace),
                ..HistoryQuery::default()
            })?
            .iter()
            .all(|t| t.trace == trace)
        );
        assert_eq!(
            j.last_trace()?,
            Some(trace),
            "the newest transaction's trace is the last issued"
        );
        Ok(())
    }

    #[test]
    fn reopening_migrates_nothing_twice() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("till-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| JournalError::ChainBroken {
            seq: 0,
            detail: e.to_string(),
        })?;
        let path = dir.join("j.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let mut j = Journal::open(&path)?;
            fill_for_benchmark(&mut j, 10, 1, t0())?;
        }
        let j = Journal::open(&path)?;
        assert_eq!(j.conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?, 3);
        assert_eq!(
            j.conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))?,
            "wal"
        );
        assert_eq!(
            j.conn.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?,
            2,
            "synchronous=FULL"
        );
        j.verify()?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}

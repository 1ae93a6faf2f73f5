//! Taking a till's journal events in: exactly once, in order, with the transaction projection
//! the portal reads updated in the same database transaction.
//!
//! One upload is one PostgreSQL transaction that locks the device's row, so two uploads of the
//! same till (a retry racing the original) are serialised. The device's `held` sequence, the
//! events and the projection move together: a host killed mid-upload keeps none of it, and the
//! till's retry starts from `held` again. Rows go in with `UNNEST` over arrays, one statement
//! per table per upload, which is what makes 10,000 events a second possible on two cores.

use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::PgPool;
use std::collections::HashMap;
use till_domain::{Event, EventBody, PaymentMeans, Transaction, TxnEvent, TxnKind};
use till_sync::{MAX_BATCH_EVENTS, WireEvent};

use crate::error::{HostError, Result};

/// The device an upload is for.
#[derive(Debug, Clone, Copy)]
pub struct DeviceRef {
    pub id: i64,
    pub merchant_id: i64,
    pub shop_id: i64,
}

/// The portal's payment-means tab of a transaction (H4): Visa/Mastercard, UnionPay, Alipay,
/// WeChat Pay, FPS, PayNow, Tap & Go, Octopus (stored value), cash.
pub fn tab_of(txn: &Transaction) -> &'static str {
    let qr = txn
        .qr_scheme
        .or_else(|| txn.approval.as_ref().and_then(|a| a.qr_scheme));
    match txn.means {
        PaymentMeans::Card => {
            let scheme = txn
                .approval
                .as_ref()
                .and_then(|a| a.card.as_ref())
                .map(|c| c.scheme.to_ascii_uppercase())
                .unwrap_or_default();
            if scheme.contains("UNIONPAY") || scheme.contains("CUP") {
                "unionpay"
            } else {
                "card"
            }
        }
        PaymentMeans::QrCustomer | PaymentMeans::QrMerchant => qr.map_or("qr", |s| s.id()),
        PaymentMeans::TapAndGo => "tap-and-go",
        PaymentMeans::StoredValue => "stored-value",
        PaymentMeans::Cash => "cash",
    }
}

/// An event read and checked before any database work.
struct Parsed<'a> {
    seq: i64,
    raw: &'a str,
    event: Event,
}

fn parse(events: &[WireEvent]) -> Result<Vec<Parsed<'_>>> {
    if events.len() > MAX_BATCH_EVENTS {
        return Err(HostError::TooLarge(format!(
            "{} events in one upload, at most {MAX_BATCH_EVENTS}",
            events.len()
        )));
    }
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        if e.seq == 0 || e.seq > i64::MAX as u64 {
            return Err(HostError::Malformed(format!("sequence {} out of range", e.seq)));
        }
        if i > 0 && e.seq != events[i - 1].seq + 1 {
            return Err(HostError::Malformed(format!(
                "sequences must be consecutive: {} after {}",
                e.seq,
                events[i - 1].seq
            )));
        }
        if json_has_control(&e.event) {
            return Err(HostError::Malformed(format!(
                "event {}: a control character in a string",
                e.seq
            )));
        }
        let event: Event =
            serde_json::from_str(&e.event).map_err(|err| HostError::Malformed(format!("event {}: {err}", e.seq)))?;
        out.push(Parsed {
            seq: e.seq as i64,
            raw: &e.event,
            event,
        });
    }
    Ok(out)
}

/// True when a JSON text's strings hold a control character other than tab, CR and LF (as an
/// escape, `\u0000`; raw ones are not JSON). None of a journal's ids or texts has one, and
/// PostgreSQL refuses NUL in text: refused here, it is a 400, never a 500.
pub(crate) fn json_has_control(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'u') {
                let code = raw.get(i + 2..i + 6).and_then(|h| u32::from_str_radix(h, 16).ok());
                if code.is_some_and(|c| (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d)) || c == 0x7f) {
                    return true;
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Stores `events` for `device`; returns the highest sequence held without a gap. Events the
/// host already holds are checked to be the same and skipped; a gap is refused with `held`.
pub async fn upload(pool: &PgPool, device: DeviceRef, events: &[WireEvent]) -> Result<u64> {
    let parsed = parse(events)?;
    let mut tx = pool.begin().await?;
    let held: i64 = query("SELECT held FROM devices WHERE id = $1 FOR UPDATE")
        .bind(device.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let (old, new): (Vec<&Parsed>, Vec<&Parsed>) = parsed.iter().partition(|p| p.seq <= held);
    if !old.is_empty() {
        let seqs: Vec<i64> = old.iter().map(|p| p.seq).collect();
        let rows = query("SELECT seq, body FROM events WHERE device_id = $1 AND seq = ANY($2)")
            .bind(device.id)
            .bind(&seqs)
            .fetch_all(&mut *tx)
            .await?;
        let stored: HashMap<i64, String> = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx_core::Error>>()?;
        for p in &old {
            if stored.get(&p.seq).map(String::as_str) != Some(p.raw) {
                return Err(HostError::SequenceConflict { seq: p.seq as u64 });
            }
        }
    }
    let Some(first) = new.first() else {
        tx.rollback().await?;
        return Ok(held as u64);
    };
    if first.seq != held + 1 {
        return Err(HostError::SequenceGap { held: held as u64 });
    }
    let seqs: Vec<i64> = new.iter().map(|p| p.seq).collect();
    let ats: Vec<DateTime<Utc>> = new.iter().map(|p| p.event.at).collect();
    let kinds: Vec<String> = new.iter().map(|p| p.event.body.name()).collect();
    let bodies: Vec<&str> = new.iter().map(|p| p.raw).collect();
    query(
        "INSERT INTO events (device_id, seq, at, kind, body)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::timestamptz[], $4::text[], $5::text[])",
    )
    .bind(device.id)
    .bind(&seqs)
    .bind(&ats)
    .bind(&kinds)
    .bind(&bodies)
    .execute(&mut *tx)
    .await?;
    project(&mut tx, device, &new).await?;
    let top = new.last().map_or(held, |p| p.seq);
    query("UPDATE devices SET held = $2, last_seen = now() WHERE id = $1")
        .bind(device.id)
        .bind(top)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(top as u64)
}

/// Folds the transaction events of an upload into `txns`.
async fn project(tx: &mut sqlx_postgres::PgConnection, device: DeviceRef, new: &[&Parsed<'_>]) -> Result<()> {
    let txn_events: Vec<(&str, &TxnEvent, DateTime<Utc>, i64)> = new
        .iter()
        .filter_map(|p| match &p.event.body {
            EventBody::Txn { id, event } => Some((id.0.as_str(), event, p.event.at, p.seq)),
            _ => None,
        })
        .collect();
    if txn_events.is_empty() {
        return Ok(());
    }
    // Transactions that started before this upload: read their current state.
    let mut started_here = std::collections::HashSet::new();
    let mut earlier = Vec::new();
    for (id, ev, _, _) in &txn_events {
        if matches!(ev, TxnEvent::Started { .. }) {
            started_here.insert(*id);
        } else if !started_here.contains(id) {
            earlier.push(id.to_string());
        }
    }
    let mut state: HashMap<String, Transaction> = HashMap::new();
    if !earlier.is_empty() {
        let rows = query("SELECT id, body FROM txns WHERE device_id = $1 AND id = ANY($2)")
            .bind(device.id)
            .bind(&earlier)
            .fetch_all(&mut *tx)
            .await?;
        for r in rows {
            let id: String = r.try_get(0)?;
            let body: String = r.try_get(1)?;
            let txn: Transaction =
                serde_json::from_str(&body).map_err(|e| HostError::Malformed(format!("stored txn {id}: {e}")))?;
            state.insert(id, txn);
        }
    }
    let mut order: Vec<String> = Vec::new();
    for (id, ev, at, seq) in txn_events {
        let applied = match ev {
            TxnEvent::Started { .. } => Transaction::from_started(ev).map(|t| {
                state.insert(id.to_owned(), t);
            }),
            _ => match state.get_mut(id) {
                Some(t) => t.apply(ev, at),
                None => Err(till_domain::DomainError::IllegalTransition {
                    what: ev.name().to_owned(),
                    state: "none".to_owned(),
                }),
            },
        };
        match applied {
            Ok(()) => {
                if !order.iter().any(|o| o == id) {
                    order.push(id.to_owned());
                }
            }
            // The till's journal applied this event with the same function, so this means a
            // journal from another version: the event is kept, the projection says so in the log.
            Err(e) => eprintln!("till-host: device {} event {seq}: not projected: {e}", device.id),
        }
    }
    let mut cols = Columns::default();
    for id in &order {
        if let Some(t) = state.get(id) {
            cols.push(t)?;
        }
    }
    query(
        "INSERT INTO txns (device_id, merchant_id, shop_id, id, kind, means, tab, status, amount_minor, tip_minor,
                           refunded_minor, currency, trace, batch, auth_code, last4, started_at, updated_at, body)
         SELECT $1, $2, $3, * FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[],
                $10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16::text[],
                $17::timestamptz[], $18::timestamptz[], $19::text[])
         ON CONFLICT (device_id, id) DO UPDATE SET
            status = EXCLUDED.status, tab = EXCLUDED.tab, refunded_minor = EXCLUDED.refunded_minor,
            auth_code = EXCLUDED.auth_code, last4 = EXCLUDED.last4, updated_at = EXCLUDED.updated_at,
            body = EXCLUDED.body",
    )
    .bind(device.id)
    .bind(device.merchant_id)
    .bind(device.shop_id)
    .bind(&cols.id)
    .bind(&cols.kind)
    .bind(&cols.means)
    .bind(&cols.tab)
    .bind(&cols.status)
    .bind(&cols.amount)
    .bind(&cols.tip)
    .bind(&cols.refunded)
    .bind(&cols.currency)
    .bind(&cols.trace)
    .bind(&cols.batch)
    .bind(&cols.auth_code)
    .bind(&cols.last4)
    .bind(&cols.started_at)
    .bind(&cols.updated_at)
    .bind(&cols.body)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(Default)]
struct Columns {
    id: Vec<String>,
    kind: Vec<&'static str>,
    means: Vec<&'static str>,
    tab: Vec<&'static str>,
    status: Vec<&'static str>,
    amount: Vec<i64>,
    tip: Vec<i64>,
    refunded: Vec<i64>,
    currency: Vec<&'static str>,
    trace: Vec<String>,
    batch: Vec<i64>,
    auth_code: Vec<Option<String>>,
    last4: Vec<Option<String>>,
    started_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    body: Vec<String>,
}

impl Columns {
    fn push(&mut self, t: &Transaction) -> Result<()> {
        let approval = t.approval.as_ref();
        self.id.push(t.id.0.clone());
        self.kind.push(match t.kind {
            TxnKind::Sale => "sale",
            TxnKind::Void => "void",
            TxnKind::Refund => "refund",
        });
        self.means.push(t.means.id());
        self.tab.push(tab_of(t));
        self.status.push(t.status.id());
        self.amount.push(t.amount.minor);
        self.tip.push(t.tip.minor);
        self.refunded.push(t.refunded.minor);
        self.currency.push(t.amount.currency.code());
        self.trace.push(t.trace.to_string());
        self.batch.push(i64::from(t.batch.0));
        self.auth_code.push(approval.and_then(|a| a.auth_code.clone()));
        self.last4
            .push(approval.and_then(|a| a.card.as_ref()).map(|c| c.last4.clone()));
        self.started_at.push(t.started_at);
        self.updated_at.push(t.updated_at);
        self.body
            .push(serde_json::to_string(t).map_err(|e| HostError::Malformed(e.to_string()))?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(seq: u64, event: &str) -> WireEvent {
        WireEvent {
            seq,
            event: event.to_owned(),
        }
    }

    const OPENED: &str = r#"{"at":"2026-01-02T03:04:05Z","body":{"kind":"batch-opened","batch":1}}"#;

    #[test]
    fn uploads_must_be_consecutive_and_well_formed() {
        assert!(parse(&[wire(1, OPENED), wire(2, OPENED)]).is_ok());
        assert!(
            matches!(parse(&[wire(1, OPENED), wire(3, OPENED)]), Err(HostError::Malformed(_))),
            "a hole inside one upload is refused"
        );
        assert!(
            matches!(parse(&[wire(2, OPENED), wire(1, OPENED)]), Err(HostError::Malformed(_))),
            "so is a reversed order"
        );
        assert!(
            matches!(parse(&[wire(0, OPENED)]), Err(HostError::Malformed(_))),
            "sequences start at 1"
        );
        assert!(
            matches!(parse(&[wire(1, "{\"at\": 1}")]), Err(HostError::Malformed(_))),
            "an event that is not a journal event is refused"
        );
        assert!(json_has_control(r#"{"id":"T\u0000"}"#));
        assert!(json_has_control(r#"{"id":"T\u001B"}"#));
        assert!(
            !json_has_control(r#"{"id":"T\\u0000","note":"a\nb\u0009"}"#),
            "an escaped backslash"
        );
        assert!(
            matches!(
                parse(&[wire(1, &OPENED.replace("batch-opened", "batch-opened\\u0000"))]),
                Err(HostError::Malformed(_))
            ),
            "a NUL in an event is refused"
        );
    }
}

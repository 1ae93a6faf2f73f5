//! The tills' endpoints (`/api/v1/...`, see `till_sync::wire`). A till is known only by its
//! device credential: every query below is keyed by the device the credential names, so one
//! till can neither read nor write another's data.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sqlx_core::query::query;
use sqlx_core::row::Row;
use till_sync::*;

use crate::AppState;
use crate::db;
use crate::error::{ApiError, HostError};
use crate::ingest::{self, DeviceRef};

type ApiResult<T> = std::result::Result<Json<T>, ApiError>;

/// The device a bearer token belongs to.
async fn device(state: &AppState, headers: &HeaderMap) -> Result<DeviceRef, HostError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(HostError::Unauthorized)?;
    let row = query("SELECT id, merchant_id, shop_id FROM devices WHERE token_hash = $1 AND deleted_at IS NULL")
        .bind(db::secret_hash(token.trim()))
        .fetch_optional(&state.pool)
        .await?
        .ok_or(HostError::Unauthorized)?;
    Ok(DeviceRef {
        id: row.try_get(0)?,
        merchant_id: row.try_get(1)?,
        shop_id: row.try_get(2)?,
    })
}

/// Reads a JSON body of a known protocol version.
fn body<T: DeserializeOwned>(
    bytes: Result<Bytes, BytesRejection>,
    version: impl Fn(&T) -> u32,
) -> Result<T, HostError> {
    let bytes = bytes.map_err(|e| HostError::TooLarge(e.body_text()))?;
    if crate::ingest::json_has_control(&String::from_utf8_lossy(&bytes)) {
        return Err(HostError::Malformed("a control character in a string".into()));
    }
    let value: T = serde_json::from_slice(&bytes).map_err(|e| HostError::Malformed(e.to_string()))?;
    match version(&value) {
        WIRE_VERSION => Ok(value),
        v => Err(HostError::Version(v)),
    }
}

pub async fn enrol(State(state): State<AppState>, bytes: Result<Bytes, BytesRejection>) -> ApiResult<Enrolment> {
    let req: EnrolRequest = body(bytes, |r: &EnrolRequest| r.v)?;
    let code = db::normalise_code(&req.code);
    let mut tx = state.pool.begin().await?;
    let row = query(
        "SELECT a.device_id, m.name, s.name, d.name,
                COALESCE(NULLIF(d.receipt_name, ''), s.name), COALESCE(NULLIF(d.receipt_address, ''), s.address),
                a.used_at IS NOT NULL, a.expires_at <= now()
         FROM activation_codes a
         JOIN devices d ON d.id = a.device_id JOIN shops s ON s.id = d.shop_id JOIN merchants m ON m.id = d.merchant_id
         WHERE a.hash = $1 AND d.deleted_at IS NULL
         FOR UPDATE OF a",
    )
    .bind(db::secret_hash(&code))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(HostError::ActivationInvalid)?;
    // A code is unguessable, so saying why a right one no longer works tells nobody anything
    // they did not have; it tells the owner whether to ask for a new one.
    if row.try_get::<bool, _>(6)? {
        return Err(HostError::ActivationUsed.into());
    }
    if row.try_get::<bool, _>(7)? {
        return Err(HostError::ActivationExpired.into());
    }
    let device_id: i64 = row.try_get(0)?;
    let token = db::new_secret();
    query("UPDATE activation_codes SET used_at = now() WHERE hash = $1")
        .bind(db::secret_hash(&code))
        .execute(&mut *tx)
        .await?;
    query(
        "UPDATE devices SET token_hash = $2, till_id = $3, serial = $4, enrolled_at = now(), last_seen = now()
         WHERE id = $1",
    )
    .bind(device_id)
    .bind(db::secret_hash(&token))
    .bind(&req.till_id)
    .bind(&req.serial)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Enrolment {
        v: WIRE_VERSION,
        device_id,
        token,
        merchant: row.try_get(1)?,
        shop: row.try_get(2)?,
        pos_name: row.try_get(3)?,
        receipt_name: row.try_get(4)?,
        receipt_address: row.try_get(5)?,
    }))
}

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<UploadAck> {
    let device = device(&state, &headers).await?;
    let batch: UploadBatch = body(bytes, |b: &UploadBatch| b.v)?;
    let held = ingest::upload(&state.pool, device, &batch.events).await?;
    Ok(Json(UploadAck { v: WIRE_VERSION, held }))
}

#[derive(Debug, Deserialize)]
pub struct AckParams {
    #[serde(default)]
    ack: i64,
}

pub async fn commands(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<AckParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<CommandBatch> {
    let device = device(&state, &headers).await?;
    let Query(params) = params.map_err(|e| HostError::Malformed(e.body_text()))?;
    query("UPDATE commands SET acked_at = now() WHERE device_id = $1 AND id <= $2 AND acked_at IS NULL")
        .bind(device.id)
        .bind(params.ack)
        .execute(&state.pool)
        .await?;
    let rows = query("SELECT id, body FROM commands WHERE device_id = $1 AND acked_at IS NULL ORDER BY id")
        .bind(device.id)
        .fetch_all(&state.pool)
        .await?;
    let mut commands = Vec::with_capacity(rows.len());
    for r in rows {
        let body: String = r.try_get(1)?;
        commands.push(WireCommand {
            id: r.try_get(0)?,
            command: serde_json::from_str(&body).map_err(|e| HostError::Malformed(e.to_string()))?,
        });
    }
    query("UPDATE devices SET last_seen = now() WHERE id = $1")
        .bind(device.id)
        .execute(&state.pool)
        .await?;
    Ok(Json(CommandBatch {
        v: WIRE_VERSION,
        commands,
    }))
}

pub async fn settings(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<SettingsBody> {
    let device = device(&state, &headers).await?;
    let r = query(
        "SELECT receipt_name, receipt_address, copy_merchant, copy_customer, diagnostics_requested
         FROM devices WHERE id = $1",
    )
    .bind(device.id)
    .fetch_one(&state.pool)
    .await?;
    let merchant: Option<bool> = r.try_get(2)?;
    let customer: Option<bool> = r.try_get(3)?;
    Ok(Json(SettingsBody {
        v: WIRE_VERSION,
        receipt_name: r.try_get(0)?,
        receipt_address: r.try_get(1)?,
        copies: match (merchant, customer) {
            (Some(merchant), Some(customer)) => Some(WireCopies { merchant, customer }),
            _ => None,
        },
        diagnostics_requested: r.try_get(4)?,
    }))
}

pub async fn diagnostics(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> ApiResult<Accepted> {
    let device = device(&state, &headers).await?;
    let bundle: DiagnosticsBundle = body(bytes, |b: &DiagnosticsBundle| b.v)?;
    let text = serde_json::to_string(&bundle.report).map_err(|e| HostError::Malformed(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    query("INSERT INTO diagnostics (device_id, body) VALUES ($1, $2)")
        .bind(device.id)
        .bind(text)
        .execute(&mut *tx)
        .await?;
    query("UPDATE devices SET diagnostics_requested = false, last_seen = now() WHERE id = $1")
        .bind(device.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(Accepted { v: WIRE_VERSION }))
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    platform: String,
    current: String,
}

/// Issue 14: the update this till's shop is offered, or 204 when it runs what it should. What
/// the till said it runs is recorded first, for the shop's roll-out view in the portal.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<UpdateParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let device = device(&state, &headers).await?;
    let Query(params) = params.map_err(|e| HostError::Malformed(e.body_text()))?;
    if [&params.platform, &params.current]
        .iter()
        .any(|p| p.chars().any(char::is_control))
    {
        return Err(HostError::Malformed("a control character in a parameter".into()).into());
    }
    crate::updates::record_check(&state.pool, device.id, &params.platform, &params.current).await?;
    match crate::updates::offer(&state.pool, device.shop_id, &params.platform, &params.current).await? {
        Some(manifest) => Ok(Json(manifest).into_response()),
        None => Ok(axum::http::StatusCode::NO_CONTENT.into_response()),
    }
}

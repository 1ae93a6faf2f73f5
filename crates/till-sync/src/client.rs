//! The till's side: [`HttpHost`] implements the `HostLink` port over HTTP(S), and [`enrol`]
//! trades an activation code for a device credential.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use till_domain::ports::{DeviceError, DiagnosticsReport, HostCommand, HostLink, HostSettings};

use crate::SyncError;
use crate::update::{FetchedUpdate, Manifest, Package, UpdateKey};
use crate::wire::*;

/// How long one request may take before the till calls the outcome unknown (and retries: every
/// request is idempotent).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn http_client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| SyncError::Protocol(e.to_string()))
}

fn base_url(url: &str) -> Result<String, SyncError> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(SyncError::BadUrl(url.to_owned()));
    }
    Ok(url.to_owned())
}

/// The host's refusal: its error code and message, or what it sent when that is unreadable.
fn refused(status: reqwest::StatusCode, bytes: &[u8]) -> SyncError {
    match serde_json::from_slice::<WireError>(bytes) {
        Ok(err) => SyncError::Refused {
            status: status.as_u16(),
            code: err.code,
            message: err.message,
        },
        Err(e) => SyncError::Protocol(e.to_string()),
    }
}

/// H3: presents the activation code shown by the portal and returns the device credential.
pub async fn enrol(host_url: &str, request: &EnrolRequest) -> Result<Enrolment, SyncError> {
    let base = base_url(host_url)?;
    let client = http_client()?;
    let body = serde_json::to_vec(request).map_err(|e| SyncError::Protocol(e.to_string()))?;
    let resp = client
        .post(format!("{base}{}", paths::ENROL))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| SyncError::Unreachable(e.to_string()))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
    if !status.is_success() {
        return Err(refused(status, &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// A till's link to its host.
#[derive(Debug)]
pub struct HttpHost {
    base: String,
    token: String,
    client: reqwest::Client,
    /// Where the last received command id is kept across restarts (see the crate doc).
    cursor_file: Option<PathBuf>,
    cursor: Mutex<i64>,
    batch_limit: usize,
}

/// What a failed request means for the till.
enum Failure {
    Device(DeviceError),
    Refused(u16, WireError),
}

impl From<Failure> for DeviceError {
    fn from(f: Failure) -> DeviceError {
        match f {
            Failure::Device(d) => d,
            Failure::Refused(status, e) => {
                DeviceError::Protocol(format!("host refused ({status}): {}: {}", e.code, e.message))
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HttpHost {
    /// A link to `url` with the device `token` from [`enrol`]. With `cursor_file`, command
    /// acknowledgements survive restarts.
    pub fn new(url: &str, token: &str, cursor_file: Option<PathBuf>) -> Result<HttpHost, SyncError> {
        let cursor = match &cursor_file {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| SyncError::State(format!("{}: not a number", p.display())))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                Err(e) => return Err(SyncError::State(format!("{}: {e}", p.display()))),
            },
            None => 0,
        };
        Ok(HttpHost {
            base: base_url(url)?,
            token: token.to_owned(),
            client: http_client()?,
            cursor_file,
            cursor: Mutex::new(cursor),
            batch_limit: MAX_BATCH_EVENTS,
        })
    }

    /// Sends at most `limit` events per request (the till may hand over more at once).
    pub fn with_batch_limit(mut self, limit: usize) -> HttpHost {
        self.batch_limit = limit.clamp(1, MAX_BATCH_EVENTS);
        self
    }

    fn send_error(e: reqwest::Error) -> Failure {
        Failure::Device(if e.is_connect() {
            DeviceError::Unavailable(e.to_string())
        } else if e.is_timeout() {
            DeviceError::Timeout
        } else {
            DeviceError::LineLost(e.to_string())
        })
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            let bytes = serde_json::to_vec(b).map_err(|e| Failure::Device(DeviceError::Protocol(e.to_string())))?;
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let resp = req.send().await.map_err(HttpHost::send_error)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(HttpHost::send_error)?;
        if !status.is_success() {
            let err = serde_json::from_slice::<WireError>(&bytes).unwrap_or_else(|_| WireError {
                code: codes::INTERNAL.to_owned(),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                held: None,
            });
            if status.as_u16() == 401 {
                return Err(Failure::Device(DeviceError::Unavailable(format!(
                    "the host refused this till's credential: {}",
                    err.message
                ))));
            }
            return Err(Failure::Refused(status.as_u16(), err));
        }
        serde_json::from_slice(&bytes).map_err(|e| Failure::Device(DeviceError::Protocol(e.to_string())))
    }

    /// Issue 14: the update the host offers this till (its shop's channel or pinned version),
    /// or `None` when it runs what it should.
    pub async fn check_update(&self, platform: &str, current: &str) -> Result<Option<Manifest>, SyncError> {
        let resp = self
            .client
            .get(format!("{}{}", self.base, paths::UPDATE))
            .query(&[("platform", platform), ("current", current)])
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let bytes = resp.bytes().await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(refused(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// Downloads `package` (at most `max_bytes`) and hands it back only when it verifies against
    /// `key`. The till's credential goes only to its own host, never to another package server.
    pub async fn download_update(
        &self,
        package: &Package,
        key: &UpdateKey,
        max_bytes: u64,
    ) -> Result<Vec<u8>, SyncError> {
        let mut req = self.client.get(&package.url);
        if package.url.starts_with(&format!("{}/", self.base)) {
            req = req.bearer_auth(&self.token);
        }
        let mut resp = req.send().await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(SyncError::Refused {
                status: resp.status().as_u16(),
                code: codes::INTERNAL.to_owned(),
                message: format!("downloading {}", package.url),
            });
        }
        let too_large = || SyncError::Protocol(format!("the package is larger than {max_bytes} bytes"));
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        let mut data = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| SyncError::Unreachable(e.to_string()))? {
            if data.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(too_large());
            }
            data.extend_from_slice(&chunk);
        }
        key.verify(&data, &package.signature)?;
        Ok(data)
    }

    /// Checks for an update and, when there is one for `platform`, downloads it, verifies it
    /// against `key` and keeps it in `dir` under its file name (written beside and renamed, so a
    /// half-written package is never there). Nothing is kept when any step fails.
    pub async fn fetch_update(
        &self,
        platform: &str,
        current: &str,
        key: &UpdateKey,
        dir: &std::path::Path,
    ) -> Result<Option<FetchedUpdate>, SyncError> {
        match self.check_update(platform, current).await? {
            Some(manifest) => self.keep_update(&manifest, platform, current, key, dir).await,
            None => Ok(None),
        }
    }

    /// [`HttpHost::fetch_update`] for a manifest already asked for: downloads its package for
    /// `platform`, verifies it and keeps it in `dir` (with its signature beside it).
    pub async fn keep_update(
        &self,
        manifest: &Manifest,
        platform: &str,
        current: &str,
        key: &UpdateKey,
        dir: &std::path::Path,
    ) -> Result<Option<FetchedUpdate>, SyncError> {
        let package = manifest.offer(current, platform)?.ok_or_else(|| {
            SyncError::Protocol(format!("the host offered {} to a till at {current}", manifest.version))
        })?;
        let data = self
            .download_update(package, key, crate::update::MAX_PACKAGE_BYTES)
            .await?;
        let name = crate::update::package_file_name(&package.url, &manifest.version);
        std::fs::create_dir_all(dir).map_err(|e| SyncError::State(format!("{}: {e}", dir.display())))?;
        let path = dir.join(&name);
        let part = dir.join(format!("{name}.part"));
        // The signature is kept beside the package, so whatever installs it later (the
        // updater that runs once the app has closed) verifies the very bytes it installs.
        let sig = crate::update::signature_path(&path);
        std::fs::write(&sig, &package.signature)
            .and_then(|()| std::fs::write(&part, &data))
            .and_then(|()| std::fs::rename(&part, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&part);
                let _ = std::fs::remove_file(&sig);
                SyncError::State(format!("{}: {e}", path.display()))
            })?;
        Ok(Some(FetchedUpdate {
            version: manifest.version.clone(),
            notes: manifest.notes.clone(),
            path,
        }))
    }

    fn save_cursor(&self, id: i64) -> Result<(), DeviceError> {
        if let Some(p) = &self.cursor_file {
            let tmp = p.with_extension("tmp");
            std::fs::write(&tmp, id.to_string())
                .and_then(|()| std::fs::rename(&tmp, p))
                .map_err(|e| DeviceError::Unavailable(format!("{}: {e}", p.display())))?;
        }
        Ok(())
    }
}

#[async_trait]
impl HostLink for HttpHost {
    async fn upload(&self, events: &[(u64, String)]) -> Result<u64, DeviceError> {
        let mut held = 0;
        for chunk in events.chunks(self.batch_limit) {
            let batch = UploadBatch {
                v: WIRE_VERSION,
                events: chunk
                    .iter()
                    .map(|(seq, event)| WireEvent {
                        seq: *seq,
                        event: event.clone(),
                    })
                    .collect(),
            };
            match self
                .call::<_, UploadAck>(reqwest::Method::POST, paths::EVENTS, Some(&batch))
                .await
            {
                Ok(ack) => held = ack.held,
                // The host holds less than the till thought (or events arrived out of order):
                // it says from where to resume; the till's acknowledgement moves back to it.
                Err(Failure::Refused(
                    _,
                    WireError {
                        code, held: Some(h), ..
                    },
                )) if code == codes::SEQUENCE_GAP => {
                    return Ok(h);
                }
                Err(f) => return Err(f.into()),
            }
            let last = chunk.last().map_or(0, |(s, _)| *s);
            if held < last {
                break;
            }
        }
        Ok(held)
    }

    async fn pull_commands(&self) -> Result<Vec<HostCommand>, DeviceError> {
        // The commands of the previous pull have been applied by now (a sync applies what it
        // pulls before it pulls again): acknowledge them.
        let ack = *lock(&self.cursor);
        self.save_cursor(ack)?;
        let path = format!("{}?ack={ack}", paths::COMMANDS);
        let batch: CommandBatch = self
            .call::<(), _>(reqwest::Method::GET, &path, None)
            .await
            .map_err(DeviceError::from)?;
        if let Some(top) = batch.commands.iter().map(|c| c.id).max() {
            *lock(&self.cursor) = top.max(ack);
        }
        Ok(batch.commands.into_iter().map(|c| c.command.into()).collect())
    }

    async fn pull_settings(&self) -> Result<Option<HostSettings>, DeviceError> {
        let s: SettingsBody = self
            .call::<(), _>(reqwest::Method::GET, paths::SETTINGS, None)
            .await
            .map_err(DeviceError::from)?;
        Ok(Some(s.into()))
    }

    async fn upload_diagnostics(&self, report: &DiagnosticsReport) -> Result<(), DeviceError> {
        let bundle = DiagnosticsBundle {
            v: WIRE_VERSION,
            report: report.clone(),
        };
        let _: Accepted = self
            .call(reqwest::Method::POST, paths::DIAGNOSTICS, Some(&bundle))
            .await
            .map_err(DeviceError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_hosts() -> Result<(), SyncError> {
        assert!(
            matches!(base_url("ftp://x"), Err(SyncError::BadUrl(_))),
            "ftp is not a host"
        );
        assert_eq!(base_url(" https://host.example/ ")?, "https://host.example");
        Ok(())
    }

    #[test]
    fn the_command_cursor_survives_a_restart() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-sync-cursor-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("host-commands.ack");
        std::fs::write(&file, "42")?;
        let link = HttpHost::new("http://127.0.0.1:9", "t", Some(file.clone()))?;
        assert_eq!(
            *lock(&link.cursor),
            42,
            "a restarted till must acknowledge from where it stopped"
        );
        link.save_cursor(43)?;
        assert_eq!(std::fs::read_to_string(&file)?, "43");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[tokio::test]
    async fn a_host_that_is_down_is_unavailable_not_unknown() -> Result<(), Box<dyn std::error::Error>> {
        // Port 9 (discard) on loopback: nothing listens in this sandbox, the connection is refused.
        let link = HttpHost::new("http://127.0.0.1:9", "t", None)?;
        let err = link
            .upload(&[(1, "{}".into())])
            .await
            .err()
            .ok_or("upload to nothing succeeded")?;
        assert!(
            matches!(err, DeviceError::Unavailable(_)),
            "refused connection: {err:?}"
        );
        Ok(())
    }
}

//! One Terminal API exchange: a POST of a JSON message to `https://<name>:<port>/nexo` over a
//! fresh TLS connection, its answer as bytes. The terminal's certificate must chain to the
//! configured root (Adyen's terminal root, or a test CA) and be issued to the configured name
//! (the terminal's certificate name, e.g. `V400m-324688179`, not its IP address): the
//! connection goes to `address`, the name check uses `name`. A fresh connection per request
//! keeps an Abort independent of the payment it aborts.
//!
//! The errors say where it failed, because that decides what the money did: before the
//! request was written ([`NexoError::Connect`], certificate errors) nothing happened; after
//! ([`NexoError::Timeout`], [`NexoError::LineLost`]) the terminal may have acted.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;

use super::NexoError;

/// Where the terminal is and how to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port` to connect to (the terminal's IP, port 8443).
    pub address: String,
    /// The name its certificate must carry.
    pub name: String,
    /// The root certificate(s) its chain must end in, PEM.
    pub root_pem: Vec<u8>,
}

/// A client for one terminal.
#[derive(Clone)]
pub struct HttpsLink {
    connector: TlsConnector,
    name: ServerName<'static>,
    address: String,
    host: String,
}

impl std::fmt::Debug for HttpsLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsLink")
            .field("address", &self.address)
            .field("name", &self.name)
            .finish()
    }
}

/// The crypto provider of every TLS config here: ring, as the rest of the workspace.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificate_error(e: &rustls::Error, name: &str) -> Option<NexoError> {
    match e {
        rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
        ) => Some(NexoError::CertificateName(name.to_owned())),
        rustls::Error::InvalidCertificate(other) => Some(NexoError::CertificateUntrusted(format!("{other:?}"))),
        _ => None,
    }
}

impl HttpsLink {
    pub fn new(endpoint: &Endpoint) -> Result<HttpsLink, NexoError> {
        let mut roots = rustls::RootCertStore::empty();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&endpoint.root_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| NexoError::TlsConfig(format!("root certificate: {e}")))?;
        if certs.is_empty() {
            return Err(NexoError::TlsConfig("no certificate in the root PEM".to_owned()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| NexoError::TlsConfig(format!("root certificate: {e}")))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| NexoError::TlsConfig(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(endpoint.name.clone())
            .map_err(|_| NexoError::TlsConfig(format!("{:?} is not a certificate name", endpoint.name)))?;
        let port = endpoint.address.rsplit(':').next().unwrap_or("8443");
        Ok(HttpsLink {
            connector: TlsConnector::from(Arc::new(config)),
            name,
            address: endpoint.address.clone(),
            host: format!("{}:{port}", endpoint.name),
        })
    }

    /// POSTs `body` and returns the answer's body (empty for an Abort). `timeout` runs from
    /// the moment the request is written.
    pub async fn post(&self, body: Vec<u8>, timeout: Duration) -> Result<Vec<u8>, NexoError> {
        let tcp = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&self.address))
            .await
            .map_err(|_| NexoError::Connect(format!("{}: no answer to connect", self.address)))?
            .map_err(|e| NexoError::Connect(format!("{}: {e}", self.address)))?;
        tcp.set_nodelay(true).map_err(|e| NexoError::Connect(e.to_string()))?;
        let tls = tokio::time::timeout(Duration::from_secs(10), self.connector.connect(self.name.clone(), tcp))
            .await
            .map_err(|_| NexoError::Connect("TLS handshake timed out".to_owned()))?
            .map_err(|e| {
                let name = self.name.to_str();
                e.get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                    .and_then(|r| certificate_error(r, &name))
                    .unwrap_or_else(|| NexoError::Connect(format!("TLS: {e}")))
            })?;
        let (status, bytes) = tokio::time::timeout(timeout, post_on(tls, &self.host, body))
            .await
            .map_err(|_| NexoError::Timeout)??;
        if status != 200 {
            return Err(NexoError::Http(status));
        }
        Ok(bytes)
    }
}

/// One `POST /nexo` on an open connection (TLS to a terminal, or plain to a till's device
/// endpoint): the answer's HTTP status and body. A failure before the request is written is
/// [`NexoError::Connect`]; after it, [`NexoError::LineLost`].
pub(crate) async fn post_on<I>(io: I, host: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>), NexoError>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| NexoError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::post("/nexo")
        .header(hyper::header::HOST, host)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| NexoError::Connect(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| NexoError::LineLost(e.to_string()))?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| NexoError::LineLost(e.to_string()))?
        .to_bytes();
    Ok((status, bytes.to_vec()))
}

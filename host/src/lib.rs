//! till-host: the back office. Tills upload their journals here and pull their commands and
//! settings; merchants run their shops, terminals and users from the portal.
//!
//! Design choices:
//! - **PostgreSQL is the one store** (sqlx, plain queries with bind parameters, no compile-time
//!   checked macros: nothing needs a database to build). Migrations are embedded and run at
//!   start. Every filter a person types reaches SQL only as a bound parameter.
//! - **Exactly once by (device, sequence).** See [`ingest`]: an upload is one database
//!   transaction that moves the device's `held` sequence together with the events and the
//!   transaction projection.
//! - **The permission matrix is one table**, [`access::reach`]; routes, menus and list filters
//!   all ask it.
//! - **Server-rendered pages** with `format!` and one escaping function ([`html::esc`]): no
//!   template engine, no JavaScript needed. English and Chinese from a small message table.
//! - **One guard in front of the portal** ([`portal::guard`]): control characters refused,
//!   CSRF token and Origin checked on every non-GET request, the token put into every POST form
//!   of every page; one layer over every response sets the security headers.
//! - **TLS-ready**: rustls when a certificate and key are given, plain HTTP on loopback
//!   otherwise (for development, or behind a TLS-terminating proxy).

pub mod access;
pub mod api;
pub mod db;
pub mod error;
pub mod html;
pub mod ingest;
pub mod portal;
pub mod text;
pub mod tls;
pub mod updates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use sqlx_postgres::PgPool;
use std::net::SocketAddr;
use std::path::PathBuf;
use till_sync::paths;

pub use error::{HostError, Result};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The address people reach the portal at, for links in mail (activation, reset).
    pub public_url: String,
    /// Minutes east of UTC for dates in the portal (history filters, the T-1 report).
    pub utc_offset_minutes: i32,
    /// The key the portal's CSRF tokens are derived with (HMAC-SHA256 of the session or
    /// pre-session cookie); kept in the database, see [`db::server_secret`].
    pub csrf_key: std::sync::Arc<[u8]>,
    /// A portal session unused this long is over (H1; default [`DEFAULT_IDLE_MINUTES`]).
    pub idle_minutes: i32,
}

/// The portal's idle timeout unless the operator sets another.
pub const DEFAULT_IDLE_MINUTES: i32 = 30;

impl AppState {
    /// The state over `pool` (migrated), with the database's CSRF key and the default idle
    /// timeout.
    pub async fn load(pool: PgPool, public_url: String, utc_offset_minutes: i32) -> Result<AppState> {
        let key = db::server_secret(&pool, "csrf").await?;
        Ok(AppState {
            pool,
            public_url,
            utc_offset_minutes,
            csrf_key: key.into_bytes().into(),
            idle_minutes: DEFAULT_IDLE_MINUTES,
        })
    }
}

/// All routes: the tills' API and the portal.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(paths::ENROL, post(api::enrol))
        .route(paths::EVENTS, post(api::upload))
        .route(paths::COMMANDS, get(api::commands))
        .route(paths::SETTINGS, get(api::settings))
        .route(paths::DIAGNOSTICS, post(api::diagnostics))
        .route(paths::UPDATE, get(api::update))
        .layer(DefaultBodyLimit::max(till_sync::MAX_BODY_BYTES));
    let portal = portal::routes()
        .layer(DefaultBodyLimit::max(portal::MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            portal::guard::guard,
        ));
    Router::new()
        .merge(api)
        .merge(portal)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            portal::guard::headers,
        ))
        .with_state(state)
}

/// How the host is started.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub database_url: String,
    pub public_url: Option<String>,
    pub utc_offset_minutes: i32,
    /// PEM certificate chain and private key: both, for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The portal's idle timeout in minutes.
    pub idle_minutes: i32,
}

/// Connects, migrates and serves until the process is stopped.
pub async fn serve(opts: ServeOptions) -> Result<()> {
    let pool = db::connect(&opts.database_url, 8).await?;
    db::migrate(&pool).await?;
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if opts.tls.is_some() { "https" } else { "http" };
    let public_url = opts.public_url.unwrap_or_else(|| format!("{scheme}://{addr}"));
    let mut state = AppState::load(pool, public_url.clone(), opts.utc_offset_minutes).await?;
    state.idle_minutes = opts.idle_minutes;
    let app = router(state);
    eprintln!("till-host: listening on {scheme}://{addr} (portal: {public_url}/login)");
    match opts.tls {
        Some((cert, key)) => {
            let acceptor = tls::acceptor(&cert, &key)?;
            axum::serve(
                tls::TlsListener::new(listener, acceptor),
                app.into_make_service_with_connect_info::<tls::Peer>(),
            )
            .await?;
        }
        None => axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?,
    }
    Ok(())
}

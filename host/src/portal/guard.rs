//! What every portal request passes through before its handler (issue 18), in one place so a
//! new page or form cannot forget it:
//! - **Control characters** (C0 but tab, CR and LF, and DEL) in the path, the query or a form
//!   body are refused with 400 before anything is parsed, so none reaches PostgreSQL.
//! - **CSRF**: every request that is not GET or HEAD must carry the form's `csrf` field (or an
//!   `X-CSRF-Token` header) equal to HMAC-SHA256(the database's key, the session cookie) — or,
//!   before login, of the pre-session cookie this layer sets — and must not come from another
//!   site by its `Origin` (or, absent, `Referer`) header. Refusals are 403 and reach no handler.
//! - The token is put into every `<form method="post">` of every HTML page on its way out
//!   ([`crate::html::with_csrf`]): the pages' forms never write it themselves.
//!
//! [`headers`] is the other layer, over every response of the host: the security headers.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Sha256;

use super::{MAX_FORM_BYTES, SESSION_COOKIE};
use crate::AppState;
use crate::db;
use crate::html::{FormData, cookie, status_page, with_csrf};
use crate::text::{Lang, tr};

/// The form field (and `X-CSRF-Token` header) that carries the token.
pub const CSRF_FIELD: &str = "csrf";
/// A random value given to a browser before it signs in, so the public forms (login,
/// activation, forgotten PIN, reset) carry a token too.
pub const PRE_SESSION_COOKIE: &str = "otpre";

/// The policy for every response: no script at all, styles only from /style.css, forms only
/// to this site, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// HMAC-SHA256 (RustCrypto's `hmac`, which takes a key of any length).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The CSRF token of a cookie value: `kind` tells a session from a pre-session.
pub fn csrf_token(key: &[u8], kind: &str, cookie_value: &str) -> String {
    hex::encode(hmac_sha256(key, format!("{kind}:{cookie_value}").as_bytes()))
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// True when the bytes (raw or percent-encoded, as in a path, query or form body) hold a
/// control character other than tab, CR and LF. UTF-8's multi-byte sequences never contain
/// bytes below 0x80, so checking bytes is exact.
pub fn has_control(raw: &[u8]) -> bool {
    let bad = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f;
    let hex = |b: u8| (b as char).to_digit(16);
    raw.iter().enumerate().any(|(i, &b)| {
        bad(b)
            || (b == b'%'
                && raw
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(raw.get(i + 2).copied().and_then(hex))
                    .is_some_and(|(h, l)| u8::try_from(h * 16 + l).is_ok_and(bad)))
    })
}

/// `scheme://authority` of a URL, lower-cased; `None` for anything else (`null`, a path).
fn origin_of(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    (!scheme.is_empty() && !authority.is_empty()).then(|| (scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

/// True when `url`'s scheme and authority are this site's: the request's own `Host`, or the
/// public address.
pub fn ours(headers: &HeaderMap, public_url: &str, url: &str) -> bool {
    let Some((scheme, authority)) = origin_of(url) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    host.is_some_and(|h| h == authority) || origin_of(public_url).is_some_and(|(s, a)| s == scheme && a == authority)
}

/// True when `Origin` (or, without it, `Referer`) names a site other than this one; a request
/// naming none passes on its token alone.
pub fn foreign(headers: &HeaderMap, public_url: &str) -> bool {
    match headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)) {
        None => false,
        Some(v) => !v.to_str().is_ok_and(|v| ours(headers, public_url, v)),
    }
}

/// The address a request came from (the peer of its connection), for the limits on public
/// forms; "unknown" when the host is served without connection info.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, "lang").map_or(Lang::En, Lang::from_id)
}

fn nonempty<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    cookie(headers, name).filter(|v| !v.is_empty())
}

/// The control-character check, the CSRF check on every non-GET request, and the token put
/// into the forms of every page.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let (mut parts, body) = req.into_parts();
    use axum::extract::ConnectInfo;
    let client = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| parts.extensions.get::<ConnectInfo<crate::tls::Peer>>().map(|c| c.0.0))
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    parts.extensions.insert(ClientAddr(client));
    if has_control(parts.uri.path().as_bytes()) || parts.uri.query().is_some_and(|q| has_control(q.as_bytes())) {
        return status_page(StatusCode::BAD_REQUEST, lang, tr(lang, "bad-characters"));
    }
    let session = nonempty(&parts.headers, SESSION_COOKIE).map(str::to_owned);
    let pre = nonempty(&parts.headers, PRE_SESSION_COOKIE).map(str::to_owned);
    let req = if parts.method == Method::GET || parts.method == Method::HEAD {
        Request::from_parts(parts, body)
    } else {
        let refused = || status_page(StatusCode::FORBIDDEN, lang, tr(lang, "form-refused"));
        if foreign(&parts.headers, &state.public_url) {
            return refused();
        }
        let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
            return status_page(StatusCode::PAYLOAD_TOO_LARGE, lang, tr(lang, "bad-request"));
        };
        if has_control(&bytes) {
            return status_page(StatusCode::BAD_REQUEST, lang, tr(lang, "bad-characters"));
        }
        let form = FormData::parse(&bytes);
        let sent = form.get(CSRF_FIELD).map(str::to_owned).or_else(|| {
            parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        let expected = [
            session.as_deref().map(|s| csrf_token(&state.csrf_key, "session", s)),
            pre.as_deref().map(|p| csrf_token(&state.csrf_key, "pre", p)),
        ];
        let ok = sent.is_some_and(|t| expected.iter().flatten().any(|e| same(e, &t)));
        if !ok {
            return refused();
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    let resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return resp;
    }
    let (token, new_pre) = match (&session, &pre) {
        (Some(s), _) => (csrf_token(&state.csrf_key, "session", s), None),
        (None, Some(p)) => (csrf_token(&state.csrf_key, "pre", p), None),
        (None, None) => {
            let p = db::new_secret();
            (csrf_token(&state.csrf_key, "pre", &p), Some(p))
        }
    };
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = String::from_utf8_lossy(&bytes);
    let out = with_csrf(&page, &token);
    if out == page {
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(p) = new_pre {
        let secure = if state.public_url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = format!("{PRE_SESSION_COOKIE}={p}; Path=/; HttpOnly; SameSite=Lax{secure}").parse() {
            parts.headers.append(header::SET_COOKIE, v);
        }
    }
    Response::from_parts(parts, Body::from(out))
}

/// The security headers on every response of the host; HSTS only when it is reached over TLS.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Same-origin: /lang/{lang} goes back to the page it came from by its Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if state.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages show transactions, PINs' forms and codes: no copy kept by a browser or proxy.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_raw_and_percent_encoded() {
        assert!(has_control(b"a=%00"));
        assert!(has_control(b"a=%1b"));
        assert!(has_control(b"a=%7F"));
        assert!(has_control(b"a\x01"));
        assert!(!has_control(b"note=line%0D%0Aline%09tab"));
        assert!(!has_control("alias=%E9%99%B3+%".as_bytes()));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_this_sites_origin_passes() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8470"));
        assert!(!foreign(&h, "http://127.0.0.1:8470"), "no Origin, no Referer");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8470"));
        assert!(!foreign(&h, "https://till.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(foreign(&h, "http://127.0.0.1:8470"));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(foreign(&h, "http://127.0.0.1:8470"));
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:8470.evil.example/x"),
        );
        assert!(foreign(&h, "http://127.0.0.1:8470"));
    }
}

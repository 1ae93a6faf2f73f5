//! The portal's HTML: one escaping function, one layout, form and cookie parsing.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::text::{Lang, tr};

/// Escapes text for HTML content and attribute values. Every value from a person, a till or
/// the database goes through here.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_enc(s: &str) -> String {
    sqlx_core::url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The fields of an `application/x-www-form-urlencoded` body or query string; a repeated name
/// (checkboxes) keeps every value.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(
            sqlx_core::url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Puts the hidden CSRF field into every `<form method="post">` of a page: the one place forms
/// get it (the portal's guard calls this on every HTML page it answers).
pub fn with_csrf(html: &str, token: &str) -> String {
    let input = format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        crate::portal::guard::CSRF_FIELD,
        esc(token)
    );
    let mut out = String::with_capacity(html.len() + 128);
    let mut rest = html;
    while let Some(i) = rest.find("<form") {
        let Some(j) = rest[i..].find('>') else { break };
        let end = i + j + 1;
        out.push_str(&rest[..end]);
        if rest[i..end].to_ascii_lowercase().contains("method=\"post\"") {
            out.push_str(&input);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `p` when it is a path on this site that no browser reads as another host (`//host`,
/// `/\\host`, a scheme, control characters a browser would drop).
pub fn same_site_path(p: &str) -> Option<&str> {
    let ok =
        p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.bytes().any(|b| b < 0x20 || b == 0x7f);
    ok.then_some(p)
}

/// A 303 to a path on this site; anything else (built from input that names another site)
/// goes to the home page instead.
pub fn redirect(to: &str) -> Response {
    let to = same_site_path(to).unwrap_or("/");
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// A menu entry shown when the signed-in user may use it.
#[derive(Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

pub const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK TC',sans-serif;margin:0;color:#222}
header{background:#1d3557;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto}
main{padding:1em 1.5em;max-width:72em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#eef}
td.num{text-align:right}form.inline{display:inline}.tabs a{margin-right:.8em}.tabs a.on{font-weight:bold}
.notice{background:#e8f5e9;padding:.5em}.error{background:#fde2e1;padding:.5em}
label{display:block;margin:.3em 0}input,select{padding:.2em}.code{font-size:1.6em;letter-spacing:.1em}";

/// The page frame: title, menu (for a signed-in user), language switch, body.
pub fn page(lang: Lang, title: &str, nav: &[NavItem], who: Option<&str>, body: &str) -> Html<String> {
    let mut menu = String::new();
    for item in nav {
        menu.push_str(&format!("<a href=\"{}\">{}</a>", item.href, esc(tr(lang, item.label))));
    }
    let who = match who {
        Some(w) => format!(
            "<span class=\"who\">{}</span><form class=\"inline\" method=\"post\" action=\"/logout\"><button>{}</button></form>",
            esc(w),
            esc(tr(lang, "logout"))
        ),
        None => "<span class=\"who\"></span>".to_owned(),
    };
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} · OpenTill</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><strong>OpenTill</strong>{menu}{who}<a href=\"/lang/en\">English</a><a href=\"/lang/zh\">中文</a></header>\
         <main><h1>{}</h1>{body}</main></body></html>",
        lang.html(),
        esc(title),
        esc(title)
    ))
}

/// A page answered with a status other than 200 (refusals, errors).
pub fn status_page(status: StatusCode, lang: Lang, message: &str) -> Response {
    (
        status,
        page(
            lang,
            tr(lang, "error"),
            &[],
            None,
            &format!("<p class=\"error\">{}</p>", esc(message)),
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(esc("<script>\"x\"&'y'"), "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;");
    }

    #[test]
    fn repeated_fields_keep_every_value() {
        let f = FormData::parse(b"shop=1&shop=2&alias=%E9%99%B3+A&empty=");
        assert_eq!(f.all("shop"), vec!["1", "2"]);
        assert_eq!(f.get("alias"), Some("陳 A"));
        assert_eq!(f.get("empty"), None, "an empty field is no value");
    }

    #[test]
    fn every_post_form_gets_the_token_and_no_get_form_does() {
        let page = "<form method=\"get\" action=\"/t\"></form><form class=\"inline\" method=\"post\" action=\"/a\"><button></button></form>";
        let out = with_csrf(page, "abc");
        assert_eq!(out.matches("name=\"csrf\" value=\"abc\"").count(), 1);
        assert!(out.contains("action=\"/a\"><input type=\"hidden\" name=\"csrf\" value=\"abc\"><button>"));
    }

    #[test]
    fn only_paths_on_this_site_are_redirected_to() {
        for bad in [
            "//other.host/x",
            "https://other.host/",
            "/\\other.host",
            "/\t/other.host",
            "other.host",
            "",
        ] {
            assert_eq!(same_site_path(bad), None, "{bad:?}");
        }
        assert_eq!(same_site_path("/shops/3?x=1#updates"), Some("/shops/3?x=1#updates"));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; otsid=abc; lang=zh".parse().expect("static header"),
        );
        assert_eq!(cookie(&h, "otsid"), Some("abc"));
        assert_eq!(cookie(&h, "nope"), None);
    }
}

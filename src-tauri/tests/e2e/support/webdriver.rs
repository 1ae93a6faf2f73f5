//! A small blocking W3C WebDriver client: the commands the tests use, over HTTP/1.1 on std's
//! TcpStream (one connection per command, `Connection: close`), JSON with serde_json. Errors say
//! which command failed on what, and a wait that times out says what the page showed instead.

use super::Error;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The W3C key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// WebDriver's codes for special keys, to put in the text given to `send_keys` or `keys`.
pub mod key {
    pub const BACKSPACE: &str = "\u{E003}";
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const ARROW_LEFT: &str = "\u{E012}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_RIGHT: &str = "\u{E014}";
    pub const ARROW_DOWN: &str = "\u{E015}";
    pub const DELETE: &str = "\u{E017}";
    /// Releases the modifier keys pressed so far in one `send_keys`.
    pub const NULL: &str = "\u{E000}";
    pub const CONTROL: &str = "\u{E009}";
}

/// One HTTP request to `127.0.0.1:port`; the JSON body of the answer, whatever its status.
///
/// The request does not say `Connection: close`: tauri-driver passes that header on to
/// WebKitWebDriver, which then closes its side, while tauri-driver's connection pool keeps the
/// connection and fails the next command on it ("connection reset by peer", an empty answer to
/// us). So the answer is read by its length (or chunks) and the connection dropped here.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>, timeout: Duration) -> Result<(u16, Value), Error> {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n");
    if body.is_some() {
        request.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes())?;
    let what = || format!("{method} {path}");
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{}: no HTTP answer (got {status_line:?})", what()))?;
    let (mut length, mut chunked) = (None, false);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(format!("{}: the answer ends inside its header", what()).into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse::<usize>().ok();
            } else if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("{}: bad chunk size {size_line:?}", what()))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            format!(
                "{}: answer is not JSON ({e}): {}",
                what(),
                String::from_utf8_lossy(&body)
            )
        })?
    };
    Ok((status, value))
}

/// Turns a WebDriver answer into its `value`, or an error that names the command.
fn value_of(what: &str, status: u16, answer: Value) -> Result<Value, Error> {
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{what}: {error}: {message}").into());
    }
    if status >= 400 {
        return Err(format!("{what}: HTTP {status}: {answer}").into());
    }
    Ok(value)
}

/// How long a `wait_*` waits before it fails: `OPENTILL_E2E_TIMEOUT_S`, else 120 s. Every wait
/// ends as soon as its condition holds, so this is only a guard against a test that would hang:
/// it is generous because a shared machine that is compiling can be slow by a factor of ten.
pub fn default_timeout() -> Duration {
    let secs = std::env::var("OPENTILL_E2E_TIMEOUT_S")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(120);
    Duration::from_secs(secs)
}

/// The characters of `text` before its first special key (Enter, Tab...): what an input shows
/// once they are typed.
fn printable_prefix(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(_, c)| ('\u{E000}'..='\u{F8FF}').contains(c))
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// A WebDriver session: one running app.
#[derive(Debug)]
pub struct Session {
    port: u16,
    id: String,
    /// How long the `wait_*` methods wait before failing.
    pub timeout: Duration,
}

/// An element found by a CSS selector (kept for error messages).
#[derive(Debug)]
pub struct Element<'s> {
    session: &'s Session,
    id: String,
    selector: String,
}

impl Session {
    /// `POST /session` with these capabilities (`alwaysMatch`).
    pub fn create(port: u16, capabilities: Value) -> Result<Session, Error> {
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        // Starting the app under WebDriver is the slowest step on a busy machine.
        let (status, answer) = http(port, "POST", "/session", Some(&body), Duration::from_secs(300))?;
        let value = value_of("new session", status, answer)?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("new session: no sessionId in {value}"))?
            .to_owned();
        Ok(Session {
            port,
            id,
            timeout: default_timeout(),
        })
    }

    /// One command of this session; `path` is relative to `/session/{id}`.
    pub fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let full = format!("/session/{}{path}", self.id);
        let (status, answer) = http(self.port, method, &full, body.as_ref(), Duration::from_secs(180))?;
        value_of(&format!("{method} {path}"), status, answer)
    }

    /// `DELETE /session/{id}`: WebKitWebDriver closes the app.
    pub fn delete(&self) -> Result<(), Error> {
        self.command("DELETE", "", None).map(|_| ())
    }

    fn element(&self, value: &Value, selector: &str) -> Result<Element<'_>, Error> {
        let id = value
            .get(ELEMENT)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{selector}: not an element reference: {value}"))?;
        Ok(Element {
            session: self,
            id: id.to_owned(),
            selector: selector.to_owned(),
        })
    }

    /// The first element matching a CSS selector, now (no waiting).
    pub fn find(&self, css: &str) -> Result<Element<'_>, Error> {
        let v = self.command("POST", "/element", Some(json!({"using": "css selector", "value": css})))?;
        self.element(&v, css)
    }

    /// Every element matching a CSS selector, now.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>, Error> {
        let v = self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        v.as_array()
            .ok_or_else(|| format!("{css}: elements answer is not a list: {v}"))?
            .iter()
            .map(|e| self.element(e, css))
            .collect()
    }

    /// Whether an element matches now and is displayed.
    pub fn is_shown(&self, css: &str) -> Result<bool, Error> {
        let found = self.find_all(css)?;
        for e in found {
            if e.is_displayed().unwrap_or(false) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Polls `check` until it gives `Some`, for at most `self.timeout`. `what` names the wait in
    /// the error, which also quotes the start of the page's visible text. Errors from `check` are
    /// retried (the page may be between two renders) and the last one is reported.
    pub fn wait_until<T>(&self, what: &str, mut check: impl FnMut() -> Result<Option<T>, Error>) -> Result<T, Error> {
        let start = Instant::now();
        let mut last_error = None;
        loop {
            match check() {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last_error = Some(e.to_string()),
            }
            if start.elapsed() > self.timeout {
                let page = self
                    .visible_text()
                    .map(|t| {
                        t.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .unwrap_or_else(|e| format!("(page unreadable: {e})"));
                let page: String = page.chars().take(600).collect();
                let last = last_error.map(|e| format!("; last error: {e}")).unwrap_or_default();
                return Err(format!(
                    "timed out after {:.1} s waiting for {what}{last}; the page shows: {page}",
                    self.timeout.as_secs_f64()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until an element matching `css` is displayed, and returns it.
    pub fn wait_for(&self, css: &str) -> Result<Element<'_>, Error> {
        self.wait_until(&format!("{css} to be displayed"), || {
            for e in self.find_all(css)? {
                if e.is_displayed()? {
                    return Ok(Some(e));
                }
            }
            Ok(None)
        })
    }

    /// Waits until no displayed element matches `css`.
    pub fn wait_gone(&self, css: &str) -> Result<(), Error> {
        self.wait_until(
            &format!("{css} to go away"),
            || Ok((!self.is_shown(css)?).then_some(())),
        )
    }

    /// Waits until the element's visible text contains `expected`, and returns the whole text.
    pub fn wait_text(&self, css: &str, expected: &str) -> Result<String, Error> {
        self.wait_until(&format!("{css} to show {expected:?}"), || {
            let text = self.find(css)?.text()?;
            Ok(text.contains(expected).then_some(text))
        })
    }

    /// Waits until the element has `attribute` = `expected` (e.g. `data-screen` = `sale`).
    pub fn wait_attribute(&self, css: &str, attribute: &str, expected: &str) -> Result<(), Error> {
        self.wait_until(&format!("{css} to have {attribute}={expected:?}"), || {
            let v = self.find(css)?.attribute(attribute)?;
            Ok((v.as_deref() == Some(expected)).then_some(()))
        })
    }

    /// Waits until an element matching `css` is displayed and enabled (a button is disabled
    /// while its screen is busy), and returns it.
    pub fn wait_enabled(&self, css: &str) -> Result<Element<'_>, Error> {
        self.wait_until(&format!("{css} to be displayed and enabled"), || {
            for e in self.find_all(css)? {
                if e.is_displayed()? && e.is_enabled()? {
                    return Ok(Some(e));
                }
            }
            Ok(None)
        })
    }

    /// Waits for the element to be displayed and enabled, then clicks it. A click that fails
    /// (the element re-rendered under it, or still covered by a dialog going away) is tried
    /// again until the deadline.
    pub fn click(&self, css: &str) -> Result<(), Error> {
        self.wait_until(&format!("a click on {css}"), || {
            self.wait_enabled(css)?.click()?;
            Ok(Some(()))
        })
    }

    /// Waits for the input to be displayed and enabled, types the characters of `text` up to
    /// its first special key, waits until the input shows them (the keys reached it, and the
    /// screen did not put back an older value), then types the rest (Enter, Tab...).
    pub fn type_into(&self, css: &str, text: &str) -> Result<(), Error> {
        let typed = printable_prefix(text);
        let e = self.wait_enabled(css)?;
        let before = e.property("value")?.as_str().unwrap_or_default().to_owned();
        e.send_keys(typed)?;
        let expected = format!("{before}{typed}");
        self.wait_until(&format!("{css} to hold {expected:?}"), || {
            let now = self.find(css)?.property("value")?;
            Ok((now.as_str() == Some(expected.as_str())).then_some(()))
        })?;
        let rest = &text[typed.len()..];
        if rest.is_empty() {
            Ok(())
        } else {
            self.find(css)?.send_keys(rest)
        }
    }

    /// Replaces what an input holds by `text` with real key events (select all, delete, type),
    /// so that the screen's state follows, then waits until the input shows exactly `text`.
    /// WebDriver's own "clear" fires no input event: the screen keeps the old value in its
    /// state and puts it back at its next render.
    pub fn set_value(&self, css: &str, text: &str) -> Result<(), Error> {
        self.wait_until(&format!("{css} to hold exactly {text:?}"), || {
            let e = self.wait_enabled(css)?;
            let now = e.property("value")?;
            if now.as_str() == Some(text) {
                return Ok(Some(()));
            }
            if !now.as_str().unwrap_or_default().is_empty() {
                e.send_keys(&format!("{}a{}{}", key::CONTROL, key::NULL, key::BACKSPACE))?;
                return Ok(None);
            }
            e.send_keys(text)?;
            Ok(None)
        })
    }

    /// The element's visible text (waits for it to be displayed).
    pub fn text(&self, css: &str) -> Result<String, Error> {
        self.wait_for(css)?.text()
    }

    /// Types `text` on the keyboard, into whatever has the focus (WebDriver actions): digits,
    /// letters and the codes in [`key`], e.g. `app.keys(&format!("1250{}", key::ENTER))`.
    pub fn keys(&self, text: &str) -> Result<(), Error> {
        let mut actions = Vec::new();
        for c in text.chars() {
            actions.push(json!({"type": "keyDown", "value": c.to_string()}));
            actions.push(json!({"type": "keyUp", "value": c.to_string()}));
        }
        self.command(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )?;
        self.command("DELETE", "/actions", None).map(|_| ())
    }

    /// Runs `script` (a function body: use `arguments[0]`… and `return`) in the page.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, Error> {
        self.command("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// Runs an asynchronous `script`, which must call `arguments[arguments.length - 1](result)`.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value, Error> {
        self.command("POST", "/execute/async", Some(json!({"script": script, "args": args})))
    }

    /// The page's visible text (`document.body.innerText`).
    pub fn visible_text(&self) -> Result<String, Error> {
        let v = self.execute("return document.body ? document.body.innerText : '';", vec![])?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Moves and resizes the window (Xvfb has no window manager: only the app and GTK decide).
    pub fn set_window_rect(&self, x: i32, y: i32, width: u32, height: u32) -> Result<(), Error> {
        self.command(
            "POST",
            "/window/rect",
            Some(json!({"x": x, "y": y, "width": width, "height": height})),
        )
        .map(|_| ())
    }

    /// The window's `(x, y, width, height)`.
    pub fn window_rect(&self) -> Result<(i64, i64, i64, i64), Error> {
        let v = self.command("GET", "/window/rect", None)?;
        let n = |k: &str| v.get(k).and_then(Value::as_f64).map(|f| f as i64);
        match (n("x"), n("y"), n("width"), n("height")) {
            (Some(x), Some(y), Some(w), Some(h)) => Ok((x, y, w, h)),
            _ => Err(format!("window rect: {v}").into()),
        }
    }

    /// The web view as PNG bytes.
    pub fn screenshot_png(&self) -> Result<Vec<u8>, Error> {
        let v = self.command("GET", "/screenshot", None)?;
        decode_png(&v)
    }
}

fn decode_png(v: &Value) -> Result<Vec<u8>, Error> {
    use base64::Engine as _;
    let text = v.as_str().ok_or_else(|| format!("screenshot is not a string: {v}"))?;
    let png = base64::engine::general_purpose::STANDARD.decode(text)?;
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err("screenshot is not a PNG".into());
    }
    Ok(png)
}

/// Width and height from a PNG's IHDR.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let w = u32::from_be_bytes(png.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(png.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    fn context(&self, e: Error) -> Error {
        format!("{}: {e}", self.selector).into()
    }

    pub fn click(&self) -> Result<(), Error> {
        self.session
            .command("POST", &self.path("/click"), Some(json!({})))
            .map(|_| ())
            .map_err(|e| self.context(e))
    }

    /// Types into the element (focusing it first); see [`key`] for Enter, Escape...
    pub fn send_keys(&self, text: &str) -> Result<(), Error> {
        self.session
            .command("POST", &self.path("/value"), Some(json!({"text": text})))
            .map(|_| ())
            .map_err(|e| self.context(e))
    }

    /// Empties an input.
    pub fn clear(&self) -> Result<(), Error> {
        self.session
            .command("POST", &self.path("/clear"), Some(json!({})))
            .map(|_| ())
            .map_err(|e| self.context(e))
    }

    /// The rendered text, as the user sees it.
    pub fn text(&self) -> Result<String, Error> {
        let v = self
            .session
            .command("GET", &self.path("/text"), None)
            .map_err(|e| self.context(e))?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// An HTML attribute (`data-*`, `disabled`, ...), `None` if absent.
    pub fn attribute(&self, name: &str) -> Result<Option<String>, Error> {
        let v = self
            .session
            .command("GET", &self.path(&format!("/attribute/{name}")), None)
            .map_err(|e| self.context(e))?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// A DOM property (`value` of an input, `checked`, ...).
    pub fn property(&self, name: &str) -> Result<Value, Error> {
        self.session
            .command("GET", &self.path(&format!("/property/{name}")), None)
            .map_err(|e| self.context(e))
    }

    pub fn is_displayed(&self) -> Result<bool, Error> {
        let v = self
            .session
            .command("GET", &self.path("/displayed"), None)
            .map_err(|e| self.context(e))?;
        Ok(v.as_bool().unwrap_or(false))
    }

    pub fn is_enabled(&self) -> Result<bool, Error> {
        let v = self
            .session
            .command("GET", &self.path("/enabled"), None)
            .map_err(|e| self.context(e))?;
        Ok(v.as_bool().unwrap_or(false))
    }

    /// `(x, y, width, height)` in CSS pixels: for touch-target sizes and overlap checks.
    pub fn rect(&self) -> Result<(f64, f64, f64, f64), Error> {
        let v = self
            .session
            .command("GET", &self.path("/rect"), None)
            .map_err(|e| self.context(e))?;
        let n = |k: &str| v.get(k).and_then(Value::as_f64);
        match (n("x"), n("y"), n("width"), n("height")) {
            (Some(x), Some(y), Some(w), Some(h)) => Ok((x, y, w, h)),
            _ => Err(format!("{}: rect: {v}", self.selector).into()),
        }
    }

    /// This element alone, as PNG bytes.
    pub fn screenshot_png(&self) -> Result<Vec<u8>, Error> {
        let v = self
            .session
            .command("GET", &self.path("/screenshot"), None)
            .map_err(|e| self.context(e))?;
        decode_png(&v)
    }
}

//! A real back office for the tests that need one from outside (the app's first hour, the
//! installed till's updates): the `till-host` program over a throwaway PostgreSQL cluster, a
//! merchant and its owner, and the portal driven as a browser would, one HTTP/1.1 request at a
//! time — the owner activates their account and signs in, creates a shop, and "Set up POS"
//! shows an activation code.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::pg::{Error, Pg};

/// The owner's portal PIN in every office made here.
pub const PORTAL_PIN: &str = "8642097";

/// Percent-encodes a form value.
pub fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One answer of the portal.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `till-host serve` over a fresh cluster, with one merchant and its owner; killed on drop.
#[derive(Debug)]
pub struct Office {
    child: Child,
    port: u16,
    bin: PathBuf,
    db: String,
    pg: Pg,
    activation: String,
    owner: String,
}

impl Drop for Office {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Office {
    /// Starts `bin` (the `till-host` program) with the merchant `merchant` owned by `owner`.
    pub fn start(bin: &Path, merchant: &str, owner: &str) -> Result<Office, Error> {
        if !bin.exists() {
            return Err(format!(
                "{} is not built: cargo build -p till-host (cargo xtask test builds it)",
                bin.display()
            )
            .into());
        }
        let pg = Pg::start()?;
        let db = pg.url("postgres");
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let public = format!("http://127.0.0.1:{port}");
        let made = Command::new(bin)
            .args(["create-merchant", "--name", merchant, "--email", owner])
            .env("DATABASE_URL", &db)
            .env("TILL_HOST_PUBLIC_URL", &public)
            .stdin(Stdio::null())
            .output()?;
        let link = String::from_utf8_lossy(&made.stdout).trim().to_owned();
        let activation = link
            .rsplit_once("/activate/")
            .map(|(_, t)| t.to_owned())
            .ok_or(format!(
                "create-merchant said {link:?} {}",
                String::from_utf8_lossy(&made.stderr)
            ))?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &db)
            .env("TILL_HOST_PUBLIC_URL", &public)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let office = Office {
            child,
            port,
            bin: bin.to_owned(),
            db,
            pg,
            activation,
            owner: owner.to_owned(),
        };
        let started = Instant::now();
        while office.http("GET", "/healthz", None, None).map(|a| a.status).ok() != Some(200) {
            if started.elapsed() > Duration::from_secs(120) {
                return Err("till-host did not answer /healthz".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(office)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The cluster under the office (its data folder is the cluster's own).
    pub fn pg(&self) -> &Pg {
        &self.pg
    }

    /// `till-host ARGS` over this office's database, as its operator runs it.
    pub fn till_host(&self, args: &[&str]) -> Result<Output, Error> {
        Ok(Command::new(&self.bin)
            .args(args)
            .env("DATABASE_URL", &self.db)
            .stdin(Stdio::null())
            .output()?)
    }

    /// One HTTP/1.1 request (`Connection: close`), as a browser's form post or page load.
    pub fn http(&self, method: &str, path: &str, cookie: Option<&str>, form: Option<&str>) -> Result<Answer, Error> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = form.unwrap_or("");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        if form.is_some() {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text.split_once("\r\n\r\n").ok_or("no HTTP head")?;
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or("no HTTP status")?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let body = if chunked { dechunk(rest) } else { rest.to_owned() };
        Ok(Answer { status, headers, body })
    }

    /// A form posted as the browser does: the page at `page` loaded first with `cookie`, then
    /// `form` sent to `path` with the page's CSRF field and the cookie it set before login.
    fn post_form(&self, page: &str, path: &str, cookie: Option<&str>, form: &str) -> Result<Answer, Error> {
        let shown = self.http("GET", page, cookie, None)?;
        let token = shown
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .ok_or(format!("no form on {page}: {} {}", shown.status, shown.body))?;
        let pre = shown
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, v)| v.split(';').next().filter(|c| c.starts_with("otpre=")));
        let cookie = match (cookie, pre) {
            (Some(c), Some(p)) => Some(format!("{c}; {p}")),
            (c, p) => c.or(p).map(str::to_owned),
        };
        self.http("POST", path, cookie.as_deref(), Some(&format!("{form}&csrf={token}")))
    }

    /// The owner's account activated and signed in: the session cookie.
    pub fn owner_session(&self) -> Result<String, Error> {
        let form = format!("pin={PORTAL_PIN}&pin2={PORTAL_PIN}");
        let activate = format!("/activate/{}", self.activation);
        let a = self.post_form(&activate, &activate, None, &form)?;
        if a.status != 303 {
            return Err(format!("the owner's account was not activated: {} {}", a.status, a.body).into());
        }
        let a = self.post_form(
            "/login",
            "/login",
            None,
            &format!("email={}&pin={PORTAL_PIN}", enc(&self.owner)),
        )?;
        let cookie = a
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, v)| v.split(';').next().filter(|c| c.starts_with("otsid=")))
            .ok_or(format!("the owner's login set no session: {}", a.status))?;
        Ok(cookie.to_owned())
    }

    /// The portal's "create shop": the new shop's id.
    pub fn create_shop(&self, cookie: &str, name: &str, address: &str) -> Result<String, Error> {
        let form = format!("name={}&address={}", enc(name), enc(address));
        let a = self.post_form("/shops", "/shops", Some(cookie), &form)?;
        Ok(a.header("location")
            .and_then(|l| l.strip_prefix("/shops/"))
            .ok_or(format!("the shop was not made: {} {}", a.status, a.body))?
            .to_owned())
    }

    /// The portal's "Set up POS" in `shop`: the activation code it shows.
    pub fn pos_code(&self, cookie: &str, shop: &str) -> Result<String, Error> {
        let path = format!("/shops/{shop}/pos");
        let a = self.post_form(&path, &path, Some(cookie), "name=Counter+1")?;
        if a.status != 201 {
            return Err(format!("Set up POS: {} {}", a.status, a.body).into());
        }
        let code = a
            .body
            .split("id=\"activation-code\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .ok_or("no activation code on the page")?;
        Ok(code.to_owned())
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Serves `files` (name, bytes) over HTTP/1.1 at the returned base URL (`http://127.0.0.1:port`,
/// each file at `/name`) for as long as the test process runs: where a release's packages live
/// (the host only lists their addresses).
pub fn serve_files(files: Vec<(String, Vec<u8>)>) -> Result<String, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let found = files.iter().find(|(name, _)| path == format!("/{name}"));
            let _ = match found {
                Some((_, bytes)) => s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            bytes.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| s.write_all(bytes)),
                None => s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    Ok(base)
}

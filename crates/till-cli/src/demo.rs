//! The demo till: every device simulated, the journal in a local folder. On a terminal it is
//! an interactive session; otherwise (CI, a pipe) it runs a scripted tour of the flows.

use std::io::{BufRead, IsTerminal, Write};
use till::{Credentials, SaleInput, Sims, Till, TillError};
use till_domain::operator::default_pin;
use till_domain::{DomainError, Money, PaymentMeans, TraceNo};
use till_i18n::{Lang, Localizer};
use till_journal::HistoryQuery;

use crate::output::Out;

/// The demo manager's PIN after the first-login change.
const DEMO_PIN: &str = "123456";

fn manager() -> Credentials {
    Credentials {
        operator: "1".to_owned(),
        pin: DEMO_PIN.to_owned(),
    }
}

pub async fn run(till: &Till, sims: &Sims, out: &Out, script: bool, dir: &std::path::Path) -> Result<u8, TillError> {
    let l = out.l;
    println!("{}", l.text("demo-title", &[("dir", dir.display().to_string())]));
    match till.login("1", DEMO_PIN) {
        Ok(_) => {}
        Err(TillError::Domain(DomainError::PinWrong { .. })) => {
            // A new till: operator 1 still has the default PIN (last 4 of the serial), which
            // must be changed at first login (S1).
            till.change_pin("1", &default_pin(&till.config().serial), DEMO_PIN)?;
            println!("{}", l.text("pin-changed", &[("operator", "1".into())]));
            till.login("1", DEMO_PIN)?;
        }
        Err(e) => return Err(e),
    }
    if script || !std::io::stdin().is_terminal() {
        return scripted(till, sims, out).await;
    }
    interactive(till, out).await
}

async fn scripted(till: &Till, sims: &Sims, out: &Out) -> Result<u8, TillError> {
    let cur = till.config().currency;
    let money = |minor| Money::new(minor, cur);
    let card = till
        .sale(SaleInput {
            amount: money(3850),
            tip: money(500),
            means: PaymentMeans::Card,
            qr_scheme: None,
            code: None,
        })
        .await?;
    out.txn(&card);
    sims.scanner.push("134567890123456789");
    let qr = till
        .sale(SaleInput {
            amount: money(1200),
            tip: money(0),
            means: PaymentMeans::QrCustomer,
            qr_scheme: None,
            code: None,
        })
        .await?;
    out.txn(&qr);
    let refund = till.refund(card.txn.trace, Some(money(1000)), &manager()).await?;
    out.txn(&refund);
    out.report(&till.x_report().await?);
    Ok(0)
}

fn parse_trace(s: Option<&str>) -> Result<TraceNo, TillError> {
    let s = s.unwrap_or_default();
    TraceNo::parse(s).ok_or_else(|| DomainError::TraceInvalid { input: s.to_owned() }.into())
}

async fn command(till: &Till, out: &mut Out, line: &str) -> Result<bool, TillError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let cur = till.config().currency;
    match words.as_slice() {
        [] => {}
        ["quit" | "exit" | "q"] => return Ok(false),
        ["help"] => println!("{}", out.l.text("demo-help", &[])),
        ["sale", amount, rest @ ..] => {
            let amount = till.parse_amount(amount)?;
            let mut tip = Money::zero(cur);
            let mut means = PaymentMeans::Card;
            for w in rest {
                match PaymentMeans::from_id(w) {
                    Some(m) => means = m,
                    None => tip = till.parse_amount(w)?,
                }
            }
            let code = (means == PaymentMeans::QrCustomer).then(|| "284567890123456789".to_owned());
            out.txn(
                &till
                    .sale(SaleInput {
                        amount,
                        tip,
                        means,
                        qr_scheme: None,
                        code,
                    })
                    .await?,
            );
        }
        ["void", t] => {
            out.txn(&till.void(parse_trace(Some(t))?, &manager()).await?);
        }
        ["refund", t, rest @ ..] => {
            let amount = rest.first().map(|a| till.parse_amount(a)).transpose()?;
            out.txn(&till.refund(parse_trace(Some(t))?, amount, &manager()).await?);
        }
        ["history"] => out.history(&till.history(HistoryQuery::default())?, till.config()),
        ["reprint", t] => {
            out.txn(&till.reprint(parse_trace(Some(t))?).await?);
        }
        ["x"] => out.report(&till.x_report().await?),
        ["settle"] => out.report(&till.settle().await?),
        ["balance"] => out.balance(&till.balance().await?, till.config()),
        ["lang", tag] => {
            if let Some(lang) = Lang::from_tag(tag) {
                till.set_lang(lang);
                out.l = Localizer::new(lang);
            }
        }
        _ => println!("{}", out.l.text("demo-unknown-command", &[])),
    }
    Ok(true)
}

async fn interactive(till: &Till, out: &Out) -> Result<u8, TillError> {
    let mut out = Out::new(out.l, false, out.columns);
    println!("{}", out.l.text("demo-help", &[]));
    let stdin = std::io::stdin();
    loop {
        print!("till> ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        match command(till, &mut out, line.trim()).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => out.error(&e),
        }
    }
    println!("{}", out.l.text("demo-bye", &[]));
    Ok(0)
}

/// Starts `till-terminal-sim --pty` (next to this binary) and returns the child and a ZVT
/// driver on the pseudo-terminal it opened: the demo till then pays through real ZVT bytes.
pub fn spawn_zvt_simulator(
    dir: &std::path::Path,
) -> Result<
    (
        std::process::Child,
        std::sync::Arc<dyn till_domain::ports::PaymentTerminal>,
    ),
    TillError,
> {
    use std::io::BufRead as _;
    let exe = std::env::current_exe().map_err(|e| TillError::Config(e.to_string()))?;
    let sim = exe.with_file_name("till-terminal-sim");
    let mut child = std::process::Command::new(&sim)
        .args(["--pty", "--record"])
        .arg(dir.join("sim").join("zvt-terminal.jsonl"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            TillError::Config(format!(
                "{}: {e} (build it: cargo build -p till-terminal)",
                sim.display()
            ))
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| TillError::Config("no simulator output".into()))?;
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let path = line
        .trim()
        .strip_prefix("PTY ")
        .ok_or_else(|| TillError::Config(format!("simulator said {line:?}")))?
        .to_owned();
    let config = till_terminal::ZvtConfig::new(till_terminal::Connection::Serial { path, baud: 115_200 }, 344);
    Ok((child, std::sync::Arc::new(till_terminal::ZvtTerminal::new(config))))
}

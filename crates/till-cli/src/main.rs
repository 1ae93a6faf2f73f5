//! `till`: OpenTill's command line for integrators and technicians — every flow headless,
//! device diagnostics, and the demo till. Human output is localised (`--lang`); `--json` gives
//! machine output. Exit codes: 0 done, 1 transaction not approved, 2 refused input,
//! 3 authentication, 4 blocked by the host, 5 not found, 6 device, 7 journal or configuration,
//! 8 an earlier transaction is still unresolved.

mod bluetooth;
mod config;
mod demo;
mod devices;
mod output;
mod print;
mod qr;
mod sync;
mod terminal;
mod update;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use till::{Credentials, SaleInput, Sims, SystemClock, Till, TillError, TillOptions};
use till_domain::ports::{HostCommand, Progress, ProgressSink};
use till_domain::{DomainError, Money, PaymentMeans, QrScheme, Role, TraceNo};
use till_i18n::{Lang, Localizer};
use till_journal::HistoryQuery;

use output::Out;

#[derive(Debug, Parser)]
#[command(
    name = "till",
    version,
    about = "OpenTill: run payment flows, read history and reports, check the journal"
)]
struct Cli {
    /// Where the journal, configuration and simulator records live.
    #[arg(long, env = "TILL_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Language of human output: en, zh-Hant or zh-Hans (default: from LANG).
    #[arg(long, env = "TILL_LANG", global = true)]
    lang: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Operator id to act as.
    #[arg(long, env = "TILL_OPERATOR", global = true)]
    operator: Option<String>,
    /// The operator's PIN.
    #[arg(long, env = "TILL_PIN", global = true, hide_env_values = true)]
    pin: Option<String>,
    /// Receipt width in columns: 32 (58 mm paper) or 48 (80 mm).
    #[arg(long, global = true, default_value_t = 48)]
    columns: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// T1–T4: take a payment.
    Sale {
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long, allow_hyphen_values = true)]
        tip: Option<String>,
        /// card, qr-customer, qr-merchant, tap-and-go, stored-value or cash.
        #[arg(long)]
        means: String,
        /// For QR: alipay, wechat-pay, unionpay, fps, paynow.
        #[arg(long)]
        wallet: Option<String>,
        /// The customer's payment code (qr-customer), as a scanner would read it.
        #[arg(long)]
        code: Option<String>,
    },
    /// T6: void a same-batch sale (supervisor PIN).
    Void {
        #[arg(long)]
        trace: String,
        #[arg(long, env = "TILL_SUPERVISOR")]
        supervisor: Option<String>,
        #[arg(long, env = "TILL_SUPERVISOR_PIN", hide_env_values = true)]
        supervisor_pin: Option<String>,
    },
    /// T7: refund all or part of a sale (refund PIN).
    Refund {
        #[arg(long)]
        trace: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        #[arg(long, env = "TILL_REFUND_OPERATOR")]
        refund_operator: Option<String>,
        #[arg(long, env = "TILL_REFUND_PIN", hide_env_values = true)]
        refund_pin: Option<String>,
    },
    /// T9: today's transactions, or a search.
    History {
        #[arg(long)]
        trace: Option<String>,
        #[arg(long)]
        last4: Option<String>,
        #[arg(long)]
        auth: Option<String>,
        #[arg(long)]
        amount: Option<String>,
        /// A local date, YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
    },
    /// T9: print a transaction's receipts again, marked REPRINT.
    Reprint {
        #[arg(long)]
        trace: String,
    },
    /// T10: reports.
    Report {
        #[command(subcommand)]
        kind: ReportKind,
    },
    /// T10: settle the batch with the terminal and print the Z report.
    Settle,
    /// T5: stored-value card balance and last transactions.
    Balance,
    /// The journal.
    Journal {
        #[command(subcommand)]
        cmd: JournalCmd,
    },
    /// Operators and PINs.
    Operator {
        #[command(subcommand)]
        cmd: OperatorCmd,
    },
    /// Apply a back-office command by hand (S4, H3) — for technicians; needs a manager.
    Host {
        #[command(subcommand)]
        cmd: HostCmd,
    },
    /// T8: resolve unfinished transactions now and report them.
    Recover,
    /// Enrol this till with the back office (H3): the code is the one the portal showed.
    Enrol {
        /// The host's address, e.g. https://backoffice.example or http://127.0.0.1:8470.
        #[arg(long)]
        host: String,
        #[arg(long)]
        code: String,
    },
    /// Upload the journal to the host and apply its commands (S4); --watch keeps doing it.
    Sync {
        /// Keep syncing, backing off while the host is down.
        #[arg(long)]
        watch: bool,
        /// Only show the backlog.
        #[arg(long)]
        status: bool,
    },
    /// Ask the back office for a newer release (issue 14); --install downloads, verifies and
    /// installs it (a manager, never during a transaction); --download-only stops after verifying.
    Update {
        #[arg(long, conflicts_with = "download_only")]
        install: bool,
        #[arg(long)]
        download_only: bool,
        /// The updater: install this verified package once the program that started it has
        /// exited (its standard input closes), then start --relaunch again.
        #[arg(long, value_name = "PACKAGE", conflicts_with_all = ["install", "download_only"])]
        apply: Option<PathBuf>,
        #[arg(long, value_name = "APP", requires = "apply")]
        relaunch: Option<PathBuf>,
        /// An argument for --relaunch (repeated, in order).
        #[arg(long, value_name = "ARG", requires = "relaunch", allow_hyphen_values = true)]
        relaunch_arg: Vec<std::ffi::OsString>,
    },
    /// Check the operator's credentials (S1).
    Login,
    /// The demo till: an interactive session (or a scripted demo when stdin is not a terminal).
    Demo {
        /// Run the scripted demo even on a terminal.
        #[arg(long)]
        script: bool,
        /// Drive the ZVT terminal simulator over a pseudo-terminal instead of the in-process one.
        #[arg(long)]
        zvt: bool,
    },
    /// ZVT tools.
    Zvt {
        #[command(subcommand)]
        cmd: ZvtCmd,
    },
    /// nexo / Adyen Terminal API tools.
    Nexo {
        #[command(subcommand)]
        cmd: NexoCmd,
    },
    /// EMV tools.
    Emv {
        #[command(subcommand)]
        cmd: EmvCmd,
    },
    /// The receipt printer: render ESC/POS files, print a test page.
    Print {
        #[command(subcommand)]
        cmd: print::PrintCmd,
    },
    /// QR payments: read codes in images, explain a payload, make an FPS or PayNow code.
    Qr {
        #[command(subcommand)]
        cmd: qr::QrCmd,
    },
    /// till.toml: show it, or change one setting (checked, saved atomically, journaled).
    Config {
        #[command(subcommand)]
        cmd: config::ConfigCmd,
    },
    /// What is plugged into this machine: serial ports, USB printers, cameras.
    Devices {
        #[command(subcommand)]
        cmd: devices::DevicesCmd,
    },
    /// Bluetooth card readers: scan, pair, forget, status.
    Bluetooth {
        #[command(subcommand)]
        cmd: bluetooth::BluetoothCmd,
    },
    /// The configured PIN pad.
    Terminal {
        #[command(subcommand)]
        cmd: TerminalCmd,
    },
}

#[derive(Debug, Subcommand)]
enum ZvtCmd {
    /// Decode ZVT bytes (APDUs or a serial frame, hex) to JSON.
    Decode { hex: Vec<String> },
}

#[derive(Debug, Subcommand)]
enum NexoCmd {
    /// Print a Terminal API message (request or response, plain or encrypted) as typed JSON,
    /// card numbers masked. The passphrase may also come from OPENTILL_NEXO_PASSPHRASE.
    Decode {
        /// A file with the JSON message, or - for standard input.
        file: String,
        #[arg(long)]
        passphrase: Option<String>,
        /// Default: the message's own (from its SecurityTrailer).
        #[arg(long)]
        key_id: Option<String>,
        /// Default: the message's own.
        #[arg(long)]
        key_version: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
enum EmvCmd {
    /// Decode BER-TLV EMV data (hex) to JSON.
    Decode { hex: Vec<String> },
}

#[derive(Debug, Subcommand)]
enum TerminalCmd {
    /// Ask the terminal for its status.
    Status,
    /// Run the terminal's end-of-day.
    EndOfDay,
}

#[derive(Debug, Subcommand)]
enum ReportKind {
    /// PRINT SUMMARY: the open batch's totals.
    X,
}

#[derive(Debug, Subcommand)]
enum JournalCmd {
    /// Walk the hash chain and re-fold every event.
    Verify,
}

#[derive(Debug, Subcommand)]
enum OperatorCmd {
    List,
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// cashier, supervisor or manager.
        #[arg(long)]
        role: String,
        /// First PIN (6 digits), to be changed at first login.
        #[arg(long)]
        new_pin: String,
    },
    Remove {
        id: String,
    },
    /// Change the operator's PIN (--pin is the current one).
    ChangePin {
        #[arg(long)]
        new_pin: String,
    },
    /// Set the operator's refund PIN (--pin is the login PIN).
    RefundPin {
        #[arg(long)]
        new_pin: String,
    },
}

#[derive(Debug, Subcommand)]
enum HostCmd {
    BlockPos,
    UnblockPos,
    BlockRefund,
    UnblockRefund,
    ResetPin { operator: String },
    ResetRefundPin { operator: String },
}

/// Progress from the devices, shown as it happens on stderr.
#[derive(Debug)]
struct StderrProgress {
    l: Localizer,
    quiet: bool,
}

impl ProgressSink for StderrProgress {
    fn progress(&self, p: Progress) {
        if !self.quiet {
            eprintln!("… {}", self.l.text(p.message_id(), &[]));
        }
    }
}

fn lang_of(cli: &Cli) -> Result<Lang, String> {
    match &cli.lang {
        Some(tag) => Lang::from_tag(tag).ok_or_else(|| format!("--lang must be en, zh-Hant or zh-Hans, not {tag:?}")),
        None => Ok(std::env::var("LC_ALL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| std::env::var("LANG").ok())
            .map_or(Lang::En, |v| Lang::negotiate(&v))),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = match lang_of(&cli) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let out = Out::new(Localizer::new(lang), cli.json, cli.columns);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(7);
        }
    };
    match runtime.block_on(run(cli, lang, &out)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            out.error(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn creds(operator: Option<&String>, pin: Option<&String>) -> Result<Credentials, TillError> {
    match (operator, pin) {
        (Some(o), Some(p)) => Ok(Credentials {
            operator: o.clone(),
            pin: p.clone(),
        }),
        _ => Err(TillError::NotLoggedIn),
    }
}

fn trace(text: &str) -> Result<TraceNo, TillError> {
    TraceNo::parse(text).ok_or_else(|| DomainError::TraceInvalid { input: text.to_owned() }.into())
}

fn means(text: &str) -> Result<PaymentMeans, TillError> {
    PaymentMeans::from_id(text).ok_or_else(|| TillError::Input {
        what: "means",
        input: text.to_owned(),
    })
}

async fn run(cli: Cli, lang: Lang, out: &Out) -> Result<u8, TillError> {
    // Decoders need no till.
    match &cli.cmd {
        Cmd::Zvt {
            cmd: ZvtCmd::Decode { hex },
        } => return terminal::zvt_decode(&hex.concat()),
        Cmd::Emv {
            cmd: EmvCmd::Decode { hex },
        } => return terminal::emv_decode(&hex.concat()),
        Cmd::Nexo {
            cmd:
                NexoCmd::Decode {
                    file,
                    passphrase,
                    key_id,
                    key_version,
                },
        } => {
            let passphrase = passphrase
                .clone()
                .or_else(|| std::env::var("OPENTILL_NEXO_PASSPHRASE").ok());
            return terminal::nexo_decode(file, passphrase, key_id.clone(), *key_version);
        }
        Cmd::Print { cmd } => return print::run(cmd, &cli, out).await,
        Cmd::Qr { cmd } => return qr::run(cmd, out),
        Cmd::Devices { cmd } => return Ok(devices::run(cmd, out)),
        Cmd::Bluetooth { cmd } => return Ok(bluetooth::run(cmd, out).await),
        _ => {}
    }
    let dir = cli.data_dir.clone().unwrap_or_else(till::store::default_data_dir);
    // The updater waits for the app, which holds the till: it opens none.
    if let Cmd::Update {
        apply: Some(package),
        relaunch,
        relaunch_arg,
        ..
    } = &cli.cmd
    {
        let relaunch = relaunch.as_ref().map(|program| till_devices::update::Relaunch {
            program: program.clone(),
            args: relaunch_arg.clone(),
        });
        return Ok(update::apply(&dir, package, relaunch, out));
    }
    let config = till::store::load_or_create_config(&dir)?;
    let clock = Arc::new(SystemClock);
    let sims = Sims::open(Some(&dir.join("sim")), clock.clone(), config.currency, cli.columns)
        .map_err(|e| TillError::Config(e.to_string()))?;
    let currency_numeric = config.currency.numeric();
    let mut opts = TillOptions::new(config);
    opts.lang = lang;
    opts.clock = clock;
    opts.progress = Arc::new(StderrProgress {
        l: Localizer::new(lang),
        quiet: cli.json,
    });
    opts.qr_poll_interval = std::time::Duration::from_millis(200);
    let till_devices::Assembled { mut devices, host } =
        till_devices::assemble(&dir, &sims, currency_numeric, cli.columns)?;
    let zvt_demo = if let Cmd::Demo { zvt: true, .. } = &cli.cmd {
        Some(demo::spawn_zvt_simulator(&dir)?)
    } else {
        None
    };
    if let Some((_, terminal)) = &zvt_demo {
        devices.terminal = terminal.clone();
    }
    if let Some(display) = till_devices::display(&dir, &till_devices::display_section(&dir)?).await? {
        devices.display = display;
    }
    let till = Till::open_dir(&dir, devices, opts)?;
    let recovered = till.recover().await?;
    out.recovered(&recovered);

    let login = |till: &Till| -> Result<(), TillError> {
        let c = creds(cli.operator.as_ref(), cli.pin.as_ref())?;
        till.login(&c.operator, &c.pin).map(|_| ())
    };

    match &cli.cmd {
        Cmd::Sale {
            amount,
            tip,
            means: m,
            wallet: w,
            code,
        } => {
            let means = means(m)?;
            let amount = till.parse_amount(amount)?;
            let tip = match tip {
                Some(t) => till.parse_amount(t)?,
                None => Money::zero(till.config().currency),
            };
            login(&till)?;
            let input = SaleInput {
                amount,
                tip,
                means,
                qr_scheme: w.as_deref().and_then(QrScheme::from_id),
                code: code.clone(),
            };
            Ok(out.txn(&till.sale(input).await?))
        }
        Cmd::Void {
            trace: t,
            supervisor,
            supervisor_pin,
        } => {
            let t = trace(t)?;
            login(&till)?;
            let sup = creds(
                supervisor.as_ref().or(cli.operator.as_ref()),
                supervisor_pin.as_ref().or(cli.pin.as_ref()),
            )?;
            Ok(out.txn(&till.void(t, &sup).await?))
        }
        Cmd::Refund {
            trace: t,
            amount,
            refund_operator,
            refund_pin,
        } => {
            let t = trace(t)?;
            let amount = amount.as_deref().map(|a| till.parse_amount(a)).transpose()?;
            login(&till)?;
            let auth = creds(
                refund_operator.as_ref().or(cli.operator.as_ref()),
                refund_pin.as_ref().or(cli.pin.as_ref()),
            )?;
            Ok(out.txn(&till.refund(t, amount, &auth).await?))
        }
        Cmd::History {
            trace: t,
            last4,
            auth,
            amount,
            date,
        } => {
            let mut q = HistoryQuery::default();
            if let Some(t) = t {
                q.trace = Some(trace(t)?);
            }
            q.last4 = last4.clone();
            q.auth_code = auth.clone();
            if let Some(a) = amount {
                q.amount_minor = Some(till.parse_amount(a)?.minor);
            }
            if let Some(d) = date {
                let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| TillError::Input {
                    what: "date",
                    input: d.clone(),
                })?;
                let offset = till.config().offset();
                let start = day
                    .and_hms_opt(0, 0, 0)
                    .and_then(|t| t.and_local_timezone(offset).single());
                if let Some(s) = start {
                    q.from = Some(s.with_timezone(&chrono::Utc));
                    q.to = Some((s + chrono::Duration::days(1)).with_timezone(&chrono::Utc));
                }
            }
            login(&till)?;
            out.history(&till.history(q)?, till.config());
            Ok(0)
        }
        Cmd::Reprint { trace: t } => {
            let t = trace(t)?;
            login(&till)?;
            Ok(out.txn(&till.reprint(t).await?))
        }
        Cmd::Report { kind: ReportKind::X } => {
            login(&till)?;
            out.report(&till.x_report().await?);
            Ok(0)
        }
        Cmd::Settle => {
            login(&till)?;
            out.report(&till.settle().await?);
            Ok(0)
        }
        Cmd::Balance => {
            login(&till)?;
            out.balance(&till.balance().await?, till.config());
            Ok(0)
        }
        Cmd::Journal {
            cmd: JournalCmd::Verify,
        } => {
            let report = till.verify_journal()?;
            out.message(
                "journal-ok",
                &[("count", report.events.to_string())],
                &serde_json::json!({"events": report.events, "head": report.head}),
            );
            Ok(0)
        }
        Cmd::Operator { cmd } => operator(&till, &cli, cmd, out),
        Cmd::Host { cmd } => {
            login(&till)?;
            // Only a manager may stand in for the back office.
            till.operators()?;
            let command = match cmd {
                HostCmd::BlockPos => HostCommand::BlockPos,
                HostCmd::UnblockPos => HostCommand::UnblockPos,
                HostCmd::BlockRefund => HostCommand::BlockRefund,
                HostCmd::UnblockRefund => HostCommand::UnblockRefund,
                HostCmd::ResetPin { operator } => HostCommand::ResetPin {
                    operator: operator.clone(),
                },
                HostCmd::ResetRefundPin { operator } => HostCommand::ResetRefundPin {
                    operator: operator.clone(),
                },
            };
            let blocks = till.apply_host_command(&command)?;
            let l = till.localizer();
            let yn = |b: bool| l.text(if b { "yes" } else { "no" }, &[]);
            out.message(
                "blocks-now",
                &[("pos", yn(blocks.pos)), ("refund", yn(blocks.refund))],
                &serde_json::json!(blocks),
            );
            Ok(0)
        }
        Cmd::Enrol { host: url, code } => sync::enrol(&dir, till.config(), url, code, out).await,
        Cmd::Sync { watch, status } => sync::run(&till, host.clone(), &dir, *watch, *status, out).await,
        Cmd::Update {
            install, download_only, ..
        } => {
            if *install || *download_only {
                login(&till)?;
            }
            update::run(&till, host.clone(), &dir, *install, *download_only, out).await
        }
        Cmd::Recover => {
            if recovered.is_empty() {
                out.message("recovery-none", &[], &serde_json::json!({"recovered": []}));
            }
            Ok(0)
        }
        Cmd::Login => {
            login(&till)?;
            let s = till.session().ok_or(TillError::NotLoggedIn)?;
            out.message(
                "login-ok",
                &[("operator", s.operator.clone()), ("role", s.role.id().to_owned())],
                &serde_json::json!(s),
            );
            Ok(0)
        }
        Cmd::Demo { script, .. } => {
            let result = demo::run(&till, &sims, out, *script, &dir).await;
            if let Some((mut child, _)) = zvt_demo {
                let _ = child.kill();
                let _ = child.wait();
            }
            result
        }
        Cmd::Config { cmd } => {
            login(&till)?;
            config::run(cmd, &till, &dir, cli.columns, out).await
        }
        Cmd::Terminal {
            cmd: TerminalCmd::Status,
        } => {
            login(&till)?;
            terminal::status(&till, cli.json).await
        }
        Cmd::Terminal {
            cmd: TerminalCmd::EndOfDay,
        } => {
            login(&till)?;
            terminal::end_of_day(&till, cli.json).await
        }
        Cmd::Zvt { .. } | Cmd::Emv { .. } | Cmd::Nexo { .. } => Ok(0),
        Cmd::Print { .. } => Ok(0),
        Cmd::Qr { .. } | Cmd::Devices { .. } | Cmd::Bluetooth { .. } => Ok(0),
    }
}

fn operator(till: &Till, cli: &Cli, cmd: &OperatorCmd, out: &Out) -> Result<u8, TillError> {
    let c = creds(cli.operator.as_ref(), cli.pin.as_ref())?;
    match cmd {
        OperatorCmd::ChangePin { new_pin } => {
            till.change_pin(&c.operator, &c.pin, new_pin)?;
            out.message(
                "pin-changed",
                &[("operator", c.operator.clone())],
                &serde_json::json!({"operator": c.operator}),
            );
        }
        OperatorCmd::RefundPin { new_pin } => {
            till.set_refund_pin(&c.operator, &c.pin, new_pin)?;
            out.message(
                "pin-changed",
                &[("operator", c.operator.clone())],
                &serde_json::json!({"operator": c.operator}),
            );
        }
        OperatorCmd::List => {
            till.login(&c.operator, &c.pin)?;
            out.operators(&till.operators()?);
        }
        OperatorCmd::Add {
            id,
            name,
            role,
            new_pin,
        } => {
            let role = Role::from_id(role).ok_or_else(|| TillError::Input {
                what: "role",
                input: role.clone(),
            })?;
            till.login(&c.operator, &c.pin)?;
            till.add_operator(id, name, role, new_pin)?;
            out.message(
                "operator-added",
                &[("operator", id.clone()), ("role", role.id().to_owned())],
                &serde_json::json!({"operator": id}),
            );
        }
        OperatorCmd::Remove { id } => {
            till.login(&c.operator, &c.pin)?;
            till.remove_operator(id)?;
            out.message(
                "operator-removed",
                &[("operator", id.clone())],
                &serde_json::json!({"operator": id}),
            );
        }
    }
    Ok(0)
}

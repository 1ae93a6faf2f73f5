//! S0: a shop's first start. A new data folder opens the setup wizard; the owner sets the till
//! up in 繁體中文 — the shop, the manager's PIN, a ZVT PIN pad on the network (the terminal
//! simulator over TCP) and a network receipt printer (a listener that answers as an ESC/POS
//! printer does), each tested — and the till's first card sale goes through that PIN pad.
//! Skipping setup makes the demo till.

use crate::flows_support::{amount, content, pay};
use crate::support::{App, Error, Launch, Size, TestResult, key};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const PIN: &str = "135790";

/// The ZVT terminal simulator on a loopback port or a pseudo-terminal, killed on drop.
pub struct PinPad {
    child: Child,
    /// `host:port`, or the pseudo-terminal's path (`/dev/pts/N`).
    pub address: String,
}

impl PinPad {
    pub fn start() -> Result<PinPad, Error> {
        PinPad::spawn(&["--tcp", "127.0.0.1:0"], "TCP ")
    }

    /// The simulator at the other end of a pseudo-terminal: a PIN pad on a "serial port".
    pub fn start_pty() -> Result<PinPad, Error> {
        PinPad::spawn(&["--pty"], "PTY ")
    }

    fn spawn(args: &[&str], said: &str) -> Result<PinPad, Error> {
        let app = crate::support::app_binary();
        let sim = app.with_file_name("till-terminal-sim");
        if !sim.exists() {
            return Err(format!(
                "{} is not built: cargo build -p till-terminal --bin till-terminal-sim (cargo xtask test builds it)",
                sim.display()
            )
            .into());
        }
        let mut child = Command::new(&sim)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
        let address = line
            .trim()
            .strip_prefix(said)
            .ok_or(format!("the simulator said {line:?}"))?
            .to_owned();
        Ok(PinPad { child, address })
    }
}

impl Drop for PinPad {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A network receipt printer: answers DLE EOT status requests "ready" and GS r 1 "paper
/// adequate", and counts and keeps the other bytes it is sent.
pub struct Printer {
    pub address: String,
    pub printed: Arc<AtomicUsize>,
    pub bytes: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
}

impl Printer {
    pub fn start() -> Result<Printer, Error> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?.to_string();
        listener.set_nonblocking(true)?;
        let printed = Arc::new(AtomicUsize::new(0));
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, kept, stopped) = (printed.clone(), bytes.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::park_timeout(std::time::Duration::from_millis(10));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
                let mut seen = [0u8; 2];
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    for &b in &buf[..n] {
                        if seen == [0x10, 0x04] && (1..=4).contains(&b) {
                            let _ = s.write_all(&[0x12]);
                        } else if seen == [0x1d, 0x72] && (b == 1 || b == b'1') {
                            let _ = s.write_all(&[0x00]);
                        } else {
                            kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(b);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        seen = [seen[1], b];
                    }
                }
            }
        });
        Ok(Printer {
            address,
            printed,
            bytes,
            stop,
        })
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Picks `value` in the `<select>` at `css`, as a tap on its option does.
pub fn choose(app: &App, css: &str, value: &str) -> TestResult {
    // Scrolled to first, as a person scrolls to a list below the fold.
    app.execute(
        "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({ block: 'center' });",
        vec![css.into()],
    )?;
    app.click(&format!("{css} option[value='{value}']"))?;
    app.wait_until(&format!("{css} = {value}"), || {
        let v = app.execute("return document.querySelector(arguments[0]).value;", vec![css.into()])?;
        Ok((v.as_str() == Some(value)).then_some(()))
    })
}

#[test]
fn a_new_till_is_set_up_in_the_app_and_its_first_card_sale_goes_through_the_pin_pad_it_was_given() -> TestResult {
    let pad = PinPad::start()?;
    let printer = Printer::start()?;
    let dir = crate::support::temp_dir("setup-wizard")?;
    let app = App::launch_with(Launch::new(Size::XGA).data_dir(&dir).first_start())?;
    app.wait_attribute("[data-testid=setup]", "data-step", "language")?;
    app.click("[data-testid=setup-lang-zh-Hant]")?;
    app.wait_attribute("[data-testid=setup]", "data-lang", "zh-Hant")?;
    app.wait_until("the wizard in 繁體中文", || {
        Ok(content(&app, "[data-testid=setup-next]")?
            .contains("下一步")
            .then_some(()))
    })?;
    // Painted, not only in the DOM: two animation frames later.
    app.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )?;
    app.screenshot("setup-1-language-zh-Hant")?;
    app.click("[data-testid=setup-next]")?;

    // The shop: nothing left empty.
    app.wait_attribute("[data-testid=setup]", "data-step", "shop")?;
    app.click("[data-testid=setup-next]")?;
    app.wait_attribute("[data-testid=setup-error]", "data-code", "setup-missing")?;
    app.type_into("[data-testid=setup-shop-name]", "茶居 Tea House")?;
    app.type_into("[data-testid=setup-address]", "香港中環皇后大道中 88 號")?;
    app.type_into("[data-testid=setup-merchant-id]", "123456789012345")?;
    app.type_into("[data-testid=setup-terminal-id]", "29000001")?;
    app.set_value("[data-testid=setup-till-id]", "FRONT-1")?;
    app.click("[data-testid=setup-paper-58mm]")?;
    app.screenshot("setup-2-shop-zh-Hant")?;
    app.click("[data-testid=setup-next]")?;

    // The manager's PIN, typed twice.
    app.wait_attribute("[data-testid=setup]", "data-step", "operator")?;
    app.type_into("[data-testid=setup-pin]", PIN)?;
    app.type_into("[data-testid=setup-pin-again]", "135791")?;
    app.click("[data-testid=setup-next]")?;
    app.wait_attribute("[data-testid=setup-error]", "data-code", "pin-mismatch")?;
    app.set_value("[data-testid=setup-pin-again]", PIN)?;
    app.click("[data-testid=setup-next]")?;

    // Devices: a PIN pad that does not answer is reported; the right one answers.
    app.wait_attribute("[data-testid=setup]", "data-step", "devices")?;
    choose(&app, "[data-testid=setup-terminal-kind]", "zvt-tcp")?;
    let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    app.type_into("[data-testid=setup-terminal-address]", &closed)?;
    app.click("[data-testid=setup-terminal-test]")?;
    app.wait_attribute("[data-testid=setup-terminal-result]", "data-ok", "false")?;
    let said = content(&app, "[data-testid=setup-terminal-result]")?;
    assert!(
        said.contains("密碼鍵盤"),
        "the failure names the PIN pad, in 繁體中文: {said}"
    );
    app.set_value("[data-testid=setup-terminal-address]", &pad.address)?;
    app.click("[data-testid=setup-terminal-test]")?;
    app.wait_attribute("[data-testid=setup-terminal-result]", "data-ok", "true")?;
    choose(&app, "[data-testid=setup-printer-kind]", "tcp")?;
    app.type_into("[data-testid=setup-printer-address]", &printer.address)?;
    app.click("[data-testid=setup-printer-test]")?;
    app.wait_attribute("[data-testid=setup-printer-result]", "data-ok", "true")?;
    app.screenshot("setup-3-devices-zh-Hant")?;
    app.click("[data-testid=setup-finish]")?;

    // The till is set up: the login screen of FRONT-1, the manager's new PIN works at once.
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    let hint = content(&app, "[data-testid=login] .muted")?;
    assert!(hint.contains("FRONT-1"), "{hint}");
    let settings = std::fs::read_to_string(dir.join("till.toml"))?;
    for expected in [
        "till_id = \"FRONT-1\"",
        "name = \"茶居 Tea House\"",
        "kind = \"zvt\"",
        &format!("address = \"{}\"", pad.address),
        &format!("address = \"{}\"", printer.address),
        "paper = \"58mm\"",
    ] {
        assert!(settings.contains(expected), "{expected} in till.toml:\n{settings}");
    }
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    let before = printer.printed.load(Ordering::SeqCst);
    amount(&app, "12.00")?;
    let status = pay(&app, "card")?;
    assert_eq!(
        status, "approved",
        "the first card sale, through the ZVT PIN pad set up above"
    );
    app.screenshot("setup-4-first-sale-zh-Hant")?;
    app.wait_until("the receipts on the network printer", || {
        Ok((printer.printed.load(Ordering::SeqCst) > before + 200).then_some(()))
    })?;
    Ok(())
}

#[test]
fn skipping_setup_makes_the_demo_till_and_a_set_up_till_never_shows_the_wizard_again() -> TestResult {
    let dir = crate::support::temp_dir("setup-demo")?;
    let mut app = App::launch_with(Launch::new(Size::XGA).data_dir(&dir).first_start())?;
    app.wait_attribute("[data-testid=setup]", "data-step", "language")?;
    app.click("[data-testid=setup-demo]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    let hint = content(&app, "[data-testid=login] .muted")?;
    assert!(hint.contains("DEMO-01"), "{hint}");
    // Started again on the same folder (still without --demo): the till, not the wizard.
    app.restart()?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    assert!(
        app.find_all("[data-testid=setup]")?.is_empty(),
        "no wizard on a till that is set up"
    );
    Ok(())
}

//! A shop's first hour, through the UI only, from an empty data folder: a real back office
//! (`till-host` over a PostgreSQL cluster started here) where the owner activates their
//! account, creates the shop and has the portal's "Set up POS" make an activation code; the
//! wizard in 繁體中文 enrols with it (a wrong code first: refused and said so) and takes the
//! shop's name and address from the host; the PIN pad is picked from the serial-port list — a
//! pseudo-terminal whose other end is the ZVT simulator — and tested; a TCP 9100 printer (a
//! listener here that keeps the bytes) is tested; the first card sale prints there and reaches
//! the host. Then Settings: the manager moves the printer to another address (a malformed
//! address and one that does not answer are refused first, nothing changed), and the next
//! receipt prints at the new one without a restart; the journal records who changed what. At
//! last the till leaves the back office and enrols again in Settings (the used code refused).

use crate::flows_support::{amount, content, new_sale, painted, pay};
use crate::setup::{PinPad, Printer, choose};
use crate::support::{App, Error, Launch, Size, TestResult, key};
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use till_testkit::office::Office;

const PIN: &str = "246810";
const OWNER: &str = "owner@tea.example";
const SHOP: &str = "茶居 Tea House";
const ADDRESS: &str = "香港中環皇后大道中 88 號";

/// The back office of the first hour: Tea House Ltd, owned by OWNER.
fn office() -> Result<Office, Error> {
    Office::start(
        &crate::support::app_binary().with_file_name("till-host"),
        "Tea House Ltd",
        OWNER,
    )
}

/// The portal's "create shop" and "Set up POS": the activation code it shows.
fn activation_code(office: &Office, owner: &str) -> Result<String, Error> {
    office.pos_code(owner, &office.create_shop(owner, SHOP, ADDRESS)?)
}

#[test]
fn a_shop_sets_up_its_till_with_the_back_office_and_its_first_card_sale_reaches_printer_and_host() -> TestResult {
    let office = office()?;
    let owner = office.owner_session()?;
    let code = activation_code(&office, &owner)?;
    let pad = PinPad::start_pty()?;
    let printer = Printer::start()?;
    let dir = crate::support::temp_dir("first-hour")?;
    let app = App::launch_with(Launch::new(Size::XGA).data_dir(&dir).first_start())?;

    app.wait_attribute("[data-testid=setup]", "data-step", "language")?;
    app.click("[data-testid=setup-lang-zh-Hant]")?;
    app.wait_attribute("[data-testid=setup]", "data-lang", "zh-Hant")?;
    app.click("[data-testid=setup-next]")?;

    // Enrolment: a wrong code is refused and said so, in 繁體中文; the portal's code works.
    app.wait_attribute("[data-testid=setup]", "data-step", "shop")?;
    app.type_into("[data-testid=setup-host-url]", &office.url())?;
    let last = if code.ends_with('1') { '2' } else { '1' };
    let wrong = format!("{}{last}", &code[..code.len() - 1]);
    app.type_into("[data-testid=setup-activation-code]", &wrong)?;
    app.click("[data-testid=setup-enrol-button]")?;
    app.wait_attribute("[data-testid=setup-error]", "data-code", "activation-code-wrong")?;
    let said = content(&app, "[data-testid=setup-error]")?;
    assert!(said.contains("啟用碼"), "the refusal is in 繁體中文: {said}");
    painted(&app)?;
    app.screenshot("first-hour-1-wrong-code-zh-Hant")?;
    app.set_value("[data-testid=setup-activation-code]", &code)?;
    app.click("[data-testid=setup-enrol-button]")?;
    app.wait_attribute("[data-testid=setup-enrol]", "data-enrolled", "true")?;
    let filled = app.execute(
        "return [document.querySelector('[data-testid=setup-shop-name]').value, document.querySelector('[data-testid=setup-address]').value];",
        vec![],
    )?;
    assert_eq!(
        filled,
        serde_json::json!([SHOP, ADDRESS]),
        "the shop comes from the back office"
    );
    app.type_into("[data-testid=setup-merchant-id]", "123456789012345")?;
    app.type_into("[data-testid=setup-terminal-id]", "29000001")?;
    painted(&app)?;
    app.screenshot("first-hour-2-enrolled-zh-Hant")?;
    app.click("[data-testid=setup-next]")?;

    app.wait_attribute("[data-testid=setup]", "data-step", "operator")?;
    app.type_into("[data-testid=setup-pin]", PIN)?;
    app.type_into("[data-testid=setup-pin-again]", PIN)?;
    app.click("[data-testid=setup-next]")?;

    // The PIN pad from the list of serial ports: the simulator's pseudo-terminal.
    app.wait_attribute("[data-testid=setup]", "data-step", "devices")?;
    choose(&app, "[data-testid=setup-terminal-kind]", "zvt-serial")?;
    choose(&app, "[data-testid=setup-terminal-port]", &pad.address)?;
    app.click("[data-testid=setup-terminal-test]")?;
    app.wait_attribute("[data-testid=setup-terminal-result]", "data-ok", "true")?;
    choose(&app, "[data-testid=setup-printer-kind]", "tcp")?;
    app.type_into("[data-testid=setup-printer-address]", &printer.address)?;
    app.click("[data-testid=setup-printer-test]")?;
    app.wait_attribute("[data-testid=setup-printer-result]", "data-ok", "true")?;
    painted(&app)?;
    app.screenshot("first-hour-3-devices-zh-Hant")?;
    app.click("[data-testid=setup-finish]")?;

    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    let settings = std::fs::read_to_string(dir.join("till.toml"))?;
    for expected in [
        format!("name = \"{SHOP}\""),
        format!("path = \"{}\"", pad.address),
        format!("url = \"{}\"", office.url()),
    ] {
        assert!(settings.contains(&expected), "{expected} in till.toml:\n{settings}");
    }
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;

    // The first card sale: through the pseudo-terminal, printed on the network printer.
    let before = printer.printed.load(Ordering::SeqCst);
    amount(&app, "38.50")?;
    assert_eq!(pay(&app, "card")?, "approved", "the first card sale");
    painted(&app)?;
    app.screenshot("first-hour-4-first-sale-zh-Hant")?;
    app.wait_until("the receipt on the network printer", || {
        let bytes = printer.bytes.lock().map_err(|e| e.to_string())?;
        Ok(
            (printer.printed.load(Ordering::SeqCst) > before + 200 && bytes.windows(5).any(|w| w == b"38.50"))
                .then_some(()),
        )
    })?;
    // ... and in the back office.
    app.wait_until("the sale in the portal's transactions", || {
        let page = office.http("GET", "/transactions", Some(&owner), None)?;
        Ok((page.status == 200 && page.body.contains("38.50")).then_some(()))
    })?;

    // Settings: the printer moves. A malformed address and one that does not answer are
    // refused (nothing changed); the new printer is tested, saved and used at once.
    let moved = Printer::start()?;
    new_sale(&app)?;
    app.click("[data-testid=tab-settings]")?;
    app.wait_for("[data-testid=device-printer-change]")?;
    app.click("[data-testid=device-printer-change]")?;
    app.wait_attribute("[data-testid=settings-printer-editor]", "data-loaded", "true")?;
    let was = std::fs::read(dir.join("till.toml"))?;
    app.set_value("[data-testid=settings-printer-address]", "not an address")?;
    app.click("[data-testid=settings-printer-save]")?;
    app.wait_for("[data-testid=settings-printer-error]")?;
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        was,
        "a malformed address changes nothing"
    );
    let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    app.set_value("[data-testid=settings-printer-address]", &closed)?;
    app.click("[data-testid=settings-printer-save]")?;
    app.wait_until("the silent printer refused", || {
        let said = content(&app, "[data-testid=settings-printer-error]").unwrap_or_default();
        Ok(said.contains("打印機").then_some(said))
    })?;
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        was,
        "a printer that does not answer changes nothing"
    );
    app.set_value("[data-testid=settings-printer-address]", &moved.address)?;
    app.click("[data-testid=settings-printer-test]")?;
    app.wait_attribute("[data-testid=settings-printer-result]", "data-ok", "true")?;
    // The receipt's own lines and the printer's Chinese firmware; a logo that is not a
    // picture on this till is refused first.
    choose(&app, "[data-testid=settings-printer-chinese]", "big5")?;
    app.type_into("[data-testid=settings-printer-logo]", "/nonexistent/logo.png")?;
    app.click("[data-testid=settings-printer-save]")?;
    app.wait_attribute("[data-testid=settings-printer-error]", "data-code", "bad-setting-logo")?;
    assert_eq!(std::fs::read(dir.join("till.toml"))?, was, "a bad logo changes nothing");
    app.set_value("[data-testid=settings-printer-logo]", "")?;
    app.type_into("[data-testid=settings-printer-header]", "Open daily 9:00-22:00")?;
    app.type_into("[data-testid=settings-printer-footer]", "Follow us: tea.example")?;
    app.click("[data-testid=settings-printer-save]")?;
    app.wait_for("[data-testid=settings-printer-saved]")?;
    painted(&app)?;
    app.screenshot("first-hour-5-printer-moved-zh-Hant")?;
    let settings = std::fs::read_to_string(dir.join("till.toml"))?;
    for expected in [moved.address.as_str(), "chinese = \"big5\"", "Open daily 9:00-22:00"] {
        assert!(settings.contains(expected), "{expected} in till.toml:\n{settings}");
    }

    app.click("[data-testid=tab-sale]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    let old_printer = printer.printed.load(Ordering::SeqCst);
    amount(&app, "12.30")?;
    assert_eq!(pay(&app, "cash")?, "approved");
    app.wait_until("the next receipt at the moved printer, with its own lines", || {
        let bytes = moved.bytes.lock().map_err(|e| e.to_string())?;
        let has = |s: &[u8]| bytes.windows(s.len()).any(|w| w == s);
        Ok((has(b"12.30") && has(b"Open daily 9:00-22:00") && has(b"Follow us: tea.example")).then_some(()))
    })?;
    assert_eq!(
        printer.printed.load(Ordering::SeqCst),
        old_printer,
        "nothing more went to the old printer"
    );

    // Back office in Settings: the till leaves it (its credential is gone from till.toml), then
    // enrols again — the code it used first is refused as used, a new one from the portal works.
    new_sale(&app)?;
    app.click("[data-testid=tab-settings]")?;
    app.wait_attribute("[data-testid=settings-host]", "data-enrolled", "true")?;
    app.click("[data-testid=settings-host-leave]")?;
    app.click("[data-testid=settings-host-leave-confirm]")?;
    app.wait_attribute("[data-testid=settings-host]", "data-enrolled", "false")?;
    let settings = std::fs::read_to_string(dir.join("till.toml"))?;
    assert!(
        !settings.contains("token"),
        "no credential is kept after leaving:\n{settings}"
    );
    app.type_into("[data-testid=settings-host-url-input]", &office.url())?;
    app.type_into("[data-testid=settings-host-code]", &code)?;
    app.click("[data-testid=settings-host-enrol]")?;
    app.wait_attribute("[data-testid=settings-host-error]", "data-code", "activation-code-used")?;
    let again = activation_code(&office, &owner)?;
    app.set_value("[data-testid=settings-host-code]", &again)?;
    app.click("[data-testid=settings-host-enrol]")?;
    app.wait_attribute("[data-testid=settings-host]", "data-enrolled", "true")?;
    app.wait_attribute("[data-testid=settings-host-state]", "data-synced", "true")?;
    painted(&app)?;
    app.screenshot("first-hour-6-enrolled-again-zh-Hant")?;
    drop(app);
    // The journal says who changed the printer (operator 1), from what to what.
    let journal = till_journal::Journal::open(&dir.join("journal.sqlite"))?;
    let changes: Vec<String> = journal
        .events_after(0, 100_000)?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.contains("\"setting\"") && e.contains("\"printer\""))
        .collect();
    assert!(
        changes
            .iter()
            .any(|e| e.contains("\"operator\":\"1\"") && e.contains(&moved.address) && e.contains(&printer.address)),
        "the printer change is journaled with who, from and to: {changes:?}"
    );
    Ok(())
}

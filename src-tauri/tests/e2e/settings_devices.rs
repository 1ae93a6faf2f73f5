//! T13: the PIN pad changed in Settings by the manager, without a restart. A port that went
//! away after the list was read and a port another program holds open are each refused with a
//! clear error and till.toml left byte for byte; the port that works is tested, saved and used
//! by the next sale. A change asked for while a sale is in flight waits for it to end, and the
//! journal records it after the sale. A cashier is offered no change and is refused one.

use crate::flows_support::*;
use crate::setup::{PinPad, choose};
use crate::support::*;
use std::path::Path;
use std::process::{Child, Command};

/// A program that keeps a port open (as a terminal program left running would); killed on drop.
struct Holder(Child);

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `setting` events of the journal, as JSON.
pub fn settings_journaled(dir: &Path) -> Result<Vec<(u64, String)>, Error> {
    let journal = till_journal::Journal::open(&dir.join("journal.sqlite"))?;
    Ok(journal
        .events_after(0, 100_000)?
        .into_iter()
        .filter(|(_, e)| e.contains("\"kind\":\"setting\""))
        .collect())
}

#[test]
fn the_pin_pad_changes_in_settings_refusing_a_missing_or_busy_port_and_waiting_for_a_sale() -> TestResult {
    let gone = PinPad::start_pty()?;
    let busy = PinPad::start_pty()?;
    let pad = PinPad::start_pty()?;
    // Cents 57: the demo's simulated customer never presents the card, so that sale stays in
    // flight until it is cancelled.
    let app = logged_in(quick(Size::XGA))?;
    let dir = app.data_dir().to_owned();
    app.click("[data-testid=tab-settings]")?;
    app.click("[data-testid=device-terminal-change]")?;
    app.wait_attribute("[data-testid=settings-terminal-editor]", "data-loaded", "true")?;
    choose(&app, "[data-testid=settings-terminal-kind]", "zvt-serial")?;
    let was = std::fs::read(dir.join("till.toml"))?;

    // A port unplugged after the list was read.
    choose(&app, "[data-testid=settings-terminal-port]", &gone.address)?;
    let gone_path = gone.address.clone();
    drop(gone);
    app.wait_until("the unplugged port gone", || {
        Ok((!Path::new(&gone_path).exists()).then_some(()))
    })?;
    app.click("[data-testid=settings-terminal-save]")?;
    app.wait_attribute(
        "[data-testid=settings-terminal-error]",
        "data-code",
        "bad-setting-port-missing",
    )?;
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        was,
        "a missing port changes nothing"
    );

    // A port another program has open.
    let _holder = Holder(
        Command::new("sleep")
            .arg("600")
            .stdin(std::fs::File::open(&busy.address)?)
            .spawn()?,
    );
    choose(&app, "[data-testid=settings-terminal-port]", &busy.address)?;
    app.click("[data-testid=settings-terminal-save]")?;
    app.wait_attribute(
        "[data-testid=settings-terminal-error]",
        "data-code",
        "bad-setting-port-busy",
    )?;
    let said = app.text("[data-testid=settings-terminal-error]")?;
    assert!(
        said.contains("sleep") && said.contains(&busy.address),
        "who holds it: {said}"
    );
    app.screenshot("settings-terminal-busy")?;
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        was,
        "a busy port changes nothing"
    );

    // The PIN pad's own port: tested, then the change is asked for while a sale is in flight.
    choose(&app, "[data-testid=settings-terminal-port]", &pad.address)?;
    app.click("[data-testid=settings-terminal-test]")?;
    app.wait_attribute("[data-testid=settings-terminal-result]", "data-ok", "true")?;
    app.click("[data-testid=tab-sale]")?;
    amount(&app, "25.57")?;
    app.click("[data-testid=pay-card]")?;
    app.wait_attribute("[data-testid=progress-message]", "data-step", "present-card")?;
    // The manager's change, as Settings sends it, while the customer is at the PIN pad.
    app.execute(
        "window.__change = 'waiting'; \
         window.__TAURI_INTERNALS__.invoke('set_device', { change: { device: 'terminal', terminal: { kind: 'zvt-serial', path: arguments[0], baud: 9600, stop_bits: 1 } } }) \
           .then(() => { window.__change = 'saved'; }, (e) => { window.__change = 'refused ' + JSON.stringify(e); });",
        vec![serde_json::json!(pad.address)],
    )?;
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        was,
        "nothing is written while the sale is in flight"
    );
    app.click("[data-testid=flow-cancel]")?;
    result_status(&app)?;
    app.wait_until("the change, once the sale ended", || {
        let v = app.execute("return window.__change;", vec![])?;
        Ok(v.as_str().filter(|s| *s != "waiting").map(str::to_owned))
    })
    .and_then(|v| if v == "saved" { Ok(()) } else { Err(v.into()) })?;
    let settings = std::fs::read_to_string(dir.join("till.toml"))?;
    assert!(settings.contains(&format!("path = \"{}\"", pad.address)), "{settings}");
    assert!(
        settings.contains("stop_bits = 1"),
        "the pad's 8N1 line is kept: {settings}"
    );

    // The next sale goes through the new PIN pad at once: no restart.
    new_sale(&app)?;
    amount(&app, "21.00")?;
    assert_eq!(
        pay(&app, "card")?,
        "approved",
        "a sale through the PIN pad on {}",
        pad.address
    );
    new_sale(&app)?;

    // A cashier sees no Change button, and the till refuses them one.
    app.click("[data-testid=tab-settings]")?;
    app.type_into("[data-testid=operator-new-id]", "7")?;
    app.type_into("[data-testid=operator-new-name]", "Ada")?;
    choose(&app, "[data-testid=operator-new-role]", "cashier")?;
    app.type_into("[data-testid=operator-new-pin]", "357913")?;
    app.click("[data-testid=operator-add]")?;
    app.wait_for("[data-testid=operator-7]")?;
    app.click("[data-testid=logout]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.type_into("[data-testid=login-operator]", "7")?;
    app.type_into("[data-testid=login-pin]", &format!("357913{}", key::ENTER))?;
    app.wait_for("[data-testid=pin-change]")?;
    app.type_into("[data-testid=pin-change-new]", "864213")?;
    app.type_into("[data-testid=pin-change-again]", &format!("864213{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    app.click("[data-testid=tab-settings]")?;
    app.wait_for("[data-testid=device-terminal-test]")?;
    assert!(
        app.find_all("[data-testid=device-terminal-change]")?.is_empty(),
        "no Change for a cashier"
    );
    let before = std::fs::read(dir.join("till.toml"))?;
    let refused = app.execute_async(
        "const done = arguments[arguments.length - 1]; \
         window.__TAURI_INTERNALS__.invoke('set_device', { change: { device: 'terminal', terminal: { kind: 'simulator' } } }) \
           .then(() => done('saved'), (e) => done(e.code));",
        vec![],
    )?;
    assert_eq!(refused.as_str(), Some("permission-denied"));
    assert_eq!(
        std::fs::read(dir.join("till.toml"))?,
        before,
        "the cashier changed nothing"
    );
    drop(app);

    // The journal: one change of the PIN pad, by operator 1, after the sale it waited for.
    let changes = settings_journaled(&dir)?;
    let terminal: Vec<&(u64, String)> = changes
        .iter()
        .filter(|(_, e)| e.contains("\"key\":\"terminal\""))
        .collect();
    assert_eq!(terminal.len(), 1, "{changes:?}");
    let (seq, event) = terminal[0];
    assert!(
        event.contains("\"operator\":\"1\"") && event.contains(&pad.address),
        "{event}"
    );
    let journal = till_journal::Journal::open(&dir.join("journal.sqlite"))?;
    let mut first_txn = None;
    let mut sale_ended = 0;
    for (s, e) in journal.events_after(0, 100_000)? {
        let v: serde_json::Value = serde_json::from_str(&e)?;
        let body = v.get("body").unwrap_or(&v);
        if body["kind"] != "txn" {
            continue;
        }
        let id = body["id"].to_string();
        if first_txn.get_or_insert_with(|| id.clone()) == &id {
            sale_ended = s;
        }
    }
    assert!(
        *seq > sale_ended,
        "the change ({seq}) is journaled after the sale in flight ended ({sale_ended})"
    );
    Ok(())
}

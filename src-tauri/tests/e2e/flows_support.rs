//! Steps every flow test shares: the first login of a new till (S1: the default PIN, last 4 of
//! the serial, must be changed), typing an amount, paying, reading the result.

use crate::support::*;

/// The PIN the tests choose at first login.
pub const PIN: &str = "246810";

/// The demo till's default PIN: the last 4 digits of its serial (OT2026000001).
pub const DEFAULT_PIN: &str = "0001";

/// A simulated customer who takes 150 ms per step at the PIN pad: quick, yet every prompt is
/// shown.
pub fn quick(size: Size) -> Launch {
    Launch::new(size).env("OPENTILL_SIM_PACE_MS", "150")
}

/// Launches a new till and logs operator 1 in, changing the default PIN first.
pub fn logged_in(launch: Launch) -> Result<App, Error> {
    let app = App::launch_with(launch)?;
    first_login(&app)?;
    Ok(app)
}

pub fn first_login(app: &App) -> TestResult {
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{DEFAULT_PIN}{}", key::ENTER))?;
    app.wait_for("[data-testid=pin-change]")?;
    app.type_into("[data-testid=pin-change-new]", PIN)?;
    app.type_into("[data-testid=pin-change-again]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    Ok(())
}

/// Types an amount on the sale screen with the keyboard (the screen takes keys wherever the
/// focus is), after clearing what was there.
pub fn amount(app: &App, text: &str) -> TestResult {
    app.wait_for("[data-testid=sale-screen]")?;
    app.keys(&format!("{}{text}", key::DELETE))?;
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    // Every digit typed (the screen may add zeros: 12.5 shows as HK$12.50), so an older amount
    // that starts the same way is not taken for this one.
    let typed = digits(text);
    app.wait_until(&format!("the amount {text} on screen"), || {
        let shown = digits(&content(app, "[data-testid=sale-amount-value]")?);
        Ok(shown.starts_with(&typed).then_some(()))
    })
}

/// An element's text content, also when it is empty (an empty element is not "displayed").
pub fn content(app: &App, css: &str) -> Result<String, Error> {
    let v = app.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        vec![serde_json::json!(css)],
    )?;
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {css} on the page").into())
}

/// Pays the amount on screen by `means` (a `pay-…` button) and waits for the result screen;
/// returns its `data-status`.
pub fn pay(app: &App, means: &str) -> Result<String, Error> {
    app.click(&format!("[data-testid=pay-{means}]"))?;
    result_status(app)
}

pub fn result_status(app: &App) -> Result<String, Error> {
    app.wait_for("[data-testid=result-screen]")?;
    Ok(app
        .find("[data-testid=result-screen]")?
        .attribute("data-status")?
        .unwrap_or_default())
}

/// The screen's `data-screen`.
pub fn screen(app: &App) -> Result<String, Error> {
    Ok(app
        .find("[data-testid=app]")?
        .attribute("data-screen")?
        .unwrap_or_default())
}

/// Back to the sale screen from a result.
pub fn new_sale(app: &App) -> TestResult {
    app.click("[data-testid=result-done]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")
}

/// A sale paid by cash or card and back on the sale screen; returns the result's trace.
pub fn sold(app: &App, text: &str, means: &str) -> Result<String, Error> {
    amount(app, text)?;
    let status = pay(app, means)?;
    assert_eq!(status, "approved", "the {means} sale of {text} is approved");
    let trace = app.text("[data-testid=result-trace]")?;
    new_sale(app)?;
    Ok(trace)
}

/// Opens a transaction's detail from the history tab.
pub fn open_in_history(app: &App, trace: &str) -> TestResult {
    app.click("[data-testid=tab-history]")?;
    // A table row has no box of its own to click: its first cell does.
    app.click(&format!("[data-testid=history-row-{trace}] td"))?;
    app.wait_attribute("[data-testid=detail-screen]", "data-trace", trace)
}

/// Waits until the element's text content contains `expected` (the money on the sale screen).
pub fn wait_content(app: &App, css: &str, expected: &str) -> Result<String, Error> {
    app.wait_until(&format!("{css} to contain {expected:?}"), || {
        let text = content(app, css)?;
        Ok(text.contains(expected).then_some(text))
    })
}

/// Waits until the keyboard focus is on `testid`: where the next keys go.
pub fn wait_focus(app: &App, testid: &str) -> TestResult {
    app.wait_until(&format!("the focus on {testid}"), || {
        let id = app.execute(
            "return document.activeElement ? document.activeElement.getAttribute('data-testid') : null;",
            vec![],
        )?;
        Ok((id.as_str() == Some(testid)).then_some(()))
    })
}

/// Waits until every picture on the page has been decoded (receipts are large PNGs): a
/// screenshot taken before shows blank paper.
pub fn wait_images(app: &App) -> TestResult {
    app.wait_until("the pictures to be drawn", || {
        let done = app.execute(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);",
            vec![],
        )?;
        Ok((done == serde_json::json!(true)).then_some(()))
    })
}

/// Waits until the PIN pad has reported `step` (`present-card`, `enter-pin`...): shown now or
/// among the steps done. A step the simulated customer passes quickly is not missed by a test
/// that looks a moment later.
pub fn wait_step(app: &App, step: &str) -> TestResult {
    app.wait_until(&format!("the PIN pad step {step}"), || {
        let seen = app.execute(
            "const s = arguments[0];
             const now = document.querySelector('[data-testid=progress-message]');
             return (now && now.getAttribute('data-step') === s)
               || !!document.querySelector(`[data-testid=progress-steps] [data-step=\"${s}\"]`);",
            vec![serde_json::json!(step)],
        )?;
        Ok((seen == serde_json::json!(true)).then_some(()))
    })
}

/// Painted, not only in the DOM: two animation frames later.
pub fn painted(app: &App) -> TestResult {
    app.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )?;
    Ok(())
}

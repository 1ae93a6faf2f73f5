//! T1 on the screen: card sales approved and declined (the simulated terminal's magic amounts,
//! crates/till/src/sim.rs), the PIN pad's prompts as they happen, a sale by keyboard only, and
//! amounts the till refuses.

use crate::flows_support::*;
use crate::support::*;

#[test]
fn a_card_sale_is_approved_after_the_pin_pad_prompts_and_prints_two_receipts() -> TestResult {
    // The default pace (700 ms per step): each prompt stays long enough to be seen.
    let app = logged_in(Launch::new(Size::XGA))?;
    amount(&app, "38.50")?;
    app.keys(&format!("{}5", key::TAB))?;
    wait_content(&app, "[data-testid=sale-total-value]", "HK$43.50")?;
    app.click("[data-testid=pay-card]")?;
    app.wait_text("[data-testid=progress-total]", "HK$43.50")?;
    wait_step(&app, "present-card")?;
    wait_step(&app, "enter-pin")?;
    app.screenshot("flows-card-enter-pin")?;
    wait_step(&app, "remove-card")?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(app.text("[data-testid=result-total]")?, "HK$43.50");
    assert_eq!(app.text("[data-testid=result-trace]")?, "000001");
    let card = app.text("[data-testid=result-card]")?;
    assert!(
        card.starts_with("VISA ") && card.contains("****"),
        "only the masked PAN: {card:?}"
    );
    assert_eq!(app.text("[data-testid=result-auth]")?.len(), 6, "an auth code");
    // The merchant and the customer copy, drawn by the virtual printer.
    app.wait_for("[data-testid=receipt-preview-page-1]")?;
    let text = app
        .find("[data-testid=receipt-preview-text-0]")?
        .property("textContent")?;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("43.50") && text.contains("PIN VERIFIED"), "{text}");
    wait_images(&app)?;
    app.screenshot("flows-card-approved")?;
    new_sale(&app)?;
    assert_eq!(
        content(&app, "[data-testid=sale-amount-value]")?,
        "",
        "a new sale starts empty"
    );
    Ok(())
}

#[test]
fn a_declined_card_sale_says_why_and_prints_nothing() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    amount(&app, "38.51")?;
    assert_eq!(pay(&app, "card")?, "declined");
    let reason = app.text("[data-testid=result-reason]")?;
    assert!(reason.contains("insufficient funds"), "{reason:?}");
    app.wait_for("[data-testid=receipt-preview-none]")?;
    wait_images(&app)?;
    app.screenshot("flows-card-declined")?;
    // Declined is not approved: the history says so, and the amount stays for another try.
    new_sale(&app)?;
    assert_eq!(
        content(&app, "[data-testid=sale-amount-value]")?,
        "HK$38.51",
        "the sale is kept"
    );
    app.click("[data-testid=tab-history]")?;
    app.wait_attribute("[data-testid=history-row-000001]", "data-status", "declined")?;
    Ok(())
}

#[test]
fn a_customer_who_cancels_on_the_pad_and_the_cashier_who_cancels_both_charge_nothing() -> TestResult {
    let app = logged_in(Launch::new(Size::XGA))?;
    amount(&app, "20.55")?;
    assert_eq!(
        pay(&app, "card")?,
        "cancelled",
        "ends in 55: the customer cancels on the pad"
    );
    new_sale(&app)?;
    // Cents 57: a customer who never presents the card (src-tauri/src/devices.rs), so the
    // cashier's Esc comes first however slow the machine is.
    amount(&app, "20.57")?;
    app.click("[data-testid=pay-card]")?;
    app.wait_attribute("[data-testid=progress-message]", "data-step", "present-card")?;
    app.keys(key::ESCAPE)?;
    assert_eq!(
        result_status(&app)?,
        "cancelled",
        "Esc before the card is presented cancels"
    );
    app.click("[data-testid=tab-history]")?;
    app.wait_attribute("[data-testid=history-row-000002]", "data-status", "cancelled")?;
    Ok(())
}

#[test]
fn a_whole_sale_by_keyboard_only() -> TestResult {
    let app = App::launch_with(quick(Size::XGA))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    // Login: operator, Tab, PIN, Enter; the PIN change: PIN, Tab, PIN, Enter.
    wait_focus(&app, "login-operator")?;
    app.keys(&format!("1{}{DEFAULT_PIN}{}", key::TAB, key::ENTER))?;
    app.wait_for("[data-testid=pin-change]")?;
    wait_focus(&app, "pin-change-new")?;
    app.keys(&format!("{PIN}{}{PIN}{}", key::TAB, key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    // Amount, Tab, tip, Enter (to the payment means), 2nd means with the arrows, back to the
    // 1st, Enter pays by card.
    app.keys(&format!("12.5{}1{}", key::TAB, key::ENTER))?;
    app.wait_attribute("[data-testid=sale-screen]", "data-mode", "pay")?;
    app.keys(&format!("{}{}", key::ARROW_RIGHT, key::ARROW_LEFT))?;
    app.screenshot("flows-keyboard-pay")?;
    app.keys(key::ENTER)?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(app.text("[data-testid=result-total]")?, "HK$13.50");
    assert_eq!(app.text("[data-testid=result-means]")?, "Card");
    // Enter: a new sale. Esc on the payment means goes back to the amount.
    app.keys(key::ENTER)?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    app.keys(&format!("7{}", key::ENTER))?;
    app.wait_attribute("[data-testid=sale-screen]", "data-mode", "pay")?;
    app.keys(key::ESCAPE)?;
    app.wait_attribute("[data-testid=sale-screen]", "data-mode", "entry")?;
    // 6: cash, the 6th means.
    app.keys(&format!("{}6", key::ENTER))?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(app.text("[data-testid=result-means]")?, "Cash");
    Ok(())
}

#[test]
fn bad_amounts_are_refused_with_a_clear_error_and_nothing_is_charged() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    for (typed, code) in [
        ("12.345", "amount-too-many-decimals"),
        ("0", "amount-zero"),
        ("60000", "amount-above-maximum"),
    ] {
        amount(&app, typed)?;
        app.click("[data-testid=pay-card]")?;
        app.wait_attribute("[data-testid=sale-error]", "data-code", code)?;
        assert_eq!(screen(&app)?, "sale", "{typed}: still on the sale screen");
    }
    let said = app.text("[data-testid=sale-error]")?;
    assert!(said.contains("limit"), "the error says why: {said:?}");
    app.screenshot("flows-bad-amount")?;
    app.click("[data-testid=tab-history]")?;
    app.wait_for("[data-testid=history-empty]")?;
    Ok(())
}

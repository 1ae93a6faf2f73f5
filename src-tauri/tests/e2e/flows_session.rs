//! S1 and the language switch: the first login with its PIN change, a wrong PIN refused with
//! the tries left, and the sale screen in 繁體中文 and 简体中文.

use crate::flows_support::*;
use crate::support::*;

#[test]
fn first_login_changes_the_default_pin_then_opens_the_sale_screen() -> TestResult {
    let app = App::launch(Size::XGA)?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.screenshot("flows-login")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{DEFAULT_PIN}{}", key::ENTER))?;
    app.wait_for("[data-testid=pin-change]")?;

    // Two different PINs are refused before the till is asked; a 4-digit one by the till.
    app.type_into("[data-testid=pin-change-new]", PIN)?;
    app.type_into("[data-testid=pin-change-again]", &format!("135790{}", key::ENTER))?;
    app.wait_for("[data-testid=pin-change-mismatch]")?;
    app.set_value("[data-testid=pin-change-new]", "1234")?;
    app.type_into("[data-testid=pin-change-again]", &format!("1234{}", key::ENTER))?;
    app.wait_attribute("[data-testid=pin-change-error]", "data-code", "pin-format")?;
    app.screenshot("flows-pin-change-refused")?;

    app.type_into("[data-testid=pin-change-new]", PIN)?;
    app.type_into("[data-testid=pin-change-again]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    app.wait_text("[data-testid=status-operator]", "1")?;
    for id in ["pay-card", "pay-qr-customer", "pay-qr-merchant", "pay-cash", "keypad-7"] {
        app.wait_for(&format!("[data-testid={id}]"))?;
    }
    app.screenshot("flows-sale-screen")?;

    // The default PIN no longer works; the new one does.
    app.click("[data-testid=logout]")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{DEFAULT_PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=login-error]", "data-code", "pin-wrong")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    Ok(())
}

#[test]
fn a_wrong_pin_is_refused_with_the_tries_left_and_changes_nothing() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    app.click("[data-testid=logout]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("999999{}", key::ENTER))?;
    app.wait_attribute("[data-testid=login-error]", "data-code", "pin-wrong")?;
    let said = app.text("[data-testid=login-error]")?;
    assert!(
        said.contains("4 tries left"),
        "the cashier is told how many tries are left: {said:?}"
    );
    assert_eq!(screen(&app)?, "login", "still on the login screen");
    assert_eq!(
        app.find("[data-testid=login-pin]")?.property("value")?,
        serde_json::json!(""),
        "the wrong PIN is cleared"
    );
    app.screenshot("flows-login-wrong-pin")?;
    // An unknown operator is refused too.
    app.set_value("[data-testid=login-operator]", "77")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=login-error]", "data-code", "unknown-operator")?;
    Ok(())
}

#[test]
fn the_sale_screen_switches_to_traditional_then_simplified_chinese() -> TestResult {
    for size in [Size::XGA, Size::FULL_HD] {
        let app = logged_in(quick(size))?;
        amount(&app, "1250.50")?;
        app.keys(&format!("{}8", key::TAB))?;
        wait_content(&app, "[data-testid=sale-total-value]", "1,258.50")?;
        for (lang, tab, card, total, amount_label) in [
            ("zh-Hant", "銷售", "信用卡", "總額", "金額"),
            ("zh-Hans", "销售", "银行卡", "总额", "金额"),
            ("en", "Sale", "Card", "TOTAL", "AMOUNT"),
        ] {
            app.click(&format!("[data-testid=lang-{lang}]"))?;
            app.wait_attribute("[data-testid=app]", "data-lang", lang)?;
            app.wait_text("[data-testid=tab-sale]", tab)?;
            app.wait_text("[data-testid=pay-card]", card)?;
            app.wait_text("[data-testid=sale-total]", total)?;
            app.wait_text("[data-testid=sale-amount]", amount_label)?;
            // The open sale is kept and the money is formatted for the screen.
            wait_content(&app, "[data-testid=sale-total-value]", "HK$1,258.50")?;
            let html_lang = app.execute("return document.documentElement.lang", vec![])?;
            assert_eq!(html_lang, serde_json::json!(lang), "the page's language follows");
            if lang != "en" {
                app.screenshot(&format!("flows-sale-{lang}"))?;
            }
        }
    }
    Ok(())
}

/// S2 on screen: a till idle past its timeout (1 minute here) asks for the PIN again by
/// itself, saying why; the amount that was being typed is still there after the login.
#[test]
fn an_idle_till_asks_for_the_pin_again_and_keeps_the_open_sale() -> TestResult {
    let dir = crate::support::temp_dir("idle")?;
    let mut config = till_domain::TillConfig::demo();
    config.session.idle_timeout_minutes = 1;
    std::fs::write(dir.join("till.toml"), toml::to_string_pretty(&config)?)?;
    let app = logged_in(Launch::new(Size::XGA).data_dir(&dir))?;
    amount(&app, "42.00")?;
    // Nothing is touched: within a minute and a second or two, the till locks.
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.wait_attribute("[data-testid=login-error]", "data-code", "session-expired")?;
    app.screenshot("session-idle-locked")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    let shown = content(&app, "[data-testid=sale-amount-value]")?;
    assert!(shown.contains("42.00"), "the open sale's amount is kept: {shown}");
    Ok(())
}

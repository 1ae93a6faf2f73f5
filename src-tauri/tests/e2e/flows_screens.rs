//! Recovery on screen after a crash (T8), and the other screens — history, detail, settlement,
//! balance, settings — in both Chinese variants, at both screen sizes.

use crate::flows_support::*;
use crate::support::*;

#[test]
fn a_sale_cut_off_by_a_restart_is_shown_as_not_charged_before_the_next_login() -> TestResult {
    let dir = temp_dir("flows-recovery")?;
    // Cents 57: the simulated customer never presents the card (src-tauri/src/devices.rs), so
    // when the till stops the sale is journaled (Pending) and the terminal has done nothing.
    let mut app = logged_in(Launch::new(Size::XGA).data_dir(&dir))?;
    amount(&app, "25.57")?;
    app.click("[data-testid=pay-card]")?;
    app.wait_attribute("[data-testid=progress-message]", "data-step", "present-card")?;
    app.restart()?;
    app.wait_attribute("[data-testid=app]", "data-screen", "recovery")?;
    app.wait_attribute("[data-testid=recovery-000001]", "data-kind", "reversed")?;
    let said = app.text("[data-testid=recovery-000001]")?;
    assert!(said.contains("NOT charged") && said.contains("HK$25.57"), "{said:?}");
    app.screenshot("flows-recovery")?;
    app.keys(key::ENTER)?;
    app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
    app.type_into("[data-testid=login-operator]", "1")?;
    app.type_into("[data-testid=login-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.click("[data-testid=tab-history]")?;
    app.wait_attribute("[data-testid=history-row-000001]", "data-status", "reversed")?;
    Ok(())
}

#[test]
fn history_settlement_balance_and_settings_in_both_chinese_variants() -> TestResult {
    for size in [Size::XGA, Size::FULL_HD] {
        let app = logged_in(quick(size))?;
        let trace = sold(&app, "128.00", "card")?;
        sold(&app, "35.00", "cash")?;
        for lang in ["zh-Hant", "zh-Hans"] {
            app.click(&format!("[data-testid=lang-{lang}]"))?;
            app.wait_attribute("[data-testid=app]", "data-lang", lang)?;

            app.click("[data-testid=tab-history]")?;
            app.wait_for(&format!("[data-testid=history-row-{trace}]"))?;
            app.screenshot(&format!("flows-history-{lang}"))?;
            // Search by the card's last 4 digits finds the card sale only.
            open_in_history(&app, &trace)?;
            let last4 = app.text("[data-testid=detail-screen] dd:nth-of-type(6)")?;
            app.wait_for("[data-testid=receipt-preview-page-1]")?;
            wait_images(&app)?;
            app.screenshot(&format!("flows-detail-{lang}"))?;
            app.click("[data-testid=detail-back]")?;
            let digits: String = last4.chars().filter(char::is_ascii_digit).collect();
            let last4 = &digits[digits.len().saturating_sub(4)..];
            app.type_into("[data-testid=history-last4]", &format!("{last4}{}", key::ENTER))?;
            app.wait_until("one row for the card's last 4", || {
                Ok((app.find_all("[data-testid^=history-row-]")?.len() == 1).then_some(()))
            })?;
            app.click("[data-testid=history-clear]")?;

            app.click("[data-testid=tab-settlement]")?;
            wait_content(&app, "[data-testid=totals-total-net]", "HK$163.00")?;
            app.screenshot(&format!("flows-settlement-{lang}"))?;

            app.click("[data-testid=tab-balance]")?;
            app.click("[data-testid=balance-read]")?;
            wait_content(&app, "[data-testid=balance-remaining]", "HK$")?;
            app.screenshot(&format!("flows-balance-{lang}"))?;

            app.click("[data-testid=tab-settings]")?;
            app.click("[data-testid=device-printer-test]")?;
            app.wait_for("[data-testid=device-printer-result]")?;
            app.click("[data-testid=device-terminal-test]")?;
            app.wait_for("[data-testid=device-terminal-result]")?;
            app.wait_for("[data-testid=operator-1]")?;
            app.screenshot(&format!("flows-settings-{lang}"))?;
        }
        // Receipt copies: without the customer copy a sale prints one receipt.
        app.click("[data-testid=settings-copy-customer]")?;
        app.wait_for("[data-testid=settings-copies-saved]")?;
        app.click("[data-testid=tab-sale]")?;
        amount(&app, "10.00")?;
        assert_eq!(pay(&app, "cash")?, "approved");
        app.wait_for("[data-testid=receipt-preview-page-0]")?;
        assert!(
            app.find_all("[data-testid=receipt-preview-page-1]")?.is_empty(),
            "only the merchant copy printed"
        );
    }
    Ok(())
}

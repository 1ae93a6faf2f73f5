//! After the sale: void with a supervisor's PIN (T6), a partial refund with the refund PIN
//! (T7), reprint, and settlement with its X and Z reports (T10).

use crate::flows_support::*;
use crate::support::*;

#[test]
fn a_void_asks_for_a_supervisor_pin_then_voids_the_sale() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    let trace = sold(&app, "45.00", "card")?;
    open_in_history(&app, &trace)?;
    app.click("[data-testid=detail-void]")?;
    app.wait_for("[data-testid=void-prompt]")?;
    assert_eq!(
        app.find("[data-testid=void-prompt-operator]")?.property("value")?,
        serde_json::json!("1"),
        "a manager may void: the prompt offers the operator"
    );
    // A wrong PIN stays in the prompt and voids nothing.
    app.type_into("[data-testid=void-prompt-pin]", &format!("111111{}", key::ENTER))?;
    app.wait_attribute("[data-testid=void-prompt-error]", "data-code", "pin-wrong")?;
    app.screenshot("flows-void-wrong-pin")?;
    assert_eq!(screen(&app)?, "detail");
    app.type_into("[data-testid=void-prompt-pin]", &format!("{PIN}{}", key::ENTER))?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(
        app.find("[data-testid=result-screen]")?
            .attribute("data-kind")?
            .as_deref(),
        Some("void")
    );
    wait_images(&app)?;
    app.screenshot("flows-void-done")?;
    app.click("[data-testid=result-done]")?;
    app.wait_attribute(&format!("[data-testid=history-row-{trace}]"), "data-status", "voided")?;
    // A voided sale can be neither voided nor refunded again.
    open_in_history(&app, &trace)?;
    app.wait_attribute("[data-testid=detail-screen]", "data-status", "voided")?;
    assert!(app.find_all("[data-testid=detail-void]")?.is_empty());
    assert!(app.find_all("[data-testid=detail-refund]")?.is_empty());
    Ok(())
}

#[test]
fn a_partial_refund_with_the_refund_pin_leaves_the_rest_refundable() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    let trace = sold(&app, "60.00", "card")?;
    open_in_history(&app, &trace)?;
    app.click("[data-testid=detail-refund]")?;
    app.wait_for("[data-testid=refund-prompt]")?;
    // More than was paid is refused in the prompt.
    app.type_into("[data-testid=refund-prompt-amount]", "75")?;
    app.type_into("[data-testid=refund-prompt-pin]", &format!("{PIN}{}", key::ENTER))?;
    app.wait_attribute(
        "[data-testid=refund-prompt-error]",
        "data-code",
        "refund-above-remaining",
    )?;
    app.set_value("[data-testid=refund-prompt-amount]", "10")?;
    app.screenshot("flows-refund-prompt")?;
    app.type_into("[data-testid=refund-prompt-pin]", &format!("{PIN}{}", key::ENTER))?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(app.text("[data-testid=result-total]")?, "HK$10.00");
    app.wait_for("[data-testid=receipt-preview-page-0]")?;
    wait_images(&app)?;
    app.screenshot("flows-refund-done")?;
    app.click("[data-testid=result-done]")?;
    open_in_history(&app, &trace)?;
    app.wait_text("[data-testid=detail-refunded]", "HK$10.00")?;
    app.wait_for("[data-testid=detail-refund]")?;
    assert!(
        app.find_all("[data-testid=detail-void]")?.is_empty(),
        "a refunded sale is not voided"
    );
    Ok(())
}

#[test]
fn settlement_prints_the_summary_then_settles_and_opens_the_next_batch() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    sold(&app, "30.00", "card")?;
    sold(&app, "12.50", "cash")?;
    app.click("[data-testid=tab-settlement]")?;
    app.wait_text("[data-testid=totals-total-net]", "HK$42.50")?;
    app.wait_text("[data-testid=totals-card-net]", "HK$30.00")?;
    app.wait_text("[data-testid=totals-cash-net]", "HK$12.50")?;
    app.click("[data-testid=settlement-x]")?;
    app.wait_for("[data-testid=settlement-x-done]")?;
    app.wait_for("[data-testid=report-preview-page-0]")?;
    wait_images(&app)?;
    app.screenshot("flows-settlement-x")?;
    app.click("[data-testid=settlement-settle]")?;
    app.click("[data-testid=settle-confirm-yes]")?;
    app.wait_for("[data-testid=settlement-z-done]")?;
    app.wait_attribute("[data-testid=settlement-terminal]", "data-matches", "true")?;
    app.wait_for("[data-testid=report-preview-page-1]")?;
    wait_images(&app)?;
    app.screenshot("flows-settlement-z")?;
    // Totals start again from zero in batch 2.
    app.wait_for("[data-testid=totals-empty]")?;
    app.wait_text("[data-testid=status-batch]", "000002")?;
    Ok(())
}

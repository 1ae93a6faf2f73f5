//! T2 and T3 on the screen: a customer's code read by the (folder) camera with its live
//! preview, and the till's own code shown as the customer sees it, paid by the simulator.

use crate::flows_support::*;
use crate::support::*;

/// A WeChat Pay payment code (18 digits starting 13), as a photo-like PNG frame.
const WECHAT_CODE: &str = "134567890123456789";

#[test]
fn a_customer_qr_sale_reads_the_code_from_a_camera_frame() -> TestResult {
    let dir = temp_dir("flows-qr-customer")?;
    let app = logged_in(quick(Size::XGA).data_dir(&dir))?;
    amount(&app, "12.00")?;
    app.click("[data-testid=pay-qr-customer]")?;
    app.wait_for("[data-testid=qr-scan-screen]")?;
    // The camera shows what it sees before there is a code.
    app.wait_for("[data-testid=camera-preview]")?;
    app.wait_attribute("[data-testid=progress-message]", "data-step", "scan-code")?;
    app.screenshot("flows-qr-scan")?;
    let frame = till_scanner::code_frame(WECHAT_CODE, 6)?;
    let png = till_scanner::encode_png(&frame)?;
    let camera = dir.join("camera");
    std::fs::write(camera.join("customer-code.tmp"), &png)?;
    std::fs::rename(camera.join("customer-code.tmp"), camera.join("customer-code.png"))?;
    assert_eq!(result_status(&app)?, "approved");
    let means = app.text("[data-testid=result-means]")?;
    assert!(
        means.contains("WeChat Pay"),
        "the wallet is told from the code: {means:?}"
    );
    assert_eq!(app.text("[data-testid=result-total]")?, "HK$12.00");
    wait_images(&app)?;
    app.screenshot("flows-qr-customer-approved")?;
    std::fs::remove_file(camera.join("customer-code.png"))?;

    // A code that is no payment code is refused, and nothing is recorded.
    new_sale(&app)?;
    amount(&app, "5.00")?;
    app.click("[data-testid=pay-qr-customer]")?;
    app.wait_for("[data-testid=qr-scan-screen]")?;
    let frame = till_scanner::code_frame("https://example.com/menu", 6)?;
    std::fs::write(camera.join("menu.png"), till_scanner::encode_png(&frame)?)?;
    app.wait_attribute("[data-testid=sale-error]", "data-code", "not-a-payment-code")?;
    std::fs::remove_file(camera.join("menu.png"))?;
    app.click("[data-testid=tab-history]")?;
    app.wait_for("[data-testid=history-row-000001]")?;
    assert_eq!(
        app.find_all("[data-testid^=history-row-]")?.len(),
        1,
        "only the approved sale"
    );
    Ok(())
}

#[test]
fn the_scan_can_be_cancelled_before_a_code_is_read() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    amount(&app, "9.00")?;
    app.click("[data-testid=pay-qr-customer]")?;
    app.wait_for("[data-testid=camera-preview]")?;
    app.click("[data-testid=flow-cancel]")?;
    app.wait_attribute("[data-testid=app]", "data-screen", "sale")?;
    assert!(
        app.find_all("[data-testid=sale-error]")?.is_empty(),
        "a cancel is no error"
    );
    assert_eq!(
        content(&app, "[data-testid=sale-amount-value]")?,
        "HK$9.00",
        "the sale is kept"
    );
    Ok(())
}

#[test]
fn a_merchant_qr_is_shown_as_the_customer_sees_it_and_paid_by_the_simulator() -> TestResult {
    let app = logged_in(quick(Size::XGA))?;
    // Cents 62 (crates/till/src/sim.rs): a customer who never pays, so the code stays on screen
    // while the test looks at it, however slow the machine; the cashier cancels.
    amount(&app, "88.62")?;
    app.click("[data-testid=pay-qr-merchant]")?;
    app.click("[data-testid=wallet-fps]")?;
    app.wait_for("[data-testid=qr-merchant-screen]")?;
    let qr = app.wait_for("[data-testid=merchant-qr]")?;
    let payload = qr.attribute("data-payload")?.unwrap_or_default();
    assert!(
        payload.starts_with("000201") && payload.contains("88.62"),
        "an EMVCo payload with the amount: {payload}"
    );
    let (_, _, w, h) = qr.rect()?;
    assert!(
        w >= 200.0 && (w - h).abs() < 1.0,
        "a square code big enough to scan: {w}x{h}"
    );
    app.wait_text("[data-testid=progress-total]", "HK$88.62")?;
    app.screenshot("flows-qr-merchant")?;
    app.click("[data-testid=flow-cancel]")?;
    assert_eq!(result_status(&app)?, "cancelled", "nothing was paid");
    new_sale(&app)?;
    // Any other amount: the simulated gateway is paid after two status queries.
    amount(&app, "88.00")?;
    app.click("[data-testid=pay-qr-merchant]")?;
    app.click("[data-testid=wallet-fps]")?;
    assert_eq!(result_status(&app)?, "approved");
    assert_eq!(app.text("[data-testid=result-total]")?, "HK$88.00");
    let means = app.text("[data-testid=result-means]")?;
    assert!(means.contains("FPS"), "{means:?}");
    wait_images(&app)?;
    app.screenshot("flows-qr-merchant-paid")?;
    Ok(())
}

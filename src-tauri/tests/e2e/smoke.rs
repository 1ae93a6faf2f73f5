//! The app starts on the login screen at both screen sizes, fills the screen, and leaves no
//! process behind when the test ends.

use crate::support::*;

#[test]
fn the_app_starts_on_the_login_screen_at_both_sizes() -> TestResult {
    for size in [Size::XGA, Size::FULL_HD] {
        let app = App::launch(size)?;
        app.wait_attribute("[data-testid=app]", "data-screen", "login")?;
        for id in ["login-operator", "login-pin", "login-submit"] {
            app.wait_for(&format!("[data-testid={id}]"))?;
        }
        let (x, y, w, h) = app.find("[data-testid=login]")?.rect()?;
        let (sw, sh) = (f64::from(size.width), f64::from(size.height));
        assert!(
            x >= 0.0 && y >= 0.0 && x + w <= sw && y + h <= sh,
            "the login form ({x},{y} {w}x{h}) lies within the {} screen",
            size.label()
        );
        let (_, _, ww, wh) = app.window_rect()?;
        assert_eq!(
            (ww, wh),
            (i64::from(size.width), i64::from(size.height)),
            "the window fills the screen"
        );

        let shot = app.screenshot("smoke-login")?;
        let screen = app.capture_screen("smoke-login")?;
        for path in [&shot, &screen] {
            let png = std::fs::read(path)?;
            assert_eq!(
                png_size(&png),
                Some((size.width, size.height)),
                "{} is the whole screen",
                path.display()
            );
            assert!(png.len() > 5_000, "{} has content", path.display());
        }

        // The app and WebKit's processes run under the driver now, and are gone once it is dropped.
        let procs = app.processes();
        let names: Vec<&str> = procs.iter().map(|p| p.comm.as_str()).collect();
        for expected in [
            "tauri-driver",
            "WebKitWebDriv",
            "opentill",
            "WebKitWebProce",
            "WebKitNetworkP",
        ] {
            assert!(
                names.iter().any(|n| n.starts_with(expected)),
                "{expected} runs under the driver: {names:?}"
            );
        }
        drop(app);
        let left: Vec<&str> = procs
            .iter()
            .filter(|p| procs::alive(p.pid))
            .map(|p| p.comm.as_str())
            .collect();
        assert!(left.is_empty(), "nothing outlives the test: {left:?}");
    }
    Ok(())
}

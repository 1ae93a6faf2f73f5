//! The Slint customer display under a real X server (Xvfb, started here), driven through its
//! JSON-lines protocol: every screen in three languages as screenshots, the merchant QR read
//! back with our own decoder, a signature drawn with real pointer events, a kill -9 survived,
//! bad lines rejected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use till_display::screen::protocol::snapshot_line;
use till_display::screen::{Event, SignatureLayout};
use till_display::{SlintDisplay, SlintDisplayConfig};
use till_domain::ports::{CustomerDisplay, DisplaySnapshot};
use till_domain::{Currency, Money};
use till_i18n::{Lang, Localizer};
use till_scanner::{Decoder, Rxing};
use tokio::sync::broadcast;

use crate::x11::{
    DISPLAY_BIN, DisplayProcess, Error, HEIGHT, WIDTH, Xvfb, dark_pixels, differing_pixels, screenshot_dir,
};

type TestResult = Result<(), Error>;

const WAIT: Duration = Duration::from_secs(20);

/// A merchant-presented code as a Hong Kong FPS till shows it (EMVCo layout, CRC included).
const MERCHANT_QR: &str = "00020101021226330012hk.com.hkicl0313+852-98765432520458125303344540538.505802HK5913OPENTILL DEMO6009HONG KONG630482E1";

/// Every screen with its texts in `lang`, as the till would send them; the name is the
/// screenshot's.
fn samples(lang: Lang) -> Vec<(&'static str, DisplaySnapshot)> {
    let l = Localizer::new(lang);
    let money = |minor| l.money(Money::new(minor, currency(lang)));
    vec![
        (
            "idle",
            DisplaySnapshot::Idle {
                text: l.text("display-welcome", &[]),
            },
        ),
        (
            "amount",
            DisplaySnapshot::Amount {
                amount: money(123_850),
                tip: money(15_000),
                total: money(138_850),
                labels: [
                    l.text("receipt-amount", &[]),
                    l.text("receipt-tip", &[]),
                    l.text("receipt-total", &[]),
                ],
            },
        ),
        (
            "qr-to-scan",
            DisplaySnapshot::QrToScan {
                payload: MERCHANT_QR.to_owned(),
                total: money(38_50),
                prompt: l.text("display-scan-to-pay", &[]),
                expires_at: Utc::now() + chrono::Duration::seconds(300),
            },
        ),
        (
            "prompt",
            DisplaySnapshot::Prompt {
                text: l.text("progress-present-card", &[]),
            },
        ),
        (
            "prompt-pin",
            DisplaySnapshot::Prompt {
                text: l.text("display-enter-pin", &[]),
            },
        ),
        ("signature", signature_request(lang)),
        (
            "result",
            DisplaySnapshot::Result {
                approved: true,
                text: l.text("result-approved", &[]),
            },
        ),
        (
            "result-declined",
            DisplaySnapshot::Result {
                approved: false,
                text: l.text("result-declined", &[]),
            },
        ),
        (
            "thank-you",
            DisplaySnapshot::ThankYou {
                text: l.text("receipt-thank-you", &[]),
            },
        ),
    ]
}

/// A Hong Kong till, or a mainland one for Simplified Chinese.
fn currency(lang: Lang) -> Currency {
    if lang == Lang::ZhHans {
        Currency::Cny
    } else {
        Currency::Hkd
    }
}

fn signature_request(lang: Lang) -> DisplaySnapshot {
    let l = Localizer::new(lang);
    DisplaySnapshot::Signature {
        total: l.money(Money::new(138_850, currency(lang))),
        prompt: l.text("display-sign-here", &[]),
        clear: l.text("display-sign-clear", &[]),
        done: l.text("display-sign-done", &[]),
    }
}

fn log_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("till-display-{}-{name}.log", std::process::id()))
}

#[test]
fn every_screen_in_three_languages_with_a_readable_qr() -> TestResult {
    let x = Xvfb::start()?;
    let dir = screenshot_dir()?;
    let mut display = DisplayProcess::start(&x, log_path("screens"))?;
    assert_eq!(display.next_event(WAIT)?, Event::Ready, "the window comes up first");
    let mut decoder = Rxing::still();
    let mut previous = None;
    let mut seq = 0;
    for lang in Lang::ALL {
        for (name, snapshot) in samples(lang) {
            display.send(&snapshot_line(&snapshot))?;
            seq += 1;
            match display.next_event(WAIT)? {
                Event::Shown { screen, seq: shown, .. } => {
                    assert_eq!(
                        (screen.as_str(), shown),
                        (snapshot.screen(), seq),
                        "{name} applied in order"
                    );
                }
                other => return Err(format!("{name}: expected shown, got {other:?}").into()),
            }
            let path = dir.join(format!("{}-{name}.png", lang.tag()));
            let shot = x.settled_screenshot(&path)?;
            assert_eq!((shot.width(), shot.height()), (WIDTH, HEIGHT), "the root window");
            assert!(
                dark_pixels(&shot, 0, 0, WIDTH, HEIGHT) > 2_000,
                "{}: {name} draws text",
                path.display()
            );
            if let Some(before) = &previous {
                assert!(
                    differing_pixels(before, &shot) > 2_000,
                    "{}: the screen changed from the one before",
                    path.display()
                );
            }
            if name == "qr-to-scan" {
                let read = decoder.decode(&shot)?;
                assert_eq!(
                    read.as_deref(),
                    Some(MERCHANT_QR),
                    "{}: the code on screen",
                    path.display()
                );
            }
            previous = Some(shot);
        }
    }
    display.close_input();
    let status = display.wait_exit(Duration::from_secs(10))?;
    assert!(status.success(), "end of input closes the display cleanly: {status}");
    Ok(())
}

#[test]
fn bad_lines_are_rejected_and_the_screen_stays() -> TestResult {
    let x = Xvfb::start()?;
    let dir = screenshot_dir()?;
    let mut display = DisplayProcess::start(&x, log_path("bad-lines"))?;
    assert_eq!(display.next_event(WAIT)?, Event::Ready);
    let amount = &samples(Lang::ZhHant)[1].1;
    display.send(&snapshot_line(amount))?;
    assert!(
        matches!(display.next_event(WAIT)?, Event::Shown { seq: 1, .. }),
        "the good line is shown"
    );
    let good = x.settled_screenshot(&dir.join("bad-input-before.png"))?;

    let too_long = serde_json::json!({
        "screen": "qr-to-scan", "payload": "9".repeat(8000), "total": "HK$1.00",
        "prompt": "Scan", "expires_at": "2030-01-01T00:00:00Z"
    });
    let bad: [(&str, &str); 5] = [
        ("{\"screen\":\"idle\",\"text\":", "malformed JSON"),
        (
            "{\"screen\":\"lottery\",\"text\":\"win\"}",
            "unknown screen \"lottery\"",
        ),
        (
            "{\"screen\":\"result\",\"approved\":\"yes\",\"text\":\"OK\"}",
            "bad fields for screen \"result\"",
        ),
        ("{\"cmd\":\"reboot\"}", "unknown command"),
        (&too_long.to_string(), "QR payload cannot be encoded"),
    ];
    for (i, (line, reason)) in bad.iter().enumerate() {
        display.send(line)?;
        let number = i as u64 + 2;
        match display.next_event(WAIT)? {
            Event::Rejected { line, reason: said } => {
                assert_eq!(line, number, "the rejected line's number");
                assert!(
                    said.starts_with(reason),
                    "line {number}: {said:?} should start with {reason:?}"
                );
            }
            other => return Err(format!("line {number}: expected rejected, got {other:?}").into()),
        }
    }
    display.quiet_for(Duration::from_millis(300))?;
    let after = x.screenshot(&dir.join("bad-input-after.png"))?;
    assert_eq!(
        differing_pixels(&good, &after),
        0,
        "rejected lines leave the last good screen as it was"
    );
    let log = std::fs::read_to_string(&display.stderr)?;
    for expected in [
        "line 2 rejected: malformed JSON",
        "line 3 rejected: unknown screen \"lottery\"",
    ] {
        assert!(log.contains(expected), "stderr logs {expected:?}; it has:\n{log}");
    }

    let thanks = &samples(Lang::ZhHant)[8].1;
    display.send(&snapshot_line(thanks))?;
    match display.next_event(WAIT)? {
        Event::Shown { screen, seq, .. } => {
            assert_eq!(
                (screen.as_str(), seq),
                ("thank-you", 2),
                "a good line after bad ones works"
            )
        }
        other => return Err(format!("expected shown, got {other:?}").into()),
    }
    let next = x.settled_screenshot(&dir.join("bad-input-recovered.png"))?;
    assert!(differing_pixels(&good, &next) > 2_000, "and changes the screen");
    display.send("{\"cmd\":\"quit\"}")?;
    let status = display.wait_exit(Duration::from_secs(10))?;
    assert!(status.success(), "quit ends it: {status}");
    Ok(())
}

fn config(x: &Xvfb, log: &str) -> SlintDisplayConfig {
    let mut config = SlintDisplayConfig::new(DISPLAY_BIN);
    config.args = vec!["--windowed".into(), "--size".into(), format!("{WIDTH}x{HEIGHT}")];
    config.envs = vec![("DISPLAY".into(), x.display().to_owned())];
    config.stderr_log = Some(log_path(log));
    config.signature_timeout = Duration::from_secs(40);
    config
}

/// The first event `pick` accepts, within `WAIT`.
async fn until<T>(
    events: &mut broadcast::Receiver<Event>,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> Result<T, Error> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| "the awaited display event did not come")??;
        if let Some(found) = pick(&event) {
            return Ok(found);
        }
    }
}

fn shown(screen: &'static str) -> impl FnMut(&Event) -> Option<(u64, Option<SignatureLayout>)> {
    move |event| match event {
        Event::Shown { screen: s, seq, layout } if s == screen => Some((*seq, *layout)),
        _ => None,
    }
}

/// Moves the pointer through `points` (pad coordinates) with the button down.
fn draw(x: &Xvfb, layout: &SignatureLayout, points: &[[u16; 2]]) -> TestResult {
    let to_screen = |[px, py]: [u16; 2]| {
        (
            layout.pad.x + (f32::from(px) * layout.scale).round() as i32,
            layout.pad.y + (f32::from(py) * layout.scale).round() as i32,
        )
    };
    let mut args = Vec::new();
    for (i, point) in points.iter().enumerate() {
        let (sx, sy) = to_screen(*point);
        args.extend(["mousemove".to_owned(), sx.to_string(), sy.to_string()]);
        if i == 0 {
            args.extend(["mousedown".to_owned(), "1".to_owned()]);
        }
        args.extend(["sleep".to_owned(), "0.03".to_owned()]);
    }
    args.extend([
        "mouseup".to_owned(),
        "1".to_owned(),
        "sleep".to_owned(),
        "0.1".to_owned(),
    ]);
    x.xdotool(&args)
}

fn click(x: &Xvfb, rect: &till_display::screen::Rect) -> TestResult {
    let (cx, cy) = rect.centre();
    x.xdotool(&[
        "mousemove".into(),
        cx.to_string(),
        cy.to_string(),
        "click".into(),
        "1".into(),
        "sleep".into(),
        "0.1".into(),
    ])
}

/// Ink on the pad: dark pixels inside it (its border, guide line and × are light).
fn ink(shot: &till_scanner::LumaFrame, layout: &SignatureLayout) -> usize {
    let p = layout.pad;
    let (x0, y0) = (p.x.max(0) as u32 + 4, p.y.max(0) as u32 + 4);
    dark_pixels(shot, x0, y0, x0 + p.width - 8, y0 + p.height - 8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_drawn_with_the_mouse_arrives_as_strokes() -> TestResult {
    let x = Xvfb::start()?;
    let dir = screenshot_dir()?;
    let display = Arc::new(SlintDisplay::start(config(&x, "signature")));
    let mut events = display.events();
    until(&mut events, |e| (*e == Event::Ready).then_some(())).await?;

    let request = signature_request(Lang::En);
    let capture = tokio::spawn({
        let display = Arc::clone(&display);
        async move { display.capture_signature(&request).await }
    });
    let (_, layout) = until(&mut events, shown("signature")).await?;
    let layout = layout.ok_or("the signature screen reports its layout")?;
    assert!(
        layout.pad.width > 600 && layout.pad.height > 300,
        "a pad big enough to sign on: {layout:?}"
    );
    let empty = x.settled_screenshot(&dir.join("signature-empty.png"))?;
    assert!(ink(&empty, &layout) < 50, "the pad starts clean");

    // A scribble, wiped with Clear.
    draw(&x, &layout, &[[100, 100], [300, 120], [320, 200]])?;
    let scribbled = x.settled_screenshot(&dir.join("signature-scribble.png"))?;
    assert!(ink(&scribbled, &layout) > 300, "strokes are drawn live");
    click(&x, &layout.clear)?;
    let cleared = x.settled_screenshot(&dir.join("signature-cleared.png"))?;
    assert!(ink(&cleared, &layout) < 50, "Clear wipes the pad");

    // The signature: a V, then a separate underline.
    let v = [[80, 60], [130, 160], [180, 240], [230, 150], [280, 50]];
    let line = [[60, 280], [250, 285], [480, 290]];
    draw(&x, &layout, &v)?;
    draw(&x, &layout, &line)?;
    let signed = x.settled_screenshot(&dir.join("en-signature-signed.png"))?;
    assert!(ink(&signed, &layout) > 500, "the signature shows on the pad");
    click(&x, &layout.done)?;

    let signature = tokio::time::timeout(WAIT, capture)
        .await???
        .ok_or("Done gives a signature, not a cancel")?;
    assert_eq!(
        (f32::from(signature.width), f32::from(signature.height)),
        (
            (layout.pad.width as f32 / layout.scale).round(),
            (layout.pad.height as f32 / layout.scale).round()
        ),
        "strokes are in pad coordinates"
    );
    assert_eq!(
        signature.strokes.len(),
        2,
        "two strokes after Clear: {:?}",
        signature.strokes
    );
    for (drawn, got) in [&v[..], &line[..]].iter().zip(&signature.strokes) {
        for point in *drawn {
            let near = got
                .iter()
                .any(|p| p[0].abs_diff(point[0]) <= 2 && p[1].abs_diff(point[1]) <= 2);
            assert!(near, "{point:?} drawn is in the stroke {got:?}");
        }
        let (first, last) = (got.first().ok_or("empty stroke")?, got.last().ok_or("empty stroke")?);
        assert!(
            first[0].abs_diff(drawn[0][0]) <= 2 && first[1].abs_diff(drawn[0][1]) <= 2,
            "starts where the pen went down"
        );
        let end = drawn[drawn.len() - 1];
        assert!(
            last[0].abs_diff(end[0]) <= 2 && last[1].abs_diff(end[1]) <= 2,
            "ends where it was lifted"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_display_comes_back_showing_the_current_state() -> TestResult {
    let x = Xvfb::start()?;
    let dir = screenshot_dir()?;
    let display = SlintDisplay::start(config(&x, "supervision"));
    let mut events = display.events();
    until(&mut events, |e| (*e == Event::Ready).then_some(())).await?;
    let amount = samples(Lang::ZhHans)[1].1.clone();
    display.show(&amount).await?;
    until(&mut events, shown("amount")).await?;
    let before = x.settled_screenshot(&dir.join("supervision-before-kill.png"))?;
    let first = display.pid().ok_or("a display process runs")?;

    kill9(first)?;
    let second = tokio::time::timeout(WAIT, display.next_pid(Some(first)))
        .await?
        .ok_or("restarted")?;
    assert_ne!(second, first, "a new process");
    let (seq, _) = until(&mut events, shown("amount")).await?;
    assert_eq!(seq, 1, "the new process's first snapshot is the current one");
    let after = x.settled_screenshot(&dir.join("supervision-after-restart.png"))?;
    assert!(
        differing_pixels(&before, &after) < 200,
        "the restarted display shows what the dead one showed"
    );

    // The till moves on while the display is dead: show returns at once, and the next process
    // shows the newest state.
    kill9(second)?;
    let prompt = samples(Lang::ZhHans)[3].1.clone();
    let started = Instant::now();
    display.show(&prompt).await?;
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "show never waits for the display"
    );
    let third = tokio::time::timeout(WAIT, display.next_pid(Some(second)))
        .await?
        .ok_or("restarted again")?;
    let (seq, _) = until(&mut events, shown("prompt")).await?;
    assert_eq!(seq, 1, "the prompt is the first thing the third process shows");
    let shot = x.settled_screenshot(&dir.join("supervision-after-second-restart.png"))?;
    assert!(differing_pixels(&before, &shot) > 2_000, "the prompt, not the amount");
    assert_eq!(display.starts(), 3, "started once and restarted twice");

    drop(display);
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(third) {
        assert!(
            Instant::now() < deadline,
            "dropping SlintDisplay kills its process {third}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn kill9(pid: u32) -> TestResult {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()?;
    assert!(status.success(), "kill -9 {pid}");
    Ok(())
}

/// Running, not a zombie waiting to be reaped.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn the_binary_is_located_or_reported_missing() -> TestResult {
    let found = SlintDisplayConfig::locate(Some(std::path::Path::new(DISPLAY_BIN)))?;
    assert_eq!(found, std::path::Path::new(DISPLAY_BIN));
    assert!(
        SlintDisplayConfig::locate(Some(std::path::Path::new("/nonexistent/till-display"))).is_err(),
        "a missing binary is reported, not spawned"
    );
    Ok(())
}

/// D4 end to end: a card sale whose CVM asks for a signature, on a till whose customer display
/// is the real Slint process. The signature drawn there with the mouse is journaled with the
/// sale and printed, as an image, on the virtual printer's merchant copy (not on the customer's).
#[tokio::test]
async fn a_signature_drawn_on_the_display_prints_on_the_merchant_copy() -> TestResult {
    use till::{ManualClock, SaleInput, Sims, Till, TillOptions};
    use till_domain::ports::ReceiptPrinter;
    use till_domain::{Cvm, PaymentMeans, TillConfig, TxnStatus};
    use till_journal::{AuthStore, Journal};
    use till_printer::{ChineseMode, Paper, Profile, VirtualPrinter};

    let x = Xvfb::start()?;
    let dir = screenshot_dir()?;
    let display = Arc::new(SlintDisplay::start(config(&x, "till-signature")));
    let mut events = display.events();
    until(&mut events, |e| (*e == Event::Ready).then_some(())).await?;

    let config = TillConfig::demo();
    let clock = Arc::new(ManualClock::new(till_testkit::t0()));
    let sims = Sims::open(None, clock.clone(), config.currency, 48)?;
    let printer = Arc::new(VirtualPrinter::new(
        Profile::new(Paper::Mm80, ChineseMode::Gb18030),
        None,
    ));
    let mut devices = sims.devices();
    devices.display = display.clone();
    devices.printer = printer.clone();
    let mut opts = TillOptions::new(config);
    opts.clock = clock;
    let till = Arc::new(Till::open(
        Journal::open_in_memory()?,
        AuthStore::open_in_memory()?,
        devices,
        opts,
    )?);
    till.change_pin("1", "0001", "135790")?;
    till.login("1", "135790")?;

    // The simulated PIN pad asks for a signature when the total ends in 52.
    let sale = tokio::spawn({
        let till = Arc::clone(&till);
        async move {
            till.sale(SaleInput {
                amount: Money::new(4252, Currency::Hkd),
                tip: Money::new(0, Currency::Hkd),
                means: PaymentMeans::Card,
                qr_scheme: None,
                code: None,
            })
            .await
        }
    });
    let (_, layout) = until(&mut events, shown("signature")).await?;
    let layout = layout.ok_or("the signature screen reports its layout")?;
    let stroke = [[60, 200], [160, 80], [260, 220], [360, 90], [460, 200]];
    draw(&x, &layout, &stroke)?;
    x.settled_screenshot(&dir.join("till-signature-signed.png"))?;
    click(&x, &layout.done)?;
    let done = tokio::time::timeout(WAIT, sale).await???;

    assert_eq!(done.txn.status, TxnStatus::Approved);
    let card = done.txn.approval.as_ref().and_then(|a| a.card.as_ref()).ok_or("card")?;
    assert_eq!(card.cvm, Cvm::Signature);
    let signature = done
        .txn
        .signature
        .as_ref()
        .ok_or("the signature is kept with the sale")?;
    assert_eq!(signature.strokes.len(), 1, "{:?}", signature.strokes);
    assert!(
        stroke.iter().all(|p| signature.strokes[0]
            .iter()
            .any(|q| q[0].abs_diff(p[0]) <= 2 && q[1].abs_diff(p[1]) <= 2)),
        "the drawn points arrived: {:?}",
        signature.strokes[0]
    );
    let stored = till.history(till_journal::HistoryQuery::default())?;
    assert_eq!(stored[0].signature.as_ref(), Some(signature), "journaled");

    // Two copies: the merchant's carries the signature image, the customer's does not.
    let pages = printer.pages();
    assert_eq!(pages.len(), 2, "merchant and customer copies");
    let image_rows = |page: &till_printer::Page| page.text.lines().filter(|l| l.contains("[image")).count();
    assert_eq!(image_rows(&pages[0]), 1, "merchant copy:\n{}", pages[0].text);
    assert_eq!(image_rows(&pages[1]), 0, "customer copy:\n{}", pages[1].text);
    assert!(printer.status().await.is_ok());
    std::fs::write(
        dir.join("till-signature-merchant-copy.png"),
        pages[0].on_paper().to_png()?,
    )?;
    Ok(())
}

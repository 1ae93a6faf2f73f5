//! The adapter: maps the till's snapshots onto the screens' globals (one per screen, like
//! Slint's todo-mvc), and the customer's pen and buttons onto events. Everything the display
//! decides is decided here, in Rust; the `.slint` files only lay out and forward.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::{Rc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer, SharedString};
use till_display::screen::protocol::{Event, Rect, SignatureLayout};
use till_domain::ports::{DisplaySnapshot, Signature};

use crate::{
    AmountScreen, Current, DisplayWindow, IdleScreen, PromptScreen, QrScreen, ResultScreen, ScreenKind,
    SignatureScreen, ThankYouScreen, emit, reject,
};

/// Modules of white around the code: the 4 the QR standard asks for.
const QUIET_ZONE: usize = 4;
/// The code image is drawn about this many pixels wide, in whole pixels per module, and shown
/// scaled without smoothing.
const QR_PIXELS: usize = 720;
/// The longest totals (in characters) shown at full size on the amount and QR screens:
/// `HK$99,999.99` and `HK$9,999.99`. Longer ones are drawn smaller to fit.
const AMOUNT_FULL: usize = 12;
const QR_TOTAL_FULL: usize = 11;

/// The display's state beyond the globals: the ink on the pad, the countdown, the count of
/// snapshots shown.
pub struct Screen {
    window: slint::Weak<DisplayWindow>,
    shown: Cell<u64>,
    pad: RefCell<Pad>,
    countdown: slint::Timer,
}

impl Screen {
    pub fn new(window: &DisplayWindow) -> Rc<Screen> {
        let screen = Rc::new(Screen {
            window: window.as_weak(),
            shown: Cell::new(0),
            pad: RefCell::new(Pad::default()),
            countdown: slint::Timer::default(),
        });
        let signature = window.global::<SignatureScreen>();
        let this = Rc::downgrade(&screen);
        signature.on_pen_down(pen(&this, |pad, point| pad.down(point)));
        signature.on_pen_move(pen(&this, |pad, point| pad.pen_move(point)));
        signature.on_pen_up({
            let this = Weak::clone(&this);
            move || {
                if let Some(screen) = this.upgrade() {
                    screen.pad.borrow_mut().up();
                }
            }
        });
        signature.on_clear({
            let this = Weak::clone(&this);
            move || {
                if let Some(screen) = this.upgrade() {
                    *screen.pad.borrow_mut() = Pad::default();
                    screen.show_ink();
                }
            }
        });
        signature.on_done({
            let this = Weak::clone(&this);
            move || {
                if let Some(screen) = this.upgrade() {
                    screen.done();
                }
            }
        });
        signature.on_cancel(move || {
            if let Some(screen) = this.upgrade() {
                screen.cancel();
            }
        });
        screen
    }

    /// Shows snapshot `line` of the input, or rejects it (a payload that makes no QR code)
    /// leaving the screen as it was.
    pub fn apply(&self, line: u64, snapshot: DisplaySnapshot) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let current = match &snapshot {
            DisplaySnapshot::QrToScan { payload, .. } => match qr_image(payload) {
                Ok(code) => {
                    window.global::<QrScreen>().set_code(code);
                    ScreenKind::QrToScan
                }
                Err(reason) => return reject(line, reason),
            },
            DisplaySnapshot::Idle { .. } => ScreenKind::Idle,
            DisplaySnapshot::Amount { .. } => ScreenKind::Amount,
            DisplaySnapshot::Prompt { .. } => ScreenKind::Prompt,
            DisplaySnapshot::Signature { .. } => ScreenKind::Signature,
            DisplaySnapshot::Result { .. } => ScreenKind::Result,
            DisplaySnapshot::ThankYou { .. } => ScreenKind::ThankYou,
        };
        self.countdown.stop();
        match &snapshot {
            DisplaySnapshot::Idle { text } => window.global::<IdleScreen>().set_text(text.into()),
            DisplaySnapshot::Amount {
                amount,
                tip,
                total,
                labels,
            } => {
                let screen = window.global::<AmountScreen>();
                screen.set_amount_label(labels[0].as_str().into());
                screen.set_tip_label(labels[1].as_str().into());
                screen.set_total_label(labels[2].as_str().into());
                screen.set_amount(amount.into());
                screen.set_tip(tip.into());
                screen.set_total(total.into());
                screen.set_total_scale(fit(total, AMOUNT_FULL));
            }
            DisplaySnapshot::QrToScan {
                total,
                prompt,
                expires_at,
                ..
            } => {
                let screen = window.global::<QrScreen>();
                screen.set_total(total.into());
                screen.set_total_scale(fit(total, QR_TOTAL_FULL));
                screen.set_prompt(prompt.into());
                screen.set_countdown(countdown(*expires_at, Utc::now()).into());
                self.start_countdown(*expires_at);
            }
            DisplaySnapshot::Prompt { text } => window.global::<PromptScreen>().set_text(text.into()),
            DisplaySnapshot::Signature {
                total,
                prompt,
                clear,
                done,
            } => {
                let screen = window.global::<SignatureScreen>();
                screen.set_total(total.into());
                screen.set_prompt(prompt.into());
                screen.set_clear_label(clear.into());
                screen.set_done_label(done.into());
                // Every request starts on a clean pad.
                *self.pad.borrow_mut() = Pad::default();
                self.show_ink();
            }
            DisplaySnapshot::Result { approved, text } => {
                let screen = window.global::<ResultScreen>();
                screen.set_approved(*approved);
                screen.set_text(text.into());
            }
            DisplaySnapshot::ThankYou { text } => window.global::<ThankYouScreen>().set_text(text.into()),
        }
        window.global::<Current>().set_screen(current);
        let seq = self.shown.get() + 1;
        self.shown.set(seq);
        let layout = (current == ScreenKind::Signature).then(|| signature_layout(&window));
        emit(&Event::Shown {
            screen: snapshot.screen().to_owned(),
            seq,
            layout,
        });
    }

    /// The customer gave up signing (Escape, or the window's close button).
    pub fn cancel(&self) {
        let on_pad = self
            .window
            .upgrade()
            .is_some_and(|w| w.global::<Current>().get_screen() == ScreenKind::Signature);
        if on_pad {
            emit(&Event::Cancel);
        }
    }

    fn done(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let pad = self.pad.borrow();
        if pad.is_blank() {
            return;
        }
        let (width, height) = pad_size(&window);
        emit(&Event::Signature(Signature {
            width,
            height,
            strokes: pad.strokes.clone(),
        }));
        // Once: the till moves on to the next screen.
        window.global::<SignatureScreen>().set_can_finish(false);
    }

    fn show_ink(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let pad = self.pad.borrow();
        let screen = window.global::<SignatureScreen>();
        screen.set_ink(pad.path());
        screen.set_can_finish(!pad.is_blank());
    }

    fn start_countdown(&self, expires_at: DateTime<Utc>) {
        let window = self.window.clone();
        self.countdown
            .start(slint::TimerMode::Repeated, Duration::from_millis(250), move || {
                if let Some(window) = window.upgrade() {
                    let text = countdown(expires_at, Utc::now());
                    let screen = window.global::<QrScreen>();
                    if screen.get_countdown() != text.as_str() {
                        screen.set_countdown(text.into());
                    }
                }
            });
    }
}

/// A pen callback: the point, clamped to the pad, given to `f`; the ink redrawn if it changed.
fn pen(this: &Weak<Screen>, f: fn(&mut Pad, [u16; 2]) -> bool) -> impl Fn(f32, f32) + 'static {
    let this = Weak::clone(this);
    move |x, y| {
        let Some(screen) = this.upgrade() else {
            return;
        };
        let Some(window) = screen.window.upgrade() else {
            return;
        };
        let point = clamp_to_pad(x, y, pad_size(&window));
        let changed = f(&mut screen.pad.borrow_mut(), point);
        if changed {
            screen.show_ink();
        }
    }
}

fn pad_size(window: &DisplayWindow) -> (u16, u16) {
    (to_u16(window.get_pad_width()), to_u16(window.get_pad_height()))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped first
fn to_u16(v: f32) -> u16 {
    v.round().clamp(0.0, f32::from(u16::MAX)) as u16
}

fn clamp_to_pad(x: f32, y: f32, (width, height): (u16, u16)) -> [u16; 2] {
    [
        to_u16(x).min(width.saturating_sub(1)),
        to_u16(y).min(height.saturating_sub(1)),
    ]
}

fn signature_layout(window: &DisplayWindow) -> SignatureLayout {
    let scale = window.window().scale_factor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // window coordinates
    let rect = |x: f32, y: f32, w: f32, h: f32| Rect {
        x: (x * scale).round() as i32,
        y: (y * scale).round() as i32,
        width: (w * scale).round().max(0.0) as u32,
        height: (h * scale).round().max(0.0) as u32,
    };
    SignatureLayout {
        pad: rect(
            window.get_pad_x(),
            window.get_pad_y(),
            window.get_pad_width(),
            window.get_pad_height(),
        ),
        clear: rect(
            window.get_clear_x(),
            window.get_clear_y(),
            window.get_clear_width(),
            window.get_clear_height(),
        ),
        done: rect(
            window.get_done_x(),
            window.get_done_y(),
            window.get_done_width(),
            window.get_done_height(),
        ),
        scale,
    }
}

/// The strokes on the signature pad.
#[derive(Debug, Default)]
struct Pad {
    strokes: Vec<Vec<[u16; 2]>>,
    drawing: bool,
}

impl Pad {
    fn down(&mut self, point: [u16; 2]) -> bool {
        self.strokes.push(vec![point]);
        self.drawing = true;
        true
    }

    fn pen_move(&mut self, point: [u16; 2]) -> bool {
        let Some(stroke) = self.strokes.last_mut().filter(|_| self.drawing) else {
            return false;
        };
        if stroke.last() == Some(&point) {
            return false;
        }
        stroke.push(point);
        true
    }

    fn up(&mut self) {
        self.drawing = false;
    }

    fn is_blank(&self) -> bool {
        self.strokes.iter().all(|s| s.len() < 2)
    }

    /// SVG path data for the strokes; a lone point is drawn as a dot.
    fn path(&self) -> SharedString {
        let mut path = String::new();
        for stroke in &self.strokes {
            let Some([x, y]) = stroke.first() else {
                continue;
            };
            let _ = write!(path, "M {x} {y} ");
            if stroke.len() == 1 {
                let _ = write!(path, "L {} {y} ", x + 1);
            }
            for [x, y] in &stroke[1..] {
                let _ = write!(path, "L {x} {y} ");
            }
        }
        path.trim_end().into()
    }
}

/// How much smaller than full size `text` is drawn so that it takes no more room than `full`
/// characters.
#[allow(clippy::cast_precision_loss)] // lengths of a line of text
fn fit(text: &str, full: usize) -> f32 {
    let length = text.chars().count();
    if length <= full {
        1.0
    } else {
        full as f32 / length as f32
    }
}

/// `mm:ss` left until `expires_at` (`h:mm:ss` from an hour), rounded up, never below zero.
fn countdown(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let millis = (expires_at - now).num_milliseconds().max(0);
    let seconds = (millis + 999) / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}

/// The payload as a QR code image: black modules on white with the quiet zone, in whole
/// pixels per module.
fn qr_image(payload: &str) -> Result<Image, String> {
    if payload.is_empty() {
        return Err("empty QR payload".to_owned());
    }
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|e| format!("QR payload cannot be encoded: {e}"))?;
    let modules = code.width();
    let colors = code.to_colors();
    let span = modules + 2 * QUIET_ZONE;
    let scale = (QR_PIXELS / span).max(1);
    let side = span * scale;
    let side_u32 = u32::try_from(side).map_err(|_| "QR code too large".to_owned())?;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side_u32, side_u32);
    let white = Rgb8Pixel::new(255, 255, 255);
    let black = Rgb8Pixel::new(0, 0, 0);
    for (i, pixel) in buffer.make_mut_slice().iter_mut().enumerate() {
        let (mx, my) = ((i % side) / scale, (i / side) / scale);
        let inside =
            (QUIET_ZONE..QUIET_ZONE + modules).contains(&mx) && (QUIET_ZONE..QUIET_ZONE + modules).contains(&my);
        let dark = inside && colors[(my - QUIET_ZONE) * modules + (mx - QUIET_ZONE)] == qrcode::Color::Dark;
        *pixel = if dark { black } else { white };
    }
    Ok(Image::from_rgb8(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_rounds_up_and_stops_at_zero() {
        let now = DateTime::UNIX_EPOCH;
        let at = |ms: i64| now + chrono::Duration::milliseconds(ms);
        assert_eq!(countdown(at(300_000), now), "05:00", "five minutes");
        assert_eq!(countdown(at(299_001), now), "05:00", "a started second counts whole");
        assert_eq!(countdown(at(61_000), now), "01:01");
        assert_eq!(countdown(at(3_723_000), now), "1:02:03", "an hour or more");
        assert_eq!(countdown(at(-5_000), now), "00:00", "expired");
    }

    #[test]
    fn long_totals_are_drawn_smaller() {
        assert!(
            (fit("HK$1,388.50", AMOUNT_FULL) - 1.0).abs() < f32::EPSILON,
            "a usual total at full size"
        );
        let scale = fit("HK$123,456,388.50", AMOUNT_FULL);
        assert!(
            (scale - 12.0 / 17.0).abs() < 1e-6,
            "17 characters in the room of 12: {scale}"
        );
    }

    #[test]
    fn pad_keeps_strokes_and_draws_them() {
        let mut pad = Pad::default();
        assert!(!pad.pen_move([1, 1]), "moving without the pen down draws nothing");
        pad.down([10, 20]);
        assert!(pad.is_blank(), "a dot is no signature");
        assert!(pad.pen_move([11, 21]));
        assert!(!pad.pen_move([11, 21]), "the same point twice is kept once");
        pad.up();
        assert!(!pad.pen_move([50, 50]), "after the pen is lifted");
        pad.down([5, 5]);
        assert_eq!(pad.strokes, vec![vec![[10, 20], [11, 21]], vec![[5, 5]]]);
        assert!(!pad.is_blank());
        assert_eq!(pad.path().as_str(), "M 10 20 L 11 21 M 5 5 L 6 5");
    }

    #[test]
    fn points_are_clamped_to_the_pad() {
        assert_eq!(clamp_to_pad(-4.0, 500.0, (300, 200)), [0, 199]);
        assert_eq!(clamp_to_pad(12.4, 7.6, (300, 200)), [12, 8]);
    }

    #[test]
    fn qr_payload_limits() {
        assert!(qr_image("").is_err(), "nothing to encode");
        assert!(qr_image(&"9".repeat(8000)).is_err(), "beyond what a QR code holds");
        assert!(qr_image("00020101021226").is_ok());
    }
}

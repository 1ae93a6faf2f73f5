//! Keyboard-wedge scanners: USB scanners that pretend to be a keyboard and type what they read,
//! then Enter. The till tells them from a person by timing: a scanner types a key every few
//! milliseconds, evenly; a person, even a fast one, takes 50 ms or more between most keys.
//!
//! The classifier ([`Wedge`]) is pure, with time passed in: the UI (or any key source) feeds it
//! keystrokes with their event times and gets back either a scanned code or the keys a person
//! typed, to pass on to the focused field. [`KeyboardWedge`] is the same over a channel, as a
//! [`CodeSource`].

use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::ScanError;
use crate::scanner::CodeSource;

/// One key of a keystroke stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A key that types a character.
    Char(char),
    /// Enter (or Return): what scanners send after a code, unless configured otherwise.
    Enter,
}

/// A key and when it was pressed (the event's own time, not when it was processed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStroke {
    /// The key.
    pub key: Key,
    /// When.
    pub at: Instant,
}

/// What the keys were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeEvent {
    /// A scanner typed this code (without its Enter).
    Scanned(String),
    /// A person typed this (Enter as `\n`): hand it on to the focused field.
    Typed(String),
}

/// The timing that tells a scanner from a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WedgeTiming {
    /// No gap between two keys of a scan (Enter included) may be longer: a scanner may stall
    /// once on a busy USB bus, but not for this long.
    pub max_gap: Duration,
    /// The mean gap of a scan must be at most this: scanners type at 1–10 ms a key.
    pub max_mean_gap: Duration,
    /// A burst shorter than this is a person's quick double key, not a scan.
    pub min_len: usize,
}

impl Default for WedgeTiming {
    /// 50 ms at most between two keys, 20 ms on average, 6 characters at least (payment codes
    /// have 16 to 24).
    fn default() -> WedgeTiming {
        WedgeTiming {
            max_gap: Duration::from_millis(50),
            max_mean_gap: Duration::from_millis(20),
            min_len: 6,
        }
    }
}

/// Sorts a keystroke stream into scans and typing.
#[derive(Debug, Clone, Default)]
pub struct Wedge {
    timing: WedgeTiming,
    /// Keys since the last decision, with their times.
    pending: Vec<(char, Instant)>,
}

impl Wedge {
    /// A classifier with this timing.
    pub fn new(timing: WedgeTiming) -> Wedge {
        Wedge {
            timing,
            pending: Vec::new(),
        }
    }

    /// Takes one keystroke; returns what is decided by it (usually nothing yet: keys are held
    /// until their burst ends or a gap shows a person typing).
    pub fn push(&mut self, stroke: KeyStroke) -> Vec<WedgeEvent> {
        let mut events = self.flush(stroke.at);
        match stroke.key {
            Key::Char(c) => self.pending.push((c, stroke.at)),
            Key::Enter => {
                let scan = self.pending.len() >= self.timing.min_len && self.burst_ends_at(stroke.at);
                let text: String = self.pending.drain(..).map(|(c, _)| c).collect();
                events.push(if scan {
                    WedgeEvent::Scanned(text)
                } else {
                    WedgeEvent::Typed(text + "\n")
                });
            }
        }
        events
    }

    /// Hands on held keys as typing once `now` is too late for them to be part of a burst. Call
    /// it from a timer (every `max_gap` or so) so a person's keys are not held for long.
    pub fn flush(&mut self, now: Instant) -> Vec<WedgeEvent> {
        match self.pending.last() {
            Some(&(_, last)) if now.saturating_duration_since(last) > self.timing.max_gap => {
                vec![WedgeEvent::Typed(self.pending.drain(..).map(|(c, _)| c).collect())]
            }
            _ => Vec::new(),
        }
    }

    /// Whether the held keys and an Enter at `enter` are one scanner burst.
    fn burst_ends_at(&self, enter: Instant) -> bool {
        let Some(&(_, first)) = self.pending.first() else {
            return false;
        };
        let times: Vec<Instant> = self.pending.iter().map(|&(_, t)| t).chain([enter]).collect();
        let evenly_fast = times
            .windows(2)
            .all(|w| w[1].saturating_duration_since(w[0]) <= self.timing.max_gap);
        let gaps = u32::try_from(self.pending.len()).unwrap_or(u32::MAX);
        let mean = enter.saturating_duration_since(first) / gaps;
        evenly_fast && mean <= self.timing.max_mean_gap
    }
}

/// Sends keystrokes to a [`KeyboardWedge`]: the UI's key handler holds one.
pub type KeySender = mpsc::UnboundedSender<KeyStroke>;

/// A keyboard-wedge scanner as a [`CodeSource`]: keystrokes come in over a channel, scans come
/// out; what a person typed is dropped here (a UI that wants it uses [`Wedge`] directly).
#[derive(Debug)]
pub struct KeyboardWedge {
    keys: mpsc::UnboundedReceiver<KeyStroke>,
    wedge: Wedge,
}

impl KeyboardWedge {
    /// A wedge with the default timing and the sender that feeds it.
    pub fn channel() -> (KeySender, KeyboardWedge) {
        KeyboardWedge::with_timing(WedgeTiming::default())
    }

    /// A wedge with this timing and the sender that feeds it.
    pub fn with_timing(timing: WedgeTiming) -> (KeySender, KeyboardWedge) {
        let (sender, keys) = mpsc::unbounded_channel();
        (
            sender,
            KeyboardWedge {
                keys,
                wedge: Wedge::new(timing),
            },
        )
    }
}

#[async_trait]
impl CodeSource for KeyboardWedge {
    async fn next_text(&mut self) -> Result<String, ScanError> {
        loop {
            let stroke = self.keys.recv().await.ok_or(ScanError::Ended("the keyboard is gone"))?;
            for event in self.wedge.push(stroke) {
                if let WedgeEvent::Scanned(code) = event {
                    return Ok(code);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keystrokes for `text` then Enter, `gaps_ms[i]` after the previous key (cycled).
    fn typed(t0: Instant, text: &str, gaps_ms: &[u64]) -> Vec<KeyStroke> {
        let mut at = t0;
        let keys = text.chars().map(Key::Char).chain([Key::Enter]);
        keys.zip(gaps_ms.iter().cycle())
            .map(|(key, gap)| {
                at += Duration::from_millis(*gap);
                KeyStroke { key, at }
            })
            .collect()
    }

    fn run(wedge: &mut Wedge, strokes: Vec<KeyStroke>) -> Vec<WedgeEvent> {
        strokes.into_iter().flat_map(|s| wedge.push(s)).collect()
    }

    #[test]
    fn a_scanner_burst_is_a_scan_even_with_one_stall() -> Result<(), String> {
        let t0 = Instant::now();
        let mut wedge = Wedge::default();
        let code = "134567890123456789";
        let events = run(&mut wedge, typed(t0, code, &[4]));
        assert_eq!(events, [WedgeEvent::Scanned(code.into())]);
        // One 40 ms stall on the USB bus in an otherwise 3 ms burst.
        let events = run(
            &mut wedge,
            typed(t0 + Duration::from_secs(5), code, &[3, 3, 3, 3, 3, 40, 3, 3]),
        );
        assert_eq!(events, [WedgeEvent::Scanned(code.into())]);
        Ok(())
    }

    #[test]
    fn a_person_typing_is_handed_on() -> Result<(), String> {
        let t0 = Instant::now();
        let mut wedge = Wedge::default();
        // A fast typist: 60–120 ms between keys.
        let events = run(&mut wedge, typed(t0, "12345678", &[60, 90, 120]));
        let text: String = events
            .iter()
            .map(|e| match e {
                WedgeEvent::Typed(t) => t.as_str(),
                WedgeEvent::Scanned(_) => "<scan>",
            })
            .collect();
        assert_eq!(text, "12345678\n", "every key handed on, in order, no scan");
        // A quick double key then Enter: too short for a scan.
        let events = run(&mut wedge, typed(t0 + Duration::from_secs(9), "ab", &[5]));
        assert_eq!(events, [WedgeEvent::Typed("ab\n".into())]);
        Ok(())
    }

    #[test]
    fn steady_but_slow_keys_are_not_a_scan() -> Result<(), String> {
        // Every gap under max_gap (45 ms) but a mean far above max_mean_gap: a key held down
        // with auto-repeat, or a very fast person.
        let mut wedge = Wedge::default();
        let events = run(&mut wedge, typed(Instant::now(), "1111111111", &[45]));
        assert_eq!(events, [WedgeEvent::Typed("1111111111\n".into())]);
        Ok(())
    }

    #[test]
    fn a_timer_flushes_held_keys() -> Result<(), String> {
        let t0 = Instant::now();
        let mut wedge = Wedge::default();
        assert!(
            wedge
                .push(KeyStroke {
                    key: Key::Char('7'),
                    at: t0
                })
                .is_empty(),
            "held: may start a burst"
        );
        assert!(wedge.flush(t0 + Duration::from_millis(10)).is_empty());
        assert_eq!(
            wedge.flush(t0 + Duration::from_millis(80)),
            [WedgeEvent::Typed("7".into())]
        );
        Ok(())
    }
}

//! A code held in front of the camera is in thirty frames a second; a serial scanner in
//! presentation mode reads it again and again. The till must see it once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a code must be out of sight before it counts as scanned again, unless set: longer
/// than a customer takes to lower a phone, shorter than a cashier takes to start the next sale.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3);

/// Lets a code through once per sighting. Every sighting refreshes the window, so a code that
/// stays in view for a minute arrives once; it arrives again only after `window` without it.
/// Time is passed in, so tests replay any timing.
#[derive(Debug, Clone)]
pub struct Dedup {
    window: Duration,
    last_seen: HashMap<String, Instant>,
}

impl Default for Dedup {
    fn default() -> Dedup {
        Dedup::new(DEFAULT_WINDOW)
    }
}

impl Dedup {
    /// A filter that forgets a code `window` after it was last seen.
    pub fn new(window: Duration) -> Dedup {
        Dedup {
            window,
            last_seen: HashMap::new(),
        }
    }

    /// Whether `code`, seen at `now`, is new (let it through) or a repeat (drop it).
    pub fn admit(&mut self, code: &str, now: Instant) -> bool {
        // Forget what is out of the window, so the map stays as small as the codes in view.
        let window = self.window;
        self.last_seen
            .retain(|_, seen| now.saturating_duration_since(*seen) <= window);
        self.last_seen.insert(code.to_owned(), now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_in_view_arrives_once_and_again_after_the_window() -> Result<(), String> {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut dedup = Dedup::new(Duration::from_secs(3));
        assert!(dedup.admit("A", ms(0)));
        // Thirty frames a second for ten seconds: never again while in view.
        for frame in 1..300 {
            assert!(!dedup.admit("A", ms(frame * 33)), "frame {frame} repeats A");
        }
        // Another code in the same frames is its own.
        assert!(dedup.admit("B", ms(9_900)));
        // Out of view for longer than the window: a new sighting.
        assert!(dedup.admit("A", ms(9_867 + 3_001)));
        Ok(())
    }
}

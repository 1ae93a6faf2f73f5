//! The parser is total: cut-off, mutated and random text gives an error or a payload, never a
//! panic, and what it accepts re-encodes to the same text.

use till_qr::parse;

use crate::support::{TestResult, negatives, positives};

fn assert_total(text: &str) {
    if let Ok(parsed) = parse(text) {
        assert_eq!(parsed.payload.encode(), text, "accepted text must re-encode exactly");
    }
}

#[test]
fn truncated_and_mutated_payloads_never_panic() -> TestResult {
    let mut texts: Vec<String> = positives()?.into_iter().map(|v| v.payload).collect();
    texts.extend(negatives()?.into_iter().map(|v| v.payload));
    for text in &texts {
        let chars: Vec<char> = text.chars().collect();
        for cut in 0..=chars.len() {
            assert_total(&chars[..cut].iter().collect::<String>());
            assert_total(&chars[cut..].iter().collect::<String>());
        }
        for position in 0..chars.len() {
            for replacement in ['0', '9', 'A', 'f', ' ', '字', 'ស', '\u{0}'] {
                let mut mutated = chars.clone();
                mutated[position] = replacement;
                assert_total(&mutated.iter().collect::<String>());
            }
        }
    }
    Ok(())
}

#[test]
fn random_text_never_panics() {
    let alphabet: Vec<char> = "0123456789ABCDEFabcdef .-字ស\u{301}".chars().collect();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        assert_total(&text);
        assert_total(&format!("000201{text}"));
    }
}

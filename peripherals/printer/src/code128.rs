//! CODE128 both ways: the GS k data a printer wants (`{C` digit pairs, `{B` text; ESCPOS.md §5)
//! and, for the virtual printer, the bars that data prints as.

/// Bar/space widths of symbol values 0..=105 (ISO/IEC 15417), bar first; 11 modules each.
const PATTERNS: [&str; 106] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232",
];
/// The stop symbol with its termination bar: 13 modules.
const STOP: &str = "2331112";
const START_A: u8 = 103;
const START_B: u8 = 104;
const START_C: u8 = 105;
const CODE_A: u8 = 101;
const CODE_B: u8 = 100;
const CODE_C: u8 = 99;
const SHIFT: u8 = 98;
const FNC1: u8 = 102;

/// The data of `GS k 73 n d…` for `text`: digits as `{C` pairs (an odd last digit after
/// `{B`), anything else as `{B` with `{` doubled. `None` if `text` is empty, too long for one
/// symbol or not printable ASCII.
pub fn gs_k_data(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let mut out = Vec::new();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        out.extend_from_slice(b"{C");
        let digits = text.as_bytes();
        for pair in digits.chunks(2) {
            match pair {
                [a, b] => out.push((a - b'0') * 10 + (b - b'0')),
                [a] => out.extend_from_slice(&[b'{', b'B', *a]),
                _ => {}
            }
        }
    } else {
        out.extend_from_slice(b"{B");
        for b in text.bytes() {
            if b == b'{' {
                out.push(b'{');
            }
            out.push(b);
        }
    }
    (out.len() <= 255).then_some(out)
}

/// Symbol values (start, data, check, stop) of GS k 73 data, plus the human-readable text.
/// `None` when the data does not start with a code set or uses one wrongly.
pub fn symbols(data: &[u8]) -> Option<(Vec<u8>, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Set {
        A,
        B,
        C,
    }
    let value_in = |set: Set, b: u8| -> Option<u8> {
        match set {
            Set::A => match b {
                0x20..=0x5f => Some(b - 0x20),
                0x00..=0x1f => Some(b + 64),
                _ => None,
            },
            Set::B => (0x20..=0x7f).contains(&b).then(|| b - 0x20),
            Set::C => (b <= 99).then_some(b),
        }
    };
    let mut values = Vec::new();
    let mut hri = String::new();
    let mut set: Option<Set> = None;
    let mut shift = false;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b == b'{' {
            let code = *data.get(i + 1)?;
            i += 2;
            let switch = |to: Set, start: u8, code: u8, values: &mut Vec<u8>, set: &mut Option<Set>| {
                values.push(if set.is_none() { start } else { code });
                *set = Some(to);
            };
            match code {
                b'A' => switch(Set::A, START_A, CODE_A, &mut values, &mut set),
                b'B' => switch(Set::B, START_B, CODE_B, &mut values, &mut set),
                b'C' => switch(Set::C, START_C, CODE_C, &mut values, &mut set),
                b'S' => {
                    set?;
                    values.push(SHIFT);
                    shift = true;
                }
                b'1' => {
                    set?;
                    values.push(FNC1);
                }
                b'{' => {
                    let s = set?;
                    values.push(value_in(s, b'{')?);
                    hri.push('{');
                }
                _ => return None,
            }
            continue;
        }
        let mut s = set?;
        if shift {
            s = if s == Set::A { Set::B } else { Set::A };
            shift = false;
        }
        values.push(value_in(s, b)?);
        if s == Set::C {
            hri.push_str(&format!("{b:02}"));
        } else if (0x20..0x7f).contains(&b) {
            hri.push(b as char);
        }
        i += 1;
    }
    if values.len() < 2 {
        return None;
    }
    let check = values
        .iter()
        .enumerate()
        .map(|(pos, v)| usize::from(*v) * pos.max(1))
        .sum::<usize>()
        % 103;
    values.push(u8::try_from(check).ok()?);
    values.push(106);
    Some((values, hri))
}

/// The modules of a symbol sequence, `true` = bar.
pub fn modules(values: &[u8]) -> Vec<bool> {
    let mut out = Vec::new();
    for v in values {
        let pattern = PATTERNS.get(usize::from(*v)).copied().unwrap_or(STOP);
        for (i, w) in pattern.bytes().enumerate() {
            for _ in 0..(w - b'0') {
                out.push(i % 2 == 0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_pack_in_code_c_as_the_manuals_show() {
        // ESCPOS.md §5: "012345" -> 7B 43 01 17 2D; "12345678" -> 7B 43 0C 22 38 4E.
        assert_eq!(gs_k_data("012345"), Some(vec![0x7B, 0x43, 0x01, 0x17, 0x2D]));
        assert_eq!(gs_k_data("12345678"), Some(vec![0x7B, 0x43, 0x0C, 0x22, 0x38, 0x4E]));
        assert_eq!(gs_k_data("123"), Some(vec![0x7B, 0x43, 12, 0x7B, 0x42, b'3']));
        assert_eq!(gs_k_data("A{1"), Some(b"{BA{{1".to_vec()));
        assert_eq!(gs_k_data("總"), None);
    }

    #[test]
    fn symbols_carry_start_check_and_stop() -> Result<(), String> {
        let data = gs_k_data("000001").ok_or("encodes")?;
        let (values, hri) = symbols(&data).ok_or("decodes")?;
        // Start C (105), 00, 00, 01, check = (105 + 0 + 0 + 3*1) % 103 = 5, stop.
        assert_eq!(values, vec![105, 0, 0, 1, 5, 106]);
        assert_eq!(hri, "000001");
        let m = modules(&values);
        assert_eq!(m.len(), 5 * 11 + 13, "11 modules a symbol, 13 for the stop");
        assert!(m[0] && !m[m.len() - 3] && m[m.len() - 1], "starts and ends with a bar");
        let (v, hri) = symbols(b"{BA{{1").ok_or("decodes")?;
        assert_eq!((v[0], hri.as_str()), (104, "A{1"));
        assert_eq!(symbols(b"123"), None, "no code set");
        Ok(())
    }

    #[test]
    fn every_pattern_is_eleven_modules_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for p in PATTERNS {
            assert_eq!(p.bytes().map(|b| usize::from(b - b'0')).sum::<usize>(), 11, "{p}");
            assert!(seen.insert(p), "{p} appears twice");
        }
    }
}

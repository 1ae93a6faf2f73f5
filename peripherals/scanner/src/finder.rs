//! A quick look for QR finder patterns before the decoder's own search: the live pipeline asks
//! it whether a binarised frame could hold a code, dark or light, so a frame of a counter with
//! no code costs a scan of its row bits and nothing more.
//!
//! It reads the rows the decoder's fast search reads (every few rows, as zxing-cpp does without
//! "try harder"), a machine word of bits at a time: a uniform stretch of a row costs one
//! comparison, and only the edges between dark and light are visited. Along a row a finder
//! pattern is five runs in the ratio 1:1:3:1:1; the colour of the middle run tells a dark code
//! on a light ground from a light code on a dark screen. Hits from neighbouring rows of the same
//! pattern are counted once. The ratios are checked more loosely than the decoder checks them,
//! so the count is never below what the decoder would find: it can only let the decoder look
//! where it would have found nothing, never stop it where it would have found a code.

use rxing::common::BitMatrix;

/// Finder patterns counted on each side, so a frame full of texture costs a bounded scan.
const MAX_PATTERNS: usize = 32;

/// How many distinct finder patterns the row scan of `matrix` saw: `[dark, light]`, where dark
/// is a dark pattern on a light ground (a printed code) and light its inverse (a dark-mode
/// screen).
pub fn finder_patterns(matrix: &BitMatrix) -> [usize; 2] {
    let (width, height) = (matrix.width() as usize, matrix.height() as usize);
    // zxing-cpp's row step without "try harder": codes up to version 20 filling a quarter of
    // the height still have a row through each pattern's centre.
    let skip = (3 * height / (4 * (20 * 4 + 17))).max(3);
    let mut found: [Vec<Hit>; 2] = [Vec::new(), Vec::new()];
    let mut y = skip - 1;
    while y < height {
        let row = matrix.getRow(y as u32);
        scan_row(row.getBitArray(), width, y, &mut found);
        if found.iter().all(|f| f.len() >= MAX_PATTERNS) {
            break;
        }
        y += skip;
    }
    [found[0].len(), found[1].len()]
}

/// A finder pattern seen: its centre and its width in pixels.
#[derive(Debug, Clone, Copy)]
struct Hit {
    x: usize,
    y: usize,
    size: usize,
}

/// The runs of one row (bit set = dark), checked for the 1:1:3:1:1 ratio as each run ends.
fn scan_row(words: &[usize], width: usize, y: usize, found: &mut [Vec<Hit>; 2]) {
    const BITS: usize = usize::BITS as usize;
    // The last five run lengths, oldest first, and the colour of the run now open.
    let mut runs = [0usize; 5];
    let mut start = 0usize;
    let mut dark = words.first().is_some_and(|w| w & 1 == 1);
    for (i, &word) in words.iter().enumerate() {
        let base = i * BITS;
        if base >= width {
            break;
        }
        // The bits where the colour changes from the bit before: the colour before bit 0 of this
        // word is the open run's colour.
        let before = (word << 1) | usize::from(dark);
        let mut edges = word ^ before;
        if base + BITS > width {
            edges &= (1usize << (width - base)) - 1;
        }
        while edges != 0 {
            let x = base + edges.trailing_zeros() as usize;
            edges &= edges - 1;
            runs.rotate_left(1);
            runs[4] = x - start;
            // The run just closed has the colour `dark`; the middle of the five, two before it,
            // the same colour.
            if let Some(size) = finder_ratio(&runs) {
                let side = usize::from(!dark);
                let centre = x - runs[4] - runs[3] - runs[2] / 2;
                note(&mut found[side], Hit { x: centre, y, size });
            }
            start = x;
            dark = !dark;
        }
    }
}

/// Whether five runs are in the ratio 1:1:3:1:1, as zxing-cpp's fast search tests it (the three
/// runs of the pattern's colour measured apart from the two of the other, so blur that thickens
/// one colour passes), with half a pixel more slack; the pattern's width if so.
fn finder_ratio(runs: &[usize; 5]) -> Option<usize> {
    let [a, b, c, d, e] = *runs;
    if c < 3 || c < 2 * a.max(e) || c < b.max(d) || a == 0 || b == 0 || d == 0 || e == 0 {
        return None;
    }
    let (bar, space) = ((a + c + e) as f64 / 5.0, (b + d) as f64 / 2.0);
    if bar.max(space) > 4.0 * bar.min(space) {
        return None;
    }
    let (bar_slack, space_slack) = (bar * 0.75 + 1.0, space / 3.0 + 1.0);
    let near = |run: usize, want: f64, slack: f64| (run as f64 - want).abs() <= slack;
    let fits = near(a, bar, bar_slack)
        && near(c, 3.0 * bar, bar_slack)
        && near(e, bar, bar_slack)
        && near(b, space, space_slack)
        && near(d, space, space_slack);
    fits.then_some(a + b + c + d + e)
}

/// Counts `hit` unless it belongs to a pattern already seen (its centre within half the pattern's
/// width across and the pattern's height down).
fn note(found: &mut Vec<Hit>, hit: Hit) {
    if found.len() >= MAX_PATTERNS {
        return;
    }
    let same = |old: &Hit| {
        let reach = old.size.max(hit.size);
        old.x.abs_diff(hit.x) * 2 < reach && old.y.abs_diff(hit.y) < reach
    };
    if !found.iter().any(same) {
        found.push(hit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A matrix from rows of `#` (dark) and `.` (light).
    fn matrix(rows: &[String]) -> BitMatrix {
        let (w, h) = (rows[0].len() as u32, rows.len() as u32);
        let mut m = BitMatrix::new(w, h).expect("matrix");
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                if c == '#' {
                    m.set(x as u32, y as u32);
                }
            }
        }
        m
    }

    /// A finder pattern (7x7 modules) of `module` pixels a module at `(left, top)` in modules,
    /// drawn into `grid` (true = dark).
    fn draw(grid: &mut [Vec<bool>], left: usize, top: usize, module: usize, light: bool) {
        for my in 0..7 {
            for mx in 0..7 {
                let ring = mx.min(my).min(6 - mx).min(6 - my);
                let dark = (ring != 1) != light;
                for y in 0..module {
                    for x in 0..module {
                        grid[(top + my) * module + y][(left + mx) * module + x] = dark;
                    }
                }
            }
        }
    }

    fn picture(grid: &[Vec<bool>]) -> Vec<String> {
        grid.iter()
            .map(|r| r.iter().map(|&d| if d { '#' } else { '.' }).collect())
            .collect()
    }

    #[test]
    fn three_dark_patterns_are_three_whatever_the_rows_crossing_them() {
        for module in [2usize, 3, 5] {
            let (w, h) = (40 * module, 40 * module);
            let mut grid = vec![vec![false; w]; h];
            for (left, top) in [(2, 2), (25, 2), (2, 25)] {
                draw(&mut grid, left, top, module, false);
            }
            // 80 to 200 columns: whole words and a partial one (the row's last bits).
            assert_eq!(finder_patterns(&matrix(&picture(&grid))), [3, 0], "module {module}");
        }
    }

    #[test]
    fn a_light_code_on_a_dark_screen_is_counted_as_light() {
        let module = 4;
        let mut grid = vec![vec![true; 60 * module]; 40 * module];
        for (left, top) in [(3, 3), (30, 3), (3, 30)] {
            draw(&mut grid, left, top, module, true);
        }
        let [dark, light] = finder_patterns(&matrix(&picture(&grid)));
        assert_eq!(light, 3);
        assert!(
            dark < 3,
            "the dark-on-light reading of a light code is not three patterns: {dark}"
        );
    }

    #[test]
    fn stripes_and_flat_areas_are_not_patterns() {
        let rows: Vec<String> = (0..60)
            .map(|y| {
                (0..200)
                    .map(|x| if (x / 5 + y / 20) % 2 == 0 { '#' } else { '.' })
                    .collect()
            })
            .collect();
        assert_eq!(finder_patterns(&matrix(&rows)), [0, 0], "even stripes");
        let flat: Vec<String> = (0..60).map(|_| ".".repeat(200)).collect();
        assert_eq!(finder_patterns(&matrix(&flat)), [0, 0], "blank");
    }

    #[test]
    fn the_ratio_is_checked_loosely_but_checked() {
        assert_eq!(finder_ratio(&[2, 2, 6, 2, 2]), Some(14));
        assert_eq!(finder_ratio(&[3, 2, 7, 1, 2]), Some(15), "a blurred, skewed pattern");
        assert_eq!(finder_ratio(&[2, 2, 2, 2, 2]), None, "no wide middle");
        assert_eq!(finder_ratio(&[1, 6, 6, 1, 1]), None, "a wide ring");
        assert_eq!(finder_ratio(&[0, 2, 6, 2, 2]), None, "a row's first run");
    }
}

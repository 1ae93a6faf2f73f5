//! zxing's hybrid binarisation (a threshold per 8x8 block, the mean of the 5x5 blocks around it),
//! written for speed: rxing's `HybridBinarizer` sets the black matrix one bit at a time, which is
//! most of what a 720p camera frame without a code costs. This computes the same block
//! thresholds and fills each row a machine word at a time. Rows for 1D readers (which QR does not
//! use) come from rxing's global-histogram binarizer, as in rxing's hybrid.

use std::borrow::Cow;
use std::cell::OnceCell;

use rxing::common::{BitArray, BitMatrix, GlobalHistogramBinarizer, LineOrientation, Result};
use rxing::{Binarizer, Luma8Source, LuminanceSource};

const BLOCK: usize = 8;
/// Blocks whose pixels differ by no more than this are taken as all light or all dark.
const MIN_DYNAMIC_RANGE: u32 = 24;

/// The hybrid binariser over a borrowed luma plane.
pub struct BlockBinarizer<'a> {
    rows: GlobalHistogramBinarizer<Luma8Source<'a>>,
    matrix: OnceCell<BitMatrix>,
}

impl<'a> BlockBinarizer<'a> {
    /// A binariser over `source`.
    pub fn new(source: Luma8Source<'a>) -> BlockBinarizer<'a> {
        BlockBinarizer {
            rows: GlobalHistogramBinarizer::new(source),
            matrix: OnceCell::new(),
        }
    }

    fn compute(&self) -> Result<BitMatrix> {
        let source = self.rows.get_luminance_source();
        let (width, height) = (source.get_width(), source.get_height());
        if width < 5 * BLOCK || height < 5 * BLOCK {
            return self.rows.get_black_matrix().cloned();
        }
        let luma = source.get_matrix();
        let points = black_points(&luma, width, height);
        let (sub_w, sub_h) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
        // Each block's threshold: the mean of the 5x5 black points around it (clamped to the
        // frame, as zxing does).
        let mut thresholds = vec![0u8; sub_w * sub_h];
        for by in 0..sub_h {
            let top = by.clamp(2, sub_h - 3);
            for bx in 0..sub_w {
                let left = bx.clamp(2, sub_w - 3);
                let mut sum = 0;
                for r in top - 2..=top + 2 {
                    sum += points[r * sub_w + left - 2..=r * sub_w + left + 2].iter().sum::<u32>();
                }
                thresholds[by * sub_w + bx] = (sum / 25).min(255) as u8;
            }
        }
        let mut matrix = BitMatrix::new(width as u32, height as u32)?;
        // Each row in three passes the compiler turns into vector code: the row's thresholds
        // (the same for the eight rows of a block row), one byte per pixel (1 dark, 0 light), and
        // eight of those bytes packed into eight bits by one multiplication.
        const WORD: usize = usize::BITS as usize;
        let mut limits = vec![0u8; width];
        let mut dark = vec![0u8; width];
        let mut row = BitArray::with_size(width);
        for y in 0..height {
            let by = (y / BLOCK).min(sub_h - 1);
            if y == 0 || y % BLOCK == 0 {
                let block_row = &thresholds[by * sub_w..(by + 1) * sub_w];
                for (chunk, &limit) in limits.chunks_mut(BLOCK).zip(block_row) {
                    chunk.fill(limit);
                }
            }
            let pixels = &luma[y * width..(y + 1) * width];
            for (d, (&v, &limit)) in dark.iter_mut().zip(pixels.iter().zip(&limits)) {
                *d = u8::from(v <= limit);
            }
            for (w, word) in dark.chunks(WORD).enumerate() {
                let (groups, rest) = word.as_chunks::<8>();
                let mut bits = 0usize;
                for (g, group) in groups.iter().enumerate() {
                    bits |= (pack_bits(*group) as usize) << (g * 8);
                }
                if !rest.is_empty() {
                    let mut last = [0u8; 8];
                    last[..rest.len()].copy_from_slice(rest);
                    bits |= (pack_bits(last) as usize) << (groups.len() * 8);
                }
                row.setBulk(w * WORD, bits);
            }
            matrix.setRow(y as u32, &row);
        }
        Ok(matrix)
    }
}

/// zxing's black point per 8x8 block: the block's mean, or for a flat block half its minimum,
/// raised to its neighbours' black point when its minimum is below it (a light area inside a
/// code's dark surroundings). The last row and column of blocks overlap the previous ones.
fn black_points(luma: &[u8], width: usize, height: usize) -> Vec<u32> {
    let (sub_w, sub_h) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let (max_x, max_y) = (width - BLOCK, height - BLOCK);
    let mut points = vec![0u32; sub_w * sub_h];
    // Per column over the block row's eight pixel rows (vector code), then per block over its
    // eight columns.
    let (mut sums, mut mins, mut maxs) = (vec![0u16; width], vec![0u8; width], vec![0u8; width]);
    for by in 0..sub_h {
        let y0 = (by * BLOCK).min(max_y);
        sums.fill(0);
        mins.fill(u8::MAX);
        maxs.fill(u8::MIN);
        for y in y0..y0 + BLOCK {
            let pixels = &luma[y * width..(y + 1) * width];
            for (((s, lo), hi), &v) in sums.iter_mut().zip(&mut mins).zip(&mut maxs).zip(pixels) {
                *s += u16::from(v);
                *lo = (*lo).min(v);
                *hi = (*hi).max(v);
            }
        }
        for bx in 0..sub_w {
            let x0 = (bx * BLOCK).min(max_x);
            let sum: u32 = sums[x0..x0 + BLOCK].iter().map(|&s| u32::from(s)).sum();
            let min = mins[x0..x0 + BLOCK].iter().copied().min().unwrap_or(u8::MAX);
            let max = maxs[x0..x0 + BLOCK].iter().copied().max().unwrap_or(u8::MIN);
            let mut average = sum / (BLOCK * BLOCK) as u32;
            if u32::from(max - min) <= MIN_DYNAMIC_RANGE {
                average = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (points[(by - 1) * sub_w + bx]
                        + 2 * points[by * sub_w + bx - 1]
                        + points[(by - 1) * sub_w + bx - 1])
                        / 4;
                    if u32::from(min) < neighbours {
                        average = neighbours;
                    }
                }
            }
            points[by * sub_w + bx] = average;
        }
    }
    points
}

/// Eight bytes, each 0 or 1, as the bits of one byte (the first byte the lowest bit): the
/// multiplication moves byte k's bit to bit 56 + k, and no two bytes' bits meet there.
fn pack_bits(eight: [u8; 8]) -> u8 {
    (u64::from_le_bytes(eight).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

impl<'a> Binarizer for BlockBinarizer<'a> {
    type Source = Luma8Source<'a>;

    fn get_luminance_source(&self) -> &Self::Source {
        self.rows.get_luminance_source()
    }

    fn get_black_row(&self, y: usize) -> Result<Cow<'_, BitArray>> {
        self.rows.get_black_row(y)
    }

    fn get_black_row_from_matrix(&self, y: usize) -> Result<Cow<'_, BitArray>> {
        match self.matrix.get() {
            Some(matrix) => Ok(Cow::Owned(matrix.getRow(y as u32))),
            None => self.get_black_row(y),
        }
    }

    fn get_black_matrix(&self) -> Result<&BitMatrix> {
        if let Some(matrix) = self.matrix.get() {
            return Ok(matrix);
        }
        let computed = self.compute()?;
        Ok(self.matrix.get_or_init(|| computed))
    }

    fn get_black_line(&self, l: usize, lt: LineOrientation) -> Result<Cow<'_, BitArray>> {
        self.rows.get_black_line(l, lt)
    }

    fn create_binarizer(&self, source: Self::Source) -> Self {
        BlockBinarizer::new(source)
    }

    fn get_width(&self) -> usize {
        self.rows.get_width()
    }

    fn get_height(&self) -> usize {
        self.rows.get_height()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::common::HybridBinarizer;

    /// A frame with texture everywhere: gradients, edges, noise, flat areas.
    fn textured(width: usize, height: usize) -> Vec<u8> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..width * height)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let (x, y) = (i % width, i / width);
                let base = if (x / 13 + y / 11) % 3 == 0 {
                    40
                } else {
                    60 + (x * 150 / width) as u64
                };
                let flat = x > width / 2 && y > height / 2;
                (if flat { 200 } else { base + state % 30 }) as u8
            })
            .collect()
    }

    #[test]
    fn the_matrix_equals_rxings_hybrid_away_from_the_last_partial_block() -> Result<()> {
        // 200x120: whole blocks, so no overlapping last block; every bit must agree.
        let (w, h) = (200, 120);
        let luma = textured(w, h);
        let ours = BlockBinarizer::new(Luma8Source::new_with_slice(&luma, w as u32, h as u32)?);
        let theirs = HybridBinarizer::new(Luma8Source::new_with_slice(&luma, w as u32, h as u32)?);
        let (a, b) = (ours.get_black_matrix()?, theirs.get_black_matrix()?);
        for y in 0..h as u32 {
            for x in 0..w as u32 {
                assert_eq!(a.get(x, y), b.get(x, y), "bit ({x}, {y})");
            }
        }
        Ok(())
    }
}

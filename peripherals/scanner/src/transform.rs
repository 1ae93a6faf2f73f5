//! The views of a frame the decoding pipeline tries: another scale, mirrored, and binarised by
//! local mean. Each is a new [`LumaFrame`]; the decoders then read it like any other.

use crate::error::ScanError;
use crate::frame::LumaFrame;

impl LumaFrame {
    /// The frame twice as large, bilinear: codes whose modules are one or two pixels wide get
    /// edges the finder-pattern scan can count.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] never in practice (the size is computed here).
    pub fn doubled(&self) -> Result<LumaFrame, ScanError> {
        let (w, h) = (self.width() as usize, self.height() as usize);
        let (dw, dh) = (2 * w, 2 * h);
        let src = self.data();
        let mut data = vec![0u8; dw * dh];
        for y in 0..dh {
            // Sample centres: (y + 0.5) / 2 - 0.5, in quarters of a pixel.
            let sy = (2 * y as isize - 1).max(0) as usize;
            let (y0, fy) = ((sy / 4).min(h - 1), (sy % 4) as u32);
            let y1 = (y0 + 1).min(h - 1);
            for x in 0..dw {
                let sx = (2 * x as isize - 1).max(0) as usize;
                let (x0, fx) = ((sx / 4).min(w - 1), (sx % 4) as u32);
                let x1 = (x0 + 1).min(w - 1);
                let p = |xx: usize, yy: usize| u32::from(src[yy * w + xx]);
                let top = p(x0, y0) * (4 - fx) + p(x1, y0) * fx;
                let bottom = p(x0, y1) * (4 - fx) + p(x1, y1) * fx;
                data[y * dw + x] = ((top * (4 - fy) + bottom * fy + 8) / 16) as u8;
            }
        }
        LumaFrame::new(self.width() * 2, self.height() * 2, data)
    }

    /// The frame mirrored left to right, as a webcam shows the customer their own phone.
    pub fn mirrored(&self) -> LumaFrame {
        let w = self.width() as usize;
        let data = self
            .data()
            .chunks_exact(w)
            .flat_map(|row| row.iter().rev().copied())
            .collect();
        // Same size as self, which is valid.
        LumaFrame::new(self.width(), self.height(), data).unwrap_or_else(|_| self.clone())
    }

    /// Binarised by local mean (0 dark, 255 light): a pixel is dark when it is darker than the
    /// mean of the square around it (side `2 * radius + 1`) by more than `offset`. Uneven light
    /// and glare shift the mean with them, where a global threshold cuts the code in two.
    /// Linear in the pixels, whatever the radius (running column sums).
    pub fn local_mean(&self, radius: usize, offset: u8) -> LumaFrame {
        let (w, h) = (self.width() as usize, self.height() as usize);
        let src = self.data();
        let mut columns = vec![0u32; w];
        let mut prefix = vec![0u32; w + 1];
        let mut data = vec![255u8; w * h];
        // Rows [top, bottom) are summed in `columns`.
        let (mut top, mut bottom) = (0usize, 0usize);
        for y in 0..h {
            let (want_top, want_bottom) = (y.saturating_sub(radius), (y + radius + 1).min(h));
            while bottom < want_bottom {
                for (c, &v) in columns.iter_mut().zip(&src[bottom * w..(bottom + 1) * w]) {
                    *c += u32::from(v);
                }
                bottom += 1;
            }
            while top < want_top {
                for (c, &v) in columns.iter_mut().zip(&src[top * w..(top + 1) * w]) {
                    *c -= u32::from(v);
                }
                top += 1;
            }
            let rows = (bottom - top) as u32;
            // Sums of the columns left of each x: a window's sum is a difference of two.
            let mut running = 0;
            for (p, &c) in prefix[1..].iter_mut().zip(&columns) {
                running += c;
                *p = running;
            }
            let (row, out) = (&src[y * w..(y + 1) * w], &mut data[y * w..(y + 1) * w]);
            // Windows whole for x in radius..w - radius; cut by the frame's edges elsewhere.
            let full = 2 * radius + 1;
            let middle = if w >= full { radius..w - radius } else { w..w };
            let dark = |v: u8, count: u32, sum: u32| (u32::from(v) + u32::from(offset)) * count < sum;
            for x in (0..middle.start.min(w)).chain(middle.end.max(middle.start.min(w))..w) {
                let (left, right) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                if dark(row[x], rows * (right - left) as u32, prefix[right] - prefix[left]) {
                    out[x] = 0;
                }
            }
            // The middle: one subtraction and one product a pixel.
            let count = rows * full as u32;
            let sums = prefix.iter().skip(full).zip(&prefix).map(|(r, l)| r - l);
            for ((o, &v), sum) in out[middle.clone()].iter_mut().zip(&row[middle]).zip(sums) {
                if dark(v, count, sum) {
                    *o = 0;
                }
            }
        }
        LumaFrame::new(self.width(), self.height(), data).unwrap_or_else(|_| self.clone())
    }

    /// The frame shrunk by whole-number averaging until it holds at most `max_pixels`: a
    /// 50-megapixel photo costs what a 12-megapixel one does, and memory stays bounded.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] for a frame too narrow to halve (never when it is that large).
    pub fn at_most(&self, max_pixels: usize) -> Result<Option<LumaFrame>, ScanError> {
        let mut pixels = self.data().len();
        if pixels <= max_pixels {
            return Ok(None);
        }
        let mut frame = self.half()?;
        pixels /= 4;
        while pixels > max_pixels && frame.width() >= 2 && frame.height() >= 2 {
            frame = frame.half()?;
            pixels /= 4;
        }
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_keeps_flat_areas_and_edges_in_place() -> Result<(), ScanError> {
        let frame = LumaFrame::new(2, 1, vec![0, 255])?;
        let big = frame.doubled()?;
        assert_eq!((big.width(), big.height()), (4, 2));
        assert_eq!(
            &big.data()[..4],
            &[0, 64, 191, 255],
            "the edge falls between the two pixels"
        );
        Ok(())
    }

    #[test]
    fn mirroring_reverses_each_row() -> Result<(), ScanError> {
        let frame = LumaFrame::new(3, 2, vec![1, 2, 3, 4, 5, 6])?;
        assert_eq!(frame.mirrored().data(), &[3, 2, 1, 6, 5, 4]);
        Ok(())
    }

    #[test]
    fn local_mean_equals_the_mean_of_each_window_counted_out() -> Result<(), ScanError> {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for (w, h, radius) in [(37u32, 23u32, 4usize), (9, 30, 5), (5, 5, 7), (64, 3, 1)] {
            let data = (0..w * h)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((i % w) * 3 + (state % 90) as u32) as u8
                })
                .collect::<Vec<u8>>();
            let frame = LumaFrame::new(w, h, data.clone())?;
            let binary = frame.local_mean(radius, 6);
            let (w, h) = (w as usize, h as usize);
            for y in 0..h {
                for x in 0..w {
                    let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                    let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
                    let sum: u32 = (y0..y1)
                        .flat_map(|yy| (x0..x1).map(move |xx| (xx, yy)))
                        .map(|(xx, yy)| u32::from(data[yy * w + xx]))
                        .sum();
                    let count = ((x1 - x0) * (y1 - y0)) as u32;
                    let dark = (u32::from(data[y * w + x]) + 6) * count < sum;
                    assert_eq!(
                        binary.data()[y * w + x] == 0,
                        dark,
                        "({x}, {y}) of {w}x{h}, radius {radius}"
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn local_mean_follows_uneven_light() -> Result<(), ScanError> {
        // A dark stripe on a ramp from dim to bright: a global threshold would call the dim
        // half dark; the local mean finds only the stripe.
        let (w, h) = (40u32, 8u32);
        let data = (0..w * h)
            .map(|i| {
                let x = i % w;
                let light = 100 + x * 2;
                if x % 10 == 5 { (light / 3) as u8 } else { light as u8 }
            })
            .collect();
        let binary = LumaFrame::new(w, h, data)?.local_mean(4, 5);
        let dark: Vec<u32> = (0..w).filter(|&x| binary.data()[x as usize] == 0).collect();
        assert_eq!(dark, [5, 15, 25, 35], "only the stripes are dark");
        Ok(())
    }

    #[test]
    fn huge_frames_are_shrunk_below_the_bound() -> Result<(), Box<dyn std::error::Error>> {
        let frame = LumaFrame::new(1000, 1000, vec![7; 1_000_000])?;
        assert!(frame.at_most(1_000_000)?.is_none(), "small enough as it is");
        let small = frame.at_most(100_000)?.ok_or("shrunk")?;
        assert!(small.data().len() <= 100_000, "{}x{}", small.width(), small.height());
        Ok(())
    }
}

//! One-bit images: glyphs, logos, raster lines, printed pages. One byte per dot (0 white, 1
//! black) while drawing — simple and fast enough for receipts — packed MSB-first for the printer
//! (GS v 0: the leftmost dot is the high bit) and into 1-bit grayscale PNGs.

use crate::error::PrinterError;

#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: usize,
    height: usize,
    dots: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{}, {} black)", self.width, self.height, self.black_dots())
    }
}

impl Bitmap {
    /// A white image.
    pub fn new(width: usize, height: usize) -> Bitmap {
        Bitmap {
            width,
            height,
            dots: vec![0; width * height],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Whether the dot at (x, y) is black; outside the image is white.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.dots[y * self.width + x] != 0
    }

    /// Sets a dot; outside the image is ignored (printers clip at the paper's edge).
    pub fn set(&mut self, x: usize, y: usize, black: bool) {
        if x < self.width && y < self.height {
            self.dots[y * self.width + x] = u8::from(black);
        }
    }

    pub fn black_dots(&self) -> usize {
        self.dots.iter().filter(|d| **d != 0).count()
    }

    /// Grows the image downwards to at least `height` rows (white).
    pub fn grow_to(&mut self, height: usize) {
        if height > self.height {
            self.dots.resize(self.width * height, 0);
            self.height = height;
        }
    }

    /// Keeps the first `height` rows.
    pub fn truncate(&mut self, height: usize) {
        if height < self.height {
            self.dots.truncate(self.width * height);
            self.height = height;
        }
    }

    /// Draws `other`'s black dots onto this image with its top-left corner at (x, y).
    pub fn draw(&mut self, other: &Bitmap, x: usize, y: usize) {
        for oy in 0..other.height {
            let ty = y + oy;
            if ty >= self.height {
                break;
            }
            let src = &other.dots[oy * other.width..(oy + 1) * other.width];
            let start = ty * self.width;
            for (ox, d) in src.iter().enumerate() {
                let tx = x + ox;
                if tx >= self.width {
                    break;
                }
                if *d != 0 {
                    self.dots[start + tx] = 1;
                }
            }
        }
    }

    /// Fills a rectangle with black.
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                self.dots[yy * self.width + xx] = 1;
            }
        }
    }

    /// The image with a white border: `x` dots left and right, `y` above and below.
    pub fn with_margin(&self, x: usize, y: usize) -> Bitmap {
        let mut out = Bitmap::new(self.width + 2 * x, self.height + 2 * y);
        out.draw(self, x, y);
        out
    }

    /// Each dot becomes a `sx` × `sy` block, as a printer prints double-width/-height.
    pub fn scaled(&self, sx: usize, sy: usize) -> Bitmap {
        if sx == 1 && sy == 1 {
            return self.clone();
        }
        let mut out = Bitmap::new(self.width * sx, self.height * sy);
        for y in 0..out.height {
            for x in 0..out.width {
                out.dots[y * out.width + x] = self.dots[(y / sy) * self.width + x / sx];
            }
        }
        out
    }

    /// Emphasis as printers do it: each black dot also blackens its right neighbour.
    pub fn emboldened(&self) -> Bitmap {
        let mut out = self.clone();
        for y in 0..self.height {
            for x in 0..self.width.saturating_sub(1) {
                if self.dots[y * self.width + x] != 0 {
                    out.dots[y * self.width + x + 1] = 1;
                }
            }
        }
        out
    }

    /// The sub-image `w` × `h` at (x, y) (white where it leaves this image).
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Bitmap {
        let mut out = Bitmap::new(w, h);
        for yy in 0..h {
            for xx in 0..w {
                if self.get(x + xx, y + yy) {
                    out.dots[yy * w + xx] = 1;
                }
            }
        }
        out
    }

    /// The width up to and including the last column with a black dot, rounded up to whole
    /// bytes (what a raster line needs to send).
    pub fn inked_width_bytes(&self) -> usize {
        let mut last = 0;
        for y in 0..self.height {
            let row = &self.dots[y * self.width..(y + 1) * self.width];
            if let Some(x) = row.iter().rposition(|d| *d != 0) {
                last = last.max(x + 1);
            }
        }
        last.div_ceil(8)
    }

    /// Rows packed 8 dots a byte, MSB = leftmost, `bytes_per_row` bytes each (GS v 0 and GS ( L).
    pub fn packed_rows(&self, bytes_per_row: usize) -> Vec<u8> {
        let mut out = vec![0u8; bytes_per_row * self.height];
        for y in 0..self.height {
            for x in 0..self.width.min(bytes_per_row * 8) {
                if self.dots[y * self.width + x] != 0 {
                    out[y * bytes_per_row + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        out
    }

    /// The inverse of [`Bitmap::packed_rows`]: `data` holds `height` rows of `bytes_per_row`.
    pub fn from_packed_rows(data: &[u8], bytes_per_row: usize, width: usize, height: usize) -> Bitmap {
        let mut out = Bitmap::new(width, height);
        for y in 0..height {
            for x in 0..width.min(bytes_per_row * 8) {
                let byte = data.get(y * bytes_per_row + x / 8).copied().unwrap_or(0);
                if byte & (0x80 >> (x % 8)) != 0 {
                    out.dots[y * width + x] = 1;
                }
            }
        }
        out
    }

    /// A 1-bit grayscale PNG (black = 0), the smallest lossless form of a receipt.
    pub fn to_png(&self) -> Result<Vec<u8>, PrinterError> {
        let mut out = Vec::new();
        {
            let w = u32::try_from(self.width.max(1)).map_err(|_| PrinterError::Image("too wide".into()))?;
            let h = u32::try_from(self.height.max(1)).map_err(|_| PrinterError::Image("too tall".into()))?;
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::One);
            let mut writer = enc.write_header().map_err(|e| PrinterError::Image(e.to_string()))?;
            let bpr = self.width.max(1).div_ceil(8);
            let mut data = self.packed_rows(bpr);
            if self.height == 0 {
                data = vec![0; bpr];
            }
            // PNG grayscale: 1 is white.
            for b in &mut data {
                *b = !*b;
            }
            writer
                .write_image_data(&data)
                .map_err(|e| PrinterError::Image(e.to_string()))?;
        }
        Ok(out)
    }

    /// Reads a PNG of any colour type; a dot is black when its luminance (over white, for
    /// transparent images) is below half.
    pub fn from_png(bytes: &[u8]) -> Result<Bitmap, PrinterError> {
        let gray = Gray::from_png(bytes)?;
        let mut out = Bitmap::new(gray.width, gray.height);
        for (d, g) in out.dots.iter_mut().zip(&gray.levels) {
            *d = u8::from(*g < 128);
        }
        Ok(out)
    }
}

/// An 8-bit grayscale image (255 white): what a PNG decodes to before thresholding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub levels: Vec<u8>,
}

impl Gray {
    pub fn from_png(bytes: &[u8]) -> Result<Gray, PrinterError> {
        let img = |e: png::DecodingError| PrinterError::Image(e.to_string());
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(img)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| PrinterError::Image("image too large".into()))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(img)?;
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = info.color_type.samples();
        let mut levels = Vec::with_capacity(w * h);
        for y in 0..h {
            let row = &buf[y * info.line_size..];
            for x in 0..w {
                let px = &row[x * channels..(x + 1) * channels];
                let (lum, alpha) = match px {
                    [g] => (u32::from(*g), 255),
                    [g, a] => (u32::from(*g), u32::from(*a)),
                    [r, g, b] => (
                        (u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000,
                        255,
                    ),
                    [r, g, b, a, ..] => (
                        (u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000,
                        u32::from(*a),
                    ),
                    [] => (255, 255),
                };
                // Composite over white paper.
                let over_white = (lum * alpha + 255 * (255 - alpha)) / 255;
                levels.push(u8::try_from(over_white).unwrap_or(255));
            }
        }
        Ok(Gray {
            width: w,
            height: h,
            levels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_puts_the_leftmost_dot_in_the_high_bit() {
        let mut b = Bitmap::new(10, 2);
        b.set(0, 0, true);
        b.set(9, 1, true);
        assert_eq!(b.packed_rows(2), vec![0x80, 0x00, 0x00, 0x40]);
        assert_eq!(Bitmap::from_packed_rows(&b.packed_rows(2), 2, 10, 2), b);
        assert_eq!(b.inked_width_bytes(), 2);
    }

    #[test]
    fn png_round_trip_keeps_every_dot() -> Result<(), PrinterError> {
        let mut b = Bitmap::new(13, 5);
        b.fill(2, 1, 4, 3);
        b.set(12, 4, true);
        let back = Bitmap::from_png(&b.to_png()?)?;
        assert_eq!(back, b);
        Ok(())
    }

    #[test]
    fn scaling_and_emboldening() {
        let mut b = Bitmap::new(2, 1);
        b.set(0, 0, true);
        let s = b.scaled(2, 3);
        assert_eq!((s.width(), s.height(), s.black_dots()), (4, 3, 6));
        assert_eq!(b.emboldened().black_dots(), 2);
    }
}

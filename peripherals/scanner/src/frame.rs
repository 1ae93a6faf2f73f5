//! Frames as the decoders take them: one byte of luma (brightness) per pixel, row after row.
//!
//! A camera's YUYV or NV12 frame already holds this plane, so taking it is a copy of every other
//! byte (YUYV) or of a prefix (NV12), with no colour conversion. Image files are converted once,
//! when read.

use std::path::Path;

use crate::error::ScanError;

/// A greyscale frame: `width * height` bytes, row-major, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct LumaFrame {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for LumaFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LumaFrame({}x{})", self.width, self.height)
    }
}

impl LumaFrame {
    /// A frame over `data`.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] when a dimension is zero or `data` is not `width * height` bytes.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<LumaFrame, ScanError> {
        if width == 0 || height == 0 || data.len() != pixels(width, height) {
            return Err(ScanError::FrameSize {
                width,
                height,
                len: data.len(),
            });
        }
        Ok(LumaFrame { width, height, data })
    }

    /// The Y plane of a packed YUYV (YUY2) frame: every other byte.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] when `yuyv` is not `2 * width * height` bytes.
    pub fn from_yuyv(width: u32, height: u32, yuyv: &[u8]) -> Result<LumaFrame, ScanError> {
        if yuyv.len() != 2 * pixels(width, height) {
            return Err(ScanError::FrameSize {
                width,
                height,
                len: yuyv.len() / 2,
            });
        }
        LumaFrame::new(width, height, yuyv.iter().step_by(2).copied().collect())
    }

    /// The Y plane of a planar frame whose luma comes first (NV12, I420, GREY): the first
    /// `width * height` bytes.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] when `planar` is shorter than `width * height` bytes.
    pub fn from_planar(width: u32, height: u32, planar: &[u8]) -> Result<LumaFrame, ScanError> {
        let plane = planar.get(..pixels(width, height)).ok_or(ScanError::FrameSize {
            width,
            height,
            len: planar.len(),
        })?;
        LumaFrame::new(width, height, plane.to_vec())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The luma bytes, row-major.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Draws `other` into this frame with its top-left corner at (`x`, `y`), clipped to this
    /// frame: a code placed in a camera-sized scene.
    pub fn paste(&mut self, other: &LumaFrame, x: u32, y: u32) {
        let width = other.width.min(self.width.saturating_sub(x)) as usize;
        for row in 0..other.height.min(self.height.saturating_sub(y)) {
            let from = (row * other.width) as usize;
            let to = ((y + row) * self.width + x) as usize;
            self.data[to..to + width].copy_from_slice(&other.data[from..from + width]);
        }
    }

    /// The frame at half the size, each pixel the mean of a 2x2 block: smooths the texture of
    /// photos printed into a code's modules, and halves the work.
    ///
    /// # Errors
    /// [`ScanError::FrameSize`] for a frame narrower or lower than 2 pixels.
    pub fn half(&self) -> Result<LumaFrame, ScanError> {
        let (width, height) = (self.width / 2, self.height / 2);
        let stride = self.width as usize;
        let mut data = Vec::with_capacity(pixels(width, height));
        let w = width as usize;
        for y in 0..height as usize {
            let top = &self.data[2 * y * stride..2 * y * stride + 2 * w];
            let bottom = &self.data[(2 * y + 1) * stride..(2 * y + 1) * stride + 2 * w];
            data.extend(top.chunks_exact(2).zip(bottom.chunks_exact(2)).map(|(t, b)| {
                let sum = u16::from(t[0]) + u16::from(t[1]) + u16::from(b[0]) + u16::from(b[1]);
                ((sum + 2) / 4) as u8
            }));
        }
        LumaFrame::new(width, height, data)
    }

    /// The same frame with every pixel inverted (light code on a dark screen and back).
    pub fn inverted(&self) -> LumaFrame {
        LumaFrame {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|v| 255 - v).collect(),
        }
    }
}

fn pixels(width: u32, height: u32) -> usize {
    // u32 * u32 fits in usize on the 64-bit tills we build for.
    (width as usize) * (height as usize)
}

/// The largest image read, in pixels (a 64-megapixel photo): beyond it an image is refused
/// before its pixels are allocated, so a file claiming 100000x100000 costs nothing.
pub const MAX_IMAGE_PIXELS: u64 = 64_000_000;

/// Reads an image file as a luma frame: PNG (any colour type and depth), JPEG, BMP, WebP, or
/// binary PGM (`P5`, 8-bit), the format of a raw camera frame saved for a bug report.
///
/// # Errors
/// [`ScanError::Image`] naming the file when it cannot be read or decoded, or holds more than
/// [`MAX_IMAGE_PIXELS`].
pub fn read_image(path: &Path) -> Result<LumaFrame, ScanError> {
    let image_error = |reason: String| ScanError::Image {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| image_error(e.to_string()))?;
    if bytes.starts_with(b"\x89PNG") {
        decode_png(&bytes).map_err(image_error)
    } else if bytes.starts_with(b"P5") {
        decode_pgm(&bytes).map_err(image_error)
    } else {
        decode_other(&bytes).map_err(image_error)
    }
}

fn too_large(width: u32, height: u32) -> Option<String> {
    (u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS)
        .then(|| format!("the image is {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS} read"))
}

/// JPEG, BMP and WebP through the `image` crate, its size checked before decoding.
fn decode_other(bytes: &[u8]) -> Result<LumaFrame, String> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format().is_none() {
        return Err("not a PNG, JPEG, BMP, WebP or binary PGM image".to_owned());
    }
    let (width, height) = reader.into_dimensions().map_err(|e| e.to_string())?;
    if let Some(refused) = too_large(width, height) {
        return Err(refused);
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    let luma = match image {
        image::DynamicImage::ImageLuma8(grey) => grey.into_raw(),
        image::DynamicImage::ImageRgb8(rgb) => rgb.pixels().map(|p| weighted(p.0[0], p.0[1], p.0[2]) as u8).collect(),
        other => other
            .to_rgba8()
            .pixels()
            .map(|p| {
                let (value, alpha) = (weighted(p.0[0], p.0[1], p.0[2]), u32::from(p.0[3]));
                ((value * alpha + 255 * (255 - alpha) + 127) / 255) as u8
            })
            .collect(),
    };
    LumaFrame::new(width, height, luma).map_err(|e| e.to_string())
}

/// Decodes a PNG to luma. Transparent pixels are composed over white (a QR code's quiet zone is
/// often left transparent), colour is weighted as zxing weighs it (0.30 R, 0.59 G, 0.11 B).
///
/// # Errors
/// What the PNG decoder says is wrong; an image of more than [`MAX_IMAGE_PIXELS`].
pub fn decode_png(bytes: &[u8]) -> Result<LumaFrame, String> {
    // The decoder's own allocations (interlacing, 16-bit rows) may reach 8 bytes per pixel.
    let limits = png::Limits {
        bytes: (MAX_IMAGE_PIXELS * 8) as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (width, height) = (reader.info().width, reader.info().height);
    if let Some(refused) = too_large(width, height) {
        return Err(refused);
    }
    let size = reader.output_buffer_size().ok_or("the image is too large")?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(|e| e.to_string())?;
    buffer.truncate(info.buffer_size());
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("an indexed PNG was not expanded".to_owned()),
    };
    let row_len = info.line_size;
    let width = info.width as usize;
    let mut luma = Vec::with_capacity(width * info.height as usize);
    for row in buffer.chunks_exact(row_len) {
        for pixel in row[..width * channels].chunks_exact(channels) {
            let (value, alpha) = match *pixel {
                [y] => (u32::from(y), 255),
                [y, a] => (u32::from(y), u32::from(a)),
                [r, g, b] => (weighted(r, g, b), 255),
                [r, g, b, a] => (weighted(r, g, b), u32::from(a)),
                _ => (255, 255),
            };
            // Over white: value * a + 255 * (255 - a), rounded, / 255. At most 255.
            luma.push(((value * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
        }
    }
    LumaFrame::new(info.width, info.height, luma).map_err(|e| e.to_string())
}

/// zxing's luminance: (306 R + 601 G + 117 B + 512) / 1024, at most 255.
fn weighted(r: u8, g: u8, b: u8) -> u32 {
    (306 * u32::from(r) + 601 * u32::from(g) + 117 * u32::from(b) + 0x200) >> 10
}

/// Decodes a binary PGM (`P5`, maxval below 256): header tokens separated by whitespace, `#`
/// comments, one whitespace byte, then the pixels.
fn decode_pgm(bytes: &[u8]) -> Result<LumaFrame, String> {
    let mut tokens = Vec::with_capacity(4);
    let mut at = 0;
    while tokens.len() < 4 {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'#') {
            if bytes[at] == b'#' {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            } else {
                at += 1;
            }
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return Err("the PGM header is cut short".to_owned());
        }
        tokens.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    let number = |i: usize| {
        tokens[i]
            .parse::<u32>()
            .map_err(|_| format!("bad PGM header value {:?}", tokens[i]))
    };
    let (width, height, max) = (number(1)?, number(2)?, number(3)?);
    if max == 0 || max > 255 {
        return Err(format!("PGM maxval {max}: only 8-bit PGM is read"));
    }
    let pixels = bytes.get(at + 1..).unwrap_or_default();
    let data = pixels
        .get(..pixels.len().min(width as usize * height as usize))
        .unwrap_or_default()
        .iter()
        .map(|&v| ((u32::from(v) * 255 + max / 2) / max).min(255) as u8)
        .collect();
    LumaFrame::new(width, height, data).map_err(|e| e.to_string())
}

/// Encodes a luma frame as an 8-bit greyscale PNG (for saving frames and generated codes).
///
/// # Errors
/// What the PNG encoder says is wrong.
pub fn encode_png(frame: &LumaFrame) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&frame.data).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn yuyv_and_planar_give_the_y_plane() -> TestResult {
        let yuyv = [10, 128, 20, 128, 30, 128, 40, 128];
        assert_eq!(LumaFrame::from_yuyv(2, 2, &yuyv)?.data(), &[10, 20, 30, 40]);
        let nv12 = [1, 2, 3, 4, 128, 128];
        assert_eq!(LumaFrame::from_planar(2, 2, &nv12)?.data(), &[1, 2, 3, 4]);
        assert!(
            LumaFrame::from_yuyv(2, 2, &yuyv[..6]).is_err(),
            "a short YUYV frame is refused"
        );
        assert!(LumaFrame::new(0, 1, Vec::new()).is_err(), "a zero dimension is refused");
        Ok(())
    }

    #[test]
    fn half_averages_2x2_blocks() -> TestResult {
        let frame = LumaFrame::new(3, 2, vec![0, 4, 9, 8, 12, 9])?;
        assert_eq!(frame.half()?.data(), &[6], "the odd column is dropped");
        assert!(LumaFrame::new(1, 1, vec![0])?.half().is_err());
        Ok(())
    }

    #[test]
    fn paste_clips_at_the_edges() -> TestResult {
        let mut scene = LumaFrame::new(3, 2, vec![9; 6])?;
        scene.paste(&LumaFrame::new(2, 2, vec![1, 2, 3, 4])?, 2, 1);
        assert_eq!(scene.data(), &[9, 9, 9, 9, 9, 1]);
        Ok(())
    }

    #[test]
    fn png_round_trip_and_transparency_over_white() -> TestResult {
        let frame = LumaFrame::new(3, 1, vec![0, 128, 255])?;
        assert_eq!(decode_png(&encode_png(&frame)?)?, frame);

        let mut rgba = Vec::new();
        let mut encoder = png::Encoder::new(&mut rgba, 2, 1);
        encoder.set_color(png::ColorType::Rgba);
        let mut writer = encoder.write_header()?;
        // Opaque red, then transparent black (which must read as white, not black).
        writer.write_image_data(&[255, 0, 0, 255, 0, 0, 0, 0])?;
        writer.finish()?;
        assert_eq!(decode_png(&rgba)?.data(), &[76, 255], "red weighs 306/1024");
        Ok(())
    }

    #[test]
    fn pgm_with_comment() -> TestResult {
        let pgm = b"P5\n# a frame\n2 1\n255\n\x00\xff";
        assert_eq!(decode_pgm(pgm)?.data(), &[0, 255]);
        assert!(
            decode_pgm(b"P5\n2 1\n255\n\x00").is_err(),
            "missing pixels are an error"
        );
        assert!(decode_pgm(b"P5\n2").is_err(), "a cut header is an error");
        Ok(())
    }
}

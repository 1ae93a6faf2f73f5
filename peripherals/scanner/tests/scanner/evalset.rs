//! The evaluation set: wallet payloads of the formats `till qr` makes and classifies (WeChat Pay,
//! Alipay and UnionPay customer codes; FPS and PayNow EMVCo merchant codes), drawn as QR codes of
//! versions 1–10 at error correction L, M, Q and H with the `qrcode` crate, then put through one
//! seeded distortion each. Made here, at test and bench time, never committed as images; the
//! same seed gives the same bytes on every machine (ChaCha8, no floating-point functions whose
//! results differ between platforms beyond the last bit, which rounding to u8 absorbs).
//!
//! No threshold of the decoding pipeline is chosen on this set (they come from the shared
//! photos); the distortion levels were chosen so that zxing-cpp reads some but not all of each
//! kind. The README lists the seed and the levels; [`Distortion::range`] is the one source.
//!
//! Shared by the integration test (tests/scanner/eval_floor.rs) and the bench
//! (benches/scanner.rs, through `#[path]`).

#![allow(dead_code)] // The test uses a subset of what the bench uses.

use qrcode::{Color, EcLevel, QrCode, Version};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use till_qr::{Amount, FpsProxy, FpsQr, PayNowProxy, PayNowQr};
use till_scanner::LumaFrame;

/// The seed of the evaluation set the README reports.
pub const SEED: u64 = 19;

/// One distortion per image, at a level drawn uniformly from [`Distortion::range`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distortion {
    /// The code seen at an angle: each corner of the code moved by up to `level` of its side.
    Perspective,
    /// Out of focus: a Gaussian blur of `level` modules (sigma).
    Blur,
    /// Sensor noise: Gaussian, sigma `level` grey levels.
    Noise,
    /// A small code (2.2–3 pixels a module) saved as JPEG at quality `level`.
    Jpeg,
    /// Uneven light: the frame darkened by up to `level` (0–1) across, and a glare spot of
    /// `level` times full white added on the code.
    Light,
    /// Low contrast: `level` grey levels between dark and light modules.
    Contrast,
    /// A screen photographed: a sine interference of amplitude `level` grey levels at a period
    /// near the module size, and the screen's pixel grid.
    Moire,
    /// Clutter (print, another code, the phone's edge) reaching into the quiet zone: `level` of
    /// its four modules covered, on two to four sides, by random blocks of the module's size.
    Occlusion,
}

impl Distortion {
    /// Every kind, in the order images are made.
    pub const ALL: [Distortion; 8] = [
        Distortion::Perspective,
        Distortion::Blur,
        Distortion::Noise,
        Distortion::Jpeg,
        Distortion::Light,
        Distortion::Contrast,
        Distortion::Moire,
        Distortion::Occlusion,
    ];

    /// The level range, drawn uniformly.
    pub fn range(self) -> (f64, f64) {
        match self {
            Distortion::Perspective => (0.10, 0.32),
            Distortion::Blur => (0.35, 0.75),
            Distortion::Noise => (15.0, 60.0),
            Distortion::Jpeg => (2.0, 18.0),
            Distortion::Light => (0.55, 1.0),
            Distortion::Contrast => (6.0, 22.0),
            Distortion::Moire => (30.0, 90.0),
            Distortion::Occlusion => (0.7, 1.0),
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Distortion::Perspective => "perspective",
            Distortion::Blur => "blur",
            Distortion::Noise => "noise",
            Distortion::Jpeg => "jpeg",
            Distortion::Light => "light",
            Distortion::Contrast => "contrast",
            Distortion::Moire => "moire",
            Distortion::Occlusion => "occlusion",
        }
    }
}

/// One image of the set.
#[derive(Debug)]
pub struct Sample {
    /// `v07-Q-blur`, for tables and failure messages.
    pub name: String,
    pub distortion: Distortion,
    pub frame: LumaFrame,
    /// The text the code holds.
    pub text: String,
}

/// How many images the set holds: versions 1–10 × L/M/Q/H × every distortion.
pub const SIZE: usize = 10 * 4 * 8;

/// The whole set, [`SIZE`] images.
pub fn evaluation_set(seed: u64) -> Vec<Sample> {
    (0..SIZE).map(|index| sample(seed, index)).collect()
}

/// Every `step`-th image of the set, from the first: the test's cheap subset. With a step
/// prime to 8 (the number of distortions) every distortion and every version is in it.
pub fn every(seed: u64, step: usize) -> Vec<Sample> {
    (0..SIZE).step_by(step).map(|index| sample(seed, index)).collect()
}

/// Image `index` of the set: each from its own generator seeded with (seed, index), so a subset
/// is made without the rest.
pub fn sample(seed: u64, index: usize) -> Sample {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let distortion = Distortion::ALL[index % 8];
    let (ec, ec_name) = [
        (EcLevel::L, "L"),
        (EcLevel::M, "M"),
        (EcLevel::Q, "Q"),
        (EcLevel::H, "H"),
    ][index / 8 % 4];
    let version = (index / 32 + 1) as i16;
    let (code, text) = wallet_code(&mut rng, version, ec);
    let (lo, hi) = distortion.range();
    let level = rng.gen_range(lo..hi);
    let frame = render(&mut rng, &code, distortion, level);
    Sample {
        name: format!("v{version:02}-{ec_name}-{}", distortion.name()),
        distortion,
        frame,
        text,
    }
}

fn digits(rng: &mut ChaCha8Rng, prefix: &str, len: usize) -> String {
    let mut text = prefix.to_owned();
    while text.len() < len {
        text.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    text
}

/// A payload of one of the till's formats drawn as a code of exactly `version` and `ec`: the
/// formats are tried from the longest, the first that fits is padded to the version.
fn wallet_code(rng: &mut ChaCha8Rng, version: i16, ec: EcLevel) -> (QrCode, String) {
    let amount = Amount::new(rng.gen_range(1..100_000), 2).ok();
    let reference = digits(rng, "T-", 10);
    let fps = {
        let mut qr =
            FpsQr::new(FpsProxy::FpsId(digits(rng, "", 7)), "OPENTILL CAFE", "HONG KONG").reference(&reference);
        if let Some(amount) = amount {
            qr = qr.amount(amount);
        }
        qr.build().map(|p| p.encode()).unwrap_or_default()
    };
    let paynow = {
        let mut qr = PayNowQr::new(PayNowProxy::Uen("200002150H".into()), "OPENTILL SG", "SINGAPORE");
        if let Some(amount) = amount {
            qr = qr.amount(amount);
        }
        qr.build().map(|p| p.encode()).unwrap_or_default()
    };
    let mut candidates = vec![fps, paynow];
    if rng.gen_bool(0.5) {
        candidates.swap(0, 1);
    }
    let customer_len = rng.gen_range(16..=24);
    let customer = [
        digits(rng, "13", 18),
        digits(rng, "28", customer_len),
        digits(rng, "62", 19),
    ];
    let pick = rng.gen_range(0..customer.len());
    // From version 5 up merchant payloads fit at every level; below, customer codes are the
    // ones a code that small holds.
    if version < 5 || rng.gen_bool(0.3) {
        candidates.insert(0, customer[pick].clone());
    }
    candidates.extend(customer);
    candidates.push(digits(rng, "28", 16));
    for text in candidates {
        if text.is_empty() {
            continue;
        }
        if let Ok(code) = QrCode::with_version(text.as_bytes(), Version::Normal(version), ec) {
            return (code, text);
        }
    }
    // A 16-digit code fits version 1 at H (17 digits): never reached.
    let text = "2812345678901234".to_owned();
    let code = QrCode::with_version(text.as_bytes(), Version::Normal(version), EcLevel::L)
        .unwrap_or_else(|_| QrCode::new(text.as_bytes()).expect("a 16-digit code fits any version"));
    (code, text)
}

/// A plane homography, output pixel -> module coordinates.
struct Homography([f64; 9]);

impl Homography {
    /// The map taking each of `from` to the matching `to` (four points each).
    #[allow(clippy::needless_range_loop)] // Row operations read best with indices.
    fn between(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Homography {
        // Eight unknowns (h22 = 1), two equations per point; Gaussian elimination.
        let mut a = [[0.0f64; 9]; 8];
        for (i, (&(x, y), &(u, v))) in from.iter().zip(&to).enumerate() {
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        for col in 0..8 {
            let pivot = (col..8)
                .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
                .unwrap_or(col);
            a.swap(col, pivot);
            let div = a[col][col];
            for k in col..9 {
                a[col][k] /= div;
            }
            for row in 0..8 {
                if row != col {
                    let f = a[row][col];
                    for k in col..9 {
                        a[row][k] -= f * a[col][k];
                    }
                }
            }
        }
        let h: Vec<f64> = (0..8).map(|i| a[i][8]).collect();
        Homography([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0])
    }

    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let h = &self.0;
        let w = h[6] * x + h[7] * y + h[8];
        ((h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w)
    }
}

/// Draws `code` as a camera would see it under `distortion` at `level`.
fn render(rng: &mut ChaCha8Rng, code: &QrCode, distortion: Distortion, level: f64) -> LumaFrame {
    let n = code.width();
    let colors = code.to_colors();
    let nf = n as f64;
    let module = match distortion {
        Distortion::Jpeg => rng.gen_range(2.2..3.0),
        Distortion::Blur | Distortion::Moire => rng.gen_range(3.5..5.5),
        _ => rng.gen_range(3.0..5.0),
    };
    let side = (nf + 8.0) * module;
    let size = (side * 1.35).ceil() as usize;
    let (cx, cy) = (size as f64 / 2.0, size as f64 / 2.0);
    let angle = rng.gen_range(0.0..std::f64::consts::TAU);
    let jitter = if distortion == Distortion::Perspective {
        level
    } else {
        0.02
    };
    // The corners of the code with its quiet zone, in module coordinates, and where they land.
    let corners = [(-4.0, -4.0), (nf + 4.0, -4.0), (nf + 4.0, nf + 4.0), (-4.0, nf + 4.0)];
    let land: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(u, v)| {
            let (du, dv) = ((u - nf / 2.0) * module, (v - nf / 2.0) * module);
            let (rx, ry) = (du * angle.cos() - dv * angle.sin(), du * angle.sin() + dv * angle.cos());
            let j = jitter * side;
            (cx + rx + rng.gen_range(-j..=j), cy + ry + rng.gen_range(-j..=j))
        })
        .collect();
    let to_module = Homography::between([land[0], land[1], land[2], land[3]], corners);

    let (dark, light) = match distortion {
        Distortion::Contrast => {
            let mid = rng.gen_range(90.0..170.0);
            (mid - level / 2.0, mid + level / 2.0)
        }
        _ => (rng.gen_range(15.0..50.0), rng.gen_range(190.0..240.0)),
    };
    // Occlusion: bands of clutter on 1–3 sides, from `reach` modules off the code outwards.
    let sides: Vec<usize> = if distortion == Distortion::Occlusion {
        let count = rng.gen_range(2..=4);
        let first = rng.gen_range(0..4);
        (0..count).map(|i| (first + i) % 4).collect()
    } else {
        Vec::new()
    };
    let reach = 4.0 * (1.0 - level);
    let span: Vec<(f64, f64)> = sides
        .iter()
        .map(|_| {
            let a = rng.gen_range(-4.0..nf / 2.0);
            (a, a + rng.gen_range(nf / 3.0..nf + 8.0))
        })
        .collect();
    let stripe = rng.gen_range(0.8..1.3);
    let salt: i64 = rng.gen_range(0..1 << 30);
    let background = (rng.gen_range(60.0..200.0), rng.gen_range(-60.0..60.0));

    let shade = |u: f64, v: f64, x: f64| -> f64 {
        for (k, &s) in sides.iter().enumerate() {
            let (along, off) = match s {
                0 => (v, -u),
                1 => (u, -v),
                2 => (v, u - nf),
                _ => (u, v - nf),
            };
            if off > reach && along >= span[k].0 && along <= span[k].1 {
                // Clutter: blocks of about a module, dark or light by a hash of where they are.
                let (a, b) = ((along / stripe).floor() as i64, (off / stripe).floor() as i64);
                let hash = (a.wrapping_mul(0x9E37_79B9) ^ b.wrapping_mul(0x85EB_CA6B) ^ salt).wrapping_mul(0xC2B2_AE35);
                return if (hash >> 7) & 1 == 0 { light } else { dark };
            }
        }
        if (0.0..nf).contains(&u) && (0.0..nf).contains(&v) {
            if colors[v as usize * n + u as usize] == Color::Dark {
                dark
            } else {
                light
            }
        } else if (-4.0..nf + 4.0).contains(&u) && (-4.0..nf + 4.0).contains(&v) {
            light
        } else {
            background.0 + background.1 * x / size as f64
        }
    };
    let mut image = vec![0.0f64; size * size];
    for y in 0..size {
        for x in 0..size {
            let mut sum = 0.0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = to_module.map(x as f64 + ox, y as f64 + oy);
                sum += shade(u, v, x as f64);
            }
            image[y * size + x] = sum / 4.0;
        }
    }

    match distortion {
        Distortion::Light => {
            let (gx, gy): (f64, f64) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
            let norm = (gx * gx + gy * gy).sqrt().max(1e-6);
            let (sx, sy) = (
                cx + rng.gen_range(-0.3..0.3) * side,
                cy + rng.gen_range(-0.3..0.3) * side,
            );
            let radius = side * rng.gen_range(0.12..0.25);
            for y in 0..size {
                for x in 0..size {
                    let t = ((x as f64 - cx) * gx + (y as f64 - cy) * gy) / norm / size as f64 + 0.5;
                    let lit = 1.0 - level * t.clamp(0.0, 1.0);
                    let d2 = ((x as f64 - sx).powi(2) + (y as f64 - sy).powi(2)) / (radius * radius);
                    let glare = 255.0 * level * (-d2).exp();
                    let p = &mut image[y * size + x];
                    *p = *p * lit + glare;
                }
            }
        }
        Distortion::Moire => {
            let period = module * rng.gen_range(0.8..1.25);
            let theta = rng.gen_range(0.0..std::f64::consts::PI);
            let (fx, fy) = (theta.cos() / period, theta.sin() / period);
            for y in 0..size {
                for x in 0..size {
                    let wave = (std::f64::consts::TAU * (fx * x as f64 + fy * y as f64)).sin();
                    let grid = if x % 3 == 2 || y % 3 == 2 { 0.85 } else { 1.0 };
                    let p = &mut image[y * size + x];
                    *p = *p * grid + level * wave;
                }
            }
        }
        _ => {}
    }

    let sigma = match distortion {
        Distortion::Blur => level * module,
        Distortion::Moire => 0.6,
        _ => 0.5,
    };
    blur(&mut image, size, sigma);

    let noise = match distortion {
        Distortion::Noise => level,
        _ => 3.0,
    };
    let luma: Vec<u8> = image
        .iter()
        .map(|&p| {
            // Box–Muller from two uniforms.
            let (a, b): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.r#gen());
            let g = (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos();
            (p + noise * g).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    let side_u32 = size as u32;
    let frame = LumaFrame::new(side_u32, side_u32, luma).expect("a square frame of the drawn size");
    if distortion == Distortion::Jpeg {
        jpeg(&frame, level.round() as u8).unwrap_or(frame)
    } else {
        frame
    }
}

/// A Gaussian blur of `sigma` pixels, as three box blurs each way.
fn blur(image: &mut [f64], size: usize, sigma: f64) {
    // Box width for three passes: sqrt(12 sigma^2 / 3 + 1).
    let radius = (((4.0 * sigma * sigma + 1.0).sqrt() - 1.0) / 2.0).round() as usize;
    if radius == 0 {
        return;
    }
    let mut line = vec![0.0; size];
    for _ in 0..3 {
        for horizontal in [true, false] {
            for i in 0..size {
                let at = |j: usize| if horizontal { i * size + j } else { j * size + i };
                let mut sum = 0.0;
                for j in 0..=radius.min(size - 1) {
                    sum += image[at(j)];
                }
                let mut count = radius.min(size - 1) + 1;
                for (j, out) in line.iter_mut().enumerate() {
                    *out = sum / count as f64;
                    if j + radius + 1 < size {
                        sum += image[at(j + radius + 1)];
                        count += 1;
                    }
                    if j >= radius {
                        sum -= image[at(j - radius)];
                        count -= 1;
                    }
                }
                for (j, v) in line.iter().enumerate() {
                    image[at(j)] = *v;
                }
            }
        }
    }
}

/// The frame saved as a greyscale JPEG at `quality` and read back.
fn jpeg(frame: &LumaFrame, quality: u8) -> Option<LumaFrame> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality.max(1));
    image::ImageEncoder::write_image(
        encoder,
        frame.data(),
        frame.width(),
        frame.height(),
        image::ExtendedColorType::L8,
    )
    .ok()?;
    let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).ok()?;
    let grey = decoded.to_luma8();
    LumaFrame::new(grey.width(), grey.height(), grey.into_raw()).ok()
}

//! `cargo xtask bench` (scanner part), printed as a table and written as JSON
//! (target/bench/scanner.json):
//! - decode rate and time per image on the zxing photos (../shared/testdata/qr), still effort;
//! - time per camera frame, live effort, at 1280x720 and 640x480, with no code in view (what
//!   the scanner spends nearly all its time on while the customer finds their code) and with
//!   one payment code in view. Goals: 720p without a code ≤ 4 ms median, 480p ≤ 1.5 ms.
//!
//! With `--features rqrr` (as xtask runs it), rqrr is measured in the same run beside rxing.
//! The camera frames are made here: a counter-like scene (light gradient, sensor noise, a few
//! dark objects with hard edges) and, for "with code", an 18-digit payment code shown on a phone
//! screen in it. Every frame differs in its noise, so no decoder sees the same bytes twice.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use till_testkit::ms;

use till_scanner::{Decoder, LumaFrame, Rxing, code_frame, read_image};

/// Frames measured per row; the first 10 warm caches and are not counted.
const FRAMES: usize = 200;
const WARM_UP: usize = 10;

/// The code on the phone: an Alipay payment code as the customer's app shows it.
const PAYMENT_CODE: &str = "281234567890123456";

/// A small deterministic generator (xorshift), so every run measures the same frames.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A counter seen by the till's camera: a light gradient, a few dark objects, sensor noise; with
/// `code`, a phone screen showing it, a fifth of the frame's height across.
fn scene(width: u32, height: u32, seed: u64, code: Option<&str>) -> LumaFrame {
    let mut noise = Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut data = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let gradient = 120 + (x * 60 / width) as i32 + (y * 40 / height) as i32;
            let grain = (noise.next() % 17) as i32 - 8;
            data.push((gradient + grain).clamp(0, 255) as u8);
        }
    }
    let mut frame = LumaFrame::new(width, height, data).expect("a frame of the right size");
    // Objects on the counter: a keyboard edge, a card reader, a cup.
    for (x, y, w, h, shade) in [
        (0.05, 0.7, 0.5, 0.08, 40u8),
        (0.7, 0.55, 0.12, 0.3, 30),
        (0.3, 0.1, 0.08, 0.12, 200),
    ] {
        let (w, h) = ((w * width as f64) as u32, (h * height as f64) as u32);
        let block = LumaFrame::new(w, h, vec![shade; (w * h) as usize]).expect("block");
        frame.paste(&block, (x * width as f64) as u32, (y * height as f64) as u32);
    }
    if let Some(text) = code {
        // A phone screen: the code drawn with the module size that puts it at about a fifth
        // of the frame height, on a white screen, in the middle of the frame.
        let modules = 21 + 2 * till_scanner::QUIET_ZONE;
        let module = (height / 5 / modules).max(2);
        let phone = code_frame(text, module).expect("code");
        frame.paste(&phone, (width - phone.width()) / 2, (height - phone.height()) / 2);
    }
    frame
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn p95(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() * 95 / 100]
}

fn out_dir() -> PathBuf {
    till_testkit::bench_dir().expect("bench dir")
}

/// The zxing photos with their expected texts.
fn photos() -> Vec<(PathBuf, LumaFrame, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/qr");
    assert!(
        root.is_dir(),
        "{} is missing: the decode rate needs ../shared",
        root.display()
    );
    let mut photos = Vec::new();
    for set in ["zxing-qrcode-1", "zxing-qrcode-2", "zxing-qrcode-3"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(set))
            .expect("photo set")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        for png in files {
            let expected = std::fs::read_to_string(png.with_extension("txt")).expect("expected text");
            let frame = read_image(&png).expect("photo");
            photos.push((png, frame, expected));
        }
    }
    photos
}

struct Row {
    name: String,
    value: String,
    goal: &'static str,
    met: Option<bool>,
    json: serde_json::Value,
}

/// Decode rate and time per image on the photos.
fn photo_rate(decoder: &mut dyn Decoder, photos: &[(PathBuf, LumaFrame, String)]) -> Row {
    let mut exact = 0;
    let mut panics = 0;
    let mut times = Vec::with_capacity(photos.len());
    for (_, frame, expected) in photos {
        let start = Instant::now();
        let found = decoder.decode(frame);
        times.push(start.elapsed());
        match found {
            Ok(Some(text)) if text == *expected => exact += 1,
            Ok(_) => {}
            Err(_) => panics += 1,
        }
    }
    let (p50, p95) = (median(times.clone()), p95(times));
    let goal = if decoder.name() == "rxing" {
        ">= 94 exact"
    } else {
        "(comparison)"
    };
    Row {
        name: format!("{}: zxing photos, still effort", decoder.name()),
        value: format!(
            "{exact}/{} exact, {panics} panics; per image p50 {:.2} ms, p95 {:.2} ms",
            photos.len(),
            ms(p50),
            ms(p95)
        ),
        goal,
        met: (decoder.name() == "rxing").then_some(exact >= 94),
        json: serde_json::json!({
            "decoder": decoder.name(), "photos": photos.len(), "exact": exact, "panics": panics,
            "p50_ms": ms(p50), "p95_ms": ms(p95),
        }),
    }
}

/// Time per live frame.
fn frame_time(decoder: &mut dyn Decoder, width: u32, height: u32, code: Option<&str>, goal_ms: Option<f64>) -> Row {
    let frames: Vec<LumaFrame> = (0..8).map(|seed| scene(width, height, seed, code)).collect();
    let mut times = Vec::with_capacity(FRAMES);
    let mut read = 0;
    for i in 0..FRAMES + WARM_UP {
        let frame = &frames[i % frames.len()];
        let start = Instant::now();
        let found = decoder.decode(frame);
        let took = start.elapsed();
        if i >= WARM_UP {
            times.push(took);
            read += usize::from(matches!(found, Ok(Some(ref t)) if Some(t.as_str()) == code));
        }
    }
    let (p50, p95) = (median(times.clone()), p95(times));
    let what = if code.is_some() { "one code" } else { "no code" };
    let read_note = if code.is_some() {
        format!(", read in {read}/{FRAMES}")
    } else {
        String::new()
    };
    let goal: &'static str = match goal_ms {
        Some(g) if g >= 4.0 => "p50 <= 4 ms",
        Some(_) => "p50 <= 1.5 ms",
        None => "",
    };
    Row {
        name: format!("{}: {width}x{height} frame, {what}", decoder.name()),
        value: format!("p50 {:.2} ms, p95 {:.2} ms{read_note}", ms(p50), ms(p95)),
        goal,
        met: goal_ms.map(|g| ms(p50) <= g),
        json: serde_json::json!({
            "decoder": decoder.name(), "width": width, "height": height, "code": code.is_some(),
            "frames": FRAMES, "read": read, "p50_ms": ms(p50), "p95_ms": ms(p95),
        }),
    }
}

fn measure(decoder: &mut dyn Decoder, still: &mut dyn Decoder, photos: &[(PathBuf, LumaFrame, String)]) -> Vec<Row> {
    let goals = decoder.name() == "rxing";
    vec![
        photo_rate(still, photos),
        frame_time(decoder, 1280, 720, None, goals.then_some(4.0)),
        frame_time(decoder, 640, 480, None, goals.then_some(1.5)),
        frame_time(decoder, 1280, 720, Some(PAYMENT_CODE), None),
        frame_time(decoder, 640, 480, Some(PAYMENT_CODE), None),
    ]
}

fn main() {
    let photos = photos();
    let rows = measure(&mut Rxing::live(), &mut Rxing::still(), &photos);
    #[cfg(feature = "rqrr")]
    let rows: Vec<Row> = rows
        .into_iter()
        .chain(measure(&mut till_scanner::Rqrr, &mut till_scanner::Rqrr, &photos))
        .collect();

    let width = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0);
    println!("\n{:width$}  {:70}  goal", "scanner", "measured");
    for row in &rows {
        let mark = match row.met {
            Some(true) => "  ok",
            Some(false) => "  MISSED",
            None => "",
        };
        println!("{:width$}  {:70}  {}{mark}", row.name, row.value, row.goal);
    }
    let json = serde_json::json!({
        "rows": rows.iter().map(|r| {
            let mut j = r.json.clone();
            j["name"] = r.name.clone().into();
            j["goal"] = r.goal.into();
            j["met"] = r.met.into();
            j
        }).collect::<Vec<_>>(),
    });
    let path = out_dir().join("scanner.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json")).expect("write scanner.json");
    println!("written: {}", path.display());
}

//! `cargo xtask bench` (scanner part): the QR decoders side by side, printed as a table and
//! written as JSON (target/bench/qr.json).
//!
//! Image sets:
//! - **photos**: the zxing project's 97 QR photos in ../shared/testdata/qr (the tuning set: the
//!   pipeline's thresholds were chosen on it);
//! - **evaluation**: 320 generated codes under seeded distortions (tests/scanner/evalset.rs; no
//!   threshold is chosen on it).
//!
//! Decoders, each on the same luma frames: our still pipeline (`Rxing::still`, what `till qr
//! decode` uses), our live pipeline (`Rxing::live`, each image as one camera frame), rxing plain
//! (its `MultiFormatReader` with default hints and `TryHarder`, the hybrid binarizer: what a new
//! user writes), rqrr alone, and zxing-cpp (the PyPI wheel, default options, run from Python in
//! this same run from target/oracle-venv, which `cargo xtask bench` installs; timed inside
//! Python around `read_barcodes` only). Each: images read exactly, and ms per image p50/p99.
//!
//! Speed at 720p (1280x720 luma, the camera's plane): a counter scene with no code, and with a
//! payment code filling a third of the frame height; the live pipeline's time per frame p50/p99.
//! Goals: no code <= 2 ms p50 and <= 4 ms p99; with a code, read, <= 8 ms p50.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rxing::common::HybridBinarizer;
use rxing::{BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader};
use till_scanner::{Decoder, LumaFrame, Rqrr, Rxing, ScanError, code_frame, read_image};

#[path = "../tests/scanner/evalset.rs"]
mod evalset;

/// Frames measured per speed row; the first WARM_UP are not counted.
const FRAMES: usize = 300;
const WARM_UP: usize = 10;
/// How often zxing-cpp decodes each speed frame.
const ORACLE_REPEAT: usize = 20;

/// One image of a set with the text its code holds.
struct Image {
    name: String,
    frame: LumaFrame,
    text: String,
}

/// rxing as a new user calls it: default hints plus `TryHarder`, hybrid binarizer.
struct RxingPlain(MultiFormatReader);

impl RxingPlain {
    fn new() -> RxingPlain {
        let mut reader = MultiFormatReader::default();
        reader.set_hints(&DecodeHints {
            TryHarder: Some(true),
            ..DecodeHints::default()
        });
        RxingPlain(reader)
    }
}

impl Decoder for RxingPlain {
    fn name(&self) -> &'static str {
        "rxing plain"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        let Ok(source) = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()) else {
            return Ok(None);
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let reader = &mut self.0;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reader
                .decode_with_state(&mut bitmap)
                .ok()
                .map(|r| r.getText().to_owned())
        }))
        .map_err(|_| ScanError::DecoderPanicked {
            decoder: "rxing plain",
            message: String::new(),
        })
    }
}

fn percentile(times: &[f64], p: usize) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The zxing photos with their expected texts.
fn photos() -> Vec<Image> {
    let dir = root().join("../shared/testdata/qr");
    assert!(dir.is_dir(), "{} is missing: the bench needs ../shared", dir.display());
    let mut photos = Vec::new();
    for set in ["zxing-qrcode-1", "zxing-qrcode-2", "zxing-qrcode-3"] {
        let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(dir.join(set))
            .expect("photo set")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        files.sort();
        for (n, png) in files {
            photos.push(Image {
                name: format!("{set}/{n}"),
                frame: read_image(&png).expect("photo"),
                text: std::fs::read_to_string(png.with_extension("txt")).expect("expected text"),
            });
        }
    }
    photos
}

fn evaluation() -> Vec<Image> {
    evalset::evaluation_set(evalset::SEED)
        .into_iter()
        .map(|s| Image {
            name: s.name,
            frame: s.frame,
            text: s.text,
        })
        .collect()
}

/// What one decoder did on one set.
struct Outcome {
    decoder: String,
    set: &'static str,
    read: usize,
    total: usize,
    p50: f64,
    p99: f64,
    /// Which images were read (names), for the per-distortion breakdown.
    hits: Vec<bool>,
}

/// How many consecutive frames the live pipeline sees each image for: a code held up to the
/// camera for a tenth of a second at 30 fps. (Each of the frames is the same bytes, where a
/// camera's would differ in their noise: this is the harder case.)
const HELD: usize = 3;

fn run(decoder: &mut dyn Decoder, label: &str, set: &'static str, images: &[Image], frames: usize) -> Outcome {
    let mut times = Vec::with_capacity(images.len() * frames);
    let mut hits = Vec::with_capacity(images.len());
    for image in images {
        let mut hit = false;
        for _ in 0..frames {
            let start = Instant::now();
            let found = decoder.decode(&image.frame);
            times.push(ms(start.elapsed()));
            if matches!(found, Ok(Some(ref t)) if *t == image.text) {
                hit = true;
                break;
            }
        }
        hits.push(hit);
    }
    Outcome {
        decoder: label.to_owned(),
        set,
        read: hits.iter().filter(|h| **h).count(),
        total: images.len(),
        p50: percentile(&times, 50),
        p99: percentile(&times, 99),
        hits,
    }
}

/// The oracle's Python, written beside the images it reads.
const ORACLE: &str = r#"
import importlib.metadata, json, sys, time
import numpy as np
import zxingcpp

def read_pgm(path):
    with open(path, "rb") as f:
        magic, size, maxval, pixels = f.read().split(b"\n", 3)
    w, h = map(int, size.split())
    return np.frombuffer(pixels, dtype=np.uint8).reshape(h, w)

repeat = int(sys.argv[1])
print(json.dumps({"version": importlib.metadata.version("zxing-cpp")}), flush=True)
for line in sys.stdin:
    path = line.strip()
    image = read_pgm(path)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        results = zxingcpp.read_barcodes(image)
        times.append((time.perf_counter() - t) * 1000.0)
    print(json.dumps({"path": path, "texts": [r.text for r in results], "ms": times}), flush=True)
"#;

fn python() -> Option<PathBuf> {
    let python = root().join("target/oracle-venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import zxingcpp, numpy"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(python)
}

/// zxing-cpp on `frames` (written as PGM under `dir`), each decoded `repeat` times: per frame,
/// the texts it found and its times in ms.
/// What zxing-cpp read in one frame (every barcode's text) and its times in ms.
type OracleRead = (Vec<String>, Vec<f64>);

fn zxing_cpp(python: &Path, dir: &Path, frames: &[&LumaFrame], repeat: usize) -> Option<(String, Vec<OracleRead>)> {
    std::fs::create_dir_all(dir).ok()?;
    let script = dir.join("oracle.py");
    std::fs::write(&script, ORACLE).ok()?;
    let mut list = String::new();
    for (i, frame) in frames.iter().enumerate() {
        let path = dir.join(format!("{i:04}.pgm"));
        let mut bytes = format!("P5\n{} {}\n255\n", frame.width(), frame.height()).into_bytes();
        bytes.extend_from_slice(frame.data());
        std::fs::write(&path, bytes).ok()?;
        list.push_str(&format!("{}\n", path.display()));
    }
    let mut child = Command::new(python)
        .arg(&script)
        .arg(repeat.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(list.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    let mut lines = out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let version: serde_json::Value = serde_json::from_slice(lines.next()?).ok()?;
    let mut results = Vec::new();
    for line in lines {
        let v: serde_json::Value = serde_json::from_slice(line).ok()?;
        let texts = v["texts"]
            .as_array()?
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        let times = v["ms"]
            .as_array()?
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect();
        results.push((texts, times));
    }
    (results.len() == frames.len()).then(|| (version["version"].as_str().unwrap_or("?").to_owned(), results))
}

fn oracle_outcome(python: &Path, set: &'static str, images: &[Image]) -> Option<(String, Outcome)> {
    let frames: Vec<&LumaFrame> = images.iter().map(|i| &i.frame).collect();
    let (version, results) = zxing_cpp(python, &bench_dir().join(format!("qr-{set}")), &frames, 1)?;
    let hits: Vec<bool> = results
        .iter()
        .zip(images)
        .map(|((texts, _), image)| texts.contains(&image.text))
        .collect();
    let times: Vec<f64> = results.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    Some((
        version,
        Outcome {
            decoder: "zxing-cpp".to_owned(),
            set,
            read: hits.iter().filter(|h| **h).count(),
            total: images.len(),
            p50: percentile(&times, 50),
            p99: percentile(&times, 99),
            hits,
        },
    ))
}

fn bench_dir() -> PathBuf {
    till_testkit::bench_dir().expect("bench dir")
}

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
/// `code`, a phone screen showing it, a third of the frame's height across.
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
        let probe = code_frame(text, 1).expect("code");
        let module = (height / 3 / probe.width()).max(2);
        let phone = code_frame(text, module).expect("code");
        frame.paste(&phone, (width - phone.width()) / 2, (height - phone.height()) / 2);
    }
    frame
}

/// Codes a customer shows: a WeChat Pay and an Alipay payment code, an FPS merchant code.
fn payment_codes() -> Vec<String> {
    let fps = till_qr::FpsQr::new(till_qr::FpsProxy::FpsId("1234567".into()), "TEA HOUSE", "HONG KONG")
        .reference("T-000042")
        .build()
        .expect("fps")
        .encode();
    vec!["134567890123456789".to_owned(), "281234567890123456".to_owned(), fps]
}

struct Speed {
    name: String,
    p50: f64,
    p99: f64,
    read: usize,
    frames: usize,
    goal: &'static str,
    met: Option<bool>,
}

/// The live pass this pipeline replaced (rxing's hybrid binariser, its zxing-cpp QR reader on the
/// frame and inverted), timed in the same run: how loaded the machine is shows in both.
struct OldLive(DecodeHints);

impl Decoder for OldLive {
    fn name(&self) -> &'static str {
        "old live"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        use rxing::Reader as _;
        let Ok(source) = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()) else {
            return Ok(None);
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let mut reader = rxing::qrcode::cpp_port::QrReader;
        let found = reader.decode_with_hints(&mut bitmap, &self.0).or_else(|_| {
            bitmap.invert();
            reader.decode_with_hints(&mut bitmap, &self.0)
        });
        Ok(found.ok().map(|r| r.getText().to_owned()))
    }
}

fn live_speed(
    decoder: &mut dyn Decoder,
    frames: &[(LumaFrame, Option<String>)],
    name: &str,
    goal: &'static str,
    check: impl Fn(f64, f64, usize, usize) -> Option<bool>,
) -> Speed {
    let mut times = Vec::with_capacity(FRAMES);
    let mut read = 0;
    for i in 0..FRAMES + WARM_UP {
        let (frame, code) = &frames[i % frames.len()];
        let start = Instant::now();
        let found = decoder.decode(frame);
        let took = ms(start.elapsed());
        if i >= WARM_UP {
            times.push(took);
            read += usize::from(matches!((found, code), (Ok(Some(t)), Some(c)) if t == *c));
        }
    }
    let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
    Speed {
        name: name.to_owned(),
        p50,
        p99,
        read,
        frames: FRAMES,
        goal,
        met: check(p50, p99, read, FRAMES),
    }
}

fn main() {
    let sets: Vec<(&'static str, Vec<Image>)> = vec![("photos", photos()), ("evaluation", evaluation())];
    let python = python();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut oracle_version = None;
    for (set, images) in &sets {
        outcomes.push(run(&mut Rxing::still(), "ours still", set, images, 1));
        outcomes.push(run(&mut Rxing::live(), "ours live", set, images, HELD));
        outcomes.push(run(&mut RxingPlain::new(), "rxing plain", set, images, 1));
        outcomes.push(run(&mut Rqrr, "rqrr", set, images, 1));
        if let Some(python) = &python
            && let Some((version, outcome)) = oracle_outcome(python, set, images)
        {
            oracle_version = Some(version);
            outcomes.push(outcome);
        }
    }
    if python.is_none() {
        eprintln!("zxing-cpp: not found in target/oracle-venv (`cargo xtask bench` installs it); its rows are missing");
    }

    // 720p speed, live pipeline.
    let empty: Vec<(LumaFrame, Option<String>)> = (0..8).map(|s| (scene(1280, 720, s, None), None)).collect();
    let codes = payment_codes();
    let with_code: Vec<(LumaFrame, Option<String>)> = (0..9)
        .map(|s| {
            let text = codes[s as usize % codes.len()].clone();
            (scene(1280, 720, s, Some(&text)), Some(text))
        })
        .collect();
    let old_hints = DecodeHints {
        PossibleFormats: Some(std::collections::HashSet::from([rxing::BarcodeFormat::QR_CODE])),
        TryHarder: Some(false),
        ..DecodeHints::default()
    };
    let mut speeds = vec![
        live_speed(
            &mut Rxing::live(),
            &empty,
            "ours live: 1280x720, no code",
            "p50 <= 2 ms, p99 <= 4 ms",
            |p50, p99, _, _| Some(p50 <= 2.0 && p99 <= 4.0),
        ),
        live_speed(
            &mut Rxing::live(),
            &with_code,
            "ours live: 1280x720, a code a third of the height",
            "read, p50 <= 8 ms",
            |p50, _, read, n| Some(p50 <= 8.0 && read == n),
        ),
        live_speed(
            &mut OldLive(old_hints.clone()),
            &empty,
            "old live pass: 1280x720, no code",
            "(comparison)",
            |_, _, _, _| None,
        ),
        live_speed(
            &mut OldLive(old_hints),
            &with_code,
            "old live pass: 1280x720, a code",
            "(comparison)",
            |_, _, _, _| None,
        ),
    ];
    if let Some(python) = &python {
        for (name, frames) in [
            ("zxing-cpp: 1280x720, no code", &empty),
            ("zxing-cpp: 1280x720, a code a third of the height", &with_code),
        ] {
            let refs: Vec<&LumaFrame> = frames.iter().map(|(f, _)| f).collect();
            if let Some((_, results)) = zxing_cpp(python, &bench_dir().join("qr-speed"), &refs, ORACLE_REPEAT) {
                let times: Vec<f64> = results.iter().flat_map(|(_, t)| t.iter().copied()).collect();
                let read = results
                    .iter()
                    .zip(frames.iter())
                    .filter(|((texts, _), (_, code))| code.as_ref().is_some_and(|c| texts.contains(c)))
                    .count();
                speeds.push(Speed {
                    name: name.to_owned(),
                    p50: percentile(&times, 50),
                    p99: percentile(&times, 99),
                    read: read * ORACLE_REPEAT,
                    frames: frames.len() * ORACLE_REPEAT,
                    goal: "(comparison)",
                    met: None,
                });
            }
        }
    }

    // Goals on the image sets.
    let count = |decoder: &str, set: &str| {
        outcomes
            .iter()
            .find(|o| o.decoder == decoder && o.set == set)
            .map(|o| o.read)
    };
    let mut goals = Vec::new();
    for (set, _) in &sets {
        let still = count("ours still", set).unwrap_or(0);
        let plain = count("rxing plain", set).unwrap_or(usize::MAX);
        let live = count("ours live", set).unwrap_or(0);
        goals.push((format!("{set}: still > rxing plain"), Some(still > plain)));
        goals.push((
            format!("{set}: still >= zxing-cpp"),
            count("zxing-cpp", set).map(|z| still >= z),
        ));
        goals.push((format!("{set}: live >= 95% of still"), Some(live * 100 >= still * 95)));
    }

    // The table.
    println!(
        "\nQR decoders, read exactly / images, ms per image p50 / p99 (zxing-cpp {})",
        oracle_version.as_deref().unwrap_or("missing")
    );
    println!(
        "{:14} {:>22} {:>22}",
        "decoder", "photos (tuning)", "evaluation (seed 19)"
    );
    for decoder in ["ours still", "ours live", "rxing plain", "rqrr", "zxing-cpp"] {
        let cell = |set: &str| {
            outcomes
                .iter()
                .find(|o| o.decoder == decoder && o.set == set)
                .map_or_else(
                    || "-".to_owned(),
                    |o| format!("{:3}/{} {:6.2} /{:7.2}", o.read, o.total, o.p50, o.p99),
                )
        };
        println!("{decoder:14} {:>22} {:>22}", cell("photos"), cell("evaluation"));
    }
    // Per distortion on the evaluation set.
    let eval = &sets[1].1;
    println!("\nevaluation set by distortion (read / images)");
    print!("{:14}", "decoder");
    for d in evalset::Distortion::ALL {
        print!(" {:>11}", d.name());
    }
    println!();
    let mut by_distortion = serde_json::Map::new();
    for o in outcomes.iter().filter(|o| o.set == "evaluation") {
        print!("{:14}", o.decoder);
        let mut row = serde_json::Map::new();
        for d in evalset::Distortion::ALL {
            let (read, total) = eval
                .iter()
                .zip(&o.hits)
                .filter(|(i, _)| i.name.ends_with(d.name()))
                .fold((0, 0), |(r, t), (_, h)| (r + usize::from(*h), t + 1));
            print!(" {:>11}", format!("{read}/{total}"));
            row.insert(d.name().to_owned(), serde_json::json!({"read": read, "images": total}));
        }
        by_distortion.insert(o.decoder.clone(), row.into());
        println!();
    }
    println!();
    for s in &speeds {
        let mark = match s.met {
            Some(true) => "  ok",
            Some(false) => "  MISSED",
            None => "",
        };
        println!(
            "{:52} p50 {:6.2} ms, p99 {:6.2} ms, read {}/{}  {}{mark}",
            s.name, s.p50, s.p99, s.read, s.frames, s.goal
        );
    }
    for (goal, met) in &goals {
        let mark = match met {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "not measured",
        };
        println!("{goal:40} {mark}");
    }
    // Which photos each decoder missed, so a regression is visible by name.
    let photos_set = &sets[0].1;
    for o in outcomes.iter().filter(|o| o.set == "photos") {
        let missed: Vec<&str> = photos_set
            .iter()
            .zip(&o.hits)
            .filter(|(_, h)| !**h)
            .map(|(i, _)| i.name.as_str())
            .collect();
        println!("{} missed on photos: {}", o.decoder, missed.join(" "));
    }

    let json = serde_json::json!({
        "zxing_cpp": oracle_version,
        "evaluation_seed": evalset::SEED,
        "sets": outcomes.iter().map(|o| serde_json::json!({
            "decoder": o.decoder, "set": o.set, "read": o.read, "images": o.total,
            "p50_ms": o.p50, "p99_ms": o.p99,
        })).collect::<Vec<_>>(),
        "evaluation_by_distortion": by_distortion,
        "speed_720p": speeds.iter().map(|s| serde_json::json!({
            "name": s.name, "p50_ms": s.p50, "p99_ms": s.p99, "read": s.read, "frames": s.frames,
            "goal": s.goal, "met": s.met,
        })).collect::<Vec<_>>(),
        "goals": goals.iter().map(|(g, m)| serde_json::json!({"goal": g, "met": m})).collect::<Vec<_>>(),
    });
    let path = bench_dir().join("qr.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json")).expect("write qr.json");
    println!("written: {}", path.display());
}

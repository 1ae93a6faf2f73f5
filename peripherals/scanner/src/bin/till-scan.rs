//! `till-scan`: the scanner on its own, for a technician at the till. Lists cameras, or reads
//! codes from a camera, image files or a serial scanner and prints each once, with the time,
//! until interrupted (or until the files run out).
//!
//! ```text
//! till-scan --list
//! till-scan --camera 0 [--size 1280x720] [--fps 30]
//! till-scan --serial /dev/ttyACM0 [--baud 9600]
//! till-scan --images FILE_OR_FOLDER...
//! ```
//!
//! Built only with the `camera` feature (`cargo run -p till-scanner --features camera --bin
//! till-scan -- --list`).

use std::process::ExitCode;

use till_scanner::{
    CameraFrames, CameraSettings, CodeSource, FrameCodes, ImageFiles, Rxing, ScanError, Scanner, SerialScanner, cameras,
};

const USAGE: &str =
    "usage: till-scan --list | --camera N [--size WxH] [--fps F] | --serial PATH [--baud B] | --images PATH...";

fn value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn number(args: &[String], flag: &str, default: u32) -> Result<u32, String> {
    value(args, flag).map_or(Ok(default), |v| {
        v.parse().map_err(|_| format!("{flag}: {v:?} is not a number"))
    })
}

async fn print_codes<S: CodeSource>(scanner: Scanner<S>) -> Result<(), ScanError> {
    loop {
        let code = scanner.next().await?;
        println!("{}\t{}", code.at.format("%H:%M:%S%.3f"), code.text);
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let first = args.first().map(String::as_str);
    let scanned = match first {
        Some("--list") => {
            for camera in cameras().map_err(|e| e.to_string())? {
                println!("{}\t{}", camera.index, camera.name);
            }
            return Ok(());
        }
        Some("--camera") => {
            let (width, height) = match value(args, "--size") {
                Some(size) => size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| format!("--size: {size:?} is not WIDTHxHEIGHT"))?,
                None => (1280, 720),
            };
            let settings = CameraSettings {
                index: number(args, "--camera", 0)?,
                width,
                height,
                fps: number(args, "--fps", 30)?,
            };
            let camera = CameraFrames::open(settings).map_err(|e| e.to_string())?;
            eprintln!("till-scan: streaming {}", camera.format());
            print_codes(Scanner::new(FrameCodes::new(camera, Rxing::live()))).await
        }
        Some("--serial") => {
            let path = value(args, "--serial").ok_or(USAGE)?;
            let port = SerialScanner::open(path, number(args, "--baud", 9600)?).map_err(|e| e.to_string())?;
            print_codes(Scanner::new(port)).await
        }
        Some("--images") => {
            let paths: Vec<_> = args[1..].iter().map(Into::into).collect();
            let files = ImageFiles::open(&paths).map_err(|e| e.to_string())?;
            print_codes(Scanner::new(FrameCodes::new(files, Rxing::still()))).await
        }
        _ => return Err(USAGE.to_owned()),
    };
    match scanned {
        Err(ScanError::Ended(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
        Ok(()) => Ok(()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("till-scan: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("till-scan: {e}");
            ExitCode::from(2)
        }
    }
}

//! `till-display`: the customer display, a Slint window driven by the till over JSON lines.
//!
//! Reads one snapshot (or `{"cmd":"quit"}`) per line on stdin and answers with events on stdout
//! (see `till_display::screen::protocol`). End of input closes it, so it never outlives the till.
//! Stdin is read on its own thread; every line is parsed there and the window is only touched on
//! the event loop, through the adapter.

mod adapter;

use std::io::{BufRead, Write};
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use till_display::screen::protocol::{self, Command, Event, Input};
use tokio::sync::mpsc;

/// The compiled `ui/display.slint`.
mod ui {
    #![allow(missing_debug_implementations, clippy::all, clippy::pedantic, clippy::unwrap_used)]
    slint::include_modules!();
}
use ui::*;

#[derive(Debug, Parser)]
#[command(
    name = "till-display",
    about = "OpenTill's customer display: snapshots in as JSON lines on stdin"
)]
struct Args {
    /// A window of `--size` (the default; for development).
    #[arg(long, conflicts_with = "fullscreen")]
    windowed: bool,
    /// Full screen (the counter), on the monitor that holds `--position`. Full screen is asked of
    /// the window manager; on a bare X server without one, give the monitor's geometry with
    /// `--position` and `--size` and the window covers it all the same.
    #[arg(long)]
    fullscreen: bool,
    /// Window size in logical pixels, WxH (windowed: 800x480 if not given).
    #[arg(long, value_parser = parse_size)]
    size: Option<Size>,
    /// Top left corner of the window in physical pixels, X,Y: picks the monitor for --fullscreen.
    #[arg(long, value_parser = parse_position)]
    position: Option<Position>,
}

#[derive(Debug, Clone, Copy)]
struct Size(u32, u32);

/// A small pole-mounted panel's size: the development window.
const DEFAULT_SIZE: Size = Size(800, 480);

#[derive(Debug, Clone, Copy)]
struct Position(i32, i32);

fn parse_size(text: &str) -> Result<Size, String> {
    let (w, h) = text.split_once('x').ok_or("expected WxH, like 800x480")?;
    let number = |n: &str| n.trim().parse::<u32>().ok().filter(|n| (64..=16384).contains(n));
    match (number(w), number(h)) {
        (Some(w), Some(h)) => Ok(Size(w, h)),
        _ => Err("width and height are whole numbers from 64 to 16384".to_owned()),
    }
}

fn parse_position(text: &str) -> Result<Position, String> {
    let (x, y) = text.split_once(',').ok_or("expected X,Y, like 1920,0")?;
    match (x.trim().parse(), y.trim().parse()) {
        (Ok(x), Ok(y)) => Ok(Position(x, y)),
        _ => Err("X and Y are whole numbers".to_owned()),
    }
}

/// Writes one event line. A till that stopped reading is gone: so is its display.
fn emit(event: &Event) {
    let Ok(line) = serde_json::to_string(event) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Reports a line it will not use, on stdout for the till and on stderr for the log.
fn reject(line: u64, reason: String) {
    eprintln!("till-display: line {line} rejected: {reason}");
    emit(&Event::Rejected { line, reason });
}

/// Reads stdin until its end, handing understood lines to the event loop.
fn read_input(to_screen: mpsc::Sender<(u64, Input)>) {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let mut buffer = Vec::new();
    let mut number = 0u64;
    loop {
        buffer.clear();
        match stdin.read_until(b'\n', &mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        number += 1;
        let Ok(line) = std::str::from_utf8(&buffer) else {
            reject(number, "not UTF-8".to_owned());
            continue;
        };
        // Blank lines keep nothing and break nothing.
        if line.trim().is_empty() {
            continue;
        }
        match protocol::parse_line(line) {
            Ok(input) => {
                if to_screen.blocking_send((number, input)).is_err() {
                    return;
                }
            }
            Err(reason) => reject(number, reason),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let window = DisplayWindow::new().context("cannot create the display window")?;
    let screen = adapter::Screen::new(&window);

    if let Some(Position(x, y)) = args.position {
        window.window().set_position(slint::PhysicalPosition::new(x, y));
    }
    let size = match (args.size, args.fullscreen) {
        (Some(size), _) => Some(size),
        (None, false) => Some(DEFAULT_SIZE),
        (None, true) => None,
    };
    if let Some(Size(w, h)) = size {
        #[allow(clippy::cast_precision_loss)] // at most 16384
        window.window().set_size(slint::LogicalSize::new(w as f32, h as f32));
    }
    if args.fullscreen {
        window.window().set_fullscreen(true);
    }
    // Closing the window (there is no frame on a counter, but a developer's desktop has one)
    // cancels a signature; the display itself stays until the till closes its input.
    window.window().on_close_requested({
        let screen = Rc::clone(&screen);
        move || {
            screen.cancel();
            slint::CloseRequestResponse::KeepWindowShown
        }
    });
    window.show().context("cannot show the display window")?;

    let (to_screen, mut from_input) = mpsc::channel::<(u64, Input)>(64);
    std::thread::Builder::new()
        .name("stdin".to_owned())
        .spawn(move || read_input(to_screen))
        .context("cannot start the input thread")?;
    slint::spawn_local(async move {
        while let Some((line, input)) = from_input.recv().await {
            match input {
                Input::Snapshot(snapshot) => screen.apply(line, snapshot),
                Input::Command(Command::Quit) => break,
            }
        }
        let _ = slint::quit_event_loop();
    })
    .context("cannot start the input task")?;
    slint::Timer::single_shot(Duration::ZERO, || emit(&Event::Ready));
    slint::run_event_loop_until_quit().context("the display's event loop failed")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_geometry_arguments() {
        assert!(matches!(parse_size("1280x800"), Ok(Size(1280, 800))), "WxH");
        assert!(parse_size("1280").is_err(), "a size needs both sides");
        assert!(parse_size("10x10").is_err(), "too small to show anything");
        assert!(matches!(parse_position("1920,-5"), Ok(Position(1920, -5))), "X,Y");
        assert!(parse_position("a,b").is_err(), "numbers only");
    }
}

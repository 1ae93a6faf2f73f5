//! The floor of the cashier app's launch benchmark (`cargo xtask bench`): the smallest Tauri v2
//! window, with the same tauri version, features and cargo profile as `opentill`, so that what
//! the app costs above it is what the app itself adds. Its page tells the Rust side that it is
//! interactive once the DOM is loaded, and the Rust side prints the same ready line as the app
//! (when `OPENTILL_BENCH_READY=1`): `OPENTILL_READY screen=floor monotonic_ns=<CLOCK_MONOTONIC>`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Prints the ready line, with CLOCK_MONOTONIC so that the bench does not depend on when it gets
/// to read the pipe.
#[tauri::command]
fn ui_ready() {
    if std::env::var_os("OPENTILL_BENCH_READY").is_some_and(|v| v == "1") {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let ns = i128::from(now.tv_sec) * 1_000_000_000 + i128::from(now.tv_nsec);
        println!("OPENTILL_READY screen=floor monotonic_ns={ns}");
    }
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!())
        .expect("the floor window could not start");
}

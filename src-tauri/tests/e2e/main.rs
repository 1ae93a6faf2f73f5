//! End-to-end tests of the real `opentill` binary under Xvfb, driven over WebDriver
//! (tauri-driver + WebKitWebDriver). How to write one: README.md next to this file.

mod first_hour;
mod flows_after;
mod flows_card;
mod flows_qr;
mod flows_screens;
mod flows_session;
mod flows_support;
mod settings_devices;
mod settings_scanner;
mod setup;
mod smoke;
mod start;
mod support;
mod updates;

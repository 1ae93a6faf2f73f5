//! The `till` binary as an integrator uses it: real processes, a real SQLite file, and a real
//! SIGKILL for the crash test.

mod bad_input;
#[cfg(target_os = "linux")]
mod bluetooth;
mod config;
mod crash;
mod devices;
mod support;
mod usage;
#[cfg(unix)]
mod wine;

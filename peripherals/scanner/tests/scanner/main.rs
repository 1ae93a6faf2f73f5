//! till-scanner against the world: the zxing photo set, the generated evaluation set, hostile
//! images, frames through the scanner into a till
//! sale, keyboard-wedge timing, a serial scanner over a pseudo-terminal, and bad input.

mod bad_input;
mod decode_rate;
mod eval_floor;
mod evalset;
mod hostile;
mod pipeline;
mod serial;
mod support;
mod wedge;

//! Customer displays against real devices' stand-ins: a pseudo-terminal for the pole display,
//! a real X server (Xvfb) for the Slint customer screen.

mod pole;
#[cfg(feature = "screen")]
mod screen;
#[cfg(feature = "screen")]
mod x11;

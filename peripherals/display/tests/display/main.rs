//! Customer displays against real devices' stand-ins.

mod pole;

//! till-qr against the world: public EMVCo merchant-presented payloads from peer libraries and
//! specs, the payloads they reject, the FPS/PayNow generators, and hostile input.

mod builders;
mod negatives;
mod no_panic;
mod oracle;
mod support;
mod vectors;
mod view;

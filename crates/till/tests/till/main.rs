//! Integration tests of the `Till` against the port simulators: every flow, the invariants
//! under random command sequences, receipts and the locales.

mod auto_settlement;
mod device_change;
mod flows;
mod locales;
mod properties;
mod receipts;
mod support;
mod update_hold;

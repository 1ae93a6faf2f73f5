//! The ZVT driver and simulator: real captures, a real pseudo-terminal pair, TCP, serial
//! faults, and an independent ECR (the crates.io `zvt` crate) against our simulator. The nexo
//! driver and simulator over real TLS, the npm Adyen library as an oracle, and the card-flow
//! suite run over both protocols (card_flows.rs).

mod captures;
mod card_flows;
mod faults;
mod independent_ecr;
mod loopback;
mod nexo_link;
mod nexo_oracle;
mod nexo_support;
mod support;

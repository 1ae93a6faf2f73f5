//! till-host's integration tests, against a real PostgreSQL started here (see `pg.rs`).

mod api;
mod browser;
mod drain;
mod exactly_once;
mod matrix;
mod pg;
mod portal;
mod settings;
mod support;

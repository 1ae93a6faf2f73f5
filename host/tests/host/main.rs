//! till-host's integration tests, against a real PostgreSQL started here (see `pg.rs`).

mod api;
mod drain;
mod exactly_once;
mod matrix;
mod pg;
mod portal;
mod settings;
mod support;

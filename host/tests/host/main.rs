//! till-host's integration tests, against a real PostgreSQL started here (till-testkit's `pg`).

mod accounts;
mod api;
mod browser;
mod csrf;
mod drain;
mod exactly_once;
mod hardening;
mod matrix;
mod portal;
mod portal_updates;
mod settings;
mod support;
mod updates;

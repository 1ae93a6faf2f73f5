//! The packages as a shop and a release signer meet them: made from the build the tests already
//! have (`cargo xtask test` sets `OPENTILL_DIST_BIN` to the Linux programs and
//! `OPENTILL_WINE_BIN`/`WINEPREFIX` to the Windows ones; a plain `cargo test` says so and skips),
//! signed with keys made up here, then checked by the tools that install them: apt, rpm,
//! osslsigncode, and the installer itself under Wine.

mod debian_root;
mod linux;
mod support;
mod windows;

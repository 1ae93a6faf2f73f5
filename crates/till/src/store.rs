//! The till's files: `till.toml` (configuration, written with the demo defaults on first run)
//! beside the journal in the data directory.

use std::path::{Path, PathBuf};
use till_domain::TillConfig;

use crate::error::{Result, TillError};

/// The default data directory. On Windows `%ProgramData%\OpenTill`: one till per machine,
/// shared by the cashiers' Windows accounts (the installer lets them write there). Elsewhere the
/// user's data folder (`$XDG_DATA_HOME/opentill`, `~/.local/share/opentill`).
pub fn default_data_dir() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData")
            .or_else(|| std::env::var_os("ALLUSERSPROFILE"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
        return base.join("OpenTill");
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("opentill")
}

/// Reads `dir/till.toml`, writing the demo configuration there first if there is none.
pub fn load_or_create_config(dir: &Path) -> Result<TillConfig> {
    std::fs::create_dir_all(dir).map_err(|e| TillError::Config(format!("{}: {e}", dir.display())))?;
    let path = dir.join("till.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| TillError::Config(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let config = TillConfig::demo();
            let text = toml::to_string_pretty(&config).map_err(|e| TillError::Config(e.to_string()))?;
            std::fs::write(&path, text).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
            Ok(config)
        }
        Err(e) => Err(TillError::Config(format!("{}: {e}", path.display()))),
    }
}

/// A section of `dir/till.toml` (`[terminal]`, `[printer]`…), or its default when the file or
/// the section is absent.
pub fn load_section<T: serde::de::DeserializeOwned + Default>(dir: &Path, name: &str) -> Result<T> {
    let path = dir.join("till.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => return Err(TillError::Config(format!("{}: {e}", path.display()))),
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| TillError::Config(format!("{}: {e}", path.display())))?;
    match table.get(name) {
        None => Ok(T::default()),
        Some(v) => v
            .clone()
            .try_into()
            .map_err(|e| TillError::Config(format!("{} [{name}]: {e}", path.display()))),
    }
}

//! The Windows installer: the cross-built programs, stripped of their symbols and debug
//! sections and each Authenticode-signed, packed by NSIS (`installers/windows/opentill.nsi`)
//! into one installer whose uninstaller and whose own file are signed as makensis writes them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Authenticode, Result, VERSION, install_file, run, templates, write_file};

/// What the release installer holds, from the Windows build folder: the cashier app, the
/// WebView2 loader it needs beside it, the command line, the customer screen and the terminal
/// simulator.
pub const FILES: [&str; 5] = [
    "opentill.exe",
    "WebView2Loader.dll",
    "till.exe",
    "till-display.exe",
    "till-terminal-sim.exe",
];

/// `major.minor.patch.0`, the four numbers a Windows version resource holds.
fn version4() -> String {
    let mut parts: Vec<&str> = VERSION.split(['.', '-']).take(3).collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    format!("{}.0", parts.join("."))
}

/// The installer of `files` (names in `bin`), written into `out` as
/// `OpenTill-Setup-<version>.exe`; every file and the installer signed when `sign` is given.
/// `Compression::Fast` (the tests) packs with zlib instead of solid LZMA.
pub fn installer(
    bin: &Path,
    files: &[&str],
    out: &Path,
    sign: Option<&Authenticode>,
    compression: crate::linux::Compression,
) -> Result<PathBuf> {
    let stage = out.join("windows-stage");
    let _ = std::fs::remove_dir_all(&stage);
    let mut add = String::new();
    let mut remove = String::new();
    for name in files {
        let to = stage.join(name);
        install_file(&bin.join(name), &to, 0o644)?;
        // Stripped before signing: the GNU toolchain keeps DWARF and a COFF symbol table inside
        // the .exe, together several times the code's size. `--strip-all` keeps the base
        // relocations (.reloc, for ASLR) and the unwind tables; a panic still names its file
        // and line, a backtrace no longer names functions.
        run(
            Command::new("x86_64-w64-mingw32-strip").arg("--strip-all").arg(&to),
            &format!("strip {name}"),
        )?;
        if let Some(identity) = sign {
            identity.sign(&to)?;
        }
        add.push_str(&format!("File \"{}\"\n", to.display()));
        remove.push_str(&format!("Delete \"$INSTDIR\\{name}\"\n"));
    }
    let add_file = stage.join("files.nsh");
    let remove_file = stage.join("remove.nsh");
    write_file(&add_file, add.as_bytes(), 0o644)?;
    write_file(&remove_file, remove.as_bytes(), 0o644)?;
    let installer = out.join(format!("OpenTill-Setup-{VERSION}.exe"));
    let mut cmd = Command::new("makensis");
    cmd.args(["-V2", "-INPUTCHARSET", "UTF8"])
        .arg(format!("-DVERSION={VERSION}"))
        .arg(format!("-DVERSION4={}", version4()))
        .arg(format!("-DOUTFILE={}", installer.display()))
        .arg(format!("-DFILES={}", add_file.display()))
        .arg(format!("-DREMOVE={}", remove_file.display()));
    if compression == crate::linux::Compression::Fast {
        cmd.arg("-DFAST=1");
    }
    if let Some(identity) = sign {
        let command = identity.shell_command(&stage.join("sign.sh"))?;
        cmd.arg(format!("-DSIGN={command}"));
    }
    cmd.arg(templates().join("windows/opentill.nsi"));
    run(&mut cmd, "makensis")?;
    let _ = std::fs::remove_dir_all(&stage);
    Ok(installer)
}

/// Whether osslsigncode finds a valid signature on `file` chaining to `ca` (PEM): its output
/// when it does not.
pub fn verify(file: &Path, ca: &Path) -> Result<()> {
    run(
        Command::new("osslsigncode")
            .arg("verify")
            .arg("-CAfile")
            .arg(ca)
            .arg("-in")
            .arg(file),
        &format!("osslsigncode verify {}", file.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_resource_has_four_numbers() {
        assert_eq!(version4().split('.').count(), 4);
        assert!(
            version4().split('.').all(|n| n.parse::<u16>().is_ok()),
            "{}",
            version4()
        );
    }
}

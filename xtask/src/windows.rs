//! `cargo xtask windows`: OpenTill for Windows, cross-built on Debian and run under Wine.
//!
//! rustup cannot fetch the Windows targets here, so Debian's own Rust (`rustc-web`, called by
//! full path beside rustup's) builds std for `x86_64-pc-windows-gnu` from its source
//! (`rust-web-src`, `-Zbuild-std`), linked by mingw-w64. Everything goes to `target/windows`,
//! so the Linux build's cache is never invalidated. The tests run the binaries under Debian's
//! Wine 8 in a prefix cached in `target/wine/prefix` (its first start takes half a minute).
//!
//! Wine 8 lacks `bcryptprimitives.dll` (`ProcessPrng`, imported by Rust's std): a ten-line DLL
//! of ours, built here with mingw, sits beside the test copies of the binaries in
//! `target/wine/bin`. It is a test fixture for Wine only: installers never take it.

use std::path::PathBuf;
use std::process::Command;

use crate::dist::root;

/// Debian packages for the cross build and for running it.
pub const PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "gcc-mingw-w64-x86-64",
    "g++-mingw-w64-x86-64",
    "wine64",
];

pub const TARGET: &str = "x86_64-pc-windows-gnu";
const WINE: &str = "/usr/lib/wine/wine64";

/// Where the tests find the Windows build.
#[derive(Debug)]
pub struct WineSetup {
    /// The test copies of the .exe files, with the Wine-only shim beside them.
    pub bin: PathBuf,
    /// A Wine prefix made once and kept.
    pub prefix: PathBuf,
}

/// `/usr/bin/cargo build` for Windows: Debian's toolchain, std from source.
fn cross_cargo(args: &[&str]) -> Result<(), String> {
    let target_dir = root().join("target/windows");
    let mut cmd = Command::new("/usr/bin/cargo");
    cmd.args([
        "build",
        "-Zbuild-std=std,panic_abort",
        "--target",
        TARGET,
        "--target-dir",
    ])
    .arg(&target_dir)
    .args(args)
    .current_dir(root())
    .env("RUSTC", "/usr/bin/rustc")
    .env("RUSTDOC", "/usr/bin/rustdoc")
    .env("RUSTC_BOOTSTRAP", "1")
    .env("CARGO_INCREMENTAL", crate::INCREMENTAL)
    // rustup's variables would point Debian's cargo at rustup's toolchain.
    .env_remove("RUSTUP_TOOLCHAIN")
    .env_remove("CARGO")
    .env_remove("RUSTC_WRAPPER");
    eprintln!("xtask: /usr/bin/cargo build --target {TARGET} {}", args.join(" "));
    let status = cmd.status().map_err(|e| format!("/usr/bin/cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the Windows build failed: {}", args.join(" ")))
    }
}

/// The Windows binaries in `target/windows/x86_64-pc-windows-gnu/debug`. `all` adds the
/// customer screen (Slint) and the cashier app (Tauri over WebView2), which the tests do not
/// run (Wine has no WebView2) and which cost most of the build: `cargo xtask windows --all`
/// and the installers build them.
pub fn build(all: bool) -> Result<PathBuf, String> {
    build_profile(all, false)
}

/// [`build`] in the dev profile, or for a release (`cargo xtask dist`) in the `release-lto`
/// profile (Cargo.toml: the release profile with whole-program LTO, for the packages' size).
pub fn build_profile(all: bool, release: bool) -> Result<PathBuf, String> {
    crate::ensure(PACKAGES)?;
    let profile: &[&str] = if release { &["--profile", "release-lto"] } else { &[] };
    let cross = |args: &[&str]| cross_cargo(&[profile, args].concat());
    cross(&[
        "-p",
        "till-cli",
        "--bin",
        "till",
        "--bin",
        "till-soak",
        "-p",
        "till-terminal",
        "--bin",
        "till-terminal-sim",
    ])?;
    if all {
        cross(&["-p", "till-display", "--features", "screen", "--bin", "till-display"])?;
        windows_icon()?;
        // Releases carry webcam support (nokhwa over Media Foundation); the tests never open a
        // camera, so their build leaves it out.
        if release {
            cross(&[
                "-p",
                "opentill-app",
                "--features",
                "opentill-app/camera",
                "--bin",
                "opentill",
            ])?;
        } else {
            cross(&["-p", "opentill-app", "--bin", "opentill"])?;
        }
    }
    let dir = if release { "release-lto" } else { "debug" };
    Ok(root().join("target/windows").join(TARGET).join(dir))
}

/// tauri-build embeds `src-tauri/icons/icon.ico` in a Windows build's resources; it is made
/// from the app's PNG icon (ImageMagick) and never committed (.gitignore).
fn windows_icon() -> Result<(), String> {
    let icons = root().join("src-tauri/icons");
    let ico = icons.join("icon.ico");
    if ico.exists() {
        return Ok(());
    }
    crate::ensure(&["imagemagick"])?;
    let status = Command::new("convert")
        .arg(icons.join("icon.png"))
        .args(["-define", "icon:auto-resize=256,64,48,32,16"])
        .arg(&ico)
        .status()
        .map_err(|e| format!("convert: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("convert could not make {}", ico.display()))
    }
}

/// `ProcessPrng` for Wine 8, which lacks bcryptprimitives.dll: `RtlGenRandom` in chunks.
const PRNG_SHIM: &str = r#"/* Test fixture for Wine 8 only (never shipped): Rust's std imports
   ProcessPrng from bcryptprimitives.dll, which Wine 8 does not have. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
"#;

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Builds the Windows binaries the tests run, copies them with the shim into
/// `target/wine/bin`, and makes the Wine prefix once.
pub fn prepare() -> Result<WineSetup, String> {
    let built = build(false)?;
    let wine = root().join("target/wine");
    let bin = wine.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    for exe in ["till.exe", "till-soak.exe", "till-terminal-sim.exe"] {
        std::fs::copy(built.join(exe), bin.join(exe)).map_err(|e| format!("{exe}: {e}"))?;
    }
    let shim = bin.join("bcryptprimitives.dll");
    if !shim.exists() {
        let source = wine.join("bcryptprimitives.c");
        std::fs::write(&source, PRNG_SHIM).map_err(|e| format!("{}: {e}", source.display()))?;
        run(
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-shared", "-O2", "-o"])
                .arg(&shim)
                .arg(&source)
                .arg("-ladvapi32"),
            "building the Wine PRNG shim",
        )?;
    }
    let prefix = wine.join("prefix");
    if !prefix.join("system.reg").exists() {
        eprintln!("xtask: making the Wine prefix {} (once)", prefix.display());
        std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
        run(
            Command::new(WINE)
                .args(["wineboot", "--init"])
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                // No Mono or Gecko installers (they would ask to download).
                .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
                .env_remove("DISPLAY"),
            "wineboot",
        )?;
        run(
            Command::new("/usr/lib/wine/wineserver")
                .arg("-w")
                .env("WINEPREFIX", &prefix),
            "wineserver -w",
        )?;
    }
    Ok(WineSetup { bin, prefix })
}

/// Checks the Windows runner's workflow against GitHub's workflow schema with
/// `check-jsonschema` (PyPI; its schema ships inside the package, nothing is fetched), in the
/// oracles' virtualenv.
pub fn lint_workflow() -> Result<(), String> {
    let venv = root().join("target/oracle-venv");
    let check = venv.join("bin/check-jsonschema");
    if !check.exists() {
        run(
            Command::new(venv.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "check-jsonschema==0.33.0",
            ]),
            "pip install check-jsonschema",
        )?;
    }
    run(
        Command::new(check)
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(root().join(".github/workflows/windows.yml")),
        "check-jsonschema .github/workflows/windows.yml",
    )
}

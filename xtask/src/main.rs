//! `cargo xtask run | test | bench`: the developer entry points. Each first makes sure the
//! Debian packages the build needs are installed (a fresh machine has none of them), then
//! builds and runs with cargo. Only registries' packages are used: nothing is downloaded from
//! anywhere else.

use std::process::{Command, ExitCode};

mod dist;
mod sizes;
mod windows;

/// Debian packages the workspace needs to build and test today: a C compiler for SQLite
/// (rusqlite's `bundled`) and pkg-config. Issues that add the desktop app, printers and
/// cameras add theirs here (see ../shared/BUILD-NOTES.md): libclang and the V4L2 headers for the
/// scanner's `camera` feature (nokhwa's bindgen), python3-venv for the qriskit oracle, chromium
/// for the portal's browser test (host/tests/host/browser.rs).
const PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "fonts-noto-cjk",
    "postgresql",
    "openssl",
    "libclang-dev",
    "libv4l-dev",
    "python3-venv",
    "chromium",
    // The cashier app (src-tauri): WebKitGTK and its siblings. Node and npm come with the
    // machine (Node 20 / npm 11); Debian's npm 9 would fight them, so it is not asked for.
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libsoup-3.0-dev",
    "librsvg2-dev",
    // The customer screen (Slint, X11 backend, software renderer) and the end-to-end tests of
    // both screens: a virtual X server, Debian's WebKitWebDriver for tauri-driver, screenshots
    // (ImageMagick's `import`) and real pointer events (xdotool).
    "libxkbcommon-x11-dev",
    "libfontconfig1-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "imagemagick",
    "xdotool",
    // Bluetooth (till-bluetooth, BlueZ over D-Bus): libdbus to build against; the tests' own
    // private bus, where PyPI's python-dbusmock plays BlueZ. Its dbus-python comes from PyPI as
    // source, built against libdbus and GLib with Python's headers.
    "libdbus-1-dev",
    "dbus-daemon",
    "libglib2.0-dev",
    "python3-dev",
];

/// `apt-get ARGS`, as root or through sudo.
fn apt(args: &[&str]) -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = Command::new(if root { "apt-get" } else { "sudo" });
    if !root {
        cmd.arg("apt-get");
    }
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let status = cmd.status().map_err(|e| format!("apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} failed", args.join(" ")))
    }
}

/// `npm ARGS` in `dir` (relative to the repository), with `env`.
fn npm(dir: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    eprintln!("xtask: npm {} (in {dir})", args.join(" "));
    let status = Command::new("npm")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&path)
        .status()
        .map_err(|e| format!("npm: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("npm {} failed in {dir}", args.join(" ")))
    }
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs whatever of `PACKAGES` is missing, with apt-get (as root, or through sudo).
fn ensure_packages() -> Result<(), String> {
    ensure(PACKAGES)
}

/// Installs whatever of `packages` is missing.
fn ensure(packages: &[&str]) -> Result<(), String> {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!(
            "xtask: not a Debian system; make sure these are installed: {}",
            packages.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    apt(&args)
}

/// xtask's builds are whole-tree builds (tests, Windows, packages), where incremental caches
/// cost gigabytes of disk (a cold `cargo xtask test` ran CI's disk full) and save little:
/// they are off for every cargo xtask runs. A developer's own `cargo build` keeps them.
pub const INCREMENTAL: &str = "0";

/// Runs cargo test, passing its output through, and ends with one line that sums every test
/// binary's result (`N passed, N failed`): cargo's own last line is the last binary's, often a
/// doc-test run with nothing in it.
fn test_summarised(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    use std::io::BufRead;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask: cargo {}", args.join(" "));
    let mut child = Command::new(cargo)
        .args(args)
        .env("CARGO_INCREMENTAL", INCREMENTAL)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no test output")?;
    let (mut passed, mut failed) = (0u64, 0u64);
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            let count = |word: &str| {
                rest.split(';').find_map(|part| {
                    part.trim()
                        .strip_suffix(word)
                        .and_then(|n| n.trim().rsplit(' ').next()?.parse::<u64>().ok())
                })
            };
            passed += count(" passed").unwrap_or(0);
            failed += count(" failed").unwrap_or(0);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    println!("{passed} passed, {failed} failed");
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed", args.join(" ")))
    }
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .env("CARGO_INCREMENTAL", INCREMENTAL)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed", args.join(" ")))
    }
}

/// The cashier app's UI (ui/ -> ui/dist, which src-tauri embeds): `npm install` of the locked versions when its packages
/// are missing or older than the lock file, then `npm run build` (type check + vite, ~3 s).
fn build_ui() -> Result<(), String> {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < modified(&ui.join("package-lock.json")) {
        // Not `npm ci`: npm 11 records only this platform's optional packages (rollup's and
        // esbuild's native builds) in the lock, and `ci` then calls the lock out of sync.
        // `install --no-save` installs the locked versions and leaves the lock as it is.
        npm("ui", &["install", "--no-save", "--no-audit", "--no-fund"], &[])?;
    }
    npm("ui", &["run", "build"], &[])
}

/// `cargo xtask run`: the cashier app on the demo till (every device simulated).
/// `--cli` (or the CLI demo's own `--script` / `--zvt`): the command-line demo instead.
fn run(args: &[String]) -> Result<(), String> {
    ensure_packages()?;
    let cli = args
        .iter()
        .any(|a| matches!(a.as_str(), "--cli" | "--script" | "--zvt"));
    let dir = std::env::var("TILL_DATA_DIR").unwrap_or_else(|_| "target/demo-till".to_owned());
    if !cli {
        build_ui()?;
        // The customer screen opens beside the cashier's, from beside the app binary.
        cargo(
            &["build", "--quiet", "-p", "till-display", "--bin", "till-display"],
            &[],
        )?;
        let mut a = vec![
            "run",
            "--quiet",
            "-p",
            "opentill-app",
            "--",
            "--data-dir",
            &dir,
            "--customer-display",
            // The demo till: a new folder skips the setup wizard a shop's till starts with.
            "--demo",
        ];
        a.extend(args.iter().map(String::as_str));
        return cargo(&a, &[]);
    }
    let args: Vec<String> = args.iter().filter(|a| *a != "--cli").cloned().collect();
    if args.iter().any(|a| a == "--zvt") {
        // The demo spawns the ZVT terminal simulator from beside the till binary.
        cargo(
            &["build", "--quiet", "-p", "till-terminal", "--bin", "till-terminal-sim"],
            &[],
        )?;
    }
    let mut a = vec![
        "run",
        "--quiet",
        "-p",
        "till-cli",
        "--bin",
        "till",
        "--",
        "--data-dir",
        &dir,
        "demo",
    ];
    a.extend(args.iter().map(String::as_str));
    cargo(&a, &[])
}

/// The till-qr tests compare our EMVCo parse with PyPI `qriskit`'s (a dev-only oracle, pinned),
/// installed into target/oracle-venv where the test looks for it.
fn qriskit_oracle() -> Result<(), String> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/oracle-venv");
    let run = |program: &std::path::Path, args: &[&str]| -> Result<(), String> {
        let status = Command::new(program)
            .args(args)
            .status()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} {} failed", program.display(), args.join(" ")))
        }
    };
    if !venv.join("bin/pip").exists() {
        eprintln!("xtask: python3 -m venv {}", venv.display());
        run(
            std::path::Path::new("python3"),
            &["-m", "venv", &venv.to_string_lossy()],
        )?;
    }
    // python-dbusmock (dev-only) plays BlueZ on the Bluetooth tests' private bus.
    run(
        &venv.join("bin/pip"),
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "qriskit==0.2.0",
            "python-dbusmock==0.38.0",
        ],
    )
}

/// The QR bench (peripherals/scanner/benches/scanner.rs) reads the same images with PyPI
/// `zxing-cpp` (a dev-only oracle, pinned; numpy hands it the frames), run from Python in the
/// venv qriskit lives in.
fn zxing_cpp_oracle() -> Result<(), String> {
    qriskit_oracle()?;
    let pip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/oracle-venv/bin/pip");
    let args = [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "zxing-cpp==3.1.1",
        "numpy==2.4.6",
    ];
    let status = Command::new(&pip)
        .args(args)
        .status()
        .map_err(|e| format!("{}: {e}", pip.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} {} failed", pip.display(), args.join(" ")))
    }
}

/// The printer tests compare our Chinese bytes with npm `receiptline`'s (a dev-only oracle,
/// pinned in peripherals/printer/tests/oracle): installs node and npm from Debian if there is
/// no npm, then the oracle's packages with `npm ci`.
fn receiptline_oracle() -> Result<(), String> {
    if Command::new("npm").arg("--version").output().is_err() {
        eprintln!("xtask: installing nodejs npm (for the receiptline oracle)");
        apt(&["install", "-y", "-q", "--no-install-recommends", "nodejs", "npm"])?;
    }
    npm(
        "peripherals/printer/tests/oracle",
        &["ci", "--no-audit", "--no-fund"],
        &[],
    )
}

/// The nexo tests check our NexoBlob crypto and message models against Adyen's own npm
/// `@adyen/api-library` (a dev-only oracle, pinned in peripherals/terminal/tests/oracle).
/// Runs after `receiptline_oracle`, which installs npm if it is missing.
fn nexo_oracle() -> Result<(), String> {
    npm(
        "peripherals/terminal/tests/oracle",
        &["ci", "--no-audit", "--no-fund"],
        &[],
    )
}

/// till-host's browser test drives the portal in Debian's chromium (in `PACKAGES`) with npm
/// `playwright-core` (pinned in host/tests/browser; it never downloads a browser): `npm ci` there.
/// Runs after `receiptline_oracle`, which installs npm if it is missing.
fn portal_browser() -> Result<(), String> {
    npm(
        "host/tests/browser",
        &["ci", "--no-audit", "--no-fund"],
        &[("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")],
    )
}

fn test(args: &[String]) -> Result<(), String> {
    ensure_packages()?;
    let long = args.iter().any(|a| a == "--long");
    let iterations = if long { "10000" } else { "200" };
    let env = [("OPENTILL_CRASH_ITERATIONS", iterations)];
    cargo(&["fmt", "--all", "--check"], &[])?;
    // The app embeds ui/dist when it compiles, and its end-to-end tests drive it through
    // tauri-driver: both before the first cargo build.
    build_ui()?;
    tauri_driver()?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // Fuzz first, so the test runner's summary is the last thing CI reads.
    fuzz(if long { "600" } else { "10" })?;
    receiptline_oracle()?;
    nexo_oracle()?;
    portal_browser()?;
    qriskit_oracle()?;
    windows::lint_workflow()?;
    // Windows: till.exe and its siblings cross-built, then run under Wine by the till-cli tests.
    let wine = windows::prepare()?;
    let bin = wine.bin.to_string_lossy().into_owned();
    let prefix = wine.prefix.to_string_lossy().into_owned();
    // The packages (installers/tests): made from the programs this run builds, with the tools
    // that make and check them.
    ensure(dist::PACKAGES)?;
    let programs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug");
    let programs = programs.to_string_lossy().into_owned();
    let debian_root = dist::debian_root()?.to_string_lossy().into_owned();
    let env = [
        env[0],
        ("OPENTILL_WINE_BIN", bin.as_str()),
        ("WINEPREFIX", prefix.as_str()),
        ("OPENTILL_DIST_BIN", programs.as_str()),
        ("OPENTILL_DEBIAN_ROOT", debian_root.as_str()),
    ];
    test_summarised(&["test", "--workspace", "--no-fail-fast"], &env)
}

/// tauri-driver (crates.io) where the app's end-to-end harness looks for it: target/tools.
fn tauri_driver() -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools");
    if root.join("bin/tauri-driver").exists() {
        return Ok(());
    }
    let root = root.to_string_lossy().into_owned();
    cargo(
        &[
            "install",
            "tauri-driver",
            "--version",
            "2.1.0",
            "--locked",
            "--root",
            &root,
        ],
        &[],
    )
}

/// Fuzz targets (cargo fuzz, libFuzzer) for the ZVT codec, the serial framing, the TLV
/// parser and the nexo JSON and crypto layers: a short run in every test, a long one with `--long`. The only toolchain here is
/// stable, so the fuzz build is allowed nightly flags with RUSTC_BOOTSTRAP, without a
/// sanitizer (the targets assert their own round-trip properties; any panic is a failure).
const FUZZ_DIRS: &[(&str, &[&str])] = &[(
    "peripherals/terminal/fuzz",
    &["zvt_codec", "serial_frame", "tlv", "nexo_json", "nexo_crypto"],
)];

fn fuzz(seconds: &str) -> Result<(), String> {
    let have = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        cargo(&["install", "cargo-fuzz", "--locked", "--version", "0.13.2"], &[])?;
    }
    let time = format!("-max_total_time={seconds}");
    for (dir, targets) in FUZZ_DIRS {
        for target in *targets {
            let args = [
                "fuzz",
                "run",
                target,
                "--fuzz-dir",
                dir,
                "--sanitizer",
                "none",
                "--",
                &time,
            ];
            cargo(&args, &[("RUSTC_BOOTSTRAP", "1")])?;
        }
    }
    eprintln!(
        "xtask: fuzzing found no panic in {} targets",
        FUZZ_DIRS.iter().map(|(_, t)| t.len()).sum::<usize>()
    );
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    // `bench --dist`: only the release packages' sizes.
    if args.iter().any(|a| a == "--dist") {
        return sizes::bench();
    }
    ensure_packages()?;
    let mut a = vec!["bench", "-p", "till", "--bench", "till", "--"];
    a.extend(args.iter().map(String::as_str));
    cargo(&a, &[])?;
    cargo(&["bench", "-p", "till-terminal", "--bench", "zvt"], &[])?;
    // A Bluetooth reader's return to a usable link, and a sale over its stream against a pty.
    cargo(&["bench", "-p", "till-bluetooth", "--bench", "link"], &[])?;
    // The Windows build under Wine against the Linux build, as a ratio; both in the dev
    // profile (the Windows build the tests run is a dev build).
    let wine = windows::prepare()?;
    let (bin, prefix) = (
        wine.bin.to_string_lossy().into_owned(),
        wine.prefix.to_string_lossy().into_owned(),
    );
    cargo(
        &["bench", "-p", "till-cli", "--bench", "wine", "--profile", "dev"],
        &[("OPENTILL_WINE_BIN", bin.as_str()), ("WINEPREFIX", prefix.as_str())],
    )?;
    cargo(&["bench", "-p", "till-printer", "--bench", "printer"], &[])?;
    // Host ingest and the 100k backlog drain, against a throwaway PostgreSQL.
    cargo(&["bench", "-p", "till-host", "--bench", "sync"], &[])?;
    // rqrr and zxing-cpp measured beside our pipelines in the same run.
    zxing_cpp_oracle()?;
    let scanner = ["bench", "-p", "till-scanner", "--bench", "scanner", "--features=rqrr"];
    cargo(&scanner, &[])?;
    // The cashier app against the floor (a bare Tauri window), both in the dev profile the app
    // is run and tested in; the bench finds tauri-floor beside the app binary. Under its own
    // Xvfb; logs in with xdotool.
    build_ui()?;
    cargo(&["build", "-p", "tauri-floor"], &[])?;
    cargo(
        &["bench", "-p", "opentill-app", "--bench", "app", "--profile", "dev"],
        &[],
    )?;
    // The release packages' sizes against the 15 MB goal, and what is in them.
    sizes::bench()
}

/// `cargo xtask host [--stop] [till-host serve flags]`: a local PostgreSQL of its own (Debian's
/// binaries, data in target/host-pg, 127.0.0.1 only, run as the `postgres` user when we are
/// root since PostgreSQL refuses root), then the back office on http://127.0.0.1:8470.
fn host(args: &[String]) -> Result<(), String> {
    ensure_packages()?;
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root_dir = manifest.parent().unwrap_or(manifest);
    let dir = root_dir.join("target/host-pg");
    let data = dir.join("data");
    let port = std::env::var("TILL_HOST_PG_PORT").unwrap_or_else(|_| "55432".to_owned());
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL binaries: {e}"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .max()
        .map(|(_, p)| p)
        .ok_or("no PostgreSQL under /usr/lib/postgresql")?;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let pg = |program: &str, pg_args: &[&str]| -> Result<bool, String> {
        let exe = bin.join(program);
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let status = cmd.args(pg_args).status().map_err(|e| format!("{program}: {e}"))?;
        Ok(status.success())
    };
    let data_s = data.to_string_lossy().into_owned();
    if args.iter().any(|a| a == "--stop") {
        pg("pg_ctl", &["-D", &data_s, "-m", "fast", "stop"])?;
        return Ok(());
    }
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if root
            && !Command::new("chown")
                .arg("postgres:postgres")
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success())
        {
            return Err("chown postgres target/host-pg failed".to_owned());
        }
        eprintln!("xtask: initdb {}", data.display());
        if !pg(
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                "opentill",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )? {
            return Err("initdb failed".to_owned());
        }
    }
    if !pg("pg_ctl", &["-D", &data_s, "status"])? {
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", dir.display());
        let log = dir.join("postgres.log").to_string_lossy().into_owned();
        if !pg("pg_ctl", &["-D", &data_s, "-o", &opts, "-l", &log, "-w", "start"])? {
            return Err(format!("PostgreSQL did not start: see {log}"));
        }
    }
    // The database, once; `createdb` fails harmlessly when it exists.
    let _ = pg(
        "createdb",
        &["-h", "127.0.0.1", "-p", &port, "-U", "opentill", "opentill"],
    );
    let url = format!("postgres://opentill@127.0.0.1:{port}/opentill");
    eprintln!(
        "xtask: PostgreSQL on 127.0.0.1:{port} (data in {}); stop it with `cargo xtask host --stop`",
        data.display()
    );
    let mut a = vec!["run", "--quiet", "-p", "till-host", "--", "--database-url", &url];
    let rest: Vec<&str> = args.iter().map(String::as_str).collect();
    if rest
        .first()
        .is_some_and(|f| matches!(*f, "serve" | "migrate" | "create-merchant"))
    {
        a.extend(rest);
    } else {
        a.push("serve");
        a.extend(rest);
    }
    cargo(&a, &[])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("host") => host(&args[1..]),
        Some("dist") => dist::dist(&args[1..]),
        Some("debian-root") => dist::debian_root().map(|root| {
            eprintln!(
                "xtask: to run the install tests alone: OPENTILL_DIST_BIN=target/debug OPENTILL_DEBIAN_ROOT={} cargo test -p opentill-installers",
                root.display()
            );
        }),
        Some("windows") => windows::build(args.iter().any(|a| a == "--all"))
            .and_then(|dir| {
                eprintln!("xtask: Windows binaries in {}", dir.display());
                windows::prepare()
            })
            .map(|wine| {
                eprintln!(
                    "xtask: to run the Wine tests alone: OPENTILL_WINE_BIN={} WINEPREFIX={} cargo test -p till-cli --test cli wine",
                    wine.bin.display(),
                    wine.prefix.display()
                );
            }),
        _ => Err(
            "usage: cargo xtask run [--cli|--script|--zvt] | test [--long] | bench [--quick|--dist] | host [--stop] | windows [--all] | dist [--unsigned] [--linux|--windows] | debian-root"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

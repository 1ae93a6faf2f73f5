//! Signed updates on the till (issue 14), shared by `till update` and the cashier app: ask the
//! back office, download and verify, and install with the system's own installer.
//!
//! Installing replaces the program that asks for it, so the app (and `till update --install`
//! on Windows, where a running .exe cannot be replaced) hands the verified package to an
//! updater — `till update --apply`, run from a copy outside the program folder on Windows —
//! and exits. The updater waits for the app to be gone (its standard input, a pipe the app
//! holds, reaches end of file when the app exits, on every system), verifies the package
//! again against the key built into it, runs the installer, writes what happened where the
//! next start finds it, and starts the app again.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use till_sync::update::{self, FetchedUpdate, UpdateError, UpdateKey};
use till_sync::{HttpHost, SyncError};

/// The version this till runs.
pub const CURRENT: &str = env!("CARGO_PKG_VERSION");

/// Where downloaded packages, the updater and the last outcome are kept.
pub fn updates_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("updates")
}

/// What asking the back office for an update came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// This till runs what its shop should run.
    UpToDate,
    /// Downloaded and verified, ready to install.
    Ready(FetchedUpdate),
    /// The host offered `version`, but its package failed (download, size or signature): it
    /// is not kept, and the installed version keeps running. `kind` says which, for a message
    /// in the operator's language (`signature`, `download`, `platform`, `version`, `key`);
    /// `reason` is the detail.
    Refused {
        version: Option<String>,
        kind: &'static str,
        reason: String,
    },
    /// This build has no update key: nothing can be verified, so nothing is installed.
    NoKey,
}

/// Asks the host, and downloads and verifies what it offers into `updates_dir(data_dir)`. A
/// host that cannot be reached is an error (try again later); a bad package is `Refused`.
pub async fn fetch(host: &HttpHost, data_dir: &Path) -> Result<Fetch, SyncError> {
    let platform = update::platform();
    let key = match UpdateKey::for_this_build() {
        Ok(k) => k,
        Err(UpdateError::NoKey) => return Ok(Fetch::NoKey),
        Err(e) => {
            return Ok(Fetch::Refused {
                version: None,
                kind: "key",
                reason: e.to_string(),
            });
        }
    };
    let Some(manifest) = host.check_update(&platform, CURRENT).await? else {
        return Ok(Fetch::UpToDate);
    };
    let offered = Some(manifest.version.clone());
    match host
        .keep_update(&manifest, &platform, CURRENT, &key, &updates_dir(data_dir))
        .await
    {
        Ok(Some(f)) => Ok(Fetch::Ready(f)),
        Ok(None) => Ok(Fetch::UpToDate),
        Err(SyncError::Update(e)) => Ok(Fetch::Refused {
            version: offered,
            kind: refusal_kind(&e),
            reason: e.to_string(),
        }),
        Err(e @ (SyncError::Protocol(_) | SyncError::Refused { .. } | SyncError::State(_))) => Ok(Fetch::Refused {
            version: offered,
            kind: "download",
            reason: e.to_string(),
        }),
        Err(e) => Err(e),
    }
}

fn refusal_kind(e: &UpdateError) -> &'static str {
    match e {
        UpdateError::Mismatch | UpdateError::BadSignature(_) => "signature",
        UpdateError::NoPackage(_) => "platform",
        UpdateError::BadVersion(_) => "version",
        UpdateError::NoKey | UpdateError::BadKey(_) => "key",
        UpdateError::Unreadable(_) => "package",
    }
}

/// Whether this process runs as root (Linux installers then need no `pkexec`).
pub fn is_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Why a kept package was not installed: `kind` for a message in the operator's language
/// (`signature`, `key`, `package`: not an installer this system runs, `installer`: it ran and
/// failed), `detail` for the technician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInstalled {
    pub kind: &'static str,
    pub detail: String,
}

impl std::fmt::Display for NotInstalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// Runs the system's installer on a kept package, after verifying it again, and waits for it.
pub fn install(package: &Path) -> Result<(), NotInstalled> {
    let not = |kind, detail: String| NotInstalled { kind, detail };
    let key = UpdateKey::for_this_build().map_err(|e| not("key", e.to_string()))?;
    update::verify_kept(package, &key).map_err(|e| not(refusal_kind(&e), e.to_string()))?;
    let name = package.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let argv = update::install_command(package, is_root())
        .ok_or_else(|| not("package", format!("{name}: not an installer this till knows")))?;
    let program = argv[0].to_string_lossy().into_owned();
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .map_err(|e| not("installer", format!("{program}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(not("installer", format!("{program} {status}")))
    }
}

/// What the last update did, kept for the app's next start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The package's file name.
    pub package: String,
    pub installed: bool,
    /// Why not, when not installed: a [`NotInstalled`] kind, and its detail.
    #[serde(default)]
    pub kind: Option<String>,
    pub reason: Option<String>,
}

fn outcome_path(data_dir: &Path) -> PathBuf {
    updates_dir(data_dir).join("outcome.json")
}

/// Reads, and forgets, what the last update did.
pub fn take_outcome(data_dir: &Path) -> Option<Outcome> {
    let path = outcome_path(data_dir);
    let text = std::fs::read_to_string(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    serde_json::from_str(&text).ok()
}

/// The program beside this one called `name` (`till`, `opentill-app`), `.exe` on Windows.
pub fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// A program to start again after installing, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relaunch {
    pub program: PathBuf,
    pub args: Vec<std::ffi::OsString>,
}

impl Relaunch {
    /// This program, as it was started.
    pub fn this_program() -> Option<Relaunch> {
        Some(Relaunch {
            program: std::env::current_exe().ok()?,
            args: std::env::args_os().skip(1).collect(),
        })
    }
}

/// Starts the updater for `package` and returns once it runs: it waits for this process to
/// exit, so the caller exits next (holding the till meanwhile, so no sale starts). `relaunch`
/// is started again when the installer is done, installed or not.
pub fn spawn_updater(data_dir: &Path, package: &Path, relaunch: Option<&Relaunch>) -> Result<(), String> {
    let till = sibling("till").ok_or("the updater (till) is not installed beside this program")?;
    let dir = updates_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // On Windows the installer replaces till.exe: the updater runs from a copy.
    let program = if cfg!(windows) {
        let copy = dir.join(format!("till-updater{}", std::env::consts::EXE_SUFFIX));
        std::fs::copy(&till, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
        copy
    } else {
        till
    };
    let log = std::fs::File::create(dir.join("updater.log")).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(program);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["update", "--apply"])
        .arg(package)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    if let Some(app) = relaunch {
        cmd.arg("--relaunch").arg(&app.program);
        for a in &app.args {
            let mut arg = std::ffi::OsString::from("--relaunch-arg=");
            arg.push(a);
            cmd.arg(arg);
        }
    }
    detach(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    // The updater's standard input stays open for as long as this process lives.
    if let Some(stdin) = child.stdin.take() {
        std::mem::forget(stdin);
    }
    Ok(())
}

/// The updater outlives the program that started it: its own process group on Unix (no
/// hang-up from a closing terminal), no console and its own group on Windows.
fn detach(cmd: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        cmd.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }
}

/// `till update --apply PACKAGE [--relaunch APP]`: the updater. Waits until the program that
/// started it has exited (end of file on standard input), installs, records the outcome in
/// `data_dir`, and starts `relaunch` again. Returns the outcome.
pub fn apply(data_dir: &Path, package: &Path, relaunch: Option<&Relaunch>) -> Outcome {
    let mut sink = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut sink);
    let result = install(package);
    let outcome = Outcome {
        package: package
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        installed: result.is_ok(),
        kind: result.as_ref().err().map(|e| e.kind.to_owned()),
        reason: result.err().map(|e| e.detail),
    };
    if let Ok(text) = serde_json::to_string(&outcome) {
        let _ = std::fs::create_dir_all(updates_dir(data_dir));
        let _ = std::fs::write(outcome_path(data_dir), text);
    }
    if outcome.installed {
        // A package installed is not needed again.
        let _ = std::fs::remove_file(package);
        let _ = std::fs::remove_file(update::signature_path(package));
    }
    if let Some(app) = relaunch {
        let mut cmd = Command::new(&app.program);
        cmd.args(&app.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        detach(&mut cmd);
        let _ = cmd.spawn();
    }
    outcome
}

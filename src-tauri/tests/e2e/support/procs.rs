//! The processes an app launch leaves: for the tests, tauri-driver → WebKitWebDriver → the app →
//! WebKit's web and network processes; for the benchmark, the app and its WebKit children. Read
//! from /proc, so a whole tree can be measured (PSS) and ended even after a parent died first.
//!
//! Shared with the launch benchmark (benches/app.rs), so it only uses std and rustix.

use rustix::process::{Pid, Signal, kill_process};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One process as /proc/<pid>/stat shows it.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// The executable's name as the kernel keeps it (15 characters at most).
    pub comm: String,
    /// R, S, D, Z (zombie), ...
    pub state: char,
}

/// Parses `/proc/<pid>/stat`: `pid (comm) state ppid ...`, where comm may contain spaces and
/// parentheses, so it runs to the last `)`.
pub fn stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some(Proc { pid, ppid, comm, state })
}

fn all() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

/// `root` and every process below it, parents before children.
pub fn tree(root: u32) -> Vec<Proc> {
    let procs = all();
    let mut children: HashMap<u32, Vec<&Proc>> = HashMap::new();
    for p in &procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut out: Vec<Proc> = procs.iter().filter(|p| p.pid == root).cloned().collect();
    let mut i = 0;
    while i < out.len() {
        let pid = out[i].pid;
        if let Some(kids) = children.get(&pid) {
            out.extend(kids.iter().map(|p| (*p).clone()));
        }
        i += 1;
    }
    out
}

/// A process's memory in KiB, from /proc/<pid>/smaps_rollup.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Proportional set size: each shared page divided among the processes that map it, so a
    /// tree's PSS adds up to what it costs the machine. It also drops when an unrelated process
    /// maps the same libraries (another WebKit app running at the same time).
    pub pss: u64,
    /// Pages only this process maps (USS): unaffected by other processes.
    pub private: u64,
    /// Resident set size: shared pages counted in full.
    pub rss: u64,
}

pub fn memory_kib(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        pss: field("Pss:")?,
        private: field("Private_Clean:")? + field("Private_Dirty:")?,
        rss: field("Rss:")?,
    })
}

/// Whether the process still runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|p| p.state != 'Z')
}

fn signal(pid: u32, sig: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, sig);
    }
}

/// Whether `p` of a snapshot still runs. Its pid may have been reused by now only if it died:
/// the name is checked too.
fn still_running(p: &Proc) -> bool {
    stat(p.pid).is_some_and(|now| now.state != 'Z' && now.comm == p.comm)
}

/// Ends `procs` (a snapshot taken by [`tree`] while the parents were alive): SIGTERM to all,
/// then SIGKILL to whatever still runs after `grace`. Returns the names of the processes that
/// needed SIGKILL.
pub fn terminate(procs: &[Proc], grace: Duration) -> Vec<String> {
    for p in procs {
        signal(p.pid, Signal::TERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && procs.iter().any(|p| alive(p.pid)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut killed = Vec::new();
    for p in procs {
        if still_running(p) {
            signal(p.pid, Signal::KILL);
            killed.push(p.comm.clone());
        }
    }
    // SIGKILL is delivered when the kernel gets to it: on a busy machine a killed app can
    // still hold its data folder's lock for a moment, and the next app on that folder would be
    // refused. Wait until every one has exited (a zombie has closed its files).
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && procs.iter().any(still_running) {
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

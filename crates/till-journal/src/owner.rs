//! One till process per journal. Two processes appending to one hash chain would each be
//! correct on their own and wrong together (two sales with the same trace number, two open
//! batches), so the first process to open a journal owns it until it exits: an exclusive OS
//! lock on `<journal>.lock` (`flock` on Linux, `LockFileEx` on Windows), released by the
//! kernel when the process dies, even by kill -9 or TerminateProcess.
//!
//! Within the owning process the journal may be opened again (the app reopens it when settings
//! change): the lock is process-wide, shared by every `Journal` on that file through a registry
//! of weak references, and dropped with the last of them.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::{JournalError, Result};

/// This process's hold on a journal file. Dropping the last clone unlocks it.
#[derive(Debug)]
pub(crate) struct Ownership {
    _file: File,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Weak<Ownership>>> {
    static OWNED: OnceLock<Mutex<HashMap<PathBuf, Weak<Ownership>>>> = OnceLock::new();
    OWNED.get_or_init(Default::default)
}

/// Takes (or shares, within this process) ownership of the journal at `journal`. Refused with
/// [`JournalError::InUse`] while another process owns it.
pub(crate) fn own(journal: &Path) -> Result<Arc<Ownership>> {
    let io = |e: std::io::Error| JournalError::Io {
        path: journal.display().to_string(),
        detail: e.to_string(),
    };
    let mut name = journal.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    // Canonicalised once the lock file exists, so two spellings of one folder share one entry.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io)?;
    let key = lock_path.canonicalize().map_err(io)?;
    let mut owned = registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = owned.get(&key).and_then(Weak::upgrade) {
        return Ok(existing);
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(JournalError::InUse {
                path: journal.display().to_string(),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let ownership = Arc::new(Ownership { _file: file });
    owned.retain(|_, w| w.strong_count() > 0);
    owned.insert(key, Arc::downgrade(&ownership));
    Ok(ownership)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_process_shares_and_the_lock_goes_with_the_last_holder()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("till-owner-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("journal.sqlite");
        let a = own(&path)?;
        let b = own(&path)?;
        assert!(Arc::ptr_eq(&a, &b), "a second open in the same process shares the hold");
        // Another open file description on the lock file cannot take it while we hold it:
        // that is what a second process sees.
        let other = OpenOptions::new().write(true).open(dir.join("journal.sqlite.lock"))?;
        assert!(
            matches!(other.try_lock(), Err(TryLockError::WouldBlock)),
            "the lock is held while a Journal lives"
        );
        drop((a, b));
        other
            .try_lock()
            .map_err(|e| format!("released after the last holder: {e:?}"))?;
        other.unlock()?;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}

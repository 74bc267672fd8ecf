//! One instance per directory at a time. An instance holds `instance.lock` in its directory
//! locked (`flock`) for as long as it serves, and writes into it who it serves: everyone
//! (`clearance sigstore-dev`, [`Role::Server`]) or only the run that started it
//! ([`Role::Run`]). The kernel drops the lock when the process ends, however it ends.
//!
//! A second instance in the same directory would rewrite the trust files under the first
//! one's clients (whose tokens it then refuses) and interleave the log; instead it waits, or
//! uses the running server.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The lock file in an instance's directory.
pub const LOCK_FILE: &str = "instance.lock";

/// Whom an instance serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every client that reads its trust files (`clearance sigstore-dev`, tests).
    Server,
    /// Only the run that started it; it stops when that run ends.
    Run,
}

impl Role {
    fn word(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Run => "run",
        }
    }
}

/// What holds a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// No live instance.
    Nobody,
    /// A live instance in this role.
    Live(Role),
}

/// Takes the directory's lock for an instance in `role`, or `None` when a live instance
/// holds it. The lock lasts as long as the returned file is open.
pub fn take(dir: &Path, role: Role) -> std::io::Result<Option<File>> {
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(LOCK_FILE))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(format!("{}\n", role.word()).as_bytes())?;
    file.sync_all()?;
    Ok(Some(file))
}

/// Who holds `dir` now.
pub fn holder(dir: &Path) -> Holder {
    let Ok(mut file) = File::open(dir.join(LOCK_FILE)) else {
        return Holder::Nobody;
    };
    if file.try_lock_shared().is_ok() {
        return Holder::Nobody;
    }
    let mut word = String::new();
    let _ = file.read_to_string(&mut word);
    match word.trim() {
        "server" => Holder::Live(Role::Server),
        _ => Holder::Live(Role::Run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_lock_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(holder(dir.path()), Holder::Nobody);
        let lock = take(dir.path(), Role::Run).unwrap().expect("free");
        assert_eq!(holder(dir.path()), Holder::Live(Role::Run));
        assert!(take(dir.path(), Role::Server).unwrap().is_none());
        drop(lock);
        assert_eq!(holder(dir.path()), Holder::Nobody);
        let _server = take(dir.path(), Role::Server).unwrap().expect("free again");
        assert_eq!(holder(dir.path()), Holder::Live(Role::Server));
    }
}

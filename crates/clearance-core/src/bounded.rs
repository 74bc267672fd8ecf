//! Reading files that someone else put there (a package's tree, the evidence store, an
//! archive): only regular files, opened without ever blocking (a FIFO named like a file
//! would otherwise wait forever for a writer), and never more bytes than a cap, whatever
//! size the file or a header claims. Digests are taken while streaming, so a large file is
//! never held in memory to be hashed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum BoundedError {
    /// A FIFO, device, socket or folder.
    #[error("it is not a regular file")]
    NotRegular,
    /// Larger than the cap.
    #[error("it is larger than {cap} bytes")]
    TooLarge {
        /// The cap.
        cap: u64,
    },
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Opens `path` for reading without blocking, and only when it is a regular file (checked on
/// the opened handle, so nothing can be swapped in between).
pub fn open_regular(path: &Path) -> Result<File, BoundedError> {
    let file = open_without_blocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(BoundedError::NotRegular);
    }
    Ok(file)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// The bytes of the regular file at `path`, when it holds at most `cap` bytes.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, BoundedError> {
    let file = open_regular(path)?;
    if file.metadata()?.len() > cap {
        return Err(BoundedError::TooLarge { cap });
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(BoundedError::TooLarge { cap });
    }
    Ok(bytes)
}

/// What [`digest_stream`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// Lower-case hex SHA-256 of every byte read.
    pub sha256: String,
    /// How many bytes were read.
    pub size: u64,
    /// The bytes, when asked for and at most the cap to keep.
    pub kept: Option<Vec<u8>>,
}

/// Reads `reader` to its end (at most `max` bytes, else [`BoundedError::TooLarge`]),
/// hashing as it goes, and keeps the bytes when `keep` is `Some(cap)` and they fit in `cap`.
pub fn digest_stream(
    reader: impl Read,
    max: u64,
    keep: Option<u64>,
) -> Result<Streamed, BoundedError> {
    let mut reader = reader.take(max.saturating_add(1));
    let mut hasher = Sha256::new();
    let mut kept = keep.map(|_| Vec::new());
    let mut size = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        size += n as u64;
        if size > max {
            return Err(BoundedError::TooLarge { cap: max });
        }
        hasher.update(&buffer[..n]);
        if let (Some(bytes), Some(cap)) = (kept.as_mut(), keep) {
            if size <= cap {
                bytes.extend_from_slice(&buffer[..n]);
            } else {
                kept = None;
            }
        }
    }
    Ok(Streamed {
        sha256: hex::encode(hasher.finalize()),
        size,
        kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("release.json");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert!(matches!(
            read_capped(&fifo, 1024),
            Err(BoundedError::NotRegular)
        ));
        assert!(matches!(
            read_capped(dir.path(), 1024),
            Err(BoundedError::NotRegular)
        ));
    }

    #[test]
    fn a_file_over_the_cap_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        assert!(matches!(
            read_capped(&big, 1 << 20),
            Err(BoundedError::TooLarge { .. })
        ));
        std::fs::write(&big, b"small").unwrap();
        assert_eq!(read_capped(&big, 5).unwrap(), b"small");
    }

    #[test]
    fn streams_hash_and_keep_only_what_fits() {
        let data = vec![7u8; 200_000];
        let all = digest_stream(data.as_slice(), 1 << 20, Some(1 << 20)).unwrap();
        assert_eq!(all.size, 200_000);
        assert_eq!(all.kept.as_deref(), Some(data.as_slice()));
        assert_eq!(all.sha256, hex::encode(Sha256::digest(&data)));
        let dropped = digest_stream(data.as_slice(), 1 << 20, Some(1000)).unwrap();
        assert_eq!((dropped.kept, dropped.sha256), (None, all.sha256));
        assert!(matches!(
            digest_stream(data.as_slice(), 1000, None),
            Err(BoundedError::TooLarge { cap: 1000 })
        ));
    }
}

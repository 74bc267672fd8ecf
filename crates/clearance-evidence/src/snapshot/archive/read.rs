//! Reading a snapshot archive as it streams, within [`Limits`]: each file hashed as it
//! passes, nothing allocated from a size a header claims, and reading stopped at the first
//! limit passed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use clearance_core::bounded::{BoundedError, Streamed, digest_stream};

/// What can go wrong reading an archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not a gzip-compressed tar, or damaged.
    #[error("not a readable .tar.gz: {0}")]
    Unreadable(String),
    /// An entry that a snapshot never holds.
    #[error("unexpected entry `{0}`: {1}")]
    Entry(String, &'static str),
    /// Over one of the [`Limits`]: reading stopped there.
    #[error("{0}")]
    Limit(String),
}

/// What one archive may hold, so that a small file cannot make the reader use unbounded
/// memory or time (a header claiming 2^60 bytes, a gzip bomb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file, in bytes.
    pub max_entry: u64,
    /// The most bytes of all files together, uncompressed.
    pub max_total: u64,
    /// The most uncompressed bytes per compressed byte, checked once more than
    /// [`RATIO_FLOOR`] bytes came out.
    pub max_ratio: u64,
}

/// Uncompressed bytes read before the ratio is checked: small archives of small, very
/// repetitive files stay readable.
pub const RATIO_FLOOR: u64 = 16 << 20;

impl Default for Limits {
    /// 1 GiB per file, 16 GiB in all, 100 to 1 at most: a snapshot of SBOMs, reports and
    /// bundles packs at about 8 to 1; a gzip of zeros packs at about 1000 to 1.
    fn default() -> Limits {
        Limits {
            max_entry: 1 << 30,
            max_total: 16 << 30,
            max_ratio: 100,
        }
    }
}

/// A size: bytes, or a number with `K`, `M`, `G` or `T` (1024-based; `KiB`, `MiB`… too).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KIB" => 10,
        "M" | "MIB" => 20,
        "G" | "GIB" => 30,
        "T" | "TIB" => 40,
        _ => {
            return Err(format!(
                "`{text}`: use a number of bytes, or one with K, M, G or T"
            ));
        }
    };
    let number: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: use a number of bytes, or one with K, M, G or T"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A file read from an archive: its path under the top folder, digest, size, and bytes when
/// kept.
#[derive(Debug)]
pub struct ArchiveFile {
    /// The path under the top folder, `/`-separated.
    pub path: String,
    /// What was read.
    pub content: Streamed,
}

/// Reads a `.tar.gz` made by [`super::pack`] as it streams, giving each file to `each` in archive
/// order, hashed, with its bytes when `keep` says so (up to
/// [`crate::snapshot::store::KEEP_CAP`]). Returns the top folder's name.
///
/// Links, devices, absolute paths, `..` and files outside the one top folder are refused,
/// so nothing in an archive can point outside it. Sizes claimed by headers are never
/// trusted: reading stops with [`ArchiveError::Limit`] at the first file over
/// `limits.max_entry`, once everything read passes `limits.max_total`, or when the
/// compression ratio passes `limits.max_ratio`.
pub fn read_archive<R: Read>(
    input: R,
    limits: &Limits,
    keep: impl Fn(&str) -> bool,
    mut each: impl FnMut(ArchiveFile) -> Result<(), ArchiveError>,
) -> Result<String, ArchiveError> {
    let compressed = Rc::new(Cell::new(0u64));
    let tripped = Rc::new(RefCell::new(None));
    let guard = Guard {
        inner: MultiGzDecoder::new(Counted {
            inner: input,
            count: Rc::clone(&compressed),
        }),
        compressed,
        out: 0,
        limits: *limits,
        tripped: Rc::clone(&tripped),
    };
    let failed = |e: std::io::Error| match tripped.borrow_mut().take() {
        Some(limit) => ArchiveError::Limit(limit),
        None => ArchiveError::Unreadable(e.to_string()),
    };
    let mut archive = tar::Archive::new(guard);
    let mut top: Option<String> = None;
    let mut seen = BTreeSet::new();
    for entry in archive.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        let path = entry.path().map_err(failed)?.into_owned();
        let (first, rest) = checked_path(&path)?;
        let shown = path.display().to_string();
        match &top {
            Some(t) if *t != first => {
                return Err(ArchiveError::Entry(shown, "outside the snapshot's folder"));
            }
            Some(_) => {}
            None => top = Some(first),
        }
        match entry.header().entry_type() {
            EntryType::Directory => {}
            EntryType::Regular if !rest.is_empty() => {
                let claimed = entry.header().size().map_err(failed)?;
                if claimed > limits.max_entry {
                    return Err(ArchiveError::Limit(format!(
                        "`{shown}` claims {claimed} bytes, over the {} a file may hold \
                         (--max-entry-size)",
                        limits.max_entry
                    )));
                }
                if !seen.insert(rest.clone()) {
                    return Err(ArchiveError::Entry(shown, "appears twice"));
                }
                let keep_cap = keep(&rest).then_some(crate::snapshot::store::KEEP_CAP);
                let content =
                    digest_stream(&mut entry, limits.max_entry, keep_cap).map_err(|e| match e {
                        BoundedError::Io(e) => failed(e),
                        other => ArchiveError::Unreadable(other.to_string()),
                    })?;
                each(ArchiveFile {
                    path: rest,
                    content,
                })?;
            }
            _ => {
                return Err(ArchiveError::Entry(
                    shown,
                    "only files and folders are allowed",
                ));
            }
        }
    }
    top.ok_or_else(|| ArchiveError::Unreadable("the archive is empty".to_string()))
}

/// The top folder and the rest of an entry's path, refusing absolute paths and `..`.
fn checked_path(path: &Path) -> Result<(String, String), ArchiveError> {
    let shown = path.display().to_string();
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(part) => {
                parts.push(part.to_string_lossy().into_owned());
            }
            _ => {
                return Err(ArchiveError::Entry(
                    shown,
                    "paths must be relative, without ..",
                ));
            }
        }
    }
    let Some((first, rest)) = parts.split_first() else {
        return Err(ArchiveError::Entry(shown, "empty path"));
    };
    Ok((first.clone(), rest.join("/")))
}

/// Counts the compressed bytes read.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Stops decompression once the total or the ratio passes its limit, saying which.
struct Guard<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    out: u64,
    limits: Limits,
    tripped: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let limit = if self.out > self.limits.max_total {
            Some(format!(
                "the archive unpacks to more than {} bytes (--max-total-size)",
                self.limits.max_total
            ))
        } else if self.out > RATIO_FLOOR
            && self.out / self.compressed.get().max(1) > self.limits.max_ratio
        {
            Some(format!(
                "the archive unpacks to over {} times its compressed size ({} bytes from {}): \
                 a compression bomb, not a snapshot (--max-ratio)",
                self.limits.max_ratio,
                self.out,
                self.compressed.get()
            ))
        } else {
            None
        };
        match limit {
            Some(message) => {
                *self.tripped.borrow_mut() = Some(message.clone());
                Err(std::io::Error::other(message))
            }
            None => Ok(n),
        }
    }
}

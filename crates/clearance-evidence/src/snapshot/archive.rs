//! The snapshot archive: a gzip-compressed tar whose bytes depend only on its files. Entries
//! are sorted by path under one top folder, every entry has the same modification time, mode
//! 0644 (folders 0755), owner 0:0 and no user or group names; the gzip headers carry no
//! name and no time.
//!
//! The tar stream is compressed in fixed 4 MiB pieces on all cores, each piece its own gzip
//! member (as pigz does): a multi-member `.tar.gz` that gzip, tar, Python and Go read as one
//! stream. The pieces are cut at fixed offsets, so the bytes stay the same whatever the
//! number of cores.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;
use std::rc::Rc;

use flate2::{Compression, GzBuilder, read::MultiGzDecoder};
use rayon::prelude::*;
use tar::{Builder, EntryType, Header};

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

/// What one file of a packed archive holds: bytes in memory, or a file on disk whose size
/// and digest were taken before (and are checked again as it is copied in).
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// A file on disk.
    File {
        /// Its path.
        path: &'a Path,
        /// Its size when it was read before.
        size: u64,
        /// Its SHA-256 then.
        sha256: &'a str,
    },
}

/// Packs `files` (paths relative to the top folder `top`, `/`-separated) as a `.tar.gz`
/// into `out`, every entry dated `mtime` (seconds since 1970). Files on disk are streamed,
/// and must still have the size and digest recorded for them.
pub fn pack<W: Write>(
    out: W,
    top: &str,
    files: &BTreeMap<String, Content<'_>>,
    mtime: u64,
) -> std::io::Result<W> {
    let mut tar = Builder::new(ParallelGz::new(out));
    tar.mode(tar::HeaderMode::Deterministic);
    let mut folders = BTreeSet::new();
    folders.insert(top.to_string());
    for path in files.keys() {
        let mut prefix = top.to_string();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            prefix = format!("{prefix}/{part}");
            folders.insert(prefix.clone());
        }
    }
    let mut entries: Vec<(String, Option<&Content<'_>>)> = folders
        .into_iter()
        .map(|folder| (format!("{folder}/"), None))
        .collect();
    entries.extend(
        files
            .iter()
            .map(|(path, content)| (format!("{top}/{path}"), Some(content))),
    );
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, content) in entries {
        let mut header = Header::new_gnu();
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        match content {
            None => {
                header.set_entry_type(EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                tar.append_data(&mut header, &path, std::io::empty())?;
            }
            Some(content) => {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(0o644);
                append_file(&mut tar, &mut header, &path, content)?;
            }
        }
    }
    tar.into_inner()?.finish()
}

fn append_file<W: Write>(
    tar: &mut Builder<ParallelGz<W>>,
    header: &mut Header,
    path: &str,
    content: &Content<'_>,
) -> std::io::Result<()> {
    match *content {
        Content::Bytes(bytes) => {
            header.set_size(bytes.len() as u64);
            tar.append_data(header, path, bytes)
        }
        Content::File {
            path: source,
            size,
            sha256,
        } => {
            let changed = || {
                std::io::Error::other(format!(
                    "{} changed while the snapshot was being made; run it again",
                    source.display()
                ))
            };
            let file = clearance_core::bounded::open_regular(source).map_err(|e| match e {
                clearance_core::bounded::BoundedError::Io(e) => e,
                _ => changed(),
            })?;
            header.set_size(size);
            let mut reader = HashingReader::new(std::io::BufReader::new(file).take(size));
            tar.append_data(header, path, &mut reader)?;
            if reader.count != size || reader.hex() != sha256 {
                return Err(changed());
            }
            Ok(())
        }
    }
}

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: sha2::Sha256::default(),
            count: 0,
        }
    }

    fn hex(&self) -> String {
        use sha2::Digest;
        hex::encode(self.hasher.clone().finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Size of the pieces compressed independently.
const PIECE: usize = 4 << 20;

/// A writer compressing what it is given into gzip members of [`PIECE`] bytes each, in
/// parallel, a few pieces per core at a time, writing each batch to `out` as it is done.
struct ParallelGz<W> {
    pending: Vec<u8>,
    batch: usize,
    out: W,
}

impl<W: Write> ParallelGz<W> {
    fn new(out: W) -> Self {
        ParallelGz {
            pending: Vec::new(),
            batch: PIECE * 2 * rayon::current_num_threads().max(1),
            out,
        }
    }

    /// Compresses the whole pieces pending (and, at the end, the rest).
    fn compress(&mut self, all: bool) -> std::io::Result<()> {
        let whole = if all {
            self.pending.len()
        } else {
            self.pending.len() / PIECE * PIECE
        };
        let members = self.pending[..whole]
            .par_chunks(PIECE)
            .map(|piece| {
                let mut gz = GzBuilder::new()
                    .mtime(0)
                    .write(Vec::with_capacity(piece.len() / 4), Compression::new(6));
                gz.write_all(piece)?;
                gz.finish()
            })
            .collect::<std::io::Result<Vec<Vec<u8>>>>()?;
        for member in members {
            self.out.write_all(&member)?;
        }
        self.pending.drain(..whole);
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<W> {
        self.compress(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParallelGz<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= self.batch {
            self.compress(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

/// Reads a `.tar.gz` made by [`pack`] as it streams, giving each file to `each` in archive
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

#[cfg(test)]
mod tests {
    use super::*;

    type ReadBack = (String, BTreeMap<String, Streamed>);

    fn read_all(bytes: &[u8], limits: &Limits) -> Result<ReadBack, ArchiveError> {
        let mut files = BTreeMap::new();
        let top = read_archive(
            bytes,
            limits,
            |_| true,
            |file| {
                files.insert(file.path, file.content);
                Ok(())
            },
        )?;
        Ok((top, files))
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn the_same_files_give_the_same_bytes_and_read_back() {
        let a = b"alpha".to_vec();
        // Large enough to span several gzip members.
        let b: Vec<u8> = (0..9_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("b.bin");
        std::fs::write(&on_disk, &b).unwrap();
        let b_sha = clearance_core::license::sha256_hex(&b);
        let long = "x".repeat(180);
        let mut files: BTreeMap<String, Content<'_>> = BTreeMap::new();
        files.insert("releases/r1/a.json".into(), Content::Bytes(&a));
        files.insert(
            format!("releases/{long}/b.bin"),
            Content::File {
                path: &on_disk,
                size: b.len() as u64,
                sha256: &b_sha,
            },
        );
        files.insert("manifest.json".into(), Content::Bytes(&a));
        let packed = |mtime| pack(Vec::new(), "snapshot-2026-Q4", &files, mtime).unwrap();
        let one = packed(1_790_000_000);
        assert_eq!(one, packed(1_790_000_000));
        assert_ne!(one, packed(1));
        let (top, read) = read_all(&one, &Limits::default()).unwrap();
        assert_eq!(top, "snapshot-2026-Q4");
        assert_eq!(read.len(), 3);
        let big = &read[&format!("releases/{long}/b.bin")];
        assert_eq!(
            (big.sha256.as_str(), big.size),
            (b_sha.as_str(), b.len() as u64)
        );
        assert_eq!(big.kept.as_deref(), Some(b.as_slice()));

        // Entries are sorted, owned by 0:0, nameless, all dated alike.
        let mut archive = tar::Archive::new(MultiGzDecoder::new(one.as_slice()));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let h = entry.header();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.mtime().unwrap(), 1_790_000_000);
            assert!(h.username().unwrap().unwrap_or("").is_empty());
            seen.push(entry.path().unwrap().display().to_string());
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);

        // A file that changed since it was hashed is never packed.
        std::fs::write(&on_disk, b"changed").unwrap();
        let err = pack(Vec::new(), "s", &files, 1).unwrap_err();
        assert!(err.to_string().contains("changed while"), "{err}");
    }

    #[test]
    fn escaping_entries_and_garbage_are_refused() {
        let mut bytes = Vec::new();
        {
            let mut tar = Builder::new(&mut bytes);
            let mut header = Header::new_gnu();
            header.set_entry_type(EntryType::Symlink);
            header.set_link_name("/etc/passwd").unwrap();
            header.set_size(0);
            tar.append_data(&mut header, "top/link", std::io::empty())
                .unwrap();
            tar.finish().unwrap();
        }
        let limits = Limits::default();
        assert!(matches!(
            read_all(&gzip(&bytes), &limits),
            Err(ArchiveError::Entry(..))
        ));
        assert!(matches!(
            read_all(b"not gzip", &limits),
            Err(ArchiveError::Unreadable(_))
        ));
    }

    #[test]
    fn a_header_claiming_an_exabyte_is_refused_before_reading() {
        let mut header = Header::new_gnu();
        header.set_path("top/huge").unwrap();
        header.set_entry_type(EntryType::Regular);
        header.set_size(1 << 60);
        header.set_cksum();
        let tiny = gzip(header.as_bytes());
        assert!(tiny.len() < 100, "{} bytes", tiny.len());
        let err = read_all(&tiny, &Limits::default()).unwrap_err();
        assert!(
            matches!(&err, ArchiveError::Limit(m) if m.contains("--max-entry-size")),
            "{err}"
        );
        // Under a cap that allows it, the missing bytes are a damaged archive, not a panic.
        let open = Limits {
            max_entry: u64::MAX,
            ..Limits::default()
        };
        assert!(matches!(
            read_all(&tiny, &open),
            Err(ArchiveError::Unreadable(_))
        ));
    }

    #[test]
    fn a_compression_bomb_stops_at_the_ratio_and_the_total() {
        let zeros = vec![0u8; 64 << 20];
        let mut builder = Builder::new(Vec::new());
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(zeros.len() as u64);
        builder
            .append_data(&mut header, "top/zeros", zeros.as_slice())
            .unwrap();
        let bomb = gzip(&builder.into_inner().unwrap());
        let err = read_all(&bomb, &Limits::default()).unwrap_err();
        assert!(
            matches!(&err, ArchiveError::Limit(m) if m.contains("--max-ratio")),
            "{err}"
        );
        let small_total = Limits {
            max_total: 1 << 20,
            max_ratio: u64::MAX,
            ..Limits::default()
        };
        let err = read_all(&bomb, &small_total).unwrap_err();
        assert!(
            matches!(&err, ArchiveError::Limit(m) if m.contains("--max-total-size")),
            "{err}"
        );
    }
}

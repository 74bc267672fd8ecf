//! The snapshot archive: a gzip-compressed tar whose bytes depend only on its files. Entries
//! are sorted by path under one top folder, every entry has the same modification time, mode
//! 0644 (folders 0755), owner 0:0 and no user or group names; the gzip headers carry no
//! name and no time.
//!
//! The tar stream is compressed in fixed 4 MiB pieces on all cores, each piece its own gzip
//! member (as pigz does): a multi-member `.tar.gz` that gzip, tar, Python and Go read as one
//! stream. The pieces are cut at fixed offsets, so the bytes stay the same whatever the
//! number of cores.
//!
//! [`read`] reads such an archive back as it streams, within limits.

mod read;
#[cfg(test)]
mod tests;

pub use read::{ArchiveError, ArchiveFile, Limits, RATIO_FLOOR, parse_size, read_archive};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};
use rayon::prelude::*;
use tar::{Builder, EntryType, Header};

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

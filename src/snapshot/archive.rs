//! The snapshot archive: a gzip-compressed tar whose bytes depend only on its files. Entries
//! are sorted by path under one top folder, every entry has the same modification time, mode
//! 0644 (folders 0755), owner 0:0 and no user or group names; the gzip headers carry no
//! name and no time.
//!
//! The tar stream is compressed in fixed 4 MiB pieces on all cores, each piece its own gzip
//! member (as pigz does): a multi-member `.tar.gz` that gzip, tar, Python and Go read as one
//! stream. The pieces are cut at fixed offsets, so the bytes stay the same whatever the
//! number of cores.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use flate2::{Compression, GzBuilder, read::MultiGzDecoder};
use rayon::prelude::*;
use tar::{Builder, EntryType, Header};

/// What can go wrong reading an archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not a gzip-compressed tar, or damaged.
    #[error("not a readable .tar.gz: {0}")]
    Unreadable(String),
    /// An entry that a snapshot never holds.
    #[error("unexpected entry `{0}`: {1}")]
    Entry(String, &'static str),
}

/// Packs `files` (paths relative to the top folder `top`, `/`-separated) into a `.tar.gz`,
/// every entry dated `mtime` (seconds since 1970).
pub fn pack(top: &str, files: &BTreeMap<String, &[u8]>, mtime: u64) -> std::io::Result<Vec<u8>> {
    let mut tar = Builder::new(ParallelGz::default());
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
    let mut entries: Vec<(String, Option<&[u8]>)> = folders
        .into_iter()
        .map(|folder| (format!("{folder}/"), None))
        .collect();
    entries.extend(
        files
            .iter()
            .map(|(path, bytes)| (format!("{top}/{path}"), Some(*bytes))),
    );
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, bytes) in entries {
        let mut header = Header::new_gnu();
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        match bytes {
            None => {
                header.set_entry_type(EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                tar.append_data(&mut header, &path, std::io::empty())?;
            }
            Some(bytes) => {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(bytes.len() as u64);
                tar.append_data(&mut header, &path, bytes)?;
            }
        }
    }
    tar.into_inner()?.finish()
}

/// Size of the pieces compressed independently.
const PIECE: usize = 4 << 20;
/// How many pieces are gathered before compressing them together.
const BATCH: usize = 16;

/// A writer compressing what it is given into gzip members of [`PIECE`] bytes each, in
/// parallel.
#[derive(Default)]
struct ParallelGz {
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl ParallelGz {
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
            self.out.extend_from_slice(&member);
        }
        self.pending.drain(..whole);
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.compress(true)?;
        Ok(self.out)
    }
}

impl Write for ParallelGz {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= PIECE * BATCH {
            self.compress(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The files of a `.tar.gz` made by [`pack`]: the top folder's name, and each file by its
/// path under it. Links, devices, absolute paths, `..` and files outside the one top folder
/// are refused, so nothing in an archive can point outside it.
pub fn unpack(bytes: &[u8]) -> Result<(String, BTreeMap<String, Vec<u8>>), ArchiveError> {
    let unreadable = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    let mut archive = tar::Archive::new(MultiGzDecoder::new(bytes));
    let mut top: Option<String> = None;
    let mut files = BTreeMap::new();
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let path = entry.path().map_err(unreadable)?.into_owned();
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
        match &top {
            Some(t) if t != first => {
                return Err(ArchiveError::Entry(shown, "outside the snapshot's folder"));
            }
            Some(_) => {}
            None => top = Some(first.clone()),
        }
        match entry.header().entry_type() {
            EntryType::Directory => {}
            EntryType::Regular if !rest.is_empty() => {
                let mut content = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut content).map_err(unreadable)?;
                if files.insert(rest.join("/"), content).is_some() {
                    return Err(ArchiveError::Entry(shown, "appears twice"));
                }
            }
            _ => {
                return Err(ArchiveError::Entry(
                    shown,
                    "only files and folders are allowed",
                ));
            }
        }
    }
    let top = top.ok_or_else(|| ArchiveError::Unreadable("the archive is empty".to_string()))?;
    Ok((top, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_bytes_and_read_back() {
        let a = b"alpha".to_vec();
        // Large enough to span several gzip members.
        let b: Vec<u8> = (0..9_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let long = "x".repeat(180);
        let mut files: BTreeMap<String, &[u8]> = BTreeMap::new();
        files.insert("releases/r1/a.json".into(), &a);
        files.insert(format!("releases/{long}/b.bin"), &b);
        files.insert("manifest.json".into(), &a);
        let one = pack("snapshot-2026-Q4", &files, 1_790_000_000).unwrap();
        let two = pack("snapshot-2026-Q4", &files, 1_790_000_000).unwrap();
        assert_eq!(one, two);
        assert_ne!(one, pack("snapshot-2026-Q4", &files, 1).unwrap());
        let (top, read) = unpack(&one).unwrap();
        assert_eq!(top, "snapshot-2026-Q4");
        assert_eq!(read.len(), 3);
        assert_eq!(read[&format!("releases/{long}/b.bin")], b);

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
    }

    #[test]
    fn escaping_entries_and_garbage_are_refused() {
        let mut bytes = Vec::new();
        {
            let mut tar = Builder::new(&mut bytes);
            let mut header = Header::new_gnu();
            header.set_size(1);
            header.set_entry_type(EntryType::Symlink);
            header.set_link_name("/etc/passwd").unwrap();
            header.set_size(0);
            tar.append_data(&mut header, "top/link", std::io::empty())
                .unwrap();
            tar.finish().unwrap();
        }
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::fast());
        gz.write_all(&bytes).unwrap();
        let packed = gz.finish().unwrap();
        assert!(matches!(unpack(&packed), Err(ArchiveError::Entry(..))));
        assert!(matches!(
            unpack(b"not gzip"),
            Err(ArchiveError::Unreadable(_))
        ));
    }
}

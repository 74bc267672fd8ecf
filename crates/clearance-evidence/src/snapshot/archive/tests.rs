//! The archive: deterministic packing, streaming reading, and the limits that stop hostile
//! archives.

use super::*;
use clearance_core::bounded::Streamed;
use flate2::read::MultiGzDecoder;

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

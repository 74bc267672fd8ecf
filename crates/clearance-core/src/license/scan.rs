//! License evidence for an inventory: each component's license and NOTICE files as found in
//! its source, what their texts are, and the copyright lines they state. This is where the
//! model meets the `license` module, which itself never sees the inventory.
//!
//! Registry packages are looked up in the detection cache by their Cargo.lock checksum; only
//! texts not found there are detected (in parallel), and the detector's license store is loaded
//! only if some text is not cached, so a warm run costs little more than reading the files.
//!
//! A license or NOTICE file that was found but not read (not a regular file, or larger than
//! the bounded reader's cap) is kept as a [`SkippedFile`], so that `check` reports it.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::inventory::{ComponentId, Inventory};
use crate::license::cache::Cache;
use crate::license::copyright::copyright_lines;
use crate::license::detect::{Detection, Detector};
use crate::license::files::{
    FileError, FileKind, LicenseFile, PackageFiles, SkippedFile, find_license_files,
};

/// One file with what was found in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysedFile {
    /// Path relative to the package root.
    pub path: String,
    /// License or NOTICE.
    pub kind: FileKind,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// The text.
    pub text: String,
    /// What the text is (license files only).
    pub detection: Option<Detection>,
    /// The copyright statements in it.
    pub copyrights: Vec<String>,
}

/// What a package's files say.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PackageEvidence {
    /// Its license and NOTICE files, sorted by path.
    pub files: Vec<AnalysedFile>,
    /// A declared `license-file` that was refused (outside the package, or missing).
    pub refused: Option<String>,
    /// License and NOTICE files found but not read, sorted by path.
    pub skipped: Vec<SkippedFile>,
}

impl PackageEvidence {
    /// The SPDX ids its license files were found to be, with at least `min_confidence`,
    /// sorted and without duplicates.
    pub fn detected_ids(&self, min_confidence: f32) -> Vec<String> {
        let mut ids: Vec<String> = self
            .files
            .iter()
            .filter_map(|f| f.detection.as_ref())
            .filter(|d| d.confidence >= min_confidence)
            .flat_map(|d| d.ids.iter().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The license to use for a component: what it declares, or, for a component that only
    /// names a license file (its license a `LicenseRef-` for that file), the ids detected in
    /// that file at `min_confidence`, joined with `AND`.
    pub fn effective_license(
        &self,
        component: &crate::inventory::Component,
        min_confidence: f32,
    ) -> Option<String> {
        let declared = component.license.clone();
        let (Some(file), Some(lic)) = (&component.license_file, &declared) else {
            return declared;
        };
        if component.license_declared_raw.is_some() || !lic.starts_with("LicenseRef-") {
            return declared;
        }
        let ids: Vec<String> = self
            .files
            .iter()
            .filter(|f| &f.path == file)
            .filter_map(|f| f.detection.as_ref())
            .filter(|d| d.confidence >= min_confidence)
            .flat_map(|d| d.ids.iter().cloned())
            .collect();
        if ids.is_empty() {
            declared
        } else {
            Some(ids.join(" AND "))
        }
    }

    /// Every copyright statement of its files, in file order, without duplicates.
    pub fn copyrights(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.files.iter().flat_map(|f| &f.copyrights) {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// Evidence for every component of an inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// By component; components without a source on this machine (from an SBOM) are absent.
    pub packages: BTreeMap<ComponentId, PackageEvidence>,
}

/// The copyright statements of a file, without those of the license text itself (the Free
/// Software Foundation's line in a GPL text is the license's, not the package's).
fn package_copyrights(text: &str, detection: &Detection) -> Vec<String> {
    let found = copyright_lines(text);
    if found.is_empty() {
        return found;
    }
    let own: Vec<String> = detection
        .ids
        .iter()
        .filter_map(|id| spdx::license_id(id))
        .flat_map(|id| copyright_lines(id.text()))
        .collect();
    found.into_iter().filter(|c| !own.contains(c)).collect()
}

/// A component's files as read: its id, its checksum, its files, a refused `license-file`,
/// the files skipped.
type Found<'a> = (
    &'a ComponentId,
    Option<&'a str>,
    Vec<LicenseFile>,
    Option<FileError>,
    Vec<SkippedFile>,
);

/// Reads and analyses the license files of every component with a source directory.
pub fn gather_evidence(inventory: &Inventory, cache: &Cache) -> Evidence {
    let detector = Detector::new();
    let found: Vec<Found> = inventory
        .components
        .values()
        .collect::<Vec<_>>()
        .par_iter()
        .filter_map(|c| {
            let root = c.source_dir.as_deref()?;
            let PackageFiles {
                mut files,
                mut skipped,
                refusal,
            } = find_license_files(root, c.license_file.as_deref());
            // A workspace member's NOTICE is the product's own (often the very file clearance
            // writes), not a dependency's notice to carry.
            if c.workspace_member {
                files.retain(|f| f.kind != FileKind::Notice);
                skipped.retain(|f| f.kind != FileKind::Notice);
            }
            Some((&c.id, c.sha256.as_deref(), files, refusal, skipped))
        })
        .collect();
    // Cached detections first; then everything else in one batch, each distinct text once.
    let cached: Vec<Option<Vec<Detection>>> = found
        .par_iter()
        .map(|(_, sum, files, _, _)| sum.and_then(|s| cache.get(s, files)))
        .collect();
    let pending: Vec<&str> = found
        .iter()
        .zip(&cached)
        .filter(|(_, c)| c.is_none())
        .flat_map(|((_, _, files, _, _), _)| {
            files
                .iter()
                .filter(|f| f.kind == FileKind::License)
                .map(|f| f.text.as_str())
        })
        .collect();
    let mut fresh = if pending.is_empty() {
        Vec::new()
    } else {
        detector.detect_all(&pending)
    }
    .into_iter();
    let mut packages = BTreeMap::new();
    for ((id, sum, files, refusal, skipped), cached) in found.into_iter().zip(cached) {
        let detections: Vec<Detection> = match cached {
            Some(d) => d,
            None => {
                let d: Vec<Detection> = files
                    .iter()
                    .map(|f| match f.kind {
                        FileKind::License => fresh.next().expect("one detection per pending text"),
                        FileKind::Notice => Detection {
                            ids: Vec::new(),
                            confidence: 0.0,
                        },
                    })
                    .collect();
                if let Some(s) = sum {
                    cache.put(s, &files, &d);
                }
                d
            }
        };
        let files = files
            .into_iter()
            .zip(detections)
            .map(|(f, d)| AnalysedFile {
                copyrights: package_copyrights(&f.text, &d),
                detection: (f.kind == FileKind::License).then_some(d),
                path: f.path,
                kind: f.kind,
                sha256: f.sha256,
                text: f.text,
            })
            .collect();
        packages.insert(
            id.clone(),
            PackageEvidence {
                files,
                refused: refusal.map(|e| e.to_string()),
                skipped,
            },
        );
    }
    Evidence { packages }
}

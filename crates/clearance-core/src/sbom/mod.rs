//! SBOMs: the inventory written as CycloneDX JSON (1.5, 1.6, 1.7), SPDX 2.3 JSON and
//! SPDX 3.0.1 JSON-LD, and SBOMs of other tools (CycloneDX 1.4–1.7, SPDX 2.2/2.3, SPDX 3.0)
//! read back into the inventory.
//!
//! Writers invent nothing: the creation time, tool name and version come from the caller in
//! [`WriteOptions`]. Serial numbers and document namespaces are UUIDv5 of the document's own
//! bytes, so the same inventory and options give the same file. Readers are tolerant of what
//! real tools emit and reject malformed input with the file, line and column.

mod cyclonedx;
mod json;
mod read;
mod spdx2;
mod spdx3;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::diag::Diagnostic;
use crate::inventory::{ComponentId, DepKind, Inventory};

pub use read::read_sbom;

/// An SBOM format clearance writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX JSON.
    CycloneDxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SPDX 3.0.1 JSON-LD.
    Spdx3Json,
}

impl Format {
    /// The spec versions this format can be written in; the first is the default.
    pub fn spec_versions(self) -> &'static [&'static str] {
        match self {
            Format::CycloneDxJson => &["1.6", "1.5", "1.7"],
            Format::SpdxJson => &["2.3"],
            Format::Spdx3Json => &["3.0.1"],
        }
    }

    /// The usual file extension, e.g. `cdx.json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::CycloneDxJson => "cdx.json",
            Format::SpdxJson => "spdx.json",
            Format::Spdx3Json => "spdx3.jsonld",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::CycloneDxJson => "cyclonedx-json",
            Format::SpdxJson => "spdx-json",
            Format::Spdx3Json => "spdx3-json",
        })
    }
}

/// What a writer needs besides the inventory.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The spec version, one of [`Format::spec_versions`]; the default when `None`.
    pub spec_version: Option<String>,
    /// The creation time (RFC 3339, UTC). CycloneDX leaves it out when `None`; SPDX requires
    /// one, so callers must pass it for SPDX formats.
    pub created: Option<String>,
    /// The tool that made the SBOM, recorded in its metadata.
    pub tool_name: String,
    /// That tool's version.
    pub tool_version: String,
}

/// What can go wrong writing or reading an SBOM.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The requested spec version is not one this format is written in.
    #[error("{format} cannot be written as spec version {requested}; choose one of {}", .supported.join(", "))]
    UnsupportedOutputVersion {
        /// The format.
        format: Format,
        /// What was asked for.
        requested: String,
        /// What is possible.
        supported: Vec<&'static str>,
    },
    /// SPDX needs a creation time and none was given.
    #[error("{0} requires a creation time")]
    MissingCreationTime(Format),
    /// The input is not a readable SBOM; the diagnostic says where and why.
    #[error("{0}")]
    Input(Box<Diagnostic>),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<Diagnostic> for SbomError {
    fn from(d: Diagnostic) -> Self {
        SbomError::Input(Box::new(d))
    }
}

/// Writes `inventory` as `format`, returning the document's bytes (UTF-8 JSON ending in a
/// newline).
pub fn write_sbom(
    inventory: &Inventory,
    format: Format,
    options: &WriteOptions,
) -> Result<Vec<u8>, SbomError> {
    let supported = format.spec_versions();
    let version = match options.spec_version.as_deref() {
        None => supported[0],
        Some(v) => supported.iter().copied().find(|s| *s == v).ok_or_else(|| {
            SbomError::UnsupportedOutputVersion {
                format,
                requested: v.to_owned(),
                supported: supported.to_vec(),
            }
        })?,
    };
    match format {
        Format::CycloneDxJson => Ok(cyclonedx::write(inventory, version, options)),
        Format::SpdxJson => {
            let created = options
                .created
                .as_deref()
                .ok_or(SbomError::MissingCreationTime(format))?;
            Ok(spdx2::write(inventory, created, options))
        }
        Format::Spdx3Json => {
            let created = options
                .created
                .as_deref()
                .ok_or(SbomError::MissingCreationTime(format))?;
            Ok(spdx3::write(inventory, created, options))
        }
    }
}

/// Another tool's SBOM as a source of an inventory.
#[derive(Debug, Clone)]
pub struct SbomFile(pub std::path::PathBuf);

impl crate::inventory::Collector for SbomFile {
    type Error = SbomError;

    fn collect(&self) -> Result<Inventory, SbomError> {
        read_sbom_file(&self.0)
    }
}

/// Reads the SBOM at `path` (convenience over [`read_sbom`]).
pub fn read_sbom_file(path: &Path) -> Result<Inventory, SbomError> {
    let text = std::fs::read_to_string(path).map_err(|source| SbomError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut inventory = read_sbom(path, &text)?;
    inventory.origin = Some(path.to_owned());
    Ok(inventory)
}

/// How each component is used by the roots: `Normal` when a path of normal edges reaches it,
/// else `Build` when build edges are needed, else `Dev`. Roots are `Normal`.
pub(crate) fn usage_of_components(inventory: &Inventory) -> BTreeMap<&ComponentId, DepKind> {
    let mut usage: BTreeMap<&ComponentId, DepKind> = BTreeMap::new();
    for kind in [DepKind::Normal, DepKind::Build, DepKind::Dev] {
        let mut stack: Vec<&ComponentId> = inventory.roots.iter().collect();
        let mut seen: std::collections::BTreeSet<&ComponentId> = stack.iter().copied().collect();
        while let Some(id) = stack.pop() {
            usage.entry(id).or_insert(kind);
            for e in inventory.dependencies_of(id) {
                if e.kind <= kind && seen.insert(&e.to) {
                    stack.push(&e.to);
                }
            }
        }
    }
    usage
}

/// The namespace for clearance's UUIDv5 serial numbers and document namespaces.
const UUID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b1f_2c3e_8d44_5a1b_9e0f_7c2d_4b3a_5e61);

/// Replaces `placeholder` in `doc` by a UUIDv5 of the document's bytes (with the placeholder
/// still in place), so the identifier is a function of the content alone.
pub(crate) fn stamp_uuid(doc: Vec<u8>, placeholder: &str) -> Vec<u8> {
    let uuid = uuid::Uuid::new_v5(&UUID_NAMESPACE, &doc).to_string();
    let text = String::from_utf8(doc).expect("serde_json writes UTF-8");
    text.replace(placeholder, &uuid).into_bytes()
}

/// The placeholder that [`stamp_uuid`] replaces.
pub(crate) const UUID_PLACEHOLDER: &str = "00000000-0000-4000-8000-0000c1ea0a4c";

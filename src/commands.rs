//! One function per subcommand: each takes ready-made options, runs the pipeline
//! (collect → model → evaluate → render) and returns what to write. Printing and exit codes
//! stay in `main.rs`.

use std::path::PathBuf;

use crate::inventory::Inventory;
use crate::inventory::cargo::{CargoError, CargoOptions, collect_cargo_inventory};
use crate::sbom::{Format, SbomError, WriteOptions, read_sbom_file, write_sbom};

/// Where the inventory comes from.
#[derive(Debug, Clone)]
pub enum InventorySource {
    /// A Cargo workspace, through `cargo metadata`.
    Cargo(CargoOptions),
    /// An existing SBOM file of any supported format.
    Sbom(PathBuf),
}

/// What `clearance sbom` needs.
#[derive(Debug, Clone)]
pub struct SbomRequest {
    /// The input.
    pub source: InventorySource,
    /// The output format.
    pub format: Format,
    /// The spec version, or the format's default.
    pub spec_version: Option<String>,
    /// The creation time to record; see [`creation_time`].
    pub created: Option<String>,
}

/// Errors of the commands, by where they arose.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Collecting from Cargo failed.
    #[error(transparent)]
    Cargo(#[from] CargoError),
    /// Reading or writing an SBOM failed.
    #[error(transparent)]
    Sbom(#[from] SbomError),
    /// `SOURCE_DATE_EPOCH` is set but not a timestamp.
    #[error(
        "SOURCE_DATE_EPOCH={0:?} is not a number of seconds since 1970-01-01 UTC; unset it or set it to e.g. the last commit's time (`git log -1 --format=%ct`)"
    )]
    SourceDateEpoch(String),
}

/// The tool name recorded in documents.
pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
/// The tool version recorded in documents.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the inventory from its source.
pub fn load_inventory(source: &InventorySource) -> Result<Inventory, CommandError> {
    Ok(match source {
        InventorySource::Cargo(options) => collect_cargo_inventory(options)?,
        InventorySource::Sbom(path) => read_sbom_file(path)?,
    })
}

/// Runs `clearance sbom`: the document's bytes.
pub fn sbom(request: &SbomRequest) -> Result<Vec<u8>, CommandError> {
    let inventory = load_inventory(&request.source)?;
    let options = WriteOptions {
        spec_version: request.spec_version.clone(),
        created: request.created.clone(),
        tool_name: TOOL_NAME.to_owned(),
        tool_version: TOOL_VERSION.to_owned(),
    };
    Ok(write_sbom(&inventory, request.format, &options)?)
}

/// Whether a document must carry a creation time even when none is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRequirement {
    /// Leave it out unless `SOURCE_DATE_EPOCH` pins it (keeps output reproducible).
    Optional,
    /// The format requires one: `SOURCE_DATE_EPOCH` if set, else now.
    Required,
}

/// The creation time for a document as RFC 3339 UTC: `SOURCE_DATE_EPOCH` (`epoch`) when
/// set, else the current time if the format requires one, else none.
pub fn creation_time(
    epoch: Option<&str>,
    requirement: TimeRequirement,
) -> Result<Option<String>, CommandError> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let when = match epoch.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            let secs: i64 = e
                .parse()
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?;
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?
        }
        None if requirement == TimeRequirement::Required => OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        None => return Ok(None),
    };
    Ok(Some(
        when.format(&Rfc3339)
            .expect("a UTC time formats as RFC 3339"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_pins_the_time() {
        assert_eq!(
            creation_time(Some("1700000000"), TimeRequirement::Optional)
                .unwrap()
                .as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            creation_time(None, TimeRequirement::Optional).unwrap(),
            None
        );
        assert!(
            creation_time(None, TimeRequirement::Required)
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            creation_time(Some("yesterday"), TimeRequirement::Optional),
            Err(CommandError::SourceDateEpoch(_))
        ));
    }
}

//! The evidence store: where every release is recorded, append-only, and read back for
//! snapshots. [`record`] is what a release is (`release.json`); [`folder`] keeps records in a
//! folder.

pub mod folder;
pub mod record;

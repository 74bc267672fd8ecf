//! The evidence of releases, kept and read back: `store` records each release append-only
//! (`release.json` and its files) and `snapshot` verifies a period of the store and packs it
//! for reviewers. What a release recorded is what they show: nothing is recomputed.

pub mod snapshot;
pub mod store;

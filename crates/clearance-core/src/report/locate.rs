//! Where each component is written in the file its inventory came from: the `name = "…"`
//! line of its `[[package]]` entry in `Cargo.lock`, or the line of its purl (else its name)
//! in an SBOM.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::FileLine;
use crate::inventory::{ComponentId, Inventory};

/// Component locations in one file.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    file: Option<PathBuf>,
    lines: HashMap<ComponentId, usize>,
    known: std::collections::HashSet<ComponentId>,
}

impl Locator {
    /// Locates the components of `inventory` in its origin file, when it has one.
    pub fn for_inventory(inventory: &Inventory) -> Self {
        let Some(path) = &inventory.origin else {
            return Self::default();
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            return Self::default();
        };
        let is_lock = path.file_name().is_some_and(|n| n == "Cargo.lock");
        let lines = if is_lock {
            lock_lines(&text, inventory)
        } else {
            sbom_lines(&text, inventory)
        };
        Self {
            file: Some(relative(path)),
            lines,
            known: inventory.components.keys().cloned().collect(),
        }
    }

    /// The file, when there is one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Where component `id` is written (the file's first line when its entry is not found);
    /// `None` for ids that are not components (findings about the policy itself).
    pub fn locate(&self, id: &ComponentId) -> Option<FileLine> {
        if !self.known.contains(id) {
            return None;
        }
        let path = self.file.clone()?;
        Some(FileLine {
            path,
            line: self.lines.get(id).copied().unwrap_or(1),
        })
    }
}

/// The file as reports name it: relative to the current directory, else absolute.
fn relative(path: &Path) -> PathBuf {
    crate::diag::relative_to_cwd(path)
        .unwrap_or_else(|| std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
}

fn lock_lines(text: &str, inventory: &Inventory) -> HashMap<ComponentId, usize> {
    let mut at: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut name: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some((v.trim_matches('"').to_owned(), i + 1));
        } else if let (Some(v), Some((n, l))) = (line.strip_prefix("version = "), &name) {
            at.entry((n.clone(), v.trim_matches('"').to_owned()))
                .or_default()
                .push(*l);
        }
    }
    inventory
        .components
        .values()
        .filter_map(|c| {
            at.get(&(c.name.clone(), c.version.clone()))
                .and_then(|l| l.first())
                .map(|l| (c.id.clone(), *l))
        })
        .collect()
}

/// One pass over the SBOM's lines: the first line of each quoted purl (`"pkg:…"`) and of each
/// `"name": "…"` value, then each component by purl, else by name.
fn sbom_lines(text: &str, inventory: &Inventory) -> HashMap<ComponentId, usize> {
    let mut purls: HashMap<&str, usize> = HashMap::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("\"pkg:") {
            let tail = &rest[at + 1..];
            let end = tail.find('"').unwrap_or(tail.len());
            purls.entry(&tail[..end]).or_insert(i + 1);
            rest = &tail[end..];
        }
        if let Some(at) = line.find("\"name\"") {
            let value = line[at + 6..]
                .trim_start()
                .trim_start_matches(':')
                .trim_start();
            if let Some(v) = value.strip_prefix('"') {
                names
                    .entry(&v[..v.find('"').unwrap_or(v.len())])
                    .or_insert(i + 1);
            }
        }
    }
    inventory
        .components
        .values()
        .filter_map(|c| {
            let by_purl = c.purl.as_deref().and_then(|p| purls.get(p));
            by_purl
                .or_else(|| names.get(c.name.as_str()))
                .map(|l| (c.id.clone(), *l))
        })
        .collect()
}

//! Matching license texts to SPDX ids with the `spdx` crate's `detection` feature (its
//! license store ships inside the binary), with a confidence score.
//!
//! Most license files of a dependency graph are the same few texts, differing only in their
//! copyright lines. Texts are therefore keyed by a hash of their words with copyright lines
//! removed: a text whose key equals that of a license in the store is that license (score 1.0)
//! without analysis, and every other distinct key is analysed once, in parallel. The store (and
//! the keys of its texts) is loaded, in about a quarter of a second, only when some text has to
//! be detected at all: a run whose texts are all cached never loads it.

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use spdx::detection::scan::Scanner;
use spdx::detection::{Store, TextData};

/// What a text was found to be.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    /// The SPDX ids found, best first (several when one file holds several licenses).
    pub ids: Vec<String>,
    /// The confidence of the best match, 0.0 to 1.0.
    pub confidence: f32,
}

/// Scores below this are not reported as a match at all.
const FLOOR: f32 = 0.5;

/// A license text detector with its store loaded on first need.
#[derive(Default)]
pub struct Detector {
    store: OnceLock<Store>,
    known: OnceLock<HashMap<[u8; 32], String>>,
}

impl Detector {
    /// A detector; nothing is loaded yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn store(&self) -> &Store {
        self.store.get_or_init(|| {
            Store::load_inline().expect("the license store embedded in the spdx crate loads")
        })
    }

    fn known(&self) -> &HashMap<[u8; 32], String> {
        self.known.get_or_init(|| {
            let store = self.store();
            store
                .licenses()
                .filter_map(|name| {
                    let original = store.get_original(name)?;
                    Some((text_key(&original.lines().join("\n")), name.clone()))
                })
                .collect()
        })
    }

    /// Detects every text of `texts`, analysing each distinct text once.
    pub fn detect_all(&self, texts: &[&str]) -> Vec<Detection> {
        let keys: Vec<[u8; 32]> = texts.par_iter().map(|t| text_key(t)).collect();
        let mut distinct: HashMap<[u8; 32], usize> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            distinct.entry(*k).or_insert(i);
        }
        let todo: Vec<([u8; 32], usize)> = distinct.into_iter().collect();
        let results: HashMap<[u8; 32], Detection> = todo
            .par_iter()
            .map(|(k, i)| (*k, self.detect_keyed(k, texts[*i])))
            .collect();
        keys.iter().map(|k| results[k].clone()).collect()
    }

    /// Detects one text.
    pub fn detect(&self, text: &str) -> Detection {
        self.detect_keyed(&text_key(text), text)
    }

    fn detect_keyed(&self, key: &[u8; 32], text: &str) -> Detection {
        if let Some(name) = self.known().get(key) {
            return Detection {
                ids: vec![correct(name, text)],
                confidence: 1.0,
            };
        }
        let data = TextData::new(text);
        let scanner = Scanner::new(self.store())
            .confidence_threshold(FLOOR)
            .optimize(true);
        let result = scanner.scan(&data);
        let mut ids: Vec<String> = Vec::new();
        if let Some(l) = result.license {
            ids.push(correct(l.name, text));
        }
        for c in result.containing.iter().filter(|c| c.score >= 0.8) {
            let id = correct(c.license.name, text);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let confidence = if ids.is_empty() {
            result.score
        } else {
            result.score.max(
                result
                    .containing
                    .iter()
                    .map(|c| c.score)
                    .fold(0.0, f32::max),
            )
        };
        Detection {
            ids: ids
                .into_iter()
                .filter(|id| spdx::license_id(id).is_some())
                .collect(),
            confidence,
        }
    }
}

/// The store calls Apache-2.0 without its appendix "Pixar" (the Pixar license is Apache-2.0
/// modified); only a text that says it is the modified license is Pixar's. The store also
/// names some texts by deprecated ids (`GPL-2.0+`); those become current ones
/// (`GPL-2.0-or-later`).
fn correct(name: &str, text: &str) -> String {
    if name == "Pixar" && !text.trim_start().starts_with("Modified Apache 2.0 License") {
        return "Apache-2.0".to_owned();
    }
    match super::normalise_declared(name) {
        super::NormalisedLicense::Expression(current) => current,
        super::NormalisedLicense::Invalid { .. } => name.to_owned(),
    }
}

/// A hash of the text's words, lowercase, without copyright lines and punctuation: equal for
/// texts that differ only in layout and copyright holders.
fn text_key(text: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for line in text.lines() {
        let lower = line.trim().to_lowercase();
        if lower.starts_with("copyright") || lower.starts_with("(c)") || lower.starts_with('©') {
            continue;
        }
        for word in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            hasher.update(word.as_bytes());
            hasher.update(b" ");
        }
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_canonical_texts_with_full_confidence() {
        let detector = Detector::new();
        let mit = spdx::license_id("MIT").unwrap().text();
        let d = detector.detect(&mit.replace("<year> <copyright holders>", "2024 Jane Doe"));
        assert_eq!(d.ids, ["MIT"]);
        assert!(d.confidence > 0.95, "{d:?}");
        let apache = spdx::license_id("Apache-2.0").unwrap().text();
        assert_eq!(detector.detect(apache).ids, ["Apache-2.0"], "not Pixar");
    }

    #[test]
    fn texts_differing_in_copyright_lines_share_one_analysis() {
        assert_eq!(
            text_key("Copyright 2020 A\nSome  terms,\nhere."),
            text_key("Copyright (c) 1999 B\nsome terms here")
        );
        assert_ne!(text_key("some terms here"), text_key("other terms here"));
        let detector = Detector::new();
        let gpl = spdx::license_id("GPL-2.0-only").unwrap().text();
        let out = detector.detect_all(&[gpl, gpl, "hello, this is not a license"]);
        assert_eq!(out[0], out[1]);
        assert!(
            out[0]
                .ids
                .first()
                .is_some_and(|id| id.starts_with("GPL-2.0")),
            "{:?}",
            out[0]
        );
        assert!(out[2].ids.is_empty());
    }
}

//! The RFC 6962 Merkle tree behind the transparency log: leaf hash `SHA-256(0x00 || entry)`,
//! node hash `SHA-256(0x01 || left || right)`, tree heads and inclusion proofs for any tree
//! size up to the current one.
//!
//! Hashes are recomputed from the leaves on every request, which is linear in the log's
//! size: plenty for a development log, not meant for millions of entries.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub(crate) type Hash = [u8; 32];

/// RFC 6962 leaf hash of an entry.
pub(crate) fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// RFC 6962 interior node hash.
pub(crate) fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The leaf hashes of a log, in order.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    leaves: Vec<Hash>,
}

impl Tree {
    /// Appends a leaf hash.
    pub(crate) fn push(&mut self, leaf: Hash) {
        self.leaves.push(leaf);
    }

    /// Number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// The position of a leaf hash, if present.
    pub(crate) fn position(&self, leaf: &Hash) -> Option<u64> {
        self.leaves.iter().position(|l| l == leaf).map(|i| i as u64)
    }

    /// The leaf hash at `index`.
    pub(crate) fn leaf(&self, index: u64) -> Option<&Hash> {
        self.leaves.get(usize::try_from(index).ok()?)
    }

    /// The root hash of the whole tree (the hash of the empty string when empty).
    pub(crate) fn root(&self) -> Hash {
        if self.leaves.is_empty() {
            return Sha256::digest([]).into();
        }
        subtree_root(&self.leaves)
    }

    /// The audit path of leaf `index` in the tree made of all current leaves (RFC 6962
    /// section 2.1.1), leaf-side first; `None` when the index is out of range.
    pub(crate) fn inclusion_proof(&self, index: u64) -> Option<Vec<Hash>> {
        let index = usize::try_from(index).ok()?;
        (index < self.leaves.len()).then(|| path(index, &self.leaves))
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn subtree_root(leaves: &[Hash]) -> Hash {
    match leaves {
        [single] => *single,
        _ => {
            let k = split(leaves.len());
            node_hash(&subtree_root(&leaves[..k]), &subtree_root(&leaves[k..]))
        }
    }
}

fn path(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    if index < k {
        let mut proof = path(index, &leaves[..k]);
        proof.push(subtree_root(&leaves[k..]));
        proof
    } else {
        let mut proof = path(index - k, &leaves[k..]);
        proof.push(subtree_root(&leaves[..k]));
        proof
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Hash {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// The leaves of the RFC 6962 test vectors used by certificate-transparency-go and
    /// Trillian (`merkle/testonly`).
    fn vector_tree(size: usize) -> Tree {
        let inputs = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ];
        let mut tree = Tree::default();
        for input in &inputs[..size] {
            tree.push(leaf_hash(&hex::decode(input).unwrap()));
        }
        tree
    }

    #[test]
    fn roots_match_the_rfc6962_vectors() {
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (i, root) in roots.iter().enumerate() {
            assert_eq!(
                hex::encode(vector_tree(i + 1).root()),
                *root,
                "size {}",
                i + 1
            );
        }
        assert_eq!(
            hex::encode(Tree::default().root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn inclusion_proofs_match_the_rfc6962_vectors() {
        // (leaf index, tree size, path), leaf indices 0-based.
        let vectors: [(u64, usize, &[&str]); 5] = [
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, expected) in vectors {
            let proof = vector_tree(size).inclusion_proof(index).unwrap();
            let expected: Vec<Hash> = expected.iter().map(|h| unhex(h)).collect();
            assert_eq!(proof, expected, "leaf {index} of {size}");
        }
        assert_eq!(vector_tree(3).inclusion_proof(3), None);
    }

    /// RFC 9162 section 2.1.3.2, written independently of the proof generator.
    fn root_from_proof(index: u64, size: u64, leaf: Hash, proof: &[Hash]) -> Option<Hash> {
        if index >= size {
            return None;
        }
        let (mut f_n, mut s_n) = (index, size - 1);
        let mut r = leaf;
        for p in proof {
            if s_n == 0 {
                return None;
            }
            if f_n & 1 == 1 || f_n == s_n {
                r = node_hash(p, &r);
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            f_n >>= 1;
            s_n >>= 1;
        }
        (s_n == 0).then_some(r)
    }

    #[test]
    fn every_proof_of_every_size_leads_to_the_root() {
        let mut tree = Tree::default();
        for n in 0..40u8 {
            tree.push(leaf_hash(&[n]));
            for index in 0..tree.size() {
                let proof = tree.inclusion_proof(index).unwrap();
                let leaf = *tree.leaf(index).unwrap();
                assert_eq!(
                    root_from_proof(index, tree.size(), leaf, &proof),
                    Some(tree.root()),
                    "leaf {index} of {}",
                    tree.size()
                );
            }
        }
        let proof = tree.inclusion_proof(3).unwrap();
        assert_ne!(
            root_from_proof(4, tree.size(), *tree.leaf(3).unwrap(), &proof),
            Some(tree.root())
        );
        assert_eq!(tree.position(&leaf_hash(&[5])), Some(5));
    }
}

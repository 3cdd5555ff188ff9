//! RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, over an append-only
//! store of hashes.
//!
//! # Stored hashes
//! A log keeps, for every record `n`, the leaf hash of `n` followed by the hashes of every
//! complete subtree whose last leaf is `n` (one per trailing one bit of `n`). A tree of `n`
//! records therefore holds exactly `2n - popcount(n)` hashes, appended in order, and never
//! rewrites one. The node at `level` covering leaves `[k·2^level, (k+1)·2^level)` is stored right
//! after the leaf hash of its last leaf `m = (k+1)·2^level - 1`, at index
//! `2m - popcount(m) + level` ([`stored_hash_index`]).
//!
//! # Size-0 consistency policy
//! RFC 9162 §2.1.4 defines consistency proofs only for `0 < first < second`. kyso follows C2SP
//! tlog-witness: every tree is an extension of the empty tree, so a consistency check from size
//! 0 is answered by an empty proof, and [`verify_consistency`] accepts `size1 = 0` exactly when
//! the proof is empty and `root1` is the empty-tree root `SHA-256("")` (RFC 9162 §2.1.1);
//! `root2` must still be a well-formed hash. (transparency-dev/merkle instead rejects any
//! `size1 = 0` check as meaningless.)

use sha2::{Digest, Sha256};

use super::error::LedgerError;

/// A SHA-256 Merkle tree hash (RFC 9162 §2.1).
pub type Hash = [u8; 32];

/// Length in bytes of a [`Hash`](type@Hash).
pub const HASH_SIZE: usize = 32;

/// Deepest level a stored node can have: levels count the bits of a `u64` record number.
const MAX_LEVEL: u32 = 63;

/// The hash of a leaf: `SHA-256(0x00 ‖ data)` (RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Reads a hash of exactly 32 bytes; `what` names it in the error.
pub fn hash_from_slice(what: &'static str, bytes: &[u8]) -> Result<Hash, LedgerError> {
    Hash::try_from(bytes).map_err(|_| LedgerError::HashLength {
        what,
        len: bytes.len(),
    })
}

/// Number of hashes stored for a tree of `size` records: `2·size - popcount(size)`.
pub fn stored_hash_count(size: u64) -> Result<u64, LedgerError> {
    size.checked_mul(2)
        .and_then(|d| d.checked_sub(u64::from(size.count_ones())))
        .ok_or(LedgerError::TooLarge("tree size"))
}

/// The linear index at which the node `n` of `level` is stored (see the module docs).
/// Level 0 nodes are leaves.
pub fn stored_hash_index(level: u32, n: u64) -> Result<u64, LedgerError> {
    let too_large = LedgerError::TooLarge("stored hash index");
    if level > MAX_LEVEL {
        return Err(too_large);
    }
    let width = 1u64 << level;
    let last_leaf = n
        .checked_add(1)
        .and_then(|k| k.checked_mul(width))
        .map(|end| end - 1)
        .ok_or(LedgerError::TooLarge("stored hash index"))?;
    stored_hash_count(last_leaf)?
        .checked_add(u64::from(level))
        .ok_or(too_large)
}

/// The inverse of [`stored_hash_index`]: the `(level, n)` of the node stored at `index`.
pub fn split_stored_hash_index(index: u64) -> Result<(u32, u64), LedgerError> {
    // Leaf hash of record m sits at 2m - popcount(m), which is increasing in m and at least
    // 2m - 64, so the record whose group holds `index` is at most index/2 + 32.
    let mut m = index / 2 + 32;
    loop {
        let base = match stored_hash_count(m) {
            Ok(base) => base,
            Err(_) => {
                m = m
                    .checked_sub(1)
                    .ok_or(LedgerError::TooLarge("stored hash index"))?;
                continue;
            }
        };
        if base <= index {
            let level = index - base;
            // The group of record m holds 1 + trailing_ones(m) hashes.
            if level > u64::from(m.trailing_ones()) {
                return Err(LedgerError::TooLarge("stored hash index"));
            }
            let level = u32::try_from(level).map_err(|_| LedgerError::TooLarge("level"))?;
            // m ends with at least `level` one bits, so m >> level is the node's number.
            return Ok((level, m >> level));
        }
        m = m
            .checked_sub(1)
            .ok_or(LedgerError::TooLarge("stored hash index"))?;
    }
}

/// Access to the stored hashes of a log, by linear index ([`stored_hash_index`]).
pub trait HashReader {
    /// Returns the hashes stored at `indexes`, in the same order. An index the store does not
    /// hold is an error ([`LedgerError::MissingHash`]), never a made-up hash.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, LedgerError>;
}

/// The hashes to store when appending record `n` whose leaf hash is `leaf`: the leaf hash,
/// then the hash of every complete subtree that `n` completes, lowest first. The stored
/// hashes of records `0..n` must be readable through `reader`.
pub fn stored_hashes_for_record<R: HashReader + ?Sized>(
    n: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, LedgerError> {
    let levels = n.trailing_ones();
    let mut siblings = Vec::with_capacity(levels as usize);
    for level in 0..levels {
        siblings.push(stored_hash_index(level, (n >> level) ^ 1)?);
    }
    let left = read_exact(reader, &siblings)?;
    let mut out = Vec::with_capacity(left.len() + 1);
    out.push(leaf);
    let mut h = leaf;
    for l in &left {
        h = node_hash(l, &h);
        out.push(h);
    }
    Ok(out)
}

fn read_exact<R: HashReader + ?Sized>(
    reader: &R,
    indexes: &[u64],
) -> Result<Vec<Hash>, LedgerError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(LedgerError::Storage(format!(
            "hash reader returned {} hashes for {} indexes",
            hashes.len(),
            indexes.len()
        )));
    }
    Ok(hashes)
}

/// A contiguous range of leaves `[lo, hi)` whose Merkle hash a proof needs.
#[derive(Clone, Copy)]
struct Span {
    lo: u64,
    hi: u64,
}

/// Largest power of two strictly below `n` (`n >= 2`), the split point of RFC 9162 §2.1.1.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Stored nodes `(level, n)` whose hashes, folded right to left, give the Merkle hash of
/// `span`. Every span a proof needs starts at a multiple of a power of two at least its width,
/// so its binary decomposition consists of aligned complete subtrees.
fn span_nodes(span: Span, out: &mut Vec<u64>) -> Result<usize, LedgerError> {
    let mut lo = span.lo;
    let mut count = 0;
    while lo < span.hi {
        let rest = span.hi - lo;
        let mut level = 63 - rest.leading_zeros();
        if lo != 0 {
            level = level.min(lo.trailing_zeros());
        }
        out.push(stored_hash_index(level, lo >> level)?);
        count += 1;
        lo += 1u64 << level;
    }
    Ok(count)
}

/// Computes the Merkle hash of every span with one batched read.
fn span_hashes<R: HashReader + ?Sized>(
    spans: &[Span],
    reader: &R,
) -> Result<Vec<Hash>, LedgerError> {
    let mut indexes = Vec::new();
    let mut counts = Vec::with_capacity(spans.len());
    for span in spans {
        counts.push(span_nodes(*span, &mut indexes)?);
    }
    let hashes = read_exact(reader, &indexes)?;
    let mut out = Vec::with_capacity(spans.len());
    let mut rest = hashes.as_slice();
    for count in counts {
        let (mine, tail) = rest.split_at(count.min(rest.len()));
        rest = tail;
        let mut iter = mine.iter().rev();
        let mut h = *iter.next().ok_or(LedgerError::TooLarge("empty span"))?;
        for left in iter {
            h = node_hash(left, &h);
        }
        out.push(h);
    }
    Ok(out)
}

/// The Merkle tree hash of the first `size` records (RFC 9162 §2.1.1).
pub fn tree_hash<R: HashReader + ?Sized>(size: u64, reader: &R) -> Result<Hash, LedgerError> {
    if size == 0 {
        return Ok(empty_root());
    }
    let hashes = span_hashes(&[Span { lo: 0, hi: size }], reader)?;
    hashes
        .into_iter()
        .next()
        .ok_or(LedgerError::TooLarge("tree hash"))
}

/// The inclusion proof of record `index` in the tree of `size` records (RFC 9162 §2.1.3.1),
/// ordered from the leaf up.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    size: u64,
    index: u64,
    reader: &R,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::IndexOutOfRange { index, size });
    }
    let mut spans = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            spans.push(Span { lo: lo + k, hi });
            hi = lo + k;
        } else {
            spans.push(Span { lo, hi: lo + k });
            lo += k;
        }
    }
    spans.reverse();
    span_hashes(&spans, reader)
}

/// The consistency proof between the trees of `size1` and `size2` records (RFC 9162
/// §2.1.4.1). Empty when `size1` is 0 or equal to `size2` (see the module docs).
pub fn consistency_proof<R: HashReader + ?Sized>(
    size1: u64,
    size2: u64,
    reader: &R,
) -> Result<Vec<Hash>, LedgerError> {
    if size1 > size2 {
        return Err(LedgerError::SizeOrder { size1, size2 });
    }
    if size1 == 0 || size1 == size2 {
        return Ok(Vec::new());
    }
    let mut spans = Vec::new();
    let (mut lo, mut hi, mut m, mut whole) = (0u64, size2, size1, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                spans.push(Span { lo, hi });
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            spans.push(Span { lo: lo + k, hi });
            hi = lo + k;
        } else {
            spans.push(Span { lo, hi: lo + k });
            lo += k;
            m -= k;
            whole = false;
        }
    }
    spans.reverse();
    span_hashes(&spans, reader)
}

/// Whether a well-formed proof holds. Malformed input is an `Err` instead.
#[must_use = "a proof verdict must be checked"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofVerdict {
    /// The proof recomputes the claimed root(s).
    Valid,
    /// The proof is well formed but does not recompute the claimed root(s).
    Invalid,
}

impl ProofVerdict {
    /// True for [`ProofVerdict::Valid`].
    pub fn is_valid(self) -> bool {
        self == ProofVerdict::Valid
    }

    fn from_bool(ok: bool) -> ProofVerdict {
        if ok {
            ProofVerdict::Valid
        } else {
            ProofVerdict::Invalid
        }
    }
}

/// Number of bits needed to write `x` (0 for 0).
fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// Length of the inclusion proof of `index` in a tree of `size` (`index < size`): one hash per
/// level where the paths to `index` and to the last leaf diverge, plus one per complete left
/// subtree above that point.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

fn proof_hashes<P: AsRef<[u8]>>(proof: &[P]) -> Result<Vec<Hash>, LedgerError> {
    proof
        .iter()
        .map(|p| hash_from_slice("proof hash", p.as_ref()))
        .collect()
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2). Hashes that are not 32 bytes, an index not
/// below the size, or a proof of the wrong length are errors; a well-formed proof that does not
/// lead to `root` is [`ProofVerdict::Invalid`].
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<ProofVerdict, LedgerError> {
    let leaf = hash_from_slice("leaf hash", leaf_hash)?;
    let root = hash_from_slice("root hash", root)?;
    if index >= size {
        return Err(LedgerError::IndexOutOfRange { index, size });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(LedgerError::ProofLength {
            what: "inclusion proof",
            got: proof.len(),
            want,
        });
    }
    let proof = proof_hashes(proof)?;
    Ok(ProofVerdict::from_bool(
        root_from_inclusion(index, size, leaf, &proof) == Some(root),
    ))
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 2-6), or `None` when the
/// proof runs past the root.
pub fn root_from_inclusion(index: u64, size: u64, leaf: Hash, proof: &[Hash]) -> Option<Hash> {
    let mut f = index;
    let mut s = size.checked_sub(1)?;
    let mut r = leaf;
    for p in proof {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// Verifies a consistency proof between trees of `size1` and `size2` (RFC 9162 §2.1.4.2, with
/// the size-0 policy of the module docs). Malformed hashes, `size1 > size2` or a proof of the
/// wrong length are errors; a well-formed proof that does not lead to both roots is
/// [`ProofVerdict::Invalid`].
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<ProofVerdict, LedgerError> {
    let root1 = hash_from_slice("first root hash", root1)?;
    let root2 = hash_from_slice("second root hash", root2)?;
    if size1 > size2 {
        return Err(LedgerError::SizeOrder { size1, size2 });
    }
    let proof_len_error = |want: usize| LedgerError::ProofLength {
        what: "consistency proof",
        got: proof.len(),
        want,
    };
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(proof_len_error(0));
        }
        return Ok(ProofVerdict::from_bool(root1 == root2));
    }
    if size1 == 0 {
        if !proof.is_empty() {
            return Err(proof_len_error(0));
        }
        return Ok(ProofVerdict::from_bool(root1 == empty_root()));
    }
    // The proof is the inclusion-style path of leaf size1-1 in the second tree, minus the
    // levels below the largest complete subtree ending at size1, whose root is either root1
    // itself (size1 a power of two) or the first proof hash.
    let shift = size1.trailing_zeros();
    let inner = bit_len((size1 - 1) ^ (size2 - 1)).saturating_sub(shift);
    let border = (size1 - 1)
        .checked_shr(inner + shift)
        .unwrap_or(0)
        .count_ones();
    let seeded = size1 == 1u64 << shift;
    let want = (inner + border) as usize + usize::from(!seeded);
    if proof.len() != want {
        return Err(proof_len_error(want));
    }
    let proof = proof_hashes(proof)?;
    let (seed, rest) = if seeded {
        (root1, proof.as_slice())
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(proof_len_error(want)),
        }
    };
    let mut f = (size1 - 1) >> shift;
    let mut s = (size2 - 1) >> shift;
    let mut fr = seed;
    let mut sr = seed;
    for c in rest {
        if s == 0 {
            return Ok(ProofVerdict::Invalid);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    Ok(ProofVerdict::from_bool(
        s == 0 && fr == root1 && sr == root2,
    ))
}

/// An in-memory append-only hash store, for tests and tools: the stored hashes of a whole log
/// in one vector.
#[derive(Debug, Clone, Default)]
pub struct MemoryHashStore {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryHashStore {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of records appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a record by its leaf hash and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, LedgerError> {
        let n = self.size;
        let new = stored_hashes_for_record(n, leaf, self)?;
        self.hashes.extend(new);
        self.size = n.checked_add(1).ok_or(LedgerError::TooLarge("tree size"))?;
        Ok(n)
    }

    /// Appends a record by its data and returns its index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, LedgerError> {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// All stored hashes, in stored-index order.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }
}

impl HashReader for MemoryHashStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, LedgerError> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|u| self.hashes.get(u))
                    .copied()
                    .ok_or_else(|| LedgerError::MissingHash {
                        index: i,
                        reason: format!("the store holds {} hashes", self.hashes.len()),
                    })
            })
            .collect()
    }
}

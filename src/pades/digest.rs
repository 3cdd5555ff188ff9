//! Hashing what a signature covers in one pass over the file: the digests its CMS asks for,
//! and, for the ledger, the SHA-256 of the revision it signs.
//!
//! A signature's digest (SHA-256 for every document kyso issues) and the revision's hash read
//! the same bytes from offset 0 up to `/Contents`; there the SHA-256 state is cloned, so the
//! file is hashed once for both and only the gap and the tail are hashed twice.

use openssl::hash::{Hasher, MessageDigest};

use super::error::PadesError;
use crate::cms::{CmsError, ContentDigest, DigestAlgorithm};
use crate::pdf::{ByteSource, Document, Revision};

/// SHA-256 of a revision: of the file up to the end of its `%%EOF` line, and up to the marker
/// itself (the same value when no end-of-line follows the marker). A ledger may have recorded
/// either prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionHashes {
    pub to_line_end: [u8; 32],
    pub to_marker: [u8; 32],
}

impl RevisionHashes {
    /// The distinct hashes, line end first.
    pub fn candidates(&self) -> Vec<[u8; 32]> {
        if self.to_line_end == self.to_marker {
            vec![self.to_line_end]
        } else {
            vec![self.to_line_end, self.to_marker]
        }
    }
}

/// What one pass produced.
pub struct CoveredDigests {
    /// One digest per requested algorithm, in the order asked.
    pub digests: Vec<ContentDigest>,
    /// The revision's hashes, when a revision was given.
    pub revision: Option<RevisionHashes>,
}

fn crypto(e: openssl::error::ErrorStack) -> PadesError {
    PadesError::Cms(CmsError::Crypto(e.to_string()))
}

fn finish32(mut h: Hasher) -> Result<[u8; 32], PadesError> {
    let d = h.finish().map_err(crypto)?;
    <[u8; 32]>::try_from(&d[..])
        .map_err(|_| PadesError::Refused("SHA-256 did not give 32 bytes".into()))
}

/// Where the revision hasher stands relative to the signature's SHA-256 hasher.
enum RevisionState {
    /// Not asked for.
    None,
    /// Every byte so far went to both: the signature's SHA-256 hasher is also the revision's.
    Shared(usize),
    /// Its own hasher.
    Own(Hasher),
}

/// Hashes `ranges` (ascending, disjoint, as a consistent `/ByteRange` is) with each of
/// `algorithms`, and `[0, revision.end)` with SHA-256 when `revision` is given, reading every
/// byte once. Work is bounded by the larger of the ranges' and the revision's end, which the
/// source's length bounds.
pub fn digest_covered<S: ByteSource>(
    doc: &Document<S>,
    ranges: &[(u64, u64)],
    algorithms: &[DigestAlgorithm],
    revision: Option<&Revision>,
) -> Result<CoveredDigests, PadesError> {
    let ordered = ranges.windows(2).all(|w| matches!(w, [a, b] if a.1 <= b.0))
        && ranges.iter().all(|&(s, e)| s <= e);
    if !ordered {
        return Err(PadesError::Refused(
            "the covered ranges are not ascending and disjoint".into(),
        ));
    }
    let mut hashers: Vec<Hasher> = algorithms
        .iter()
        .map(|a| a.hasher())
        .collect::<Result<_, CmsError>>()?;
    let sha256_at = algorithms
        .iter()
        .position(|a| *a == DigestAlgorithm::Sha256);
    let mut rev = match (revision, sha256_at) {
        (None, _) => RevisionState::None,
        (Some(_), Some(i)) => RevisionState::Shared(i),
        (Some(_), None) => {
            RevisionState::Own(Hasher::new(MessageDigest::sha256()).map_err(crypto)?)
        }
    };
    let (marker_end, rev_end) = revision.map_or((0, 0), |r| (r.marker_end.min(r.end), r.end));

    // Cut points: every place where what a byte feeds changes.
    let mut cuts: Vec<u64> = ranges.iter().flat_map(|&(s, e)| [s, e]).collect();
    if revision.is_some() {
        cuts.extend([marker_end, rev_end]);
    }
    cuts.push(0);
    cuts.sort_unstable();
    cuts.dedup();

    let mut to_marker = None;
    for w in cuts.windows(2) {
        let [from, to] = *w else { continue };
        if revision.is_some() && from == marker_end {
            to_marker = Some(snapshot(&rev, &hashers)?);
        }
        let in_signature = ranges.iter().any(|&(s, e)| s <= from && to <= e);
        let in_revision = revision.is_some() && to <= rev_end;
        if !in_signature && !in_revision {
            continue;
        }
        // The streams part here: the revision takes its own copy of the shared state.
        if let RevisionState::Shared(i) = rev {
            if in_signature != in_revision {
                let own = hashers
                    .get(i)
                    .cloned()
                    .ok_or_else(|| PadesError::Refused("digest index".into()))?;
                rev = RevisionState::Own(own);
            }
        }
        doc.source()
            .for_each_piece(from, to, |piece| -> Result<(), PadesError> {
                if in_signature {
                    for h in &mut hashers {
                        h.update(piece).map_err(crypto)?;
                    }
                }
                if in_revision {
                    if let RevisionState::Own(h) = &mut rev {
                        h.update(piece).map_err(crypto)?;
                    }
                }
                Ok(())
            })?;
    }
    let revision = match revision {
        None => None,
        Some(_) => {
            let to_line_end = snapshot(&rev, &hashers)?;
            Some(RevisionHashes {
                to_line_end,
                to_marker: to_marker.unwrap_or(to_line_end),
            })
        }
    };
    let digests = algorithms
        .iter()
        .zip(hashers)
        .map(|(&algorithm, mut h)| {
            Ok(ContentDigest {
                algorithm,
                value: h.finish().map_err(crypto)?.to_vec(),
            })
        })
        .collect::<Result<_, PadesError>>()?;
    Ok(CoveredDigests { digests, revision })
}

/// The revision's SHA-256 of what has been fed so far.
fn snapshot(rev: &RevisionState, hashers: &[Hasher]) -> Result<[u8; 32], PadesError> {
    let h = match rev {
        RevisionState::Shared(i) => hashers
            .get(*i)
            .cloned()
            .ok_or_else(|| PadesError::Refused("digest index".into()))?,
        RevisionState::Own(h) => h.clone(),
        RevisionState::None => return Err(PadesError::Refused("no revision was asked for".into())),
    };
    finish32(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256, Sha384};

    /// A one-page PDF whose only revision ends with `%%EOF\r\n`: marker end and line end differ.
    fn pdf() -> Vec<u8> {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for body in [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ] {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", offsets.len()).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\r\n").as_bytes(),
        );
        out
    }

    fn sha256(parts: &[&[u8]]) -> Vec<u8> {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().to_vec()
    }

    #[test]
    fn one_pass_gives_the_signature_digests_and_both_revision_hashes() {
        let bytes = pdf();
        let doc = Document::open(&bytes[..]).expect("open");
        let rev = doc.revisions().first().expect("revision").clone();
        let (marker, end) = (rev.marker_end as usize, rev.end as usize);
        assert_eq!(end, bytes.len());
        assert_eq!(marker + 2, end, "the marker is followed by CR LF");
        let want_end = sha256(&[&bytes[..end]]);
        let want_marker = sha256(&[&bytes[..marker]]);
        // Every gap position, and ranges ending at the line end or at the marker.
        for covered_end in [end, marker] {
            for a in (0..covered_end).step_by(7) {
                let b = (a + 5).min(covered_end);
                let ranges = [(0, a as u64), (b as u64, covered_end as u64)];
                let signed = [&bytes[..a], &bytes[b..covered_end]].concat();
                for algorithms in [
                    vec![DigestAlgorithm::Sha256],
                    vec![DigestAlgorithm::Sha384],
                    vec![DigestAlgorithm::Sha384, DigestAlgorithm::Sha256],
                ] {
                    let got =
                        digest_covered(&doc, &ranges, &algorithms, Some(&rev)).expect("digest");
                    let hashes = got.revision.expect("revision hashes");
                    assert_eq!(hashes.to_line_end.to_vec(), want_end, "gap at {a}");
                    assert_eq!(hashes.to_marker.to_vec(), want_marker, "gap at {a}");
                    for d in &got.digests {
                        let want = match d.algorithm {
                            DigestAlgorithm::Sha256 => Sha256::digest(&signed).to_vec(),
                            _ => Sha384::digest(&signed).to_vec(),
                        };
                        assert_eq!(d.value, want, "{} with the gap at {a}", d.algorithm);
                    }
                    assert_eq!(got.digests.len(), algorithms.len());
                }
            }
        }
    }

    #[test]
    fn without_a_revision_only_the_ranges_are_hashed() {
        let bytes = pdf();
        let doc = Document::open(&bytes[..]).expect("open");
        let got = digest_covered(&doc, &[(3, 10), (20, 40)], &[DigestAlgorithm::Sha256], None)
            .expect("digest");
        assert!(got.revision.is_none());
        let d = got.digests.first().expect("one digest");
        assert_eq!(d.value, sha256(&[&bytes[3..10], &bytes[20..40]]));
    }

    #[test]
    fn a_revision_alone_is_hashed_without_signature_digests() {
        let bytes = pdf();
        let doc = Document::open(&bytes[..]).expect("open");
        let rev = doc.revisions().first().expect("revision").clone();
        let got = digest_covered(&doc, &[], &[], Some(&rev)).expect("digest");
        let hashes = got.revision.expect("hashes");
        assert_eq!(hashes.to_line_end.to_vec(), sha256(&[&bytes[..]]));
        assert_eq!(hashes.candidates().len(), 2);
    }

    #[test]
    fn ranges_out_of_order_are_refused() {
        let bytes = pdf();
        let doc = Document::open(&bytes[..]).expect("open");
        for ranges in [
            [(20, 40), (0, 10)],
            [(0, 30), (20, 40)],
            [(10, 5), (20, 40)],
        ] {
            assert!(digest_covered(&doc, &ranges, &[DigestAlgorithm::Sha256], None).is_err());
        }
    }
}

//! PAdES signing (ETSI EN 319 142-1 baseline B-B): one incremental update adds a signature
//! field, its widget and a signature dictionary with placeholders; the covered bytes are hashed
//! as they are read; `cms` builds the SignedData over that digest; the signature goes into the
//! placeholder. The original bytes are never rewritten, so earlier signatures stay valid.

use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

use super::appearance::SignatureAppearance;
use super::error::PadesError;
use super::fields;
use super::ltv::Timestamper;
use crate::cms::{prepare, RawSigner, SignRequest};
use crate::pdf::{
    ByteSource, Dict, Document, IncrementalUpdate, IncrementalWriter, Object, PdfString,
    SignatureField,
};

/// Room in `/Contents` beyond the embedded certificates: signed attributes (~250 bytes), the
/// signature value (up to 512 bytes for RSA-4096), the ASN.1 framing, and a later RFC 3161
/// signature timestamp token (B-T, typically 3–6 KB with the TSA's certificate).
pub const CONTENTS_MARGIN: usize = 12 * 1024;

/// Most fields named `SigN` tried when choosing a fresh name.
const MAX_FIELD_NUMBER: usize = 10_000;

/// The offset written in `/M`: Vietnam's time zone (Indochina Time, UTC+7), as the Vietnamese
/// rules for electronic documents show signing times.
const VIETNAM_OFFSET_HOURS: i8 = 7;

/// DocMDP permission of a certification signature (ISO 32000-1 §12.8.2.2, table 254).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certification {
    /// P=1: no change at all is permitted after this signature.
    NoChanges,
    /// P=2: filling in forms and signing are permitted.
    FormFilling,
}

impl Certification {
    /// The `/P` value.
    pub fn p(self) -> i64 {
        match self {
            Certification::NoChanges => 1,
            Certification::FormFilling => 2,
        }
    }
}

/// What to sign and how.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// The claimed signing time, written in `/M` (not trusted by verifiers).
    pub claimed_time: OffsetDateTime,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// Makes this a certification signature with the given DocMDP permission.
    pub certify: Option<Certification>,
    /// The field name; default the first free `SigN`.
    pub field_name: Option<String>,
    /// The visible block; `None` (or [`Placement::None`](super::appearance::Placement)) for an
    /// invisible signature (zero rectangle on the first page).
    pub appearance: Option<SignatureAppearance>,
}

impl SignOptions {
    /// An invisible, uncertified signature claiming `claimed_time`, with no reason or
    /// location, in the first free `SigN` field.
    pub fn new(claimed_time: OffsetDateTime) -> SignOptions {
        SignOptions {
            claimed_time,
            reason: None,
            location: None,
            certify: None,
            field_name: None,
            appearance: None,
        }
    }
}

/// The signed update: append [`update`](Self::update)`.bytes` to the unchanged original.
#[derive(Debug, Clone)]
pub struct SignedUpdate {
    /// The bytes to append and where the signature lies.
    pub update: IncrementalUpdate,
    /// The field that holds the signature.
    pub field_name: String,
    /// SHA-256 of the covered bytes (the CMS message digest).
    pub digest: [u8; 32],
    /// SHA-256 of the signed revision: the original followed by the whole update (what the
    /// ledger records for an issued document).
    pub revision_sha256: [u8; 32],
}

/// `D:YYYYMMDDHHmmSS+07'00'` (ISO 32000-1 §7.9.4), in Vietnam's time zone.
pub fn pdf_date(t: OffsetDateTime) -> String {
    let offset = UtcOffset::from_hms(VIETNAM_OFFSET_HOURS, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = t.to_offset(offset);
    let (h, m, _) = offset.as_hms();
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        if h < 0 { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// The SHA-256 state after `doc`'s bytes: the common prefix of the signature's digest
/// ([`signed_digest`]) and of the signed revision's hash ([`revision_digest`]), so that the
/// original is read and hashed once for both.
pub(super) fn hash_document<S: ByteSource>(doc: &Document<S>) -> Result<Sha256, PadesError> {
    Ok(doc.source().sha256_state()?)
}

/// The signature's digest: the document (`prefix`, from [`hash_document`]) followed by the two
/// signed parts of `update`.
pub(super) fn signed_digest(
    prefix: &Sha256,
    update: &IncrementalUpdate,
) -> Result<[u8; 32], PadesError> {
    let (first, second) = update
        .signed_parts()
        .ok_or_else(|| PadesError::Refused("the update has no signature placeholder".into()))?;
    let mut hasher = prefix.clone();
    for part in [first, second] {
        let bytes = update
            .bytes
            .get(part)
            .ok_or_else(|| PadesError::Refused("signed part outside the update".into()))?;
        hasher.update(bytes);
    }
    Ok(hasher.finalize().into())
}

/// The hash of the signed revision: the document (`prefix`) followed by the whole `update`,
/// signature included.
pub(super) fn revision_digest(mut prefix: Sha256, update: &IncrementalUpdate) -> [u8; 32] {
    prefix.update(&update.bytes);
    prefix.finalize().into()
}

/// [`signed_digest`] of `doc` from scratch.
pub(super) fn hash_signed_bytes<S: ByteSource>(
    doc: &Document<S>,
    update: &IncrementalUpdate,
) -> Result<[u8; 32], PadesError> {
    signed_digest(&hash_document(doc)?, update)
}

/// Signs `doc` with `signer` (whose certificate is `certificate`, DER; `chain` the other
/// certificates to embed): PAdES B-B.
pub fn sign<S: ByteSource>(
    doc: &Document<S>,
    signer: &dyn RawSigner,
    certificate: &[u8],
    chain: &[Vec<u8>],
    options: &SignOptions,
) -> Result<SignedUpdate, PadesError> {
    sign_timestamped(doc, signer, certificate, chain, options, None)
}

/// [`sign`], and with a `timestamper` PAdES B-T: the signature value is time-stamped and the
/// token goes into the CMS unsigned attributes (RFC 3161 appendix A).
pub fn sign_timestamped<S: ByteSource>(
    doc: &Document<S>,
    signer: &dyn RawSigner,
    certificate: &[u8],
    chain: &[Vec<u8>],
    options: &SignOptions,
    timestamper: Option<&dyn Timestamper>,
) -> Result<SignedUpdate, PadesError> {
    let certs_len: usize = certificate.len() + chain.iter().map(Vec::len).sum::<usize>();
    let (mut update, field_name) = signature_update(doc, certs_len, options)?;
    let prefix = hash_document(doc)?;
    let digest = signed_digest(&prefix, &update)?;
    let prepared = prepare(&SignRequest {
        content_digest: digest,
        signer_certificate: certificate,
        chain,
        algorithm: signer.algorithm(),
    })?;
    let signature = signer.sign(prepared.signed_attributes_der())?;
    let token = signature_timestamp(timestamper, &signature)?;
    let cms = prepared.assemble(&signature, token.as_deref())?;
    update.embed_signature(&cms)?;
    Ok(SignedUpdate {
        revision_sha256: revision_digest(prefix, &update),
        update,
        field_name,
        digest,
    })
}

/// The RFC 3161 token over a signature value (RFC 3161 appendix A: the imprint is the SHA-256 of
/// the value), when a `timestamper` is given.
pub(super) fn signature_timestamp(
    timestamper: Option<&dyn Timestamper>,
    signature: &[u8],
) -> Result<Option<Vec<u8>>, PadesError> {
    timestamper
        .map(|t| t.timestamp(&Sha256::digest(signature).into()))
        .transpose()
}

/// The incremental update that adds a signature field, its widget and a signature dictionary
/// whose `/Contents` placeholder holds `certs_len` bytes of certificates plus
/// [`CONTENTS_MARGIN`]; returns it with the field's name. Refuses what the document's DocMDP
/// permission or existing fields forbid.
pub(super) fn signature_update<S: ByteSource>(
    doc: &Document<S>,
    certs_len: usize,
    options: &SignOptions,
) -> Result<(IncrementalUpdate, String), PadesError> {
    if let Some((_, 1)) = super::changes::docmdp_permission(doc)? {
        return Err(PadesError::Refused(
            "tài liệu đã chứng nhận không cho phép thay đổi / the document is certified with \
             DocMDP P=1: no further signature is allowed (ISO 32000-1 §12.8.2.2)"
                .into(),
        ));
    }
    let existing = fields::fields_in(doc, doc.last_revision())?;
    if options.certify.is_some()
        && existing
            .iter()
            .any(|f| f.field_type.as_deref() == Some(b"Sig") && f.has_value)
    {
        return Err(PadesError::Refused(
            "a certification signature must be the first signature of the document \
             (ISO 32000-1 §12.8.2.2)"
                .into(),
        ));
    }
    let field_name = match &options.field_name {
        Some(n) => {
            if existing.iter().any(|f| &f.name == n) {
                return Err(PadesError::Refused(format!(
                    "a field named {n} already exists"
                )));
            }
            n.clone()
        }
        None => (1..=MAX_FIELD_NUMBER)
            .map(|i| format!("Sig{i}"))
            .find(|n| !existing.iter().any(|f| &f.name == n))
            .ok_or_else(|| PadesError::Refused("no free signature field name".into()))?,
    };

    let mut w = IncrementalWriter::new(doc)?;
    let mut sig = Dict::new();
    sig.set("Type", Object::name("Sig"));
    sig.set("Filter", Object::name("Adobe.PPKLite"));
    sig.set("SubFilter", Object::name("ETSI.CAdES.detached"));
    sig.set("M", PdfString::literal(pdf_date(options.claimed_time)));
    if let Some(r) = &options.reason {
        sig.set("Reason", PdfString::text(r));
    }
    if let Some(l) = &options.location {
        sig.set("Location", PdfString::text(l));
    }
    if let Some(c) = options.certify {
        let mut params = Dict::new();
        params.set("Type", Object::name("TransformParams"));
        params.set("P", c.p());
        params.set("V", Object::name("1.2"));
        let mut sigref = Dict::new();
        sigref.set("Type", Object::name("SigRef"));
        sigref.set("TransformMethod", Object::name("DocMDP"));
        sigref.set("TransformParams", params);
        sig.set("Reference", vec![Object::Dict(sigref)]);
    }
    let value = w.add_signature_dictionary(sig, certs_len.saturating_add(CONTENTS_MARGIN))?;

    let placed = match &options.appearance {
        Some(a) => a.add_to(doc, &mut w)?,
        None => None,
    };
    let (page, rect, appearance) = match placed {
        Some(p) => (p.page, p.rect, Some(p.appearance)),
        None => (0, [0.0; 4], None),
    };
    w.add_signature_field(&SignatureField {
        name: &field_name,
        page,
        rect,
        appearance,
        value: Some(value),
    })?;
    if options.certify.is_some() {
        let mut perms = Dict::new();
        perms.set("DocMDP", value);
        set_catalog_entry(&mut w, "Perms", perms)?;
    }
    Ok((w.finish()?, field_name))
}

/// Gives the catalog `key` = `value` in the update `w` (`/Perms` of a certification, `/DSS`).
pub(super) fn set_catalog_entry<S: ByteSource>(
    w: &mut IncrementalWriter<'_, S>,
    key: &str,
    value: impl Into<Object>,
) -> Result<(), PadesError> {
    let root = w.catalog_ref()?;
    let mut catalog = match w.current(root)? {
        Object::Dict(d) => d,
        _ => {
            return Err(PadesError::Refused(
                "the catalog is not a dictionary".into(),
            ))
        }
    };
    catalog.set(key, value);
    w.replace_object(root, catalog);
    Ok(())
}

/// Room in `/Contents` for a document timestamp token: the TSA's signature, TSTInfo and the
/// TSA certificate with its chain (typically 3–6 KB).
pub const TIMESTAMP_CAPACITY: usize = 16 * 1024;

/// Adds a document timestamp (ETSI EN 319 142-1 §5.4.3, `/SubFilter /ETSI.RFC3161`): a new
/// revision whose signature dictionary holds an RFC 3161 token over the SHA-256 of the covered
/// bytes. `timestamp` gets that digest and returns the token (from a TSA over HTTP, or the
/// in-process authority of `cms`). Verifiers count it as validation data (LTV_ONLY).
pub fn add_document_timestamp<S: ByteSource>(
    doc: &Document<S>,
    timestamp: impl FnOnce(&[u8; 32]) -> Result<Vec<u8>, PadesError>,
) -> Result<SignedUpdate, PadesError> {
    let existing = fields::fields_in(doc, doc.last_revision())?;
    let field_name = (1..=MAX_FIELD_NUMBER)
        .map(|i| format!("DocTimeStamp{i}"))
        .find(|n| !existing.iter().any(|f| &f.name == n))
        .ok_or_else(|| PadesError::Refused("no free field name".into()))?;
    let mut w = IncrementalWriter::new(doc)?;
    let mut sig = Dict::new();
    sig.set("Type", Object::name("DocTimeStamp"));
    sig.set("Filter", Object::name("Adobe.PPKLite"));
    sig.set("SubFilter", Object::name("ETSI.RFC3161"));
    let value = w.add_signature_dictionary(sig, TIMESTAMP_CAPACITY)?;
    w.add_signature_field(&SignatureField {
        name: &field_name,
        page: 0,
        rect: [0.0; 4],
        appearance: None,
        value: Some(value),
    })?;
    let mut update = w.finish()?;
    let prefix = hash_document(doc)?;
    let digest = signed_digest(&prefix, &update)?;
    let token = timestamp(&digest)?;
    update.embed_signature(&token)?;
    Ok(SignedUpdate {
        revision_sha256: revision_digest(prefix, &update),
        update,
        field_name,
        digest,
    })
}

/// The bytes to append to `bytes` (a complete PDF) for long-term validation: a revision adding
/// `material` to `/DSS` (when anything is new), then, with a `timestamper`, a document
/// timestamp over everything (B-LTA). The original bytes stay as they are, so hashes of
/// earlier revisions still match.
pub fn extend(
    bytes: &[u8],
    material: &super::ltv::ValidationMaterial,
    timestamper: Option<&dyn Timestamper>,
) -> Result<Vec<u8>, PadesError> {
    let doc = Document::open(bytes)?;
    let mut tail = match super::ltv::add_dss(&doc, material)? {
        Some(update) => update.bytes,
        None => Vec::new(),
    };
    if let Some(t) = timestamper {
        let combined = [bytes, &tail].concat();
        let doc = Document::open(combined.as_slice())?;
        let stamped = add_document_timestamp(&doc, |digest| t.timestamp(digest))?;
        tail.extend_from_slice(&stamped.update.bytes);
    }
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pdf_date_is_in_vietnam_time() {
        assert_eq!(
            pdf_date(datetime!(2026-01-31 20:30:05 UTC)),
            "D:20260201033005+07'00'"
        );
    }

    #[test]
    fn docmdp_p_values() {
        assert_eq!(Certification::NoChanges.p(), 1);
        assert_eq!(Certification::FormFilling.p(), 2);
    }
}

//! `POST /v1/verify`: the verification report of DESIGN.md, plus what the ledger knows of each
//! signature's signed revision. An issued document is locked: for a document the ledger knows,
//! any change after the issuing revision other than validation data (LTV_ONLY) fails the
//! document, whatever DocMDP allows; a revoked or superseded document fails too.

use axum::extract::{Query, Request, State};
use axum::Json;
use serde::Deserialize;
use time::OffsetDateTime;

use super::documents::{record_by_revision_hash, DocumentRecord, DocumentStatus};
use super::error::{blocking, unreadable_pdf, ApiError, ErrorBody};
use super::state::AppState;
use crate::pades::{self, Changes, DocumentReport, PadesError, VerifyOptions};
use crate::pdf::salvage::open_salvaging;
use crate::pdf::{ByteSource, Document, Revision};
use crate::pki::RevocationPolicy;
use crate::verdict::Indication;

/// Options of a verification.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// Revocation policy (`require`, `soft-fail`, `off`); default the configured one.
    #[param(value_type = Option<String>)]
    pub revocation: Option<RevocationPolicy>,
}

/// What the ledger says about one signature's signed revision.
#[derive(Debug, Clone, serde::Serialize)]
struct SignatureLedger {
    /// SHA-256 (hex) of the file up to the end of the revision the signature covers.
    revision_sha256: Option<String>,
    /// The ledger records this revision.
    known: bool,
    /// The document's status, when known.
    status: Option<DocumentStatus>,
    revoked: bool,
    /// The record with inclusion proofs and checkpoint, when known.
    record: Option<DocumentRecord>,
}

/// The prefixes of the file a revision may have been recorded under, when the signature check
/// did not already hash them (its CMS was unreadable): up to its `%%EOF` line end, and up to the
/// marker itself when they differ.
fn revision_hashes<S: ByteSource>(doc: &Document<S>, rev: &Revision) -> Vec<[u8; 32]> {
    pades::digest_covered(doc, &[], &[], Some(rev))
        .ok()
        .and_then(|d| d.revision)
        .map(|h| h.candidates())
        .unwrap_or_default()
}

fn check_signatures<S: ByteSource>(
    state: &AppState,
    doc: &Document<S>,
    report: &DocumentReport,
    reasons: &mut Vec<String>,
    worst: &mut Indication,
    ledger_status: &mut Option<DocumentStatus>,
) -> Result<Vec<SignatureLedger>, ApiError> {
    let mut out = Vec::with_capacity(report.signatures.len());
    for sig in &report.signatures {
        let revision = sig.revision.and_then(|r| doc.revisions().get(r));
        let mut found = None;
        let mut hash_hex = None;
        if let Some(rev) = revision {
            let hashes = match &sig.revision_hashes {
                Some(h) => h.candidates(),
                None => revision_hashes(doc, rev),
            };
            for h in hashes {
                hash_hex.get_or_insert_with(|| hex::encode(h));
                if let Some(rec) = record_by_revision_hash(state, &h)? {
                    hash_hex = Some(hex::encode(h));
                    found = Some(rec);
                    break;
                }
            }
        }
        if let Some(rec) = &found {
            if !matches!(sig.changes_after, Changes::None | Changes::LtvOnly) {
                *worst = Indication::TotalFailed;
                reasons.push(format!(
                    "văn bản đã ban hành bị sửa đổi sau khi ký / the issued document was changed \
                     after its issuing signature {} ({:?}); only validation data may be added",
                    sig.field, sig.changes_after
                ));
            }
            if rec.status != DocumentStatus::Valid {
                *worst = Indication::TotalFailed;
                reasons.push(match rec.status {
                    DocumentStatus::Revoked => {
                        "văn bản đã bị thu hồi / the document was revoked by its issuer".to_owned()
                    }
                    _ => "văn bản đã được thay thế / the document was superseded".to_owned(),
                });
            }
            let s = ledger_status.get_or_insert(rec.status);
            if rec.status != DocumentStatus::Valid {
                *s = rec.status;
            }
        }
        out.push(SignatureLedger {
            revision_sha256: hash_hex,
            known: found.is_some(),
            status: found.as_ref().map(|r| r.status),
            revoked: found
                .as_ref()
                .is_some_and(|r| r.status == DocumentStatus::Revoked),
            record: found,
        });
    }
    Ok(out)
}

fn verify_blocking<S: ByteSource>(
    state: &AppState,
    pdf: &S,
    policy: RevocationPolicy,
) -> Result<serde_json::Value, ApiError> {
    let (doc, damage) = open_salvaging(pdf).map_err(|e| unreadable_pdf(&e))?;
    let trust = state.trust.get();
    let options = VerifyOptions {
        now: OffsetDateTime::now_utc(),
        trust: &trust.anchors,
        revocation: &trust.revocation,
        revocation_policy: policy,
    };
    let mut report = pades::verify(&doc, &options).map_err(|e| match e {
        PadesError::Pdf(p) => unreadable_pdf(&p),
        other => ApiError::UnreadablePdf(format!("the signatures could not be read: {other}")),
    })?;
    if let Some(d) = &damage {
        report.unreadable_tail(d);
    }
    let mut reasons = Vec::new();
    let mut worst = report.indication;
    let mut status = None;
    let ledger = check_signatures(state, &doc, &report, &mut reasons, &mut worst, &mut status)?;
    state.metrics.record_verification();
    let mut value = serde_json::to_value(&report).map_err(ApiError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "pdf_indication".into(),
            serde_json::to_value(report.indication).map_err(ApiError::internal)?,
        );
        obj.insert(
            "indication".into(),
            serde_json::to_value(report.indication.worst(worst)).map_err(ApiError::internal)?,
        );
        obj.insert(
            "ledger_status".into(),
            match status {
                Some(s) => serde_json::to_value(s).map_err(ApiError::internal)?,
                None => "unknown".into(),
            },
        );
        obj.insert("ledger_reasons".into(), reasons.into());
        if let Some(sigs) = obj.get_mut("signatures").and_then(|s| s.as_array_mut()) {
            for (sig, l) in sigs.iter_mut().zip(ledger) {
                if let Some(o) = sig.as_object_mut() {
                    o.insert(
                        "ledger".into(),
                        serde_json::to_value(l).map_err(ApiError::internal)?,
                    );
                }
            }
        }
    }
    Ok(value)
}

/// Verify a signed PDF.
#[utoipa::path(
    post,
    path = "/v1/verify",
    params(VerifyParams),
    request_body(content = Vec<u8>, description = "The PDF", content_type = "application/pdf"),
    responses(
        (status = 200, description = "The report (DESIGN.md verdicts), `indication` after the ledger rules, `pdf_indication` from the file alone, `ledger_status`, and per signature `ledger`", body = Object),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not application/pdf", body = ErrorBody),
        (status = 422, description = "Unreadable PDF", body = ErrorBody),
        (status = 503, description = "Busy; see Retry-After", body = ErrorBody),
    ),
    tag = "verification"
)]
pub async fn verify(
    State(state): State<AppState>,
    query: Result<Query<VerifyParams>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = query
        .map_err(|e| ApiError::BadRequest(format!("query parameters: {}", e.body_text())))?
        .0;
    let policy = params.revocation.unwrap_or(state.revocation_policy);
    let pdf = super::body::read_pdf_pieces(req, state.limits.max_body_bytes).await?;
    let st = state.clone();
    let value = blocking(move || verify_blocking(&st, &pdf, policy)).await?;
    Ok(Json(value))
}

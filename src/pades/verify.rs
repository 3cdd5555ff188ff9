//! PAdES verification: every signature field with a value and every document timestamp is
//! checked for byte-range integrity, digest, CMS signature, ESS binding, chain (at the trusted
//! time) and the changes made after it.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::changes::{analyse_changes, docmdp_permission, Changes};
use super::digest::digest_covered;
use super::error::PadesError;
use super::fields::{signature_fields, FieldInfo};
use super::ltv::{dss_material, Level};
use super::report::{Coverage, DocumentReport, SignatureReport, SignerSummary};
use crate::cms::{
    read_tst_info, verify_timestamp, verify_timestamp_digest, DigestAlgorithm, EssStatus, Problem,
    SignedData,
};
use crate::pdf::{check_byte_range, ByteSource, Dict, Document, ObjRef, Object};
use crate::pki::crl::Crl;
use crate::pki::ocsp::OcspResponse;
use crate::pki::profile::Profile;
use crate::pki::report::PathCert;
use crate::pki::{
    validate_chain, Certificate, RevocationData, RevocationPolicy, TrustStore, ValidationOptions,
};
use crate::verdict::{Indication, SubIndication};

/// The RFC 3161 time-stamping EKU (RFC 3161 §2.3), required of a TSA certificate.
const EKU_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// Most signatures and document timestamps verified in one document: a decision carries a
/// few; each costs a digest pass over the file and a change analysis, so the work is bounded.
/// A document with more is not TOTAL_PASSED.
pub const MAX_SIGNATURES: usize = 50;

/// What a verification is measured against.
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    /// The current time: the validation time of a signature without a valid timestamp.
    pub now: OffsetDateTime,
    pub trust: &'a TrustStore,
    /// CRLs and OCSP responses supplied by the caller.
    pub revocation: &'a RevocationData,
    pub revocation_policy: RevocationPolicy,
}

/// A failed check: what it means and why.
struct Finding {
    indication: Indication,
    sub: SubIndication,
    reason: String,
}

fn failed(sub: SubIndication, reason: impl Into<String>) -> Finding {
    Finding {
        indication: Indication::TotalFailed,
        sub,
        reason: reason.into(),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// `D:YYYYMMDDHHmmSS+HH'mm'` (ISO 32000-1 §7.9.4) as RFC 3339, or the text as written when
/// it is not a complete date.
fn claimed(m: &[u8]) -> String {
    let s = String::from_utf8_lossy(m).to_string();
    let t = s.strip_prefix("D:").unwrap_or(&s);
    let num = |a: usize, b: usize| t.get(a..b).and_then(|x| x.parse::<i32>().ok());
    let parsed = (|| {
        let (y, mo, d, h, mi, se) = (
            num(0, 4)?,
            num(4, 6)?,
            num(6, 8)?,
            num(8, 10)?,
            num(10, 12)?,
            num(12, 14)?,
        );
        let rest = t.get(14..).unwrap_or("");
        let offset = match rest.as_bytes().first() {
            None | Some(b'Z') => UtcOffset::UTC,
            Some(sign @ (b'+' | b'-')) => {
                let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
                let oh: i8 = digits.get(0..2)?.parse().ok()?;
                let om: i8 = digits.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
                let k = if *sign == b'-' { -1 } else { 1 };
                UtcOffset::from_hms(k * oh, k * om, 0).ok()?
            }
            _ => return None,
        };
        let date = time::Date::from_calendar_date(
            y,
            time::Month::try_from(u8::try_from(mo).ok()?).ok()?,
            u8::try_from(d).ok()?,
        )
        .ok()?;
        let tm = time::Time::from_hms(
            u8::try_from(h).ok()?,
            u8::try_from(mi).ok()?,
            u8::try_from(se).ok()?,
        )
        .ok()?;
        Some(date.with_time(tm).assume_offset(offset))
    })();
    parsed.map(rfc3339).unwrap_or(s)
}

/// Verifies every signature and document timestamp of `doc`. `Err` only when the document
/// cannot be read as a PDF; every verdict, however bad, is a report.
pub fn verify<S: ByteSource>(
    doc: &Document<S>,
    options: &VerifyOptions<'_>,
) -> Result<DocumentReport, PadesError> {
    let last = doc.last_revision();
    let mut warnings: Vec<String> = doc
        .diagnostics()
        .iter()
        .filter(|d| d.needs_repair())
        .map(|d| format!("cấu trúc tệp hỏng / broken file structure: {d}"))
        .collect();
    if doc.needs_repair() && warnings.is_empty() {
        warnings.push("cấu trúc tệp hỏng / broken file structure (diagnostics truncated)".into());
    }
    // Fields of every revision: a signature whose field a later revision removed is still
    // verified (and the removal judged by the change analysis of the signatures before it).
    let mut fields: Vec<FieldInfo> = Vec::new();
    for rev in (0..=last).rev() {
        match signature_fields(doc, rev) {
            Ok(found) => {
                for f in found {
                    let known = fields.iter().any(|g| match (g.value_ref, f.value_ref) {
                        (Some(a), Some(b)) => a == b,
                        _ => g.name == f.name && g.has_value == f.has_value,
                    });
                    if !known {
                        fields.push(f);
                    }
                }
            }
            Err(e) => warnings.push(format!("the form of revision {rev} cannot be read: {e}")),
        }
    }
    let dss = match dss_data(doc) {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!("the validation data (/DSS) cannot be read: {e}"));
            DssData::default()
        }
    };
    let embedded = RevocationData {
        crls: dss.crls,
        ocsp: dss.ocsp,
    };
    let mut revocation = options.revocation.clone();
    revocation.crls.extend(embedded.crls.iter().cloned());
    revocation.ocsp.extend(embedded.ocsp.iter().cloned());
    let options = &VerifyOptions {
        revocation: &revocation,
        ..options.clone()
    };
    let docmdp = docmdp_permission(doc).unwrap_or(None);
    let signed: Vec<&FieldInfo> = fields.iter().filter(|f| f.has_value).collect();
    let checked: Vec<&FieldInfo> = signed.iter().take(MAX_SIGNATURES).copied().collect();
    let mut ctx = Context {
        options,
        docmdp,
        extra_certs: &dss.certs,
        embedded: &embedded,
        at: options.now,
        poe: Vec::new(),
    };
    // Document timestamps first, latest first: the latest is judged now, each earlier one at
    // the time of the valid document timestamp that covers it (its proof of existence).
    let mut reports: Vec<Option<SignatureReport>> = vec![None; checked.len()];
    let mut stamps: Vec<(usize, SignatureReport)> = checked
        .iter()
        .enumerate()
        .filter(|(_, f)| is_document_timestamp(doc, f))
        .map(|(i, f)| (i, verify_field(doc, f, &ctx)))
        .collect();
    stamps.sort_by_key(|(_, r)| std::cmp::Reverse(r.revision));
    for (i, report) in stamps {
        let report = if ctx.at == options.now {
            report
        } else {
            checked
                .get(i)
                .map(|f| verify_field(doc, f, &ctx))
                .unwrap_or(report)
        };
        if report.indication == Indication::TotalPassed {
            if let (Some(rev), Some(t)) = (report.revision, report.timestamp_at) {
                ctx.poe.push((rev, t));
                ctx.at = t;
            }
        }
        if let Some(slot) = reports.get_mut(i) {
            *slot = Some(report);
        }
    }
    ctx.at = options.now;
    let dss_revisions: Vec<usize> = (0..=last)
        .filter(|&rev| {
            doc.catalog_in(rev)
                .is_ok_and(|(_, catalog)| catalog.contains("DSS"))
        })
        .collect();
    for (i, field) in checked.iter().enumerate() {
        if let Some(slot @ None) = reports.get_mut(i) {
            let mut report = verify_field(doc, field, &ctx);
            if let (Some(level), Some(rev)) = (report.level, report.revision) {
                let archived = ctx.poe.iter().any(|&(ts_rev, _)| {
                    ts_rev > rev && dss_revisions.iter().any(|&d| d > rev && d <= ts_rev)
                });
                if level == Level::BLt && archived {
                    report.level = Some(Level::BLta);
                }
            }
            *slot = Some(report);
        }
    }
    let signatures: Vec<SignatureReport> = reports.into_iter().flatten().collect();
    let too_many = signed.len() > MAX_SIGNATURES;
    if too_many {
        warnings.push(format!(
            "the document has {} signatures; only the first {MAX_SIGNATURES} were verified",
            signed.len()
        ));
    }
    let indication = if too_many {
        Indication::Indeterminate.worst(
            signatures
                .iter()
                .fold(Indication::TotalPassed, |acc, s| acc.worst(s.indication)),
        )
    } else if signatures.is_empty() {
        warnings.push("tài liệu không có chữ ký / the document has no signature".into());
        Indication::Indeterminate
    } else {
        signatures
            .iter()
            .fold(Indication::TotalPassed, |acc, s| acc.worst(s.indication))
    };
    let level = if indication == Indication::TotalPassed {
        signatures
            .iter()
            .filter(|s| s.kind != "document_timestamp")
            .map(|s| s.level)
            .min()
            .flatten()
    } else {
        None
    };
    Ok(DocumentReport {
        indication,
        warnings,
        revisions: doc.revisions().len(),
        signatures,
        level,
    })
}

/// What every field's verification shares.
struct Context<'a> {
    options: &'a VerifyOptions<'a>,
    docmdp: Option<(ObjRef, i64)>,
    /// Certificates of the `/DSS`.
    extra_certs: &'a [Vec<u8>],
    /// The revocation data embedded in the file (`/DSS`): a signature whose chain these
    /// alone validate has reached B-LT.
    embedded: &'a RevocationData,
    /// When a document timestamp's authority is validated: now for the latest, the next
    /// timestamp's time for the ones it covers.
    at: OffsetDateTime,
    /// Valid document timestamps: the revision each covers and its time.
    poe: Vec<(usize, OffsetDateTime)>,
}

/// Whether the field's signature dictionary is a document timestamp (`/Type /DocTimeStamp`
/// or `/SubFilter /ETSI.RFC3161`).
fn is_document_timestamp<S: ByteSource>(doc: &Document<S>, field: &FieldInfo) -> bool {
    let Some(r) = field.value_ref else {
        return false;
    };
    doc.dict_in(
        doc.last_revision(),
        &Object::Ref(r),
        "the signature dictionary",
    )
    .is_ok_and(|sig| {
        sig.get_name("Type") == Some(b"DocTimeStamp")
            || sig.get_name("SubFilter") == Some(b"ETSI.RFC3161")
    })
}

fn verify_field<S: ByteSource>(
    doc: &Document<S>,
    field: &FieldInfo,
    ctx: &Context<'_>,
) -> SignatureReport {
    let options = ctx.options;
    let mut report = SignatureReport {
        field: field.name.clone(),
        kind: "signature",
        sub_filter: None,
        indication: Indication::TotalPassed,
        sub_indication: None,
        reason: String::new(),
        warnings: Vec::new(),
        signer: None,
        claimed_time: None,
        timestamp_time: None,
        validation_time: rfc3339(options.now),
        intact: false,
        coverage: Coverage::Partial,
        changes_after: Changes::None,
        docmdp: None,
        revision: None,
        path: Vec::new(),
        level: None,
        time_source: "current_time",
        timestamp_at: None,
        revision_hashes: None,
    };
    let mut findings: Vec<Finding> = Vec::new();
    check_field(doc, field, ctx, &mut report, &mut findings);
    if doc.needs_repair() {
        findings.push(failed(
            SubIndication::FormatFailure,
            "cấu trúc tệp hỏng, cần sửa chữa / the file's structure is broken and would need \
             repair, so what a viewer shows is not certain",
        ));
    }
    let worst = findings
        .iter()
        .enumerate()
        .max_by_key(|(i, f)| (f.indication, std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    match worst {
        Some(i) => {
            let main = findings.swap_remove(i);
            report.indication = main.indication;
            report.sub_indication = Some(main.sub);
            report.reason = main.reason;
            report
                .warnings
                .extend(findings.into_iter().map(|f| f.reason));
        }
        None => {
            report.indication = Indication::TotalPassed;
            report.reason = "chữ ký hợp lệ / the signature is valid".into();
        }
    }
    if report.indication != Indication::TotalPassed {
        report.level = None;
    }
    report
}

fn check_field<S: ByteSource>(
    doc: &Document<S>,
    field: &FieldInfo,
    ctx: &Context<'_>,
    report: &mut SignatureReport,
    findings: &mut Vec<Finding>,
) {
    let docmdp = ctx.docmdp;
    let last = doc.last_revision();
    let Some(sig_ref) = field.value_ref else {
        findings.push(failed(
            SubIndication::FormatFailure,
            "the signature value (/V) is not an indirect object",
        ));
        return;
    };
    let sig: Dict = match doc.dict_in(last, &Object::Ref(sig_ref), "the signature dictionary") {
        Ok(d) => d,
        Err(e) => {
            findings.push(failed(
                SubIndication::FormatFailure,
                format!("{sig_ref}: {e}"),
            ));
            return;
        }
    };
    let sub_filter = sig
        .get_name("SubFilter")
        .map(|s| String::from_utf8_lossy(s).into_owned());
    report.sub_filter = sub_filter.clone();
    let is_doc_ts = sig.get_name("Type") == Some(b"DocTimeStamp")
        || sub_filter.as_deref() == Some("ETSI.RFC3161");
    if is_doc_ts {
        report.kind = "document_timestamp";
    }
    if let Some((r, p)) = docmdp {
        if r == sig_ref {
            report.kind = "certification";
            report.docmdp = Some(p);
        }
    }
    report.claimed_time = sig
        .get("M")
        .and_then(Object::as_string)
        .map(|s| claimed(&s.bytes));

    // Byte range: starts at 0, the only gap is this /Contents, ends at a revision end.
    let check = match check_byte_range(doc, last, sig_ref) {
        Ok(c) => c,
        Err(e) => {
            findings.push(failed(
                SubIndication::FormatFailure,
                format!("the byte range of {sig_ref} cannot be checked: {e}"),
            ));
            return;
        }
    };
    if !check.is_consistent() {
        findings.push(failed(
            SubIndication::FormatFailure,
            format!(
                "vùng ký không hợp lệ / the /ByteRange {:?} is not consistent: {:?}",
                check.byte_range, check.problems
            ),
        ));
    }
    let covered_end = check.covered_end.unwrap_or(0);
    let revision = doc.revision_ending_at(covered_end);
    report.revision = revision;
    report.coverage = if !check.is_consistent() {
        Coverage::Partial
    } else if covered_end == doc.len() {
        Coverage::EntireFile
    } else if revision.is_some() {
        Coverage::EntireRevision
    } else {
        Coverage::Partial
    };
    if check.is_consistent() && revision.is_none() {
        findings.push(failed(
            SubIndication::FormatFailure,
            format!(
                "vùng ký không kết thúc ở cuối một phiên bản / the signed bytes end at offset \
                 {covered_end}, which is not the end of any revision"
            ),
        ));
    }
    let Some(ranges) = check.ranges() else {
        return;
    };
    if !check.problems.is_empty()
        && check.problems.iter().any(|p| {
            matches!(
                p,
                crate::pdf::ByteRangeProblem::OutOfBounds
                    | crate::pdf::ByteRangeProblem::Overlapping
            )
        })
    {
        return;
    }
    let contents = match sig.get("Contents").and_then(Object::as_string) {
        Some(s) => s.bytes.clone(),
        None => {
            findings.push(failed(
                SubIndication::FormatFailure,
                "chữ ký không có /Contents / the signature dictionary has no /Contents",
            ));
            return;
        }
    };

    if is_doc_ts {
        check_document_timestamp(doc, &ranges, &contents, ctx, report, findings);
    } else {
        match sub_filter.as_deref() {
            Some("ETSI.CAdES.detached") | Some("adbe.pkcs7.detached") => {}
            other => {
                findings.push(failed(
                    SubIndication::FormatFailure,
                    format!("unsupported /SubFilter {}", other.unwrap_or("(none)")),
                ));
                return;
            }
        }
        check_cms(doc, &ranges, &contents, ctx, report, findings);
    }

    // Changes after the covered revision.
    if let Some(rev) = revision {
        if check.is_consistent() {
            let permission = docmdp.map(|(_, p)| p);
            match analyse_changes(doc, rev, permission, field.field) {
                Ok(analysis) => {
                    report.changes_after = analysis.level;
                    if let Some(reason) = analysis.violation {
                        findings.push(failed(SubIndication::FormatFailure, reason));
                    }
                    report.warnings.extend(analysis.notes);
                }
                Err(e) => findings.push(failed(
                    SubIndication::FormatFailure,
                    format!("the revisions after the signature cannot be analysed: {e}"),
                )),
            }
        }
    }
}

fn check_cms<S: ByteSource>(
    doc: &Document<S>,
    ranges: &[(u64, u64); 2],
    contents: &[u8],
    ctx: &Context<'_>,
    report: &mut SignatureReport,
    findings: &mut Vec<Finding>,
) {
    let options = ctx.options;
    let signed = match SignedData::parse(contents) {
        Ok(s) => s,
        Err(e) => {
            findings.push(failed(
                SubIndication::FormatFailure,
                format!("/Contents is not a CMS signature: {e}"),
            ));
            return;
        }
    };
    let revision = report.revision.and_then(|r| doc.revisions().get(r));
    let digests = match digest_covered(doc, ranges, &signed.required_digests(), revision) {
        Ok(d) => {
            report.revision_hashes = d.revision;
            d.digests
        }
        Err(e) => {
            findings.push(failed(SubIndication::FormatFailure, e.to_string()));
            return;
        }
    };
    let cms = match signed.verify(&digests) {
        Ok(c) => c,
        Err(e) => {
            findings.push(failed(SubIndication::FormatFailure, e.to_string()));
            return;
        }
    };
    for p in &cms.problems {
        findings.push(failed(SubIndication::FormatFailure, p.to_string()));
    }
    let Some(signer) = cms.signers.first() else {
        return;
    };
    report.intact = signer.digest_ok && signer.signature_ok;
    if !signer.digest_ok {
        findings.push(failed(
            SubIndication::HashFailure,
            "nội dung đã bị thay đổi sau khi ký / the signed bytes do not match the signature's \
             message digest",
        ));
    }
    if !signer.signature_ok {
        findings.push(failed(
            SubIndication::SigCryptoFailure,
            "giá trị chữ ký sai / the signature value does not verify with the signer's key",
        ));
    }
    if !signer.content_type_ok || signer.ess == EssStatus::Mismatch {
        findings.push(failed(
            SubIndication::FormatFailure,
            "the content-type or ESS signing-certificate attribute is wrong",
        ));
    }
    for p in &signer.problems {
        match p {
            Problem::MessageDigestMismatch | Problem::SignatureInvalid | Problem::EssMismatch => {}
            other => report.warnings.push(other.to_string()),
        }
    }
    if report.claimed_time.is_none() {
        report.claimed_time = signer.signing_time.map(rfc3339);
    }
    let Some(cert_der) = &signer.signer_certificate else {
        findings.push(Finding {
            indication: Indication::Indeterminate,
            sub: SubIndication::NoSignerCertificateFound,
            reason: "không tìm thấy chứng thư của người ký / the signer's certificate is not in \
                     the signature"
                .into(),
        });
        return;
    };

    // Trusted time: a valid signature timestamp with a valid TSA chain.
    let mut time = options.now;
    let mut tsa_embedded_ok = false;
    for token in &signer.signature_timestamps {
        match verify_timestamp(token, &signer.signature_value, None) {
            Ok(ts) if ts.is_valid() => {
                let at = ts.info.gen_time;
                match tsa_chain_ok(&ts.cms.signers, &ts.cms.certificates, at, options) {
                    Ok(()) if report.timestamp_at.is_none() => {
                        time = at;
                        report.timestamp_time = Some(rfc3339(at));
                        report.timestamp_at = Some(at);
                        report.time_source = "signature_timestamp";
                        let embedded_only = VerifyOptions {
                            revocation: ctx.embedded,
                            revocation_policy: RevocationPolicy::Require,
                            ..options.clone()
                        };
                        let mut certs = ts.cms.certificates.clone();
                        certs.extend(ctx.extra_certs.iter().cloned());
                        tsa_embedded_ok =
                            tsa_chain_ok(&ts.cms.signers, &certs, at, &embedded_only).is_ok();
                    }
                    Ok(()) => report
                        .warnings
                        .push("a further signature timestamp was not used".into()),
                    Err(why) => report.warnings.push(format!(
                        "the signature timestamp's authority is not trusted: {why}"
                    )),
                }
            }
            Ok(ts) => report.warnings.push(format!(
                "the signature timestamp does not verify: {:?}",
                ts.problems
            )),
            Err(e) => report
                .warnings
                .push(format!("the signature timestamp cannot be read: {e}")),
        }
    }
    if report.timestamp_at.is_none() {
        // A valid document timestamp over this signature's revision proves it existed then.
        let covering = report.revision.and_then(|rev| {
            ctx.poe
                .iter()
                .filter(|&&(ts_rev, _)| ts_rev >= rev)
                .map(|&(_, t)| t)
                .min()
        });
        if let Some(t) = covering {
            time = t;
            report.time_source = "document_timestamp";
        }
    }
    report.validation_time = rfc3339(time);
    let mut certs = cms.certificates.clone();
    certs.extend(ctx.extra_certs.iter().cloned());
    let cms_crls: Vec<Crl> = cms
        .crls
        .iter()
        .filter_map(|c| Crl::from_der(c).ok())
        .collect();
    let mut revocation = options.revocation.clone();
    revocation.crls.extend(cms_crls.iter().cloned());
    let options_all = &VerifyOptions {
        revocation: &revocation,
        ..options.clone()
    };
    let passed = chain(cert_der, &certs, time, options_all, report, findings);
    if passed {
        report.level = Some(if report.timestamp_at.is_some() {
            let mut embedded = ctx.embedded.clone();
            embedded.crls.extend(cms_crls);
            let embedded_only = VerifyOptions {
                revocation: &embedded,
                revocation_policy: RevocationPolicy::Require,
                ..options.clone()
            };
            let mut scratch_report = report.clone();
            let mut scratch = Vec::new();
            if tsa_embedded_ok
                && chain(
                    cert_der,
                    &certs,
                    time,
                    &embedded_only,
                    &mut scratch_report,
                    &mut scratch,
                )
            {
                Level::BLt
            } else {
                Level::BT
            }
        } else {
            Level::BB
        });
    }
}

fn tsa_chain_ok(
    signers: &[crate::cms::SignerReport],
    certs: &[Vec<u8>],
    at: OffsetDateTime,
    options: &VerifyOptions<'_>,
) -> Result<(), String> {
    let der = signers
        .first()
        .and_then(|s| s.signer_certificate.as_ref())
        .ok_or("no TSA certificate")?;
    let leaf = Certificate::from_der(der).map_err(|e| e.to_string())?;
    let intermediates: Vec<Certificate> = certs
        .iter()
        .filter_map(|c| Certificate::from_der(c).ok())
        .collect();
    let vo = ValidationOptions {
        profile: Profile::Any,
        required_eku: Some(EKU_TIME_STAMPING.into()),
        revocation_policy: options.revocation_policy,
        ..ValidationOptions::new(at)
    };
    let r = validate_chain(
        &leaf,
        &intermediates,
        options.trust,
        options.revocation,
        &vo,
    )
    .map_err(|e| e.to_string())?;
    if r.is_valid() {
        Ok(())
    } else {
        Err(r.reason)
    }
}

/// Validates the signer's chain at `time` into `report`; true when it passed.
fn chain(
    cert_der: &[u8],
    embedded: &[Vec<u8>],
    time: OffsetDateTime,
    options: &VerifyOptions<'_>,
    report: &mut SignatureReport,
    findings: &mut Vec<Finding>,
) -> bool {
    let leaf = match Certificate::from_der(cert_der) {
        Ok(c) => c,
        Err(e) => {
            findings.push(failed(
                SubIndication::FormatFailure,
                format!("the signer's certificate cannot be read: {e}"),
            ));
            return false;
        }
    };
    let p = PathCert::of(&leaf);
    report.signer = Some(SignerSummary {
        subject: p.subject,
        serial: p.serial,
        sha256: p.sha256,
    });
    let intermediates: Vec<Certificate> = embedded
        .iter()
        .filter(|c| c.as_slice() != cert_der)
        .filter_map(|c| Certificate::from_der(c).ok())
        .collect();
    let vo = ValidationOptions {
        profile: Profile::DocumentSigning,
        revocation_policy: options.revocation_policy,
        ..ValidationOptions::new(time)
    };
    match validate_chain(
        &leaf,
        &intermediates,
        options.trust,
        options.revocation,
        &vo,
    ) {
        Ok(r) => {
            report.path = r.path.clone();
            report.warnings.extend(r.warnings.iter().cloned());
            if !r.is_valid() {
                findings.push(Finding {
                    indication: r.indication,
                    sub: r
                        .sub_indication
                        .unwrap_or(SubIndication::CertificateChainGeneralFailure),
                    reason: format!("chuỗi chứng thư / certificate chain: {}", r.reason),
                });
            }
            r.is_valid()
        }
        Err(e) => {
            findings.push(Finding {
                indication: Indication::Indeterminate,
                sub: SubIndication::CertificateChainGeneralFailure,
                reason: format!("the chain could not be evaluated: {e}"),
            });
            false
        }
    }
}

fn check_document_timestamp<S: ByteSource>(
    doc: &Document<S>,
    ranges: &[(u64, u64); 2],
    contents: &[u8],
    ctx: &Context<'_>,
    report: &mut SignatureReport,
    findings: &mut Vec<Finding>,
) {
    let options = ctx.options;
    let info = match read_tst_info(trim_padding(contents)) {
        Ok(i) => i,
        Err(e) => {
            findings.push(failed(
                SubIndication::FormatFailure,
                format!("/Contents is not an RFC 3161 token: {e}"),
            ));
            return;
        }
    };
    let algorithms: Vec<DigestAlgorithm> = info.imprint_algorithm.into_iter().collect();
    let digests = match digest_covered(doc, ranges, &algorithms, None) {
        Ok(d) => d.digests,
        Err(e) => {
            findings.push(failed(SubIndication::FormatFailure, e.to_string()));
            return;
        }
    };
    match verify_timestamp_digest(trim_padding(contents), &digests, None) {
        Ok(ts) => {
            report.intact = ts.imprint_ok && ts.cms.signers.iter().all(|s| s.signature_ok);
            report.timestamp_time = Some(rfc3339(ts.info.gen_time));
            report.timestamp_at = Some(ts.info.gen_time);
            report.validation_time = rfc3339(ctx.at);
            if ctx.at != options.now {
                report.time_source = "document_timestamp";
            }
            if !ts.imprint_ok {
                findings.push(failed(
                    SubIndication::HashFailure,
                    "the document timestamp's imprint does not match the covered bytes",
                ));
            } else if !ts.is_valid() {
                findings.push(failed(
                    SubIndication::SigCryptoFailure,
                    format!("the document timestamp does not verify: {:?}", ts.problems),
                ));
            }
            if let Some(der) = ts
                .cms
                .signers
                .first()
                .and_then(|s| s.signer_certificate.clone())
            {
                if let Ok(c) = Certificate::from_der(&der) {
                    let p = PathCert::of(&c);
                    report.signer = Some(SignerSummary {
                        subject: p.subject,
                        serial: p.serial,
                        sha256: p.sha256,
                    });
                }
            }
            let mut certs = ts.cms.certificates.clone();
            certs.extend(ctx.extra_certs.iter().cloned());
            if let Err(why) = tsa_chain_ok(&ts.cms.signers, &certs, ctx.at, options) {
                findings.push(Finding {
                    indication: Indication::Indeterminate,
                    sub: SubIndication::NoCertificateChainFound,
                    reason: format!("the timestamp authority's chain: {why}"),
                });
            }
        }
        Err(e) => findings.push(failed(
            SubIndication::FormatFailure,
            format!("the document timestamp cannot be verified: {e}"),
        )),
    }
}

/// Validation data of the document's `/DSS` (ETSI EN 319 142-1 §5.4.2), parsed; entries that
/// do not parse are left out (they cannot vouch for anything).
#[derive(Default)]
struct DssData {
    certs: Vec<Vec<u8>>,
    crls: Vec<Crl>,
    ocsp: Vec<OcspResponse>,
}

fn dss_data<S: ByteSource>(doc: &Document<S>) -> Result<DssData, PadesError> {
    let raw = dss_material(doc)?;
    Ok(DssData {
        crls: raw
            .crls
            .iter()
            .filter_map(|d| Crl::from_der(d).ok())
            .collect(),
        ocsp: raw
            .ocsp
            .iter()
            .filter_map(|d| OcspResponse::from_der(d).ok())
            .collect(),
        certs: raw.certs,
    })
}

/// The token without the zero bytes that fill the rest of the `/Contents` placeholder.
fn trim_padding(contents: &[u8]) -> &[u8] {
    let end = crate::pki::source::der_length(contents).unwrap_or(contents.len());
    contents.get(..end).unwrap_or(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_time_reads_pdf_dates() {
        assert_eq!(
            claimed(b"D:20260201033005+07'00'"),
            "2026-02-01T03:30:05+07:00"
        );
        assert_eq!(claimed(b"D:20260201033005Z"), "2026-02-01T03:30:05Z");
        assert_eq!(
            claimed(b"D:20260201033005-05'30"),
            "2026-02-01T03:30:05-05:30"
        );
        // Not a complete date: reported as written.
        assert_eq!(claimed(b"D:2026"), "D:2026");
        assert_eq!(claimed(b"D:20261301000000Z"), "D:20261301000000Z");
    }

    #[test]
    fn padding_after_the_token_is_ignored() {
        let token = [0x30, 0x03, 0x02, 0x01, 0x05, 0, 0, 0];
        assert_eq!(trim_padding(&token), &token[..5]);
    }
}

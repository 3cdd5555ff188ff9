//! `POST /v1/certificates/validate`: RFC 5280 validation of a chain against the configured
//! trust anchors and revocation data.

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::Json;
use base64::Engine as _;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::{blocking, ApiError, ErrorBody};
use super::state::AppState;
use crate::pki::profile::Profile;
use crate::pki::{source, validate_chain, Certificate, RevocationPolicy, ValidationOptions};

/// Largest request: a chain of a few certificates in PEM is a few kilobytes.
pub const MAX_VALIDATE_BODY: u64 = 1024 * 1024;

/// Most certificates accepted in one chain: real paths have 2 to 4.
pub const MAX_CHAIN_CERTIFICATES: usize = 16;

/// A chain to validate.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The end-entity certificate first, then intermediates: each item base64 DER or PEM (a
    /// PEM item may hold several certificates).
    pub chain: Vec<String>,
    /// Validation time (RFC 3339); default now.
    pub time: Option<String>,
    /// `document-signing` (default) or `any`.
    #[schema(value_type = Option<String>)]
    pub profile: Option<Profile>,
    /// `require`, `soft-fail` or `off`; default the configured policy.
    #[schema(value_type = Option<String>)]
    pub revocation: Option<RevocationPolicy>,
}

/// A validation request parsed at the edge: the chain decoded, the time read.
#[derive(Debug, Clone)]
pub struct ParsedValidateRequest {
    /// The end-entity certificate.
    pub leaf: Certificate,
    /// The other certificates given, in request order.
    pub intermediates: Vec<Certificate>,
    /// The requested validation time; `None` means now.
    pub time: Option<OffsetDateTime>,
    /// The requested profile, if any.
    pub profile: Option<Profile>,
    /// The requested revocation policy, if any.
    pub revocation: Option<RevocationPolicy>,
}

/// Parses the JSON body of `POST /v1/certificates/validate`.
pub fn parse_validate_request(body: &[u8]) -> Result<ParsedValidateRequest, ApiError> {
    let request: ValidateRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("not a validation request: {e}")))?;
    let time = match &request.time {
        Some(t) => Some(
            OffsetDateTime::parse(t, &Rfc3339)
                .map_err(|e| ApiError::BadRequest(format!("time is not RFC 3339: {e}")))?,
        ),
        None => None,
    };
    let mut certs = parse_chain(&request.chain)?.into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| ApiError::BadRequest("the chain is empty".into()))?;
    Ok(ParsedValidateRequest {
        leaf,
        intermediates: certs.collect(),
        time,
        profile: request.profile,
        revocation: request.revocation,
    })
}

fn parse_chain(items: &[String]) -> Result<Vec<Certificate>, ApiError> {
    let mut certs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = item.trim();
        let der_or_pem = if text.starts_with("-----BEGIN") {
            text.as_bytes().to_vec()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text.split_whitespace().collect::<String>())
                .map_err(|e| {
                    ApiError::BadRequest(format!("chain[{i}]: neither PEM nor base64 DER: {e}"))
                })?
        };
        let loaded = source::load_certificates(&der_or_pem)
            .map_err(|e| ApiError::BadRequest(format!("chain[{i}]: {e}")))?;
        certs.extend(loaded);
        if certs.len() > MAX_CHAIN_CERTIFICATES {
            return Err(ApiError::BadRequest(format!(
                "more than {MAX_CHAIN_CERTIFICATES} certificates"
            )));
        }
    }
    Ok(certs)
}

/// Validate a certificate chain for document signing.
#[utoipa::path(
    post,
    path = "/v1/certificates/validate",
    request_body(content = ValidateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The chain report (valid or not: see its indication)", body = Object),
        (status = 400, description = "Malformed request or certificate", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
    ),
    tag = "verification"
)]
pub async fn validate(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(ApiError::UnsupportedMediaType(
            "send the chain as application/json".into(),
        ));
    }
    let body = super::body::read_limited(req, MAX_VALIDATE_BODY).await?;
    let request = parse_validate_request(&body)?;
    let (leaf, intermediates) = (request.leaf, request.intermediates);
    let options = ValidationOptions {
        profile: request.profile.unwrap_or_default(),
        revocation_policy: request.revocation.unwrap_or(state.revocation_policy),
        ..ValidationOptions::new(request.time.unwrap_or_else(OffsetDateTime::now_utc))
    };
    let report = blocking(move || {
        let trust = state.trust.get();
        let r = validate_chain(
            &leaf,
            &intermediates,
            &trust.anchors,
            &trust.revocation,
            &options,
        )
        .map_err(|e| ApiError::BadRequest(format!("the chain could not be evaluated: {e}")))?;
        serde_json::to_value(r).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::{X509Name, X509};

    fn self_signed_der() -> Vec<u8> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509Name::builder().unwrap();
        name.append_entry_by_text("CN", "edge test").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        b.build().to_der().unwrap()
    }

    #[test]
    fn chain_items_are_base64_der_or_pem() {
        let der = self_signed_der();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = openssl::x509::X509::from_der(&der)
            .unwrap()
            .to_pem()
            .unwrap();
        let body = serde_json::json!({
            "chain": [b64, String::from_utf8(pem).unwrap()],
            "time": "2026-01-02T03:04:05Z",
            "revocation": "off",
        });
        let r = parse_validate_request(body.to_string().as_bytes()).unwrap();
        assert_eq!(r.intermediates.len(), 1);
        assert_eq!(r.time.map(|t| t.unix_timestamp()), Some(1_767_323_045));
        assert_eq!(r.revocation, Some(RevocationPolicy::Off));
    }

    #[test]
    fn malformed_requests_are_refused() {
        let too_many = serde_json::json!({
            "chain": vec![base64::engine::general_purpose::STANDARD.encode(self_signed_der()); MAX_CHAIN_CERTIFICATES + 1]
        });
        for body in [
            "".to_string(),
            "{}".into(),
            r#"{"chain":[]}"#.into(),
            r#"{"chain":["!!"]}"#.into(),
            r#"{"chain":["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]}"#.into(),
            r#"{"chain":[],"extra":1}"#.into(),
            too_many.to_string(),
        ] {
            assert!(
                matches!(
                    parse_validate_request(body.as_bytes()),
                    Err(ApiError::BadRequest(_))
                ),
                "{body}"
            );
        }
    }
}

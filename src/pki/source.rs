//! Loading certificates from bytes: one or several PEM blocks, a DER certificate (or several
//! concatenated), or a PKCS#7/CMS certs-only bundle in DER or PEM. Pure: the caller reads the
//! file.

use base64::Engine;
use openssl::pkcs7::Pkcs7;

use super::cert::Certificate;
use super::error::PkiError;

/// Most certificates (or other PEM objects) read from one input. A national trust list or a
/// full CA bundle holds a few hundred; 20,000 leaves ample room while bounding memory and the
/// later path-building search (the 10,000-certificate bundle test stays within it).
pub const MAX_OBJECTS_PER_INPUT: usize = 20_000;

/// Largest input accepted, in bytes: 20,000 certificates of a typical 1.5 KiB in PEM form fit
/// comfortably in 64 MiB.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// One PEM block: its label and decoded content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the closing dashes, e.g. `CERTIFICATE`.
    pub label: String,
    /// The base64-decoded content.
    pub der: Vec<u8>,
}

/// True when the input looks like PEM text (a BEGIN line occurs).
pub fn is_pem(data: &[u8]) -> bool {
    find(data, b"-----BEGIN ").is_some()
}

/// Every PEM block of the input, in order (RFC 7468; text outside blocks and RFC 1421 header
/// lines inside them are ignored).
pub fn pem_blocks(data: &[u8]) -> Result<Vec<PemBlock>, PkiError> {
    check_size(data)?;
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(start) = find(rest, b"-----BEGIN ") {
        if out.len() >= MAX_OBJECTS_PER_INPUT {
            return Err(PkiError::TooLarge(format!(
                "more than {MAX_OBJECTS_PER_INPUT} PEM blocks"
            )));
        }
        let after = rest.get(start + 11..).unwrap_or_default();
        let label_end = find(after, b"-----")
            .ok_or_else(|| PkiError::BadPem("unterminated BEGIN line".into()))?;
        let label =
            String::from_utf8_lossy(after.get(..label_end).unwrap_or_default()).into_owned();
        let body = after.get(label_end + 5..).unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        let body_end = find(body, end_marker.as_bytes())
            .ok_or_else(|| PkiError::BadPem(format!("no END line for {label}")))?;
        let text = body.get(..body_end).unwrap_or_default();
        let mut b64 = Vec::with_capacity(text.len());
        for line in text.split(|&b| b == b'\n') {
            if line.contains(&b':') {
                continue;
            }
            b64.extend(line.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .map_err(|e| PkiError::BadPem(format!("{label}: {e}")))?;
        out.push(PemBlock { label, der });
        rest = body.get(body_end + end_marker.len()..).unwrap_or_default();
    }
    Ok(out)
}

/// Loads every certificate held in `data`. Non-certificate PEM blocks (keys, CRLs) are
/// skipped; an input holding no certificate is an error.
pub fn load_certificates(data: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    check_size(data)?;
    let mut out = Vec::new();
    if is_pem(data) {
        for block in pem_blocks(data)? {
            match block.label.as_str() {
                "CERTIFICATE" | "X509 CERTIFICATE" => {
                    push(&mut out, Certificate::from_der(&block.der)?)?
                }
                "TRUSTED CERTIFICATE" => {
                    // OpenSSL appends its trust settings after the certificate.
                    let len = der_length(&block.der).ok_or(PkiError::NoCertificate)?;
                    let cert = block.der.get(..len).ok_or(PkiError::NoCertificate)?;
                    push(&mut out, Certificate::from_der(cert)?)?
                }
                "PKCS7" | "CMS" => {
                    for c in pkcs7_certificates(&block.der)? {
                        push(&mut out, c)?;
                    }
                }
                _ => {}
            }
        }
    } else {
        let mut rest = data;
        while !rest.is_empty() {
            let len = der_length(rest).ok_or_else(|| {
                PkiError::BadCertificate("neither PEM nor a DER structure".into())
            })?;
            let object = rest.get(..len).unwrap_or_default();
            match Certificate::from_der(object) {
                Ok(c) => push(&mut out, c)?,
                Err(cert_err) => match pkcs7_certificates(object) {
                    Ok(list) => {
                        for c in list {
                            push(&mut out, c)?;
                        }
                    }
                    Err(_) => return Err(cert_err),
                },
            }
            rest = rest.get(len..).unwrap_or_default();
        }
    }
    if out.is_empty() {
        return Err(PkiError::NoCertificate);
    }
    Ok(out)
}

/// Loads every object of one kind held in `data`: the PEM blocks labelled `label` (other blocks
/// are skipped), or one or several concatenated DER objects, each read with `parse`. More than
/// `max` objects is [`PkiError::TooLarge`] (`nouns` names them there); a DER input that does not
/// split into structures, or an input holding none, is the error `malformed` makes (`noun`
/// names one object there).
pub(crate) fn load_der_objects<T>(
    data: &[u8],
    label: &str,
    max: usize,
    (noun, nouns): (&str, &str),
    parse: impl Fn(&[u8]) -> Result<T, PkiError>,
    malformed: impl Fn(String) -> PkiError,
) -> Result<Vec<T>, PkiError> {
    let mut out = Vec::new();
    let mut push = |object: T| {
        if out.len() >= max {
            return Err(PkiError::TooLarge(format!("more than {max} {nouns}")));
        }
        out.push(object);
        Ok(())
    };
    if is_pem(data) {
        for block in pem_blocks(data)? {
            if block.label == label {
                push(parse(&block.der)?)?;
            }
        }
    } else {
        let mut rest = data;
        while !rest.is_empty() {
            let len = der_length(rest)
                .ok_or_else(|| malformed("neither PEM nor a DER structure".into()))?;
            push(parse(rest.get(..len).unwrap_or_default())?)?;
            rest = rest.get(len..).unwrap_or_default();
        }
    }
    if out.is_empty() {
        return Err(malformed(format!("the input holds no {noun}")));
    }
    Ok(out)
}

/// The certificates of a PKCS#7/CMS SignedData (a certs-only bundle or any signed message).
pub fn pkcs7_certificates(der: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let p7 = Pkcs7::from_der(der).map_err(|e| PkiError::BadBundle(e.to_string()))?;
    let stack = p7
        .signed()
        .and_then(|s| s.certificates())
        .ok_or_else(|| PkiError::BadBundle("no certificates in the bundle".into()))?;
    if stack.len() > MAX_OBJECTS_PER_INPUT {
        return Err(PkiError::TooLarge(format!(
            "more than {MAX_OBJECTS_PER_INPUT} certificates in a bundle"
        )));
    }
    let mut out = Vec::with_capacity(stack.len());
    for x in stack {
        let d = x.to_der().map_err(|e| PkiError::BadBundle(e.to_string()))?;
        out.push(Certificate::from_der(&d)?);
    }
    Ok(out)
}

fn push(out: &mut Vec<Certificate>, c: Certificate) -> Result<(), PkiError> {
    if out.len() >= MAX_OBJECTS_PER_INPUT {
        return Err(PkiError::TooLarge(format!(
            "more than {MAX_OBJECTS_PER_INPUT} certificates"
        )));
    }
    out.push(c);
    Ok(())
}

fn check_size(data: &[u8]) -> Result<(), PkiError> {
    if data.len() > MAX_INPUT_BYTES {
        return Err(PkiError::TooLarge(format!(
            "input of {} bytes exceeds {MAX_INPUT_BYTES}",
            data.len()
        )));
    }
    Ok(())
}

/// Total length (header plus content) of the definite-length DER object at the start of
/// `data`, if it fits in `data`.
pub fn der_length(data: &[u8]) -> Option<usize> {
    let first = *data.get(1)?;
    let (header, content) = if first < 0x80 {
        (2usize, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*data.get(2 + i)?);
        }
        (2 + n, len)
    };
    let total = header.checked_add(content)?;
    (total <= data.len()).then_some(total)
}

/// Encodes `tag`, the definite length of `content` in the shortest form (X.690 §10.1) and
/// `content`.
pub(crate) fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_der_and_pkcs7_bundles_load() {
        use super::super::rev_testkit::{make_cert, CertSpec};
        use openssl::pkcs7::Pkcs7Flags;
        use openssl::stack::Stack;

        let root = make_cert(CertSpec::ca("Root", 1), None);
        let ee = make_cert(CertSpec::ee("Leaf", 2), Some(&root));
        let mut pem = root.x509.to_pem().unwrap_or_default();
        pem.extend(b"junk between blocks\n");
        pem.extend(ee.x509.to_pem().unwrap_or_default());
        let loaded = load_certificates(&pem).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded, vec![root.cert.clone(), ee.cert.clone()]);

        let mut der = root.x509.to_der().unwrap_or_default();
        der.extend(ee.x509.to_der().unwrap_or_default());
        assert_eq!(load_certificates(&der).map(|v| v.len()).ok(), Some(2));

        let mut extra = Stack::new().unwrap_or_else(|e| panic!("{e}"));
        extra
            .push(root.x509.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let p7 = Pkcs7::sign(&ee.x509, &ee.key, &extra, b"x", Pkcs7Flags::BINARY)
            .unwrap_or_else(|e| panic!("{e}"));
        let p7_der = p7.to_der().unwrap_or_default();
        let from_der = load_certificates(&p7_der).unwrap_or_else(|e| panic!("{e}"));
        assert!(from_der.contains(&root.cert) && from_der.contains(&ee.cert));
        let p7_pem = p7.to_pem().unwrap_or_default();
        assert_eq!(
            load_certificates(&p7_pem).map(|v| v.len()).ok(),
            Some(from_der.len())
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(load_certificates(b"").is_err());
        assert!(load_certificates(b"\x30\x82\x01").is_err());
        assert!(load_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA").is_err());
        assert!(
            load_certificates(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")
                .is_err()
        );
        assert!(load_certificates(&[0x5a; 300]).is_err());
    }
}

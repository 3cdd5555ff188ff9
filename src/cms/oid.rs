//! Object identifiers used by CMS signatures, as DER content octets (X.690 §8.19), and their
//! dotted form for reports.

/// id-data, RFC 5652 §4: 1.2.840.113549.1.7.1.
pub const DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01];
/// id-signedData, RFC 5652 §5.1: 1.2.840.113549.1.7.2.
pub const SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// id-contentType, RFC 5652 §11.1: 1.2.840.113549.1.9.3.
pub const CONTENT_TYPE: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
/// id-messageDigest, RFC 5652 §11.2: 1.2.840.113549.1.9.4.
pub const MESSAGE_DIGEST: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
/// id-signingTime, RFC 5652 §11.3: 1.2.840.113549.1.9.5.
pub const SIGNING_TIME: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];
/// id-aa-signingCertificate, RFC 2634 §5.4: 1.2.840.113549.1.9.16.2.12.
pub const SIGNING_CERTIFICATE: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0C,
];
/// id-aa-signingCertificateV2, RFC 5035 §3: 1.2.840.113549.1.9.16.2.47.
pub const SIGNING_CERTIFICATE_V2: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F,
];
/// id-aa-signatureTimeStampToken, RFC 3161 appendix A: 1.2.840.113549.1.9.16.2.14.
pub const SIGNATURE_TIME_STAMP_TOKEN: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0E,
];

/// id-sha1, RFC 3279 §2.2.1: 1.3.14.3.2.26.
pub const SHA1: &[u8] = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
/// id-sha256, RFC 5754 §2.2: 2.16.840.1.101.3.4.2.1.
pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// id-sha384, RFC 5754 §2.3: 2.16.840.1.101.3.4.2.2.
pub const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
/// id-sha512, RFC 5754 §2.4: 2.16.840.1.101.3.4.2.3.
pub const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// rsaEncryption, RFC 8017 appendix C: 1.2.840.113549.1.1.1.
pub const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// id-mgf1, RFC 8017: 1.2.840.113549.1.1.8.
pub const MGF1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
/// id-RSASSA-PSS, RFC 4055 §3.1: 1.2.840.113549.1.1.10.
pub const RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
/// sha1WithRSAEncryption: 1.2.840.113549.1.1.5.
pub const SHA1_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];
/// sha256WithRSAEncryption, RFC 4055 §5: 1.2.840.113549.1.1.11.
pub const SHA256_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
/// sha384WithRSAEncryption: 1.2.840.113549.1.1.12.
pub const SHA384_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C];
/// sha512WithRSAEncryption: 1.2.840.113549.1.1.13.
pub const SHA512_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D];
/// ecdsa-with-SHA1, RFC 3279 §2.2.3: 1.2.840.10045.4.1.
pub const ECDSA_WITH_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];
/// ecdsa-with-SHA256, RFC 5758 §3.2: 1.2.840.10045.4.3.2.
pub const ECDSA_WITH_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
/// ecdsa-with-SHA384: 1.2.840.10045.4.3.3.
pub const ECDSA_WITH_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
/// ecdsa-with-SHA512: 1.2.840.10045.4.3.4.
pub const ECDSA_WITH_SHA512: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04];
/// id-ecPublicKey, RFC 5480 §2.1.1: 1.2.840.10045.2.1 (some signers put the key algorithm
/// where the signature algorithm belongs).
pub const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];

/// id-ce-subjectKeyIdentifier, RFC 5280 §4.2.1.2: 2.5.29.14.
pub const SUBJECT_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1D, 0x0E];
/// id-ce-extKeyUsage, RFC 5280 §4.2.1.12: 2.5.29.37.
pub const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x25];
/// id-kp-timeStamping, RFC 5280 §4.2.1.12: 1.3.6.1.5.5.7.3.8.
pub const KP_TIME_STAMPING: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
/// id-ct-TSTInfo, RFC 3161 §2.4.2: 1.2.840.113549.1.9.16.1.4.
pub const TST_INFO: &[u8] = &[
    0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04,
];

/// The dotted-decimal form of an OID's content octets, for reports; malformed encodings are
/// shown in hexadecimal.
pub fn dotted(content: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut value: u128 = 0;
    let mut in_arc = false;
    for &b in content {
        if value > (u128::MAX >> 7) {
            return format!("oid:{}", hex::encode(content));
        }
        value = (value << 7) | u128::from(b & 0x7F);
        in_arc = true;
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
            in_arc = false;
        }
    }
    let Some(&first) = arcs.first() else {
        return format!("oid:{}", hex::encode(content));
    };
    if in_arc {
        return format!("oid:{}", hex::encode(content));
    }
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in arcs.iter().skip(1) {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    out
}

/// The content octets of a dotted-decimal OID (for configured policy identifiers); `None`
/// unless it has at least two arcs, a first arc of 0, 1 or 2 and a second below 40 for 0 and 1.
pub fn from_dotted(text: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = text
        .split('.')
        .map(|a| {
            if a.is_empty() || !a.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                a.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let (&first, rest) = arcs.split_first()?;
    let (&second, rest) = rest.split_first()?;
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut out = Vec::new();
    for arc in
        std::iter::once(first.checked_mul(40)?.checked_add(second)?).chain(rest.iter().copied())
    {
        let mut groups = vec![(arc & 0x7F) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            groups.push((v & 0x7F) as u8 | 0x80);
            v >>= 7;
        }
        out.extend(groups.iter().rev());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_their_dotted_form() {
        let cases: &[(&[u8], &str)] = &[
            (DATA, "1.2.840.113549.1.7.1"),
            (SIGNED_DATA, "1.2.840.113549.1.7.2"),
            (CONTENT_TYPE, "1.2.840.113549.1.9.3"),
            (MESSAGE_DIGEST, "1.2.840.113549.1.9.4"),
            (SIGNING_TIME, "1.2.840.113549.1.9.5"),
            (SIGNING_CERTIFICATE, "1.2.840.113549.1.9.16.2.12"),
            (SIGNING_CERTIFICATE_V2, "1.2.840.113549.1.9.16.2.47"),
            (SIGNATURE_TIME_STAMP_TOKEN, "1.2.840.113549.1.9.16.2.14"),
            (SHA1, "1.3.14.3.2.26"),
            (SHA256, "2.16.840.1.101.3.4.2.1"),
            (SHA384, "2.16.840.1.101.3.4.2.2"),
            (SHA512, "2.16.840.1.101.3.4.2.3"),
            (RSA_ENCRYPTION, "1.2.840.113549.1.1.1"),
            (MGF1, "1.2.840.113549.1.1.8"),
            (RSASSA_PSS, "1.2.840.113549.1.1.10"),
            (SHA1_WITH_RSA, "1.2.840.113549.1.1.5"),
            (SHA256_WITH_RSA, "1.2.840.113549.1.1.11"),
            (SHA384_WITH_RSA, "1.2.840.113549.1.1.12"),
            (SHA512_WITH_RSA, "1.2.840.113549.1.1.13"),
            (ECDSA_WITH_SHA1, "1.2.840.10045.4.1"),
            (ECDSA_WITH_SHA256, "1.2.840.10045.4.3.2"),
            (ECDSA_WITH_SHA384, "1.2.840.10045.4.3.3"),
            (ECDSA_WITH_SHA512, "1.2.840.10045.4.3.4"),
            (EC_PUBLIC_KEY, "1.2.840.10045.2.1"),
            (EXT_KEY_USAGE, "2.5.29.37"),
            (KP_TIME_STAMPING, "1.3.6.1.5.5.7.3.8"),
            (TST_INFO, "1.2.840.113549.1.9.16.1.4"),
            (SUBJECT_KEY_IDENTIFIER, "2.5.29.14"),
        ];
        for (bytes, text) in cases {
            assert_eq!(dotted(bytes), *text);
            assert_eq!(from_dotted(text).as_deref(), Some(*bytes));
        }
        for bad in [
            "",
            "1",
            "3.1",
            "1.40",
            "1..2",
            "1.2.x",
            "1.2.99999999999999999999999",
        ] {
            assert_eq!(from_dotted(bad), None, "{bad}");
        }
        assert!(dotted(&[0x86]).starts_with("oid:"));
        assert!(dotted(&[]).starts_with("oid:"));
    }
}

//! Certificate requests (PKCS#10, RFC 2986) for a signing key wherever it lives: the request
//! info is built here and signed through [`RawSigner`], so a token key signs its own request
//! without leaving the token.
//!
//! The subject follows the Vietnamese government CA's profile: C=VN as PrintableString, the
//! other attributes (CN, O, OU, L, ST, UID) as UTF8String so that Vietnamese names keep their
//! diacritics (RFC 5280 §4.1.2.4).

use der::{Decode as _, Encode as _, EncodePem as _};
use openssl::pkey::{HasPublic, PKeyRef};
use x509_cert::der::asn1::BitString;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::error::KeysError;
use crate::cms::RawSigner;
use crate::pki::demo::{self, Attr};

/// The country of every subject kyso requests for.
pub const COUNTRY_VN: &str = "VN";

/// The subject of a signing certificate. Empty optional fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectFields {
    /// commonName: the agency or the person.
    pub common_name: String,
    /// organizationName: the agency.
    pub organization: Option<String>,
    /// organizationalUnitName: the department.
    pub organizational_unit: Option<String>,
    /// localityName: district or city.
    pub locality: Option<String>,
    /// stateOrProvinceName: the province.
    pub province: Option<String>,
    /// userId: the tax code (MST) or citizen id (CCCD) as the government CA writes it.
    pub uid: Option<String>,
}

fn request_err(why: impl std::fmt::Display) -> KeysError {
    KeysError::Request(why.to_string())
}

impl SubjectFields {
    /// The attributes in the order the government CA issues them: C, ST, L, O, OU, CN, UID.
    fn attributes(&self) -> Vec<(Attr, &str)> {
        let mut out = vec![(Attr::C, COUNTRY_VN)];
        let optional = [
            (Attr::St, &self.province),
            (Attr::L, &self.locality),
            (Attr::O, &self.organization),
            (Attr::Ou, &self.organizational_unit),
        ];
        for (attr, value) in optional {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.push((attr, v));
            }
        }
        out.push((Attr::Cn, &self.common_name));
        if let Some(v) = self.uid.as_deref().filter(|v| !v.is_empty()) {
            out.push((Attr::Uid, v));
        }
        out
    }
}

/// A PEM certificate request for `public_key` with `subject`, signed by `signer` (which must
/// hold the private half of `public_key`).
pub fn certificate_request<T: HasPublic>(
    subject: &SubjectFields,
    public_key: &PKeyRef<T>,
    signer: &dyn RawSigner,
) -> Result<String, KeysError> {
    if subject.common_name.is_empty() {
        return Err(request_err("the common name is empty"));
    }
    let name = demo::name(&subject.attributes()).map_err(request_err)?;
    let info = CertReqInfo {
        version: Version::V1,
        subject: Name::from_der(&name.to_der()?).map_err(request_err)?,
        public_key: SubjectPublicKeyInfoOwned::from_der(&public_key.public_key_to_der()?)
            .map_err(request_err)?,
        attributes: Default::default(),
    };
    let tbs = info.to_der().map_err(request_err)?;
    let signature = signer.sign(&tbs)?;
    let request = CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned::from_der(&signer.algorithm().algorithm_identifier())
            .map_err(request_err)?,
        signature: BitString::from_bytes(&signature).map_err(request_err)?,
    };
    request
        .to_pem(der::pem::LineEnding::LF)
        .map_err(request_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cms::PKeySigner;
    use crate::keys::{generate_key, KeyKind};
    use openssl::x509::X509Req;

    #[test]
    fn request_verifies_and_keeps_vietnamese_names() {
        let key = generate_key(KeyKind::EcP256).expect("key");
        let signer = PKeySigner::with_default_algorithm(key.clone()).expect("signer");
        let subject = SubjectFields {
            common_name: "Sở Tư pháp tỉnh Đắk Lắk".into(),
            organization: Some("UBND tỉnh Đắk Lắk".into()),
            organizational_unit: Some("Phòng Hành chính tư pháp".into()),
            locality: Some("Buôn Ma Thuột".into()),
            province: Some("Đắk Lắk".into()),
            uid: None,
        };
        let pem = certificate_request(&subject, &key, &signer).expect("csr");
        let req = X509Req::from_pem(pem.as_bytes()).expect("parses");
        assert!(req.verify(&req.public_key().expect("pk")).expect("verify"));
        let texts: Vec<String> = req
            .subject_name()
            .entries()
            .map(|e| e.data().to_string().expect("text"))
            .collect();
        assert_eq!(texts.first().map(String::as_str), Some("VN"));
        assert!(texts.iter().any(|t| t == "Phòng Hành chính tư pháp"));
        assert!(texts.iter().any(|t| t == "Sở Tư pháp tỉnh Đắk Lắk"));
    }
}

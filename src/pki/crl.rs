//! Certificate revocation lists (RFC 5280 §5), parsed once into an owned [`Crl`]. Scope rules
//! and signature checks live in `revocation.rs`; this file only decodes and records what the CRL
//! says, including every extension that §6.3.3 needs (issuing distribution point, delta CRL
//! indicator, certificateIssuer entries of indirect CRLs) and any critical extension kyso does
//! not know, which makes the CRL unusable for status determination.

use time::OffsetDateTime;
use x509_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::extensions::{GeneralName as X509GeneralName, ParsedExtension, X509Extension};
use x509_parser::num_bigint::BigUint;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::RelativeDistinguishedName;

use super::cert::{AlgorithmId, DistributionPoint, DistributionPointName};
use super::error::PkiError;
use super::general_name::GeneralName;
use super::name::{Name, Rdn};
use super::source;

/// Largest DER CRL kyso decodes. The biggest public CA CRLs are a few tens of megabytes; the
/// parser materialises every entry before the entry bound below can be checked, so the input
/// size is what bounds memory.
pub const MAX_CRL_DER_LEN: usize = 64 * 1024 * 1024;

/// Most revoked entries kept from one CRL. Large national CAs publish CRLs of a few hundred
/// thousand entries; one million leaves room for growth while keeping one CRL well under the
/// memory of a request.
pub const MAX_CRL_ENTRIES: usize = 1_000_000;

/// Most names accepted in one GeneralNames field (distribution point, certificateIssuer).
/// Real CRLs carry one to three; the bound keeps name matching linear in a small constant.
pub const MAX_GENERAL_NAMES: usize = 64;

const OID_CRL_NUMBER: &str = "2.5.29.20";
const OID_REASON_CODE: &str = "2.5.29.21";
const OID_INVALIDITY_DATE: &str = "2.5.29.24";
const OID_DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const OID_ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const OID_CERTIFICATE_ISSUER: &str = "2.5.29.29";
const OID_AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
const OID_FRESHEST_CRL: &str = "2.5.29.46";
const OID_ISSUER_ALT_NAME: &str = "2.5.29.18";
const OID_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";

/// CRLReason (RFC 5280 §5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    RemoveFromCrl,
    PrivilegeWithdrawn,
    AaCompromise,
}

impl RevocationReason {
    /// Decodes the ENUMERATED value; 7 is unassigned and anything above 10 unknown.
    pub fn from_code(code: u8) -> Option<RevocationReason> {
        Some(match code {
            0 => RevocationReason::Unspecified,
            1 => RevocationReason::KeyCompromise,
            2 => RevocationReason::CaCompromise,
            3 => RevocationReason::AffiliationChanged,
            4 => RevocationReason::Superseded,
            5 => RevocationReason::CessationOfOperation,
            6 => RevocationReason::CertificateHold,
            8 => RevocationReason::RemoveFromCrl,
            9 => RevocationReason::PrivilegeWithdrawn,
            10 => RevocationReason::AaCompromise,
            _ => return None,
        })
    }

    /// The name RFC 5280 gives the reason, for reports.
    pub fn name(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "keyCompromise",
            RevocationReason::CaCompromise => "cACompromise",
            RevocationReason::AffiliationChanged => "affiliationChanged",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessationOfOperation",
            RevocationReason::CertificateHold => "certificateHold",
            RevocationReason::RemoveFromCrl => "removeFromCRL",
            RevocationReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            RevocationReason::AaCompromise => "aACompromise",
        }
    }
}

/// A set of revocation reasons with the bit numbering of ReasonFlags (RFC 5280 §4.2.1.13):
/// bit 1 keyCompromise … bit 8 aACompromise; bit 0 (unused) is never set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reasons(u16);

impl Reasons {
    /// Every reason a CRL can cover (§6.3.3 "all-reasons").
    pub const ALL: Reasons = Reasons(0x01fe);
    /// No reason.
    pub const NONE: Reasons = Reasons(0);

    /// From ReasonFlags bits as x509-parser numbers them (bit i = named bit i).
    pub fn from_flags(flags: u16) -> Reasons {
        Reasons(flags & Reasons::ALL.0)
    }

    pub fn union(self, other: Reasons) -> Reasons {
        Reasons(self.0 | other.0)
    }

    pub fn intersection(self, other: Reasons) -> Reasons {
        Reasons(self.0 & other.0)
    }

    /// True when `self` holds every reason of `other`.
    pub fn contains_all(self, other: Reasons) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The names a distribution point name stands for (RFC 5280 §4.2.1.13, §5.2.5), given the
/// name of the CRL issuer that a relative name is relative to.
pub fn distribution_point_names(dp: &DistributionPointName, crl_issuer: &Name) -> Vec<GeneralName> {
    match dp {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::RelativeName(rdn) => {
            vec![GeneralName::Directory(crl_issuer.with_rdn(rdn))]
        }
    }
}

/// IssuingDistributionPoint (RFC 5280 §5.2.5).
#[derive(Clone, Debug)]
pub struct IssuingDistributionPoint {
    pub distribution_point: Option<DistributionPointName>,
    pub only_contains_user_certs: bool,
    pub only_contains_ca_certs: bool,
    pub only_some_reasons: Option<Reasons>,
    pub indirect_crl: bool,
    pub only_contains_attribute_certs: bool,
}

/// One revoked certificate of a CRL (RFC 5280 §5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlEntry {
    /// The serial number's DER INTEGER content octets, compared byte for byte with the
    /// certificate's (DER makes the encoding unique, negative serials included).
    pub serial: Vec<u8>,
    pub revocation_date: OffsetDateTime,
    pub reason: Option<RevocationReason>,
    /// The issuer of the revoked certificate for indirect CRLs (§5.3.3): the certificateIssuer
    /// of this entry or of the closest preceding entry that has one; `None` means the CRL
    /// issuer. Set only when the CRL is indirect, since the extension means nothing otherwise.
    pub certificate_issuer: Option<Vec<GeneralName>>,
    /// Dotted OIDs of critical entry extensions kyso does not process.
    pub unknown_critical: Vec<String>,
}

/// A parsed CRL. Invariant: the fields are exactly what the signed `tbs` says.
#[derive(Clone, Debug)]
pub struct Crl {
    tbs: Vec<u8>,
    signature_algorithm: AlgorithmId,
    signature: Vec<u8>,
    issuer: Name,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    entries: Vec<CrlEntry>,
    number: Option<BigUint>,
    number_critical: bool,
    delta_base: Option<BigUint>,
    idp: Option<IssuingDistributionPoint>,
    idp_der: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    has_freshest_crl: bool,
    unknown_critical: Vec<String>,
    sha256: [u8; 32],
    /// The DER as received, to archive it (a PDF's `/DSS`) byte for byte.
    der: Vec<u8>,
}

impl Crl {
    /// Decodes a DER CertificateList.
    pub fn from_der(der: &[u8]) -> Result<Crl, PkiError> {
        if der.len() > MAX_CRL_DER_LEN {
            return Err(PkiError::TooLarge(format!(
                "CRL of {} bytes exceeds {MAX_CRL_DER_LEN}",
                der.len()
            )));
        }
        let (rest, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| PkiError::BadCrl(format!("not a DER CertificateList: {e}")))?;
        if !rest.is_empty() {
            return Err(PkiError::BadCrl(
                "trailing bytes after the CertificateList".into(),
            ));
        }
        let tbs = &crl.tbs_cert_list;
        if tbs.revoked_certificates.len() > MAX_CRL_ENTRIES {
            return Err(PkiError::TooLarge(format!(
                "CRL lists {} certificates, more than {MAX_CRL_ENTRIES}",
                tbs.revoked_certificates.len()
            )));
        }
        if tbs.signature != crl.signature_algorithm {
            return Err(PkiError::BadCrl(
                "signature algorithm differs inside and outside the signed part (RFC 5280 §5.1.2.2)"
                    .into(),
            ));
        }
        let mut out = Crl {
            tbs: tbs.as_ref().to_vec(),
            signature_algorithm: AlgorithmId::from_x509(&crl.signature_algorithm),
            signature: crl.signature_value.data.to_vec(),
            issuer: Name::from_x509(&tbs.issuer),
            this_update: tbs.this_update.to_datetime(),
            next_update: tbs.next_update.map(|t| t.to_datetime()),
            entries: Vec::with_capacity(tbs.revoked_certificates.len()),
            number: None,
            number_critical: false,
            delta_base: None,
            idp: None,
            idp_der: None,
            authority_key_id: None,
            has_freshest_crl: false,
            unknown_critical: Vec::new(),
            sha256: openssl::sha::sha256(der),
            der: der.to_vec(),
        };
        for ext in tbs.extensions() {
            out.take_crl_extension(ext)?;
        }
        let indirect = out.idp.as_ref().is_some_and(|i| i.indirect_crl);
        let mut current_issuer: Option<Vec<GeneralName>> = None;
        for revoked in &tbs.revoked_certificates {
            let mut entry = CrlEntry {
                serial: revoked.raw_serial().to_vec(),
                revocation_date: revoked.revocation_date.to_datetime(),
                reason: None,
                certificate_issuer: None,
                unknown_critical: Vec::new(),
            };
            for ext in revoked.extensions() {
                let oid = ext.oid.to_id_string();
                match (oid.as_str(), ext.parsed_extension()) {
                    (OID_REASON_CODE, ParsedExtension::ReasonCode(code)) => {
                        entry.reason =
                            Some(RevocationReason::from_code(code.0).ok_or_else(|| {
                                PkiError::BadCrl(format!("unknown CRLReason {}", code.0))
                            })?);
                    }
                    (OID_INVALIDITY_DATE, _) => {}
                    (OID_CERTIFICATE_ISSUER, _) => {
                        current_issuer = Some(parse_general_names(ext.value)?);
                    }
                    (_, ParsedExtension::ParseError { error }) => {
                        return Err(PkiError::BadCrl(format!(
                            "malformed entry extension {oid}: {error}"
                        )));
                    }
                    _ if ext.critical => entry.unknown_critical.push(oid),
                    _ => {}
                }
            }
            if indirect {
                entry.certificate_issuer.clone_from(&current_issuer);
            }
            out.entries.push(entry);
        }
        // Sorted by serial bytes so that a lookup is a binary search even on CRLs of hundreds
        // of thousands of entries; the sort is stable and certificateIssuer was resolved above.
        out.entries.sort_by(|a, b| a.serial.cmp(&b.serial));
        Ok(out)
    }

    fn take_crl_extension(&mut self, ext: &X509Extension<'_>) -> Result<(), PkiError> {
        let oid = ext.oid.to_id_string();
        match (oid.as_str(), ext.parsed_extension()) {
            (_, ParsedExtension::ParseError { error }) => {
                return Err(PkiError::BadCrl(format!(
                    "malformed CRL extension {oid}: {error}"
                )));
            }
            (OID_CRL_NUMBER, ParsedExtension::CRLNumber(n)) => {
                self.number = Some(n.clone());
                self.number_critical = ext.critical;
            }
            (OID_DELTA_CRL_INDICATOR, _) => {
                let (rest, n) = x509_parser::der_parser::der::parse_der_integer(ext.value)
                    .map_err(|e| PkiError::BadCrl(format!("malformed deltaCRLIndicator: {e}")))?;
                let n = n
                    .as_biguint()
                    .map_err(|e| PkiError::BadCrl(format!("malformed deltaCRLIndicator: {e}")))?;
                if !rest.is_empty() {
                    return Err(PkiError::BadCrl(
                        "trailing bytes in deltaCRLIndicator".into(),
                    ));
                }
                self.delta_base = Some(n);
            }
            (OID_ISSUING_DISTRIBUTION_POINT, _) => {
                self.idp_der = Some(ext.value.to_vec());
                self.idp = Some(parse_issuing_distribution_point(ext.value)?);
            }
            (OID_AUTHORITY_KEY_IDENTIFIER, ParsedExtension::AuthorityKeyIdentifier(aki)) => {
                self.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            (OID_FRESHEST_CRL, _) => self.has_freshest_crl = true,
            (OID_ISSUER_ALT_NAME | OID_AUTHORITY_INFO_ACCESS, _) => {}
            _ if ext.critical => self.unknown_critical.push(oid),
            _ => {}
        }
        Ok(())
    }

    /// The exact signed bytes (TBSCertList).
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> &AlgorithmId {
        &self.signature_algorithm
    }

    /// The signature value (BIT STRING content without the unused-bits octet).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }

    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }

    /// Every entry, ordered by serial-number bytes.
    pub fn entries(&self) -> &[CrlEntry] {
        &self.entries
    }

    /// The entries for one serial number (DER INTEGER content octets); several only on an
    /// indirect CRL that lists same-numbered certificates of different issuers.
    pub fn entries_for(&self, serial: &[u8]) -> &[CrlEntry] {
        let start = self
            .entries
            .partition_point(|e| e.serial.as_slice() < serial);
        let len = self
            .entries
            .get(start..)
            .unwrap_or_default()
            .partition_point(|e| e.serial.as_slice() == serial);
        self.entries
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }

    /// cRLNumber (§5.2.3).
    pub fn number(&self) -> Option<&BigUint> {
        self.number.as_ref()
    }

    /// Whether the cRLNumber extension is marked critical, which RFC 5280 §5.2.3 forbids.
    pub fn number_is_critical(&self) -> bool {
        self.number_critical
    }

    /// BaseCRLNumber of a delta CRL (§5.2.4); `Some` exactly when this is a delta CRL.
    pub fn delta_base(&self) -> Option<&BigUint> {
        self.delta_base.as_ref()
    }

    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    pub fn issuing_distribution_point(&self) -> Option<&IssuingDistributionPoint> {
        self.idp.as_ref()
    }

    /// DER of the issuingDistributionPoint extension value, to decide whether a delta CRL has
    /// exactly the scope of a complete CRL (RFC 5280 §5.2.4).
    pub fn issuing_distribution_point_der(&self) -> Option<&[u8]> {
        self.idp_der.as_deref()
    }

    /// keyIdentifier of the authority key identifier extension (§5.2.1).
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// Whether the CRL points to delta CRLs (freshestCRL, §5.2.6).
    pub fn has_freshest_crl(&self) -> bool {
        self.has_freshest_crl
    }

    /// Dotted OIDs of critical CRL extensions kyso does not process (§5.2: such a CRL must not
    /// be used to determine status).
    pub fn unknown_critical_extensions(&self) -> &[String] {
        &self.unknown_critical
    }

    /// SHA-256 of the DER encoding, to name the CRL in reports and to deduplicate.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The DER encoding this CRL was read from.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// Most CRLs read from one input; a CA publishes one or two (complete and delta), a bundle for
/// a whole hierarchy a few dozen.
pub const MAX_CRLS_PER_INPUT: usize = 1_000;

/// Loads every CRL held in `data`: PEM blocks labelled `X509 CRL` (other blocks are skipped),
/// or one or several concatenated DER CRLs. An input holding no CRL is an error.
pub fn load_crls(data: &[u8]) -> Result<Vec<Crl>, PkiError> {
    source::load_der_objects(
        data,
        "X509 CRL",
        MAX_CRLS_PER_INPUT,
        ("CRL", "CRLs"),
        Crl::from_der,
        PkiError::BadCrl,
    )
}

// x509-parser 0.18 drops a nameRelativeToCRLIssuer silently (it expects a SET header inside the
// IMPLICIT [1] tag), which would turn a scoped distribution point into none at all; the
// distribution point structures are therefore read here, field by field.

/// Reads one DER element: the element and the rest.
fn element<'a>(input: &'a [u8], what: &str) -> Result<(Any<'a>, &'a [u8]), String> {
    let (rest, any) = Any::from_der(input).map_err(|e| format!("{what}: {e}"))?;
    Ok((any, rest))
}

fn context_tag(any: &Any<'_>) -> Option<u32> {
    (any.class() == Class::ContextSpecific).then_some(any.tag().0)
}

/// The items of a GeneralNames body, bounded by [`MAX_GENERAL_NAMES`].
fn general_names_body(mut input: &[u8]) -> Result<Vec<GeneralName>, String> {
    let mut out = Vec::new();
    while !input.is_empty() {
        if out.len() >= MAX_GENERAL_NAMES {
            return Err(format!("more than {MAX_GENERAL_NAMES} names"));
        }
        let (rest, name) =
            X509GeneralName::from_der(input).map_err(|e| format!("GeneralName: {e}"))?;
        out.push(GeneralName::from_x509(&name));
        input = rest;
    }
    if out.is_empty() {
        return Err("empty GeneralNames".into());
    }
    Ok(out)
}

/// DistributionPointName (RFC 5280 §4.2.1.13) from the content of its EXPLICIT `[0]` wrapper.
fn distribution_point_name(content: &[u8]) -> Result<DistributionPointName, String> {
    let (choice, rest) = element(content, "DistributionPointName")?;
    if !rest.is_empty() {
        return Err("trailing data in DistributionPointName".into());
    }
    match context_tag(&choice) {
        Some(0) => Ok(DistributionPointName::FullName(general_names_body(
            choice.data,
        )?)),
        Some(1) => {
            let set = source::der_tlv(0x31, choice.data);
            let (_, rdn) = RelativeDistinguishedName::from_der(&set)
                .map_err(|e| format!("nameRelativeToCRLIssuer: {e}"))?;
            Ok(DistributionPointName::RelativeName(Rdn::from_x509(&rdn)))
        }
        _ => Err("DistributionPointName: unexpected tag".into()),
    }
}

/// ReasonFlags as x509-parser numbers them (bit i = named bit i), from a BIT STRING body.
fn reason_flags_value(body: &[u8]) -> Result<u16, String> {
    let Some((_unused, bits)) = body.split_first() else {
        return Err("empty ReasonFlags".into());
    };
    let mut flags = 0u16;
    for (i, byte) in bits.iter().take(2).enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                flags |= 1 << (i * 8 + bit);
            }
        }
    }
    Ok(flags)
}

fn implicit_bool(any: &Any<'_>) -> Result<bool, String> {
    match any.data {
        [0] => Ok(false),
        [_] => Ok(true),
        _ => Err("malformed BOOLEAN".into()),
    }
}

/// Most distribution points read from one extension; certificates list one to three.
pub const MAX_DISTRIBUTION_POINTS: usize = 32;

/// The value of a cRLDistributionPoints or freshestCRL extension (RFC 5280 §4.2.1.13,
/// §4.2.1.15).
pub fn parse_distribution_points(value: &[u8]) -> Result<Vec<DistributionPoint>, PkiError> {
    distribution_points(value).map_err(|why| PkiError::BadExtension {
        oid: "2.5.29.31".into(),
        why,
    })
}

fn distribution_points(value: &[u8]) -> Result<Vec<DistributionPoint>, String> {
    let (seq, rest) = element(value, "CRLDistributionPoints")?;
    if !rest.is_empty() || seq.tag() != Tag::Sequence {
        return Err("CRLDistributionPoints is not one SEQUENCE".into());
    }
    let mut input = seq.data;
    let mut out = Vec::new();
    while !input.is_empty() {
        if out.len() >= MAX_DISTRIBUTION_POINTS {
            return Err(format!(
                "more than {MAX_DISTRIBUTION_POINTS} distribution points"
            ));
        }
        let (point, rest) = element(input, "DistributionPoint")?;
        input = rest;
        let mut dp = DistributionPoint {
            name: None,
            reasons: None,
            crl_issuer: None,
        };
        let mut fields = point.data;
        let mut last_tag = None;
        while !fields.is_empty() {
            let (field, rest) = element(fields, "DistributionPoint field")?;
            fields = rest;
            let tag = context_tag(&field);
            if tag.is_none() || tag <= last_tag {
                return Err("DistributionPoint: unexpected field".into());
            }
            last_tag = tag;
            match tag {
                Some(0) => dp.name = Some(distribution_point_name(field.data)?),
                Some(1) => dp.reasons = Some(reason_flags_value(field.data)?),
                Some(2) => dp.crl_issuer = Some(general_names_body(field.data)?),
                _ => return Err("DistributionPoint: unexpected field".into()),
            }
        }
        if dp.name.is_none() && dp.crl_issuer.is_none() {
            return Err(
                "a DistributionPoint needs a distributionPoint or a cRLIssuer (RFC 5280 §4.2.1.13)"
                    .into(),
            );
        }
        out.push(dp);
    }
    Ok(out)
}

/// The value of an issuingDistributionPoint extension (RFC 5280 §5.2.5).
fn parse_issuing_distribution_point(value: &[u8]) -> Result<IssuingDistributionPoint, PkiError> {
    issuing_distribution_point(value)
        .map_err(|why| PkiError::BadCrl(format!("malformed issuingDistributionPoint: {why}")))
}

fn issuing_distribution_point(value: &[u8]) -> Result<IssuingDistributionPoint, String> {
    let (seq, rest) = element(value, "IssuingDistributionPoint")?;
    if !rest.is_empty() || seq.tag() != Tag::Sequence {
        return Err("not one SEQUENCE".into());
    }
    let mut idp = IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    let mut fields = seq.data;
    let mut last_tag = None;
    while !fields.is_empty() {
        let (field, rest) = element(fields, "IssuingDistributionPoint field")?;
        fields = rest;
        let tag = context_tag(&field);
        if tag.is_none() || tag <= last_tag {
            return Err("fields out of order".into());
        }
        last_tag = tag;
        match tag {
            Some(0) => idp.distribution_point = Some(distribution_point_name(field.data)?),
            Some(1) => idp.only_contains_user_certs = implicit_bool(&field)?,
            Some(2) => idp.only_contains_ca_certs = implicit_bool(&field)?,
            Some(3) => {
                idp.only_some_reasons = Some(Reasons::from_flags(reason_flags_value(field.data)?))
            }
            Some(4) => idp.indirect_crl = implicit_bool(&field)?,
            Some(5) => idp.only_contains_attribute_certs = implicit_bool(&field)?,
            _ => return Err("unexpected field".into()),
        }
    }
    let exclusive = [
        idp.only_contains_user_certs,
        idp.only_contains_ca_certs,
        idp.only_contains_attribute_certs,
    ];
    if exclusive.iter().filter(|b| **b).count() > 1 {
        return Err("more than one onlyContains flag is set (RFC 5280 §5.2.5)".into());
    }
    Ok(idp)
}

/// GeneralNames (SEQUENCE OF GeneralName) of a certificateIssuer entry extension (§5.3.3).
fn parse_general_names(der: &[u8]) -> Result<Vec<GeneralName>, PkiError> {
    let bad = |e: String| PkiError::BadCrl(format!("malformed certificateIssuer: {e}"));
    let (seq, rest) = element(der, "GeneralNames").map_err(bad)?;
    if !rest.is_empty() || seq.tag() != Tag::Sequence {
        return Err(bad("not one SEQUENCE".into()));
    }
    general_names_body(seq.data).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::rev_testkit::*;

    fn ca() -> TestCert {
        make_cert(CertSpec::ca("CRL Test CA", 1), None)
    }

    #[test]
    fn parses_every_field_kyso_uses() {
        let ca = ca();
        let this = fixed_time("2026-01-01T00:00:00Z");
        let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        spec.number = Some(300);
        spec.delta_base = Some(299);
        spec.idp = Some(
            [
                dp_full_name(&[gn_uri("http://crl.example.vn/ca.crl")]),
                ctx_prim(1, &[0xff]),
                ctx_prim(3, &reason_flags(&[1, 8])),
                ctx_prim(4, &[0xff]),
            ]
            .concat(),
        );
        let mut indirect = Entry::new(7, this, Some(1));
        indirect.cert_issuer = Some(vec![gn_dir(&ca.name_der())]);
        spec.entries = vec![
            Entry::new(5, this, None),
            indirect,
            Entry::new(9, this, Some(8)),
        ];
        spec.entries[0].extra.push(("1.2.3.4".into(), true, null()));
        spec.extra.push(("1.2.3.5".into(), true, null()));
        spec.extra.push(("1.2.3.6".into(), false, null()));
        let crl = Crl::from_der(&spec.build(&ca.key, false)).expect("parses");

        assert!(crl.issuer().matches(ca.cert.subject()));
        assert_eq!(crl.this_update(), this);
        assert_eq!(crl.next_update(), Some(this + time::Duration::days(7)));
        assert_eq!(crl.number(), Some(&BigUint::from(300u32)));
        assert_eq!(crl.delta_base(), Some(&BigUint::from(299u32)));
        assert_eq!(crl.unknown_critical_extensions(), ["1.2.3.5".to_owned()]);
        assert_eq!(crl.signature_algorithm().oid, "1.2.840.10045.4.3.2");
        let idp = crl.issuing_distribution_point().expect("idp");
        assert!(idp.only_contains_user_certs && idp.indirect_crl);
        assert!(!idp.only_contains_ca_certs && !idp.only_contains_attribute_certs);
        assert_eq!(
            idp.only_some_reasons,
            Some(Reasons::from_flags((1 << 1) | (1 << 8)))
        );
        match &idp.distribution_point {
            Some(DistributionPointName::FullName(names)) => {
                assert_eq!(
                    names,
                    &[GeneralName::Uri("http://crl.example.vn/ca.crl".into())]
                );
            }
            other => panic!("unexpected distribution point {other:?}"),
        }
        let entries = crl.entries();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].serial, [5]);
        assert_eq!(entries[0].unknown_critical, ["1.2.3.4".to_owned()]);
        assert_eq!(entries[0].certificate_issuer, None);
        assert_eq!(entries[1].reason, Some(RevocationReason::KeyCompromise));
        // certificateIssuer is carried forward to the following entries (RFC 5280 §5.3.3).
        for e in &entries[1..] {
            match e.certificate_issuer.as_deref() {
                Some([GeneralName::Directory(n)]) => assert!(n.matches(ca.cert.subject())),
                other => panic!("unexpected certificate issuer {other:?}"),
            }
        }
        assert_eq!(entries[2].reason, Some(RevocationReason::RemoveFromCrl));
    }

    #[test]
    fn certificate_issuer_is_ignored_on_a_direct_crl() {
        let ca = ca();
        let this = fixed_time("2026-01-01T00:00:00Z");
        let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        let mut entry = Entry::new(7, this, Some(1));
        entry.cert_issuer = Some(vec![gn_dir(&ca.name_der())]);
        spec.entries.push(entry);
        let crl = Crl::from_der(&spec.build(&ca.key, false)).expect("parses");
        assert_eq!(crl.entries()[0].certificate_issuer, None);
        assert!(crl.entries()[0].unknown_critical.is_empty());
    }

    #[test]
    fn loads_pem_and_concatenated_der() {
        use base64::Engine;
        let ca = ca();
        let this = fixed_time("2026-01-01T00:00:00Z");
        let a = CrlSpec::new(&ca, this, this + time::Duration::days(7)).build(&ca.key, false);
        let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        spec.number = Some(2);
        let b = spec.build(&ca.key, false);
        assert_eq!(
            load_crls(&[a.clone(), b.clone()].concat())
                .expect("der")
                .len(),
            2
        );
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
             -----BEGIN X509 CRL-----\n{}\n-----END X509 CRL-----\n",
            base64::engine::general_purpose::STANDARD.encode(&b)
        );
        let loaded = load_crls(pem.as_bytes()).expect("pem");
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].number(), Some(&BigUint::from(2u32)));
        assert!(load_crls(b"").is_err());
        assert!(load_crls(&[0x30, 0x05, 1]).is_err());
    }

    #[test]
    fn distribution_points_keep_relative_names_reasons_and_crl_issuers() {
        let ca = ca();
        let rdn = tlv(
            0x31,
            &seq(&[oid("2.5.4.3"), tlv(0x0c, "CRL một".as_bytes())]),
        );
        let relative = ctx(0, &ctx(1, rdn.get(2..).expect("set body")));
        let value = seq(&[
            seq(&[relative, ctx_prim(1, &reason_flags(&[1, 2]))]),
            seq(&[ctx(2, &gn_dir(&ca.name_der()))]),
        ]);
        let points = parse_distribution_points(&value).expect("parses");
        assert_eq!(points.len(), 2);
        match &points[0].name {
            Some(DistributionPointName::RelativeName(rdn)) => {
                let full = ca.cert.subject().with_rdn(rdn);
                assert_eq!(full.rdns().len(), ca.cert.subject().rdns().len() + 1);
                assert!(full.display().contains("CRL một"), "{}", full.display());
            }
            other => panic!("unexpected name {other:?}"),
        }
        assert_eq!(points[0].reasons, Some(0b110));
        assert!(points[0].crl_issuer.is_none());
        assert!(points[1].name.is_none());
        match points[1].crl_issuer.as_deref() {
            Some([GeneralName::Directory(n)]) => assert!(n.matches(ca.cert.subject())),
            other => panic!("unexpected cRLIssuer {other:?}"),
        }
        // A point with neither a name nor a cRLIssuer, or fields out of order, is malformed.
        assert!(parse_distribution_points(&seq(&[seq(&[])])).is_err());
        let swapped = seq(&[seq(&[
            ctx(2, &gn_dir(&ca.name_der())),
            dp_full_name(&[gn_uri("http://x")]),
        ])]);
        assert!(parse_distribution_points(&swapped).is_err());
    }

    #[test]
    fn entries_are_found_by_serial_in_any_listed_order() {
        let ca = ca();
        let this = fixed_time("2026-01-01T00:00:00Z");
        let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        for serial in [300, 2, 128, 7, 2] {
            spec.entries.push(Entry::new(serial, this, Some(1)));
        }
        let crl = Crl::from_der(&spec.build(&ca.key, false)).expect("parses");
        assert_eq!(crl.entries_for(&[2]).len(), 2);
        assert_eq!(crl.entries_for(&[0x01, 0x2c]).len(), 1);
        assert_eq!(crl.entries_for(&[0x00, 0x80]).len(), 1);
        assert!(crl.entries_for(&[0x80]).is_empty());
        assert!(crl.entries_for(&[3]).is_empty());
        assert!(crl.entries_for(&[]).is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever serials and reasons a CRL lists, in whatever order, each is found with its
        /// reason and a serial not listed is not.
        #[test]
        fn every_listed_serial_is_found(
            listed in proptest::collection::btree_map(0u64..u64::MAX, 0u8..=10, 0..40),
            absent in 0u64..u64::MAX,
        ) {
            proptest::prop_assume!(!listed.contains_key(&absent));
            let ca = make_cert(CertSpec::ca("Prop CA", 1), None);
            let this = fixed_time("2026-01-01T00:00:00Z");
            let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
            let mut entries: Vec<(u64, u8)> =
                listed.iter().map(|(s, r)| (*s, *r)).filter(|(_, r)| *r != 7).collect();
            entries.reverse();
            spec.entries = entries.iter().map(|(s, r)| Entry::new(*s, this, Some(*r))).collect();
            let crl = Crl::from_der(&spec.build(&ca.key, false)).expect("parses");
            let serial_bytes = |v: u64| -> Vec<u8> {
                let der = uint(v);
                der.get(2..).map(<[u8]>::to_vec).unwrap_or_default()
            };
            for (serial, reason) in &entries {
                let found = crl.entries_for(&serial_bytes(*serial));
                proptest::prop_assert_eq!(found.len(), 1);
                proptest::prop_assert_eq!(found[0].reason, RevocationReason::from_code(*reason));
            }
            proptest::prop_assert!(crl.entries_for(&serial_bytes(absent)).is_empty());
        }
    }

    #[test]
    fn reason_sets() {
        let compromise = Reasons::from_flags(0b110);
        let rest = Reasons::from_flags(0x1f8);
        assert!(!compromise.contains_all(Reasons::ALL));
        assert_eq!(compromise.union(rest), Reasons::ALL);
        assert!(compromise.intersection(rest).is_empty());
        // Bit 0 (unused) never counts as a reason.
        assert_eq!(Reasons::from_flags(0xffff), Reasons::ALL);
        assert_eq!(RevocationReason::from_code(7), None);
        assert_eq!(
            RevocationReason::from_code(10).map(|r| r.name()),
            Some("aACompromise")
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let ca = ca();
        let this = fixed_time("2026-01-01T00:00:00Z");
        let mut spec = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        spec.entries.push(Entry::new(1, this, Some(1)));
        let der = spec.build(&ca.key, false);
        for len in 0..der.len() {
            assert!(Crl::from_der(&der[..len]).is_err(), "truncated at {len}");
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(Crl::from_der(&trailing).is_err());
        let mut bad_reason = CrlSpec::new(&ca, this, this + time::Duration::days(7));
        bad_reason.entries.push(Entry::new(1, this, Some(7)));
        assert!(matches!(
            Crl::from_der(&bad_reason.build(&ca.key, false)),
            Err(PkiError::BadCrl(_))
        ));
    }
}

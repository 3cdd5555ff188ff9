//! Certificate-chain validation (RFC 5280) for document signing. A pure library: no I/O, no
//! clock; the validation time is always a parameter.
//!
//! Inputs are parsed once at the edge into owned values ([`Certificate`], [`Name`],
//! [`crl::Crl`], [`ocsp::OcspResponse`]; [`source`] reads PEM, DER and PKCS#7 bundles). The
//! entry point is [`validate_chain`]: [`build`] searches candidate paths from the end-entity
//! to a [`TrustStore`] anchor within a [`Budget`], [`validate::check_path`] runs the RFC 5280
//! §6.1 checks on each (signatures under an [`algorithm::AlgorithmPolicy`], validity, name
//! chaining, basic constraints and path length, key usage, [`name_constraints`], the
//! [`policy`] tree, critical extensions, the end-entity [`profile`]), and [`revocation`]
//! applies the [`RevocationPolicy`]. The verdict is a [`ChainReport`] in the ETSI EN 319 102-1
//! vocabulary; [`PkiError`] only means the input could not be evaluated.

pub mod algorithm;
pub mod budget;
pub mod build;
pub mod cert;
pub mod conformance;
pub mod crl;
pub mod demo;
pub mod error;
pub mod general_name;
pub mod name;
pub mod name_constraints;
pub mod ocsp;
pub mod policy;
pub mod profile;
pub mod report;
#[cfg(test)]
mod rev_testkit;
pub mod revocation;
pub mod source;
pub mod store;
pub mod validate;

pub use budget::Budget;
pub use cert::Certificate;
pub use error::PkiError;
pub use general_name::GeneralName;
pub use name::Name;
pub use report::ChainReport;
pub use revocation::{RevocationData, RevocationPolicy};
pub use store::TrustStore;
pub use validate::{validate_chain, PolicyOptions, ValidationOptions};

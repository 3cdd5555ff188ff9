//! Certificate-chain validation (RFC 5280) for document signing. A pure library: no I/O, no
//! clock; the validation time is always a parameter.

pub mod algorithm;
pub mod budget;
pub mod build;
pub mod cert;
pub mod conformance;
pub mod crl;
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

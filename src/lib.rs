//! kyso: signing and verification of PDF decisions, certificate-chain validation and a
//! verifiable ledger of issued documents.
//!
//! Modules follow the data flow of the design: `http` receives requests, `pades` combines `pdf`
//! (PDF objects, no crypto), `cms` (CMS SignedData, no PDF), `pki` (certificate validation, no PDF
//! and no HTTP) and `keys` (signers), and records issued documents in `ledger`. `pki`, `cms`, `pdf`
//! and the Merkle math of `ledger` are pure: no I/O and no clock, time is always a parameter.
#![forbid(unsafe_code)]

pub mod cli;
pub mod cms;
pub mod fetch;
pub mod http;
pub mod keys;
pub mod ledger;
pub mod pades;
pub mod pdf;
pub mod pki;
pub mod timestamping;
pub mod verdict;

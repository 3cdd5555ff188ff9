//! PAdES (ETSI EN 319 142-1) signing and verification of PDF documents: `pdf` gives the
//! incremental update and the byte ranges, `cms` the SignedData, `pki` the chain verdict;
//! `appearance` draws the visible signature block.

pub mod appearance;
mod changes;
mod digest;
mod error;
mod external;
mod fields;
pub mod fonts;
mod ltv;
mod report;
mod sign;
mod verify;

pub use changes::{analyse_changes, ChangeAnalysis, Changes, MAX_REVISIONS_AFTER};
pub use digest::{digest_covered, CoveredDigests, RevisionHashes};
pub use error::PadesError;
pub use external::{prepare_external, PreparedDocument, MAX_STATE_SIZE};
pub use ltv::{
    add_dss, certificates_in, dss_material, path_of, revocation_pairs, Level, Timestamper,
    ValidationMaterial, MAX_DSS_STREAMS, MAX_GATHERED_CERTIFICATES,
};
pub use report::{Coverage, DocumentReport, SignatureReport, SignerSummary};
pub use sign::{
    add_document_timestamp, extend, pdf_date, sign, sign_timestamped, Certification, SignOptions,
    SignedUpdate, CONTENTS_MARGIN,
};
pub use verify::{verify, VerifyOptions, MAX_SIGNATURES};

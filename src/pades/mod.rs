//! PAdES (ETSI EN 319 142-1) signing and verification of PDF documents: `pdf` gives the
//! incremental update and the byte ranges, `cms` the SignedData, `pki` the chain verdict;
//! `appearance` draws the visible signature block.

pub mod appearance;
mod changes;
mod error;
mod external;
mod fields;
pub mod fonts;
mod report;
mod sign;
mod verify;

pub use changes::{analyse_changes, ChangeAnalysis, Changes, MAX_REVISIONS_AFTER};
pub use error::PadesError;
pub use external::{prepare_external, PreparedDocument, MAX_STATE_SIZE};
pub use report::{Coverage, DocumentReport, SignatureReport, SignerSummary};
pub use sign::{
    add_document_timestamp, pdf_date, sign, Certification, SignOptions, SignedUpdate,
    CONTENTS_MARGIN, HASH_CHUNK,
};
pub use verify::{verify, VerifyOptions, MAX_SIGNATURES};

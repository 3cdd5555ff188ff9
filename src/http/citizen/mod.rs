//! The citizen's verification page, `GET /v/{id}`: the ledger record of a document in Vietnamese
//! (English on request), readable without JavaScript, and with JavaScript re-checked in the
//! browser (inclusion proof, checkpoint signature, the citizen's own PDF hashed locally).

pub mod assets;
pub mod page;
pub mod view;

pub use page::render;
pub use view::{CitizenView, Lang, Status};

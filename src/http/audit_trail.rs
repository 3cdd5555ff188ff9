//! The audit trail of administrative actions: who (the token's id and label), what (the
//! action and its object), when. Each record is stored in the service store as canonical JSON
//! and its SHA-256 is appended to the ledger as an [`EntryKind::Audit`] entry *before* the
//! action runs (an action that cannot be recorded does not run). The public log shows only
//! the hash; [`check_trail`] compares the stored records with the log, so a record altered or
//! deleted afterwards is reported (`kyso ledger audit --admin-trail`).

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::service_store::{AuditRow, TokenInfo};
use super::state::AppState;
use crate::ledger::{Entry, EntryKind, Hash};

/// One administrative action, as stored (field order is the canonical order).
#[derive(Debug, Serialize)]
struct AuditRecord<'a> {
    time: i64,
    actor_token: &'a str,
    actor_label: &'a str,
    action: &'a str,
    object: &'a str,
}

/// Records an action of `actor` durably (ledger, then store). Blocking.
pub fn record(
    state: &AppState,
    actor: &TokenInfo,
    action: &str,
    object: &str,
) -> Result<(), ApiError> {
    let time = time::OffsetDateTime::now_utc().unix_timestamp();
    let json = serde_json::to_string(&AuditRecord {
        time,
        actor_token: &actor.id,
        actor_label: &actor.label,
        action,
        object,
    })
    .map_err(ApiError::internal)?;
    let entry = Entry {
        kind: EntryKind::Audit,
        document_id_hash: Sha256::digest(json.as_bytes()).into(),
        revision_hash: [0; 32],
        signer_cert_sha256: [0; 32],
        time,
        agency: String::new(),
        document_number: String::new(),
        document_kind: String::new(),
        reason: None,
        superseded_by: None,
    };
    let appended = state.ledger.append(&entry)?;
    state.store.insert_audit(&json, appended.index)?;
    tracing::info!(
        target: "kyso::audit",
        actor_token = %actor.id,
        actor_label = %actor.label,
        action,
        object,
        ledger_index = appended.index,
        "admin action"
    );
    Ok(())
}

/// Compares the stored records with the ledger's audit entries (`(index, record hash)`, every
/// [`EntryKind::Audit`] entry of the log). Returns one line per discrepancy: a stored record
/// whose hash is not the ledger's entry at its index (altered), a ledger audit entry with no
/// stored record (deleted).
pub fn check_trail(rows: &[AuditRow], ledger: &[(u64, Hash)]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows {
        let hash: Hash = Sha256::digest(row.record.as_bytes()).into();
        match ledger.iter().find(|(i, _)| *i == row.ledger_index) {
            Some((_, h)) if *h == hash => {}
            Some(_) => problems.push(format!(
                "audit record {} was altered: its hash differs from ledger entry {}",
                row.seq, row.ledger_index
            )),
            None => problems.push(format!(
                "audit record {} names ledger entry {}, which is not an audit entry",
                row.seq, row.ledger_index
            )),
        }
    }
    for (index, _) in ledger {
        if !rows.iter().any(|r| r.ledger_index == *index) {
            problems.push(format!(
                "ledger audit entry {index} has no stored audit record (deleted)"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, record: &str, ledger_index: u64) -> AuditRow {
        AuditRow {
            seq,
            record: record.to_owned(),
            ledger_index,
        }
    }

    #[test]
    fn altered_and_deleted_records_are_reported() {
        let a = r#"{"time":1,"action":"activate-key"}"#;
        let b = r#"{"time":2,"action":"revoke-token"}"#;
        let h = |s: &str| -> Hash { Sha256::digest(s.as_bytes()).into() };
        let ledger = vec![(3, h(a)), (7, h(b))];
        assert!(check_trail(&[row(1, a, 3), row(2, b, 7)], &ledger).is_empty());
        let altered = check_trail(&[row(1, a, 3), row(2, &b.replace('2', "9"), 7)], &ledger);
        assert_eq!(altered.len(), 1);
        assert!(altered[0].contains("altered"));
        let deleted = check_trail(&[row(2, b, 7)], &ledger);
        assert_eq!(deleted.len(), 1);
        assert!(deleted[0].contains("deleted"));
        let moved = check_trail(&[row(1, a, 4), row(2, b, 7)], &ledger);
        assert_eq!(moved.len(), 2);
    }
}

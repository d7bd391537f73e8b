//! The audit log: who did what to which document, when. Each entry's hash
//! covers the previous entry's hash, and the newest sequence number is kept
//! apart in the counter table, so changing, removing or inserting a row by
//! hand breaks the chain at that row and [`Store::verify_audit`] names it.
//!
//! An entry is written in the same transaction as the change it records:
//! there is no change without its entry, and no entry without its change.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{DocumentId, Store, StoreError};

/// The hash the first entry chains to.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a person or the pipeline did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Import,
    Reject,
    Read,
    Structure,
    Edit,
    Approve,
    Export,
    Fail,
    Retry,
    Cancel,
    Settings,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Import => "import",
            AuditAction::Reject => "reject",
            AuditAction::Read => "read",
            AuditAction::Structure => "structure",
            AuditAction::Edit => "edit",
            AuditAction::Approve => "approve",
            AuditAction::Export => "export",
            AuditAction::Fail => "fail",
            AuditAction::Retry => "retry",
            AuditAction::Cancel => "cancel",
            AuditAction::Settings => "settings",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    /// UTC, RFC 3339 with milliseconds.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub document_id: Option<DocumentId>,
    /// JSON: what changed (an edit's path with old and new value, a failure's reason…).
    pub detail: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub entries: usize,
    /// The first entry that does not match the chain, with why; None when intact.
    pub broken: Option<(i64, String)>,
}

fn entry_hash(previous: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let document = entry.document_id.map_or(String::new(), |id| id.0.to_string());
    for part in [previous, &entry.seq.to_string(), &entry.at, &entry.actor, &entry.action, &document, &entry.detail] {
        hasher.update(part.as_bytes());
        // A separator no part contains unescaped keeps ("ab","c") and ("a","bc") apart.
        hasher.update([0]);
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends an entry inside the caller's (immediate) transaction.
pub(crate) fn append(
    connection: &Connection,
    actor: &str,
    action: AuditAction,
    document_id: Option<DocumentId>,
    detail: &str,
) -> rusqlite::Result<()> {
    let last: Option<(i64, String)> = connection
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (seq, previous) = last.map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
    let at: String = connection.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |row| row.get(0))?;
    let entry = AuditEntry { seq, at, actor: actor.to_owned(), action: action.as_str().to_owned(), document_id, detail: detail.to_owned() };
    let hash = entry_hash(&previous, &entry);
    connection.execute(
        "INSERT INTO audit (seq, at, actor, action, document_id, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![entry.seq, entry.at, entry.actor, entry.action, document_id.map(|id| id.0), entry.detail, hash],
    )?;
    connection.execute(
        "INSERT INTO counter (name, value) VALUES ('audit_head', ?1) ON CONFLICT (name) DO UPDATE SET value = ?1",
        [seq],
    )?;
    Ok(())
}

impl Store {
    /// The newest `limit` entries, newest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries("ORDER BY seq DESC LIMIT ?1", limit as i64)
    }

    /// Every entry about one document, oldest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn audit_of(&self, id: DocumentId) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries("WHERE document_id = ?1 ORDER BY seq", id.0)
    }

    fn audit_entries(&self, clause: &str, parameter: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT seq, at, actor, action, document_id, detail FROM audit {clause}"))
            .map_err(|source| self.error(source))?;
        statement
            .query_map([parameter], |row| {
                Ok(AuditEntry {
                    seq: row.get(0)?,
                    at: row.get(1)?,
                    actor: row.get(2)?,
                    action: row.get(3)?,
                    document_id: row.get::<_, Option<i64>>(4)?.map(DocumentId),
                    detail: row.get(5)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    /// Walks the whole chain: every entry's hash recomputed from its
    /// content and its predecessor's hash, sequence numbers without gaps,
    /// and the last one the recorded head.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT seq, at, actor, action, document_id, detail, hash FROM audit ORDER BY seq")
            .map_err(|source| self.error(source))?;
        let rows: Vec<(AuditEntry, String)> = statement
            .query_map([], |row| {
                Ok((
                    AuditEntry {
                        seq: row.get(0)?,
                        at: row.get(1)?,
                        actor: row.get(2)?,
                        action: row.get(3)?,
                        document_id: row.get::<_, Option<i64>>(4)?.map(DocumentId),
                        detail: row.get(5)?,
                    },
                    row.get(6)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))?;
        let head: i64 = self
            .connection
            .query_row("SELECT value FROM counter WHERE name = 'audit_head'", [], |row| row.get(0))
            .optional()
            .map_err(|source| self.error(source))?
            .unwrap_or(0);
        let entries = rows.len();
        let mut previous = GENESIS.to_owned();
        for (index, (entry, stored_hash)) in rows.iter().enumerate() {
            let expected_seq = index as i64 + 1;
            if entry.seq != expected_seq {
                let broken = (expected_seq, format!("entry {expected_seq} is missing"));
                return Ok(AuditVerification { entries, broken: Some(broken) });
            }
            if entry_hash(&previous, entry) != *stored_hash {
                let broken = (entry.seq, "its content does not match its hash".to_owned());
                return Ok(AuditVerification { entries, broken: Some(broken) });
            }
            previous.clone_from(stored_hash);
        }
        if head != entries as i64 {
            let broken = (entries as i64 + 1, format!("the log ends at entry {entries}, but {head} were written"));
            return Ok(AuditVerification { entries, broken: Some(broken) });
        }
        Ok(AuditVerification { entries, broken: None })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Added, DocumentState, Store};

    fn store_with_history() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap().with_actor("nurse.sato");
        let Added::New(id) = store.add_document("h1", "/o/h1", "letter.pdf", 0).unwrap() else { panic!() };
        store.claim_for_reading().unwrap();
        store.advance(id, DocumentState::Read, Some(b"[]"), Some(1)).unwrap();
        store.advance(id, DocumentState::Structured, Some(br#"{"a":1}"#), None).unwrap();
        (dir, store)
    }

    #[test]
    fn an_untouched_log_verifies_and_names_its_actor() {
        let (_dir, store) = store_with_history();
        let verification = store.verify_audit().unwrap();
        assert_eq!(verification.entries, 3);
        assert_eq!(verification.broken, None);
        let newest = &store.audit_log(1).unwrap()[0];
        assert_eq!((newest.action.as_str(), newest.actor.as_str()), ("structure", "nurse.sato"));
    }

    #[test]
    fn a_row_changed_by_hand_is_named() {
        let (_dir, store) = store_with_history();
        store.connection.execute("UPDATE audit SET actor = 'someone.else' WHERE seq = 2", []).unwrap();
        assert_eq!(store.verify_audit().unwrap().broken.map(|(seq, _)| seq), Some(2));
    }

    #[test]
    fn a_row_removed_by_hand_is_named_even_the_last() {
        let (_dir, store) = store_with_history();
        store.connection.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
        assert_eq!(store.verify_audit().unwrap().broken.map(|(seq, _)| seq), Some(2));
        let (_dir, store) = store_with_history();
        store.connection.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
        assert_eq!(store.verify_audit().unwrap().broken.map(|(seq, _)| seq), Some(3));
    }
}

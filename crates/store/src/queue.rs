//! The durable document queue. A document moves `queued → read →
//! structured → exported` (with `approved` between the last two when a
//! person reviews it first), or ends `failed` with its reason; each move is
//! one transaction that also stores the stage's result and its audit
//! entry, so a process killed mid-stage redoes that stage and nothing
//! else, and a document's result is committed exactly once.

use rusqlite::{OptionalExtension, Row, params};
use serde_json::json;

use crate::{AuditAction, Store, StoreError};

/// A document's place in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentState {
    Queued,
    /// Claimed by a reader (intake and OCR); back to `Queued` on restart.
    Reading,
    /// Pages stored; waiting to be structured.
    Read,
    /// Record stored; waiting to be exported, or for a person's review.
    Structured,
    /// Reviewed and approved by a person; waiting to be exported.
    Approved,
    Exported,
    Failed,
    Cancelled,
}

impl DocumentState {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Queued => "queued",
            DocumentState::Reading => "reading",
            DocumentState::Read => "read",
            DocumentState::Structured => "structured",
            DocumentState::Approved => "approved",
            DocumentState::Exported => "exported",
            DocumentState::Failed => "failed",
            DocumentState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> DocumentState {
        match text {
            "reading" => DocumentState::Reading,
            "read" => DocumentState::Read,
            "structured" => DocumentState::Structured,
            "approved" => DocumentState::Approved,
            "exported" => DocumentState::Exported,
            "failed" => DocumentState::Failed,
            "cancelled" => DocumentState::Cancelled,
            _ => DocumentState::Queued,
        }
    }
}

/// Newtype for a document's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(pub i64);

/// A document as the queue knows it (results are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDocument {
    pub id: DocumentId,
    /// SHA-256 of the file's bytes, hex: the same file is one document.
    pub content_hash: String,
    /// Where the original bytes are kept (content-addressed copies, one per
    /// line when several files are the pages of one document).
    pub original: String,
    /// The name it arrived under, for people and output folders.
    pub name: String,
    pub state: DocumentState,
    /// Higher first: a clinician's document goes before the batch.
    pub priority: i64,
    pub error: Option<String>,
    pub pages: Option<i64>,
    /// UTC, RFC 3339: when its state last changed.
    pub updated_at: String,
}

impl QueuedDocument {
    pub(crate) fn from_row(row: &Row) -> rusqlite::Result<QueuedDocument> {
        Ok(QueuedDocument {
            id: DocumentId(row.get("id")?),
            content_hash: row.get("content_hash")?,
            original: row.get("original")?,
            name: row.get("name")?,
            state: DocumentState::parse(&row.get::<_, String>("state")?),
            priority: row.get("priority")?,
            error: row.get("error")?,
            pages: row.get("pages")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// What adding a file to the queue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    New(DocumentId),
    /// The same bytes were imported before.
    AlreadyKnown(QueuedDocument),
}

pub(crate) const COLUMNS: &str = "id, content_hash, original, name, state, priority, error, pages, updated_at";

impl Store {
    /// Queues a document, unless one with the same content hash exists.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn add_document(&self, content_hash: &str, original: &str, name: &str, priority: i64) -> Result<Added, StoreError> {
        let detail = json!({"name": name, "hash": content_hash}).to_string();
        let inserted = self.audited_insert(AuditAction::Import, &detail, |connection| {
            let inserted = connection.execute(
                "INSERT INTO document (content_hash, original, name, priority) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (content_hash) DO NOTHING",
                params![content_hash, original, name, priority],
            )?;
            let id = DocumentId(connection.last_insert_rowid());
            Ok((inserted == 1).then_some((id, Some(id))))
        })?;
        if let Some(id) = inserted {
            return Ok(Added::New(id));
        }
        let known = self
            .connection
            .query_row(&format!("SELECT {COLUMNS} FROM document WHERE content_hash = ?1"), [content_hash], QueuedDocument::from_row)
            .map_err(|source| self.error(source))?;
        Ok(Added::AlreadyKnown(known))
    }

    /// A document that failed before it could be read (a symbolic link, an
    /// unreadable or oversized file): recorded so the report lists it.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn add_rejected(&self, name: &str, error: &str) -> Result<DocumentId, StoreError> {
        let detail = json!({"name": name, "reason": error}).to_string();
        let inserted = self.audited_insert(AuditAction::Reject, &detail, |connection| {
            connection.execute(
                "INSERT INTO document (content_hash, original, name, state, error)
                 VALUES ('rejected:' || lower(hex(randomblob(16))), '', ?1, 'failed', ?2)",
                params![name, error],
            )?;
            let id = DocumentId(connection.last_insert_rowid());
            Ok(Some((id, Some(id))))
        })?;
        Ok(inserted.expect("an insert always changes"))
    }

    /// Claims the next queued document for reading (highest priority, then
    /// oldest).
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn claim_for_reading(&self) -> Result<Option<QueuedDocument>, StoreError> {
        self.connection
            .query_row(
                &format!(
                    "UPDATE document SET state = 'reading', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE id = (SELECT id FROM document WHERE state = 'queued' ORDER BY priority DESC, id LIMIT 1)
                     RETURNING {COLUMNS}"
                ),
                [],
                QueuedDocument::from_row,
            )
            .optional()
            .map_err(|source| self.error(source))
    }

    /// After a crash, documents claimed by readers that died go back to the
    /// queue; every other state is a committed result and stays.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn requeue_interrupted(&self) -> Result<usize, StoreError> {
        self.connection
            .execute("UPDATE document SET state = 'queued' WHERE state = 'reading'", [])
            .map_err(|source| self.error(source))
    }

    /// Stores a stage's result and moves the document on, in one
    /// transaction with its audit entry. `to` is `Read`, `Structured` or
    /// `Exported`; `result` is the stage's output (pages or record JSON).
    ///
    /// # Errors
    /// The database cannot be written.
    ///
    /// # Panics
    /// When `to` is not a stage's result.
    pub fn advance(&self, id: DocumentId, to: DocumentState, result: Option<&[u8]>, pages: Option<usize>) -> Result<(), StoreError> {
        let pages = pages.map(|count| count as i64);
        let (action, detail) = match to {
            DocumentState::Read => (AuditAction::Read, json!({"pages": pages})),
            DocumentState::Structured => (AuditAction::Structure, json!({})),
            DocumentState::Exported => (AuditAction::Export, json!({})),
            other => unreachable!("{other:?} is not a stage's result"),
        };
        self.audited(action, Some(id), &detail.to_string(), |connection| {
            let updated = match to {
                DocumentState::Read | DocumentState::Structured => {
                    let column = if to == DocumentState::Read { "pages_json" } else { "record_json" };
                    connection.execute(
                        &format!(
                            "UPDATE document SET state = ?2, {column} = ?3, pages = coalesce(?4, pages),
                             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1"
                        ),
                        params![id.0, to.as_str(), result, pages],
                    )?
                }
                _ => connection.execute(
                    "UPDATE document SET state = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                    params![id.0, to.as_str()],
                )?,
            };
            Ok((updated == 1).then_some(()))
        })
        .map(drop)
    }

    /// Ends a document with the reason it cannot be processed.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn fail(&self, id: DocumentId, error: &str) -> Result<(), StoreError> {
        let detail = json!({"reason": error}).to_string();
        self.audited(AuditAction::Fail, Some(id), &detail, |connection| {
            let updated = connection.execute(
                "UPDATE document SET state = 'failed', error = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1",
                params![id.0, error],
            )?;
            Ok((updated == 1).then_some(()))
        })
        .map(drop)
    }

    /// Puts a failed or cancelled document back in the queue from the start.
    /// Returns false when it was in neither state.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn retry(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.audited(AuditAction::Retry, Some(id), "{}", |connection| {
            let updated = connection.execute(
                "UPDATE document SET state = 'queued', error = NULL, pages_json = NULL, record_json = NULL,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND state IN ('failed', 'cancelled') AND original != ''",
                [id.0],
            )?;
            Ok((updated == 1).then_some(()))
        })
        .map(|changed| changed.is_some())
    }

    /// Takes a document that has not been read yet out of the queue.
    /// Returns false when it is already past that point.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn cancel(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.audited(AuditAction::Cancel, Some(id), "{}", |connection| {
            let updated = connection.execute(
                "UPDATE document SET state = 'cancelled', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND state = 'queued'",
                [id.0],
            )?;
            Ok((updated == 1).then_some(()))
        })
        .map(|changed| changed.is_some())
    }

    /// The first document in `state` (for the stages after reading, which
    /// run one at a time).
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn next_in(&self, state: DocumentState) -> Result<Option<QueuedDocument>, StoreError> {
        self.connection
            .query_row(
                &format!("SELECT {COLUMNS} FROM document WHERE state = ?1 ORDER BY priority DESC, id LIMIT 1"),
                [state.as_str()],
                QueuedDocument::from_row,
            )
            .optional()
            .map_err(|source| self.error(source))
    }

    /// A stage's stored result: pages JSON after `Read`, record JSON after
    /// `Structured`.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn result(&self, id: DocumentId, of: DocumentState) -> Result<Option<Vec<u8>>, StoreError> {
        let column = match of {
            DocumentState::Read => "pages_json",
            _ => "record_json",
        };
        self.connection
            .query_row(&format!("SELECT {column} FROM document WHERE id = ?1"), [id.0], |row| row.get(0))
            .map_err(|source| self.error(source))
    }

    /// One document by id.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn document(&self, id: DocumentId) -> Result<Option<QueuedDocument>, StoreError> {
        self.connection
            .query_row(&format!("SELECT {COLUMNS} FROM document WHERE id = ?1"), [id.0], QueuedDocument::from_row)
            .optional()
            .map_err(|source| self.error(source))
    }

    /// Every document, oldest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn documents(&self) -> Result<Vec<QueuedDocument>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT {COLUMNS} FROM document ORDER BY id"))
            .map_err(|source| self.error(source))?;
        statement
            .query_map([], QueuedDocument::from_row)
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    /// How many documents the queue has seen, in any state.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn document_count(&self) -> Result<usize, StoreError> {
        self.connection
            .query_row("SELECT count(*) FROM document", [], |row| row.get(0))
            .map_err(|source| self.error(source))
    }

    /// How many documents are in `state`.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn count_in(&self, state: DocumentState) -> Result<usize, StoreError> {
        self.connection
            .query_row("SELECT count(*) FROM document WHERE state = ?1", [state.as_str()], |row| row.get(0))
            .map_err(|source| self.error(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn the_same_content_is_one_document() {
        let (_dir, store) = store();
        let Added::New(id) = store.add_document("abc", "/o/abc", "a.pdf", 0).unwrap() else { panic!() };
        let Added::AlreadyKnown(known) = store.add_document("abc", "/o/abc", "copy of a.pdf", 0).unwrap() else { panic!() };
        assert_eq!(known.id, id);
        assert_eq!(store.documents().unwrap().len(), 1);
    }

    #[test]
    fn priority_goes_first_and_interrupted_reads_are_requeued() {
        let (_dir, store) = store();
        store.add_document("1", "/o/1", "batch.pdf", 0).unwrap();
        store.add_document("2", "/o/2", "clinician.pdf", 10).unwrap();
        let first = store.claim_for_reading().unwrap().unwrap();
        assert_eq!(first.name, "clinician.pdf");
        assert_eq!(store.requeue_interrupted().unwrap(), 1);
        assert_eq!(store.claim_for_reading().unwrap().unwrap().name, "clinician.pdf");
    }

    #[test]
    fn stages_store_their_results() {
        let (_dir, store) = store();
        let Added::New(id) = store.add_document("1", "/o/1", "a.pdf", 0).unwrap() else { panic!() };
        store.claim_for_reading().unwrap();
        store.advance(id, DocumentState::Read, Some(b"[pages]"), Some(2)).unwrap();
        assert_eq!(store.next_in(DocumentState::Read).unwrap().unwrap().pages, Some(2));
        assert_eq!(store.result(id, DocumentState::Read).unwrap().unwrap(), b"[pages]");
        store.advance(id, DocumentState::Structured, Some(b"{record}"), None).unwrap();
        store.advance(id, DocumentState::Exported, None, None).unwrap();
        assert_eq!(store.count_in(DocumentState::Exported).unwrap(), 1);
    }

    #[test]
    fn failed_documents_can_be_retried_and_queued_ones_cancelled() {
        let (_dir, store) = store();
        let Added::New(id) = store.add_document("1", "/o/1", "a.pdf", 0).unwrap() else { panic!() };
        assert!(store.cancel(id).unwrap());
        assert!(store.retry(id).unwrap());
        store.claim_for_reading().unwrap();
        store.fail(id, "the PDF is damaged").unwrap();
        assert_eq!(store.documents().unwrap()[0].error.as_deref(), Some("the PDF is damaged"));
        assert!(store.retry(id).unwrap());
        assert_eq!(store.count_in(DocumentState::Queued).unwrap(), 1);
        let rejected = store.add_rejected("link.pdf", "is a symbolic link").unwrap();
        assert!(!store.retry(rejected).unwrap(), "nothing to read again");
    }
}

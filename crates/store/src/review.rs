//! What a person's review needs kept: the page images the boxes are drawn
//! on, edits to a structured record (each with its old and new value in the
//! audit log), approval, the result of each delivery, and the settings.

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use crate::queue::COLUMNS;
use crate::{AuditAction, DocumentId, DocumentState, QueuedDocument, Store, StoreError};

/// One change a person made to a record: `path` names the field (a JSON
/// pointer into the record), `part` a component of a compound value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEdit<'a> {
    pub path: &'a str,
    pub part: Option<&'a str>,
    pub old_value: &'a str,
    pub new_value: &'a str,
}

/// Where an approved document's outputs went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// "folder:/path" or "mllp://host:port".
    pub target: String,
    /// "written", "delivered", "pending" or "refused".
    pub status: String,
    /// The folder written, or the interface engine's answer.
    pub detail: String,
    pub at: String,
}

impl Store {
    /// Keeps the images of a document's pages as the reader saw them (JPEG),
    /// replacing any from an earlier, interrupted read.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn put_page_images(&self, id: DocumentId, jpegs: &[Vec<u8>]) -> Result<(), StoreError> {
        let run = || -> rusqlite::Result<()> {
            let transaction = self.connection.unchecked_transaction()?;
            transaction.execute("DELETE FROM page_image WHERE document_id = ?1", [id.0])?;
            for (page, jpeg) in jpegs.iter().enumerate() {
                transaction.execute(
                    "INSERT INTO page_image (document_id, page, jpeg) VALUES (?1, ?2, ?3)",
                    params![id.0, page as i64, jpeg],
                )?;
            }
            transaction.commit()
        };
        run().map_err(|source| self.error(source))
    }

    /// # Errors
    /// The database cannot be read.
    pub fn page_image(&self, id: DocumentId, page: usize) -> Result<Option<Vec<u8>>, StoreError> {
        self.connection
            .query_row(
                "SELECT jpeg FROM page_image WHERE document_id = ?1 AND page = ?2",
                params![id.0, page as i64],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.error(source))
    }

    /// Replaces the record of a document that waits for review with
    /// `record` (the record with the edit applied), and logs the edit.
    /// Returns false when the document is not waiting for review.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn edit_record(&self, id: DocumentId, record: &[u8], edit: &RecordEdit) -> Result<bool, StoreError> {
        let detail =
            json!({"path": edit.path, "part": edit.part, "old": edit.old_value, "new": edit.new_value}).to_string();
        self.audited(AuditAction::Edit, Some(id), &detail, |connection| {
            let updated = connection.execute(
                "UPDATE document SET record_json = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND state = 'structured'",
                params![id.0, record],
            )?;
            Ok((updated == 1).then_some(()))
        })
        .map(|changed| changed.is_some())
    }

    /// A person approves a reviewed document for export. Returns false
    /// when it was not waiting for review.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn approve(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.audited(AuditAction::Approve, Some(id), "{}", |connection| {
            let updated = connection.execute(
                "UPDATE document SET state = 'approved', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND state = 'structured'",
                [id.0],
            )?;
            Ok((updated == 1).then_some(()))
        })
        .map(|changed| changed.is_some())
    }

    /// Records where an export went, and moves the document to `exported`
    /// (`failed` with `failure` as its reason when a target refused it), in
    /// one transaction.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn finish_export(&self, id: DocumentId, deliveries: &[DeliveryRecord], failure: Option<&str>) -> Result<(), StoreError> {
        let (action, detail) = match failure {
            None => (AuditAction::Export, json!({"targets": deliveries.iter().map(|d| &d.target).collect::<Vec<_>>()})),
            Some(reason) => (AuditAction::Fail, json!({"reason": reason})),
        };
        self.audited(action, Some(id), &detail.to_string(), |connection| {
            connection.execute("DELETE FROM delivery WHERE document_id = ?1", [id.0])?;
            for delivery in deliveries {
                connection.execute(
                    "INSERT INTO delivery (document_id, target, status, detail) VALUES (?1, ?2, ?3, ?4)",
                    params![id.0, delivery.target, delivery.status, delivery.detail],
                )?;
            }
            let (state, error) = match failure {
                None => (DocumentState::Exported, None),
                Some(reason) => (DocumentState::Failed, Some(reason)),
            };
            connection.execute(
                "UPDATE document SET state = ?2, error = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1",
                params![id.0, state.as_str(), error],
            )?;
            Ok(Some(()))
        })
        .map(drop)
    }

    /// # Errors
    /// The database cannot be read.
    pub fn deliveries(&self, id: DocumentId) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT target, status, detail, at FROM delivery WHERE document_id = ?1 ORDER BY id")
            .map_err(|source| self.error(source))?;
        statement
            .query_map([id.0], |row| {
                Ok(DeliveryRecord { target: row.get(0)?, status: row.get(1)?, detail: row.get(2)?, at: row.get(3)? })
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    /// Every document, the newest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn documents_newest_first(&self) -> Result<Vec<QueuedDocument>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT {COLUMNS} FROM document ORDER BY id DESC"))
            .map_err(|source| self.error(source))?;
        statement
            .query_map([], QueuedDocument::from_row)
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    /// Documents whose state changed after `since` (an `updated_at`), in
    /// the order they changed.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn documents_changed_since(&self, since: &str) -> Result<Vec<QueuedDocument>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT {COLUMNS} FROM document WHERE updated_at > ?1 ORDER BY updated_at, id"))
            .map_err(|source| self.error(source))?;
        statement
            .query_map([since], QueuedDocument::from_row)
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    /// # Errors
    /// The database cannot be read.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connection
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |row| row.get(0))
            .optional()
            .map_err(|source| self.error(source))
    }

    /// Sets a setting, logging the old and new value; a value that does not
    /// change is neither written nor logged.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let old = self.setting(key)?;
        if old.as_deref() == Some(value) {
            return Ok(());
        }
        let detail = json!({"key": key, "old": old, "new": value}).to_string();
        self.audited(AuditAction::Settings, None, &detail, |connection| {
            connection.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![key, value],
            )?;
            Ok(Some(()))
        })
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Added;

    fn structured() -> (tempfile::TempDir, Store, DocumentId) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let Added::New(id) = store.add_document("h", "/o/h", "a.pdf", 0).unwrap() else { panic!() };
        store.claim_for_reading().unwrap();
        store.advance(id, DocumentState::Read, Some(b"[]"), Some(1)).unwrap();
        store.advance(id, DocumentState::Structured, Some(b"{\"v\":1}"), None).unwrap();
        (dir, store, id)
    }

    #[test]
    fn an_edit_replaces_the_record_and_logs_old_and_new() {
        let (_dir, store, id) = structured();
        let edit = RecordEdit { path: "/patient/name", part: None, old_value: "山田太朗", new_value: "山田太郎" };
        assert!(store.edit_record(id, b"{\"v\":2}", &edit).unwrap());
        assert_eq!(store.result(id, DocumentState::Structured).unwrap().unwrap(), b"{\"v\":2}");
        let logged = store.audit_of(id).unwrap().pop().unwrap();
        assert_eq!(logged.action, "edit");
        let detail: serde_json::Value = serde_json::from_str(&logged.detail).unwrap();
        assert_eq!((detail["old"].as_str(), detail["new"].as_str()), (Some("山田太朗"), Some("山田太郎")));
    }

    #[test]
    fn an_approved_record_is_no_longer_edited_or_approved_again() {
        let (_dir, store, id) = structured();
        assert!(store.approve(id).unwrap());
        assert!(!store.approve(id).unwrap());
        let edit = RecordEdit { path: "/a", part: None, old_value: "1", new_value: "2" };
        assert!(!store.edit_record(id, b"{}", &edit).unwrap());
        let actions: Vec<String> = store.audit_of(id).unwrap().into_iter().map(|entry| entry.action).collect();
        assert_eq!(actions, ["import", "read", "structure", "approve"]);
    }

    #[test]
    fn an_export_keeps_its_deliveries_and_page_images_are_kept() {
        let (_dir, store, id) = structured();
        store.put_page_images(id, &[vec![1, 2], vec![3]]).unwrap();
        assert_eq!(store.page_image(id, 1).unwrap(), Some(vec![3]));
        store.approve(id).unwrap();
        let written = DeliveryRecord { target: "folder:/ehr".into(), status: "written".into(), detail: "/ehr/x".into(), at: String::new() };
        store.finish_export(id, &[written], None).unwrap();
        assert_eq!(store.document(id).unwrap().unwrap().state, DocumentState::Exported);
        assert_eq!(store.deliveries(id).unwrap()[0].status, "written");
    }

    #[test]
    fn settings_changes_are_logged_once() {
        let (_dir, store, _) = structured();
        store.set_setting("facility_code", "1312345678").unwrap();
        store.set_setting("facility_code", "1312345678").unwrap();
        assert_eq!(store.setting("facility_code").unwrap().as_deref(), Some("1312345678"));
        assert_eq!(store.audit_log(10).unwrap().iter().filter(|entry| entry.action == "settings").count(), 1);
        assert_eq!(store.verify_audit().unwrap().broken, None);
    }
}

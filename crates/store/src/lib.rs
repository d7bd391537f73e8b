//! Torikomi's local SQLite database: what must survive a restart — the
//! document queue with each stage's result and the page images the review
//! shows, every edit and approval, the settings, the HL7 message counter
//! (MSH-10 stays unique across runs), the outbox of messages waiting for,
//! or given, an acknowledgement, and a hash-chained audit log of all of it.
//!
//! One file, WAL mode, migrations by `user_version`. Every write is one
//! transaction, so a process killed at any point leaves a consistent file.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let store = torikomi_store::Store::open(&dir.path().join("torikomi.db")).unwrap();
//! let first = store.next_control_id().unwrap();
//! assert_eq!(store.next_control_id().unwrap(), first + 1);
//! ```

mod audit;
mod error;
mod outbox;
mod queue;
mod review;

pub use audit::{AuditAction, AuditEntry, AuditVerification};
pub use error::StoreError;
pub use outbox::{Delivery, NewMessage, OutboxMessage, OutboxStatus};
pub use queue::{Added, DocumentId, DocumentState, QueuedDocument};
pub use review::{DeliveryRecord, RecordEdit};

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Each entry brings the schema from its index to the next version.
const MIGRATIONS: [&str; 3] = ["
    CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        destination TEXT NOT NULL,
        document_id TEXT NOT NULL,
        data_type TEXT NOT NULL,
        control_id TEXT NOT NULL,
        payload BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        done_at TEXT,
        UNIQUE (destination, document_id, data_type)
    );
", "
    CREATE TABLE document (
        id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        original TEXT NOT NULL,
        name TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        priority INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        pages INTEGER,
        pages_json BLOB,
        record_json BLOB,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX document_by_state ON document (state, priority DESC, id);
", "
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        document_id INTEGER,
        detail TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_document ON audit (document_id, seq);
    CREATE TABLE page_image (
        document_id INTEGER NOT NULL,
        page INTEGER NOT NULL,
        jpeg BLOB NOT NULL,
        PRIMARY KEY (document_id, page)
    );
    CREATE TABLE delivery (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"];

pub struct Store {
    connection: Connection,
    path: PathBuf,
    /// Who the audit log names for what this handle does.
    actor: String,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    ///
    /// # Errors
    /// The file cannot be created or opened, is not a Torikomi database, or
    /// comes from a newer Torikomi.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|source| StoreError::CreateDir { path: parent.to_owned(), source })?;
        }
        let at = |source| StoreError::Sqlite { path: path.to_owned(), source };
        let connection = Connection::open(path).map_err(at)?;
        // Another process (the app, a watcher) may hold the file briefly.
        connection.busy_timeout(Duration::from_secs(10)).map_err(at)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(at)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(at)?;
        let actor = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".to_owned());
        let mut store = Store { connection, path: path.to_owned(), actor };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same handle, naming `actor` in the audit log (default: the
    /// operating system's user name).
    #[must_use]
    pub fn with_actor(mut self, actor: &str) -> Store {
        actor.clone_into(&mut self.actor);
        self
    }

    /// Runs `change` and its audit entry in one immediate transaction.
    /// `change` returns None when it found nothing to change: then neither
    /// the change nor an entry is written.
    fn audited<T>(
        &self,
        action: AuditAction,
        document_id: Option<DocumentId>,
        detail: &str,
        change: impl FnOnce(&Connection) -> rusqlite::Result<Option<T>>,
    ) -> Result<Option<T>, StoreError> {
        self.audited_insert(action, detail, |connection| {
            Ok(change(connection)?.map(|changed| (changed, document_id)))
        })
    }

    /// As [`Store::audited`], for a change that creates the document the
    /// entry is about.
    fn audited_insert<T>(
        &self,
        action: AuditAction,
        detail: &str,
        change: impl FnOnce(&Connection) -> rusqlite::Result<Option<(T, Option<DocumentId>)>>,
    ) -> Result<Option<T>, StoreError> {
        let run = || -> rusqlite::Result<Option<T>> {
            let transaction = Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate)?;
            let Some((changed, document_id)) = change(&transaction)? else { return Ok(None) };
            audit::append(&transaction, &self.actor, action, document_id, detail)?;
            transaction.commit()?;
            Ok(Some(changed))
        };
        run().map_err(|source| self.error(source))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        // The app, a watcher and the CLI may open a new file at the same
        // moment: the version is read inside a write transaction so that
        // exactly one of them migrates and the others see its result.
        let path = self.path.clone();
        let at = |source| StoreError::Sqlite { path: path.clone(), source };
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(at)?;
        let version: usize = transaction.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(at)?;
        if version > MIGRATIONS.len() {
            return Err(StoreError::NewerSchema { path: self.path.clone(), version });
        }
        if version == MIGRATIONS.len() {
            return Ok(());
        }
        for migration in &MIGRATIONS[version..] {
            transaction.execute_batch(migration).map_err(at)?;
        }
        transaction.pragma_update(None, "user_version", MIGRATIONS.len()).map_err(at)?;
        transaction.commit().map_err(at)
    }

    /// The next value of the message counter, never handed out before in
    /// this database.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn next_control_id(&self) -> Result<u64, StoreError> {
        let value: Option<i64> = self
            .connection
            .query_row(
                "INSERT INTO counter (name, value) VALUES ('control_id', 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1
                 RETURNING value",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.error(source))?;
        Ok(value.map_or(1, |value| value.unsigned_abs()))
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let first = Store::open(&path).unwrap().next_control_id().unwrap();
        let second = Store::open(&path).unwrap().next_control_id().unwrap();
        assert_eq!(second, first + 1);
    }

    #[test]
    fn processes_opening_a_new_file_at_once_all_get_the_same_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let ids: Vec<u64> = std::thread::scope(|scope| {
            let openers: Vec<_> =
                (0..8).map(|_| scope.spawn(|| Store::open(&path).unwrap().next_control_id().unwrap())).collect();
            openers.into_iter().map(|opener| opener.join().unwrap()).collect()
        });
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=8).collect::<Vec<_>>(), "{ids:?}");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        Store::open(&path).unwrap().connection.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::NewerSchema { version: 99, .. })));
    }
}

//! The desktop app's core, without Tauri: files taken in to the store's
//! queue and read in the background, a structured record listed as fields
//! for a person to review beside the page, edits and approval recorded in
//! the audit log, approved documents exported to the configured folder and
//! MLLP engine, and the settings. The Tauri shell maps this onto commands
//! and events; tests drive it directly.
//!
//! ```no_run
//! use torikomi_app::{App, AppEvent};
//! let app = App::open("/var/lib/torikomi".as_ref(), |event: AppEvent| println!("{event:?}"))?;
//! app.import(&["letter.pdf".into()], false)?;
//! # Ok::<(), torikomi_app::AppError>(())
//! ```

mod error;
mod fields;
mod settings;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

pub use error::AppError;
pub use fields::{ReviewField, apply_edit, review_fields};
pub use settings::AppSettings;
use serde_json::Value;
use torikomi_page::PageText;
use torikomi_pipeline::batch::{Intake, take_in, take_in_as_one};
use torikomi_pipeline::runtime;
use torikomi_store::{
    AuditEntry, AuditVerification, DeliveryRecord, DocumentId, DocumentState, QueuedDocument, RecordEdit, Store,
};

/// A document someone dropped on the window is read before a batch that
/// `torikomi import` queued (priority 0): a person is waiting for it.
const DROPPED_PRIORITY: i64 = 10;

/// What the background work tells the front end.
#[derive(Debug, Clone, PartialEq)]
pub enum AppEvent {
    Progress(QueueCounts),
    DocumentChanged(DocumentOverview),
}

/// How many documents are in each state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueCounts {
    pub total: usize,
    pub queued: usize,
    pub reading: usize,
    /// Read, waiting for the model.
    pub structuring: usize,
    pub needs_review: usize,
    pub approved: usize,
    pub exported: usize,
    pub failed: usize,
    pub pages_per_minute: f64,
    /// Why structuring waits or runs without the model.
    pub model_unavailable: Option<String>,
}

/// A document in the queue, with how many of its fields want a look.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentOverview {
    pub document: QueuedDocument,
    pub flagged: usize,
}

/// Everything the review screen shows of one document.
#[derive(Debug, Clone)]
pub struct DocumentReview {
    pub overview: DocumentOverview,
    /// The document kind (referral, lab_report…), once structured.
    pub kind: Option<String>,
    pub pages: Vec<PageText>,
    pub fields: Vec<ReviewField>,
    pub deliveries: Vec<DeliveryRecord>,
}

/// What taking files in did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub queued: usize,
    pub known: usize,
    /// (file name, reason)
    pub rejected: Vec<(String, String)>,
}

/// The app's state: the store, and the background worker that reads,
/// structures and exports.
pub struct App {
    data_dir: PathBuf,
    store: Mutex<Store>,
    wake: mpsc::Sender<worker::Signal>,
}

impl App {
    /// Opens (creating) the data folder's database and starts the
    /// background worker, which resumes whatever the last run left: reads
    /// cut short are read again, approved documents not yet exported are
    /// exported.
    ///
    /// # Errors
    /// The database cannot be opened.
    pub fn open(data_dir: &Path, events: impl Fn(AppEvent) + Send + Sync + 'static) -> Result<App, AppError> {
        let store_path = data_dir.join("torikomi.db");
        let store = Store::open(&store_path)?;
        let (wake, signals) = mpsc::channel();
        let events: Arc<dyn Fn(AppEvent) + Send + Sync> = Arc::new(events);
        let worker = worker::Worker::new(data_dir.to_owned(), store_path, events);
        std::thread::Builder::new()
            .name("torikomi-worker".into())
            .spawn(move || worker.run(&signals))
            .expect("a thread can be started");
        Ok(App { data_dir: data_dir.to_owned(), store: Mutex::new(store), wake })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere while holding the lock leaves SQLite consistent
        // (every write is a transaction), so the store stays usable.
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wake_worker(&self) {
        let _ = self.wake.send(worker::Signal::Work);
    }

    /// Takes files and folders in; with `as_one`, all the files are the
    /// pages of one document, in the order given.
    ///
    /// # Errors
    /// The store cannot be written; a bad file is only listed as rejected.
    pub fn import(&self, paths: &[PathBuf], as_one: bool) -> Result<ImportSummary, AppError> {
        let store = self.store();
        let originals = self.data_dir.join("originals");
        let limits = runtime::converter_config(torikomi_ocr::EngineChoice::Auto).intake.limits;
        let outcomes = if as_one {
            vec![take_in_as_one(&store, &originals, paths, DROPPED_PRIORITY, &limits)?]
        } else {
            take_in(&store, &originals, paths, DROPPED_PRIORITY, &limits)?
        };
        drop(store);
        let mut summary = ImportSummary::default();
        for outcome in outcomes {
            match outcome {
                Intake::Queued { .. } => summary.queued += 1,
                Intake::AlreadyImported { .. } => summary.known += 1,
                Intake::Rejected { path, reason } => summary.rejected.push((display_name(&path), reason)),
            }
        }
        self.wake_worker();
        Ok(summary)
    }

    /// Every document, the newest first.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn documents(&self) -> Result<Vec<DocumentOverview>, AppError> {
        let store = self.store();
        store.documents_newest_first()?.into_iter().map(|document| overview(&store, document)).collect()
    }

    /// # Errors
    /// No such document, or the store cannot be read.
    pub fn document(&self, id: i64) -> Result<DocumentReview, AppError> {
        let store = self.store();
        let document = store.document(DocumentId(id))?.ok_or(AppError::NoSuchDocument(id))?;
        let pages: Vec<PageText> = match store.result(document.id, DocumentState::Read)? {
            Some(json) => serde_json::from_slice(&json).map_err(|error| corrupt(id, &error))?,
            None => Vec::new(),
        };
        let record = record_of(&store, &document)?;
        let kind = record.as_ref().and_then(|record| record.pointer("/document/kind")?.as_str().map(str::to_owned));
        let fields = record.as_ref().map(review_fields).unwrap_or_default();
        let deliveries = store.deliveries(document.id)?;
        let flagged = fields.iter().filter(|field| field.needs_review).count();
        Ok(DocumentReview { overview: DocumentOverview { document, flagged }, kind, pages, fields, deliveries })
    }

    /// The page as the reader saw it, JPEG.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn page_image(&self, id: i64, page: usize) -> Result<Option<Vec<u8>>, AppError> {
        Ok(self.store().page_image(DocumentId(id), page)?)
    }

    /// Applies a person's edit to a document waiting for review; the audit
    /// log keeps the old and the new value.
    ///
    /// # Errors
    /// The document is not waiting for review, there is no such field, or
    /// the text is not a value of the field's type.
    pub fn edit(&self, id: i64, path: &str, part: Option<&str>, value: &str) -> Result<(), AppError> {
        let store = self.store();
        let document = self.in_review(&store, id)?;
        let mut record = record_of(&store, &document)?.ok_or(AppError::NotInReview { id, state: "unstructured" })?;
        let old = apply_edit(&mut record, path, part, value)?;
        let new = fields::value_at(&record, path, part);
        if old == new {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&record).expect("records serialise");
        let edit = RecordEdit { path, part, old_value: &old, new_value: &new };
        if !store.edit_record(document.id, &bytes, &edit)? {
            return Err(AppError::NotInReview { id, state: "changed meanwhile" });
        }
        Ok(())
    }

    /// Approves a reviewed document; the worker exports it.
    ///
    /// # Errors
    /// The document is not waiting for review.
    pub fn approve(&self, id: i64) -> Result<(), AppError> {
        let store = self.store();
        let document = self.in_review(&store, id)?;
        if !store.approve(document.id)? {
            return Err(AppError::NotInReview { id, state: "changed meanwhile" });
        }
        drop(store);
        self.wake_worker();
        Ok(())
    }

    /// Queues a failed document again from the start. Returns false when
    /// it had not failed.
    ///
    /// # Errors
    /// The store cannot be written.
    pub fn retry(&self, id: i64) -> Result<bool, AppError> {
        let retried = self.store().retry(DocumentId(id))?;
        self.wake_worker();
        Ok(retried)
    }

    fn in_review(&self, store: &Store, id: i64) -> Result<QueuedDocument, AppError> {
        let document = store.document(DocumentId(id))?.ok_or(AppError::NoSuchDocument(id))?;
        if document.state != DocumentState::Structured {
            return Err(AppError::NotInReview { id, state: document.state.as_str() });
        }
        Ok(document)
    }

    /// # Errors
    /// The store cannot be read.
    pub fn settings(&self) -> Result<AppSettings, AppError> {
        AppSettings::load(&self.store())
    }

    /// Checks and stores the settings; the worker picks them up before its
    /// next document.
    ///
    /// # Errors
    /// A setting is not valid, or the store cannot be written.
    pub fn save_settings(&self, settings: &AppSettings) -> Result<(), AppError> {
        settings.save(&self.store())?;
        self.wake_worker();
        Ok(())
    }

    /// # Errors
    /// The store cannot be read.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.store().audit_log(limit)?)
    }

    /// # Errors
    /// The store cannot be read.
    pub fn verify_audit(&self) -> Result<AuditVerification, AppError> {
        Ok(self.store().verify_audit()?)
    }
}

impl Drop for App {
    /// The worker stops after the step it is in; it is not waited for,
    /// since every step is committed on its own and a cut-short step is
    /// redone by the next start.
    fn drop(&mut self) {
        let _ = self.wake.send(worker::Signal::Stop);
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

fn corrupt(id: i64, error: &dyn std::fmt::Display) -> AppError {
    AppError::CorruptRecord { id, reason: error.to_string() }
}

fn record_of(store: &Store, document: &QueuedDocument) -> Result<Option<Value>, AppError> {
    let Some(json) = store.result(document.id, DocumentState::Structured)? else { return Ok(None) };
    let record: Value = serde_json::from_slice(&json).map_err(|error| corrupt(document.id.0, &error))?;
    Ok((!record.is_null()).then_some(record))
}

fn overview(store: &Store, document: QueuedDocument) -> Result<DocumentOverview, AppError> {
    let flagged = match document.state {
        DocumentState::Structured | DocumentState::Approved | DocumentState::Exported => record_of(store, &document)?
            .map_or(0, |record| review_fields(&record).iter().filter(|field| field.needs_review).count()),
        _ => 0,
    };
    Ok(DocumentOverview { document, flagged })
}

fn counts(store: &Store) -> Result<QueueCounts, torikomi_store::StoreError> {
    Ok(QueueCounts {
        total: store.document_count()?,
        queued: store.count_in(DocumentState::Queued)?,
        reading: store.count_in(DocumentState::Reading)?,
        structuring: store.count_in(DocumentState::Read)?,
        needs_review: store.count_in(DocumentState::Structured)?,
        approved: store.count_in(DocumentState::Approved)?,
        exported: store.count_in(DocumentState::Exported)?,
        failed: store.count_in(DocumentState::Failed)? + store.count_in(DocumentState::Cancelled)?,
        ..QueueCounts::default()
    })
}

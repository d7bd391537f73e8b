//! Batch import over the store's durable queue: files are taken in
//! (hashed, copied, queued once), read on one worker thread per core,
//! then structured and exported one at a time on the thread that owns the
//! model. Every stage's result is committed before the next begins, so a
//! run killed at any point resumes where it stopped, and memory does not
//! grow with the queue: a document's pages wait in the database, not in
//! memory.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use torikomi_extract::Extractor;
use torikomi_intake::IntakeLimits;
use torikomi_page::PageText;
use torikomi_store::{Added, DocumentId, DocumentState, QueuedDocument, Store, StoreError};

use torikomi_ocr::OcrError;

use crate::{ConvertedDocument, Converter, ConverterConfig};

/// What taking one file in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Queued { path: PathBuf, id: DocumentId },
    /// The same bytes were imported before (under this name).
    AlreadyImported { path: PathBuf, id: DocumentId, as_name: String, state: DocumentState },
    /// Refused before reading, with the reason (also recorded as a failed
    /// document, so the report lists it).
    Rejected { path: PathBuf, reason: String },
}

/// Takes files in: each regular file under `paths` (folders are walked,
/// hidden files skipped) is hashed, copied into `originals` under its
/// hash, and queued, unless the same bytes were queued before. Symbolic
/// links, special files and files over the size limit are refused.
///
/// # Errors
/// Only the store failing; a bad file is an `Intake::Rejected`.
pub fn take_in(
    store: &Store,
    originals: &Path,
    paths: &[PathBuf],
    priority: i64,
    limits: &IntakeLimits,
) -> Result<Vec<Intake>, StoreError> {
    let mut outcomes = Vec::new();
    for path in files_under(paths) {
        let outcome = match read_checked(&path, limits) {
            Err(reason) => {
                store.add_rejected(&display_name(&path), &reason)?;
                Intake::Rejected { path, reason }
            }
            Ok(bytes) => {
                let hash: String = Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect();
                match keep_original(originals, &hash, &bytes) {
                    Err(reason) => {
                        let reason = format!("cannot keep a copy: {reason}");
                        store.add_rejected(&display_name(&path), &reason)?;
                        Intake::Rejected { path, reason }
                    }
                    Ok(original) => {
                        match store.add_document(&hash, &original.display().to_string(), &display_name(&path), priority)? {
                            Added::New(id) => Intake::Queued { path, id },
                            Added::AlreadyKnown(known) => Intake::AlreadyImported {
                                path,
                                id: known.id,
                                as_name: known.name,
                                state: known.state,
                            },
                        }
                    }
                }
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Takes several files in as the pages of one document, in the order
/// given (photos of one letter, page by page): each is kept under its own
/// hash, and the document is known by the hash of all of them together.
/// A file that cannot be taken in refuses the whole document, since a
/// letter with a page missing is not one to file.
///
/// # Errors
/// Only the store failing.
pub fn take_in_as_one(
    store: &Store,
    originals: &Path,
    paths: &[PathBuf],
    priority: i64,
    limits: &IntakeLimits,
) -> Result<Intake, StoreError> {
    let files = files_under(paths);
    let Some(first) = files.first().cloned() else {
        return Ok(Intake::Rejected { path: PathBuf::new(), reason: "no files to combine".to_owned() });
    };
    let name = match files.len() {
        1 => display_name(&first),
        count => format!("{} (+{})", display_name(&first), count - 1),
    };
    let mut kept = Vec::new();
    let mut hashes = Vec::new();
    for path in &files {
        let kept_file = read_checked(path, limits).and_then(|bytes| {
            let hash: String = Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect();
            let original = keep_original(originals, &hash, &bytes);
            hashes.push(hash);
            original
        });
        match kept_file {
            Ok(original) => kept.push(original.display().to_string()),
            Err(reason) => {
                let reason = format!("{}: {reason}", display_name(path));
                store.add_rejected(&name, &reason)?;
                return Ok(Intake::Rejected { path: first, reason });
            }
        }
    }
    // One file is the same document however it was taken in.
    let hash: String = match hashes.as_slice() {
        [only] => only.clone(),
        _ => Sha256::digest(hashes.concat()).iter().map(|byte| format!("{byte:02x}")).collect(),
    };
    Ok(match store.add_document(&hash, &kept.join("\n"), &name, priority)? {
        Added::New(id) => Intake::Queued { path: first, id },
        Added::AlreadyKnown(known) => {
            Intake::AlreadyImported { path: first, id: known.id, as_name: known.name, state: known.state }
        }
    })
}

/// Regular files and links under `paths`, folders walked in name order.
fn files_under(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        let is_dir = fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir());
        if !is_dir {
            files.push(path.clone());
            continue;
        }
        let Ok(entries) = fs::read_dir(path) else {
            files.push(path.clone());
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|child| !child.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')))
            .collect();
        children.sort();
        files.extend(files_under(&children));
    }
    files
}

/// The file's bytes, or why it is refused before any decoding.
fn read_checked(path: &Path, limits: &IntakeLimits) -> Result<Vec<u8>, String> {
    let meta = fs::symlink_metadata(path).map_err(|error| format!("cannot read: {error}"))?;
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link; Torikomi takes in only regular files".to_owned());
    }
    if meta.is_dir() {
        return Err("is a folder that cannot be read".to_owned());
    }
    if !meta.is_file() {
        return Err("is not a regular file (a device, pipe or socket)".to_owned());
    }
    if meta.len() > limits.max_file_bytes {
        return Err(format!("{} bytes is over the {}-byte limit", meta.len(), limits.max_file_bytes));
    }
    fs::read(path).map_err(|error| format!("cannot read: {error}"))
}

/// Copies the bytes to `originals/ab/abcdef…` (once; whole or not at all),
/// so the queue never depends on the source staying where it was.
fn keep_original(originals: &Path, hash: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    let dir = originals.join(&hash[..2]);
    let path = dir.join(hash);
    if path.exists() {
        return Ok(path);
    }
    torikomi_deliver::drop_file(&dir, hash, bytes).map_err(|error| error.to_string())
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// Where the batch stands, sent after every step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub total: usize,
    pub exported: usize,
    pub failed: usize,
    /// Pages read in this run.
    pub pages_read: usize,
    pub elapsed: Duration,
    /// Why structuring is waiting, while the model server cannot be reached.
    pub model_unavailable: Option<String>,
}

impl Progress {
    pub fn done(&self) -> usize {
        self.exported + self.failed
    }

    pub fn pages_per_minute(&self) -> f64 {
        self.pages_read as f64 / self.elapsed.as_secs_f64().max(1e-3) * 60.0
    }

    /// Time left at this run's pace so far, once something is done.
    pub fn remaining(&self, done_this_run: usize) -> Option<Duration> {
        (done_this_run > 0).then(|| {
            let left = self.total.saturating_sub(self.done());
            self.elapsed.mul_f64(left as f64 / done_this_run as f64)
        })
    }
}

pub struct BatchConfig {
    /// Reader threads (intake + OCR), one per core by default.
    pub readers: usize,
    pub converter: ConverterConfig,
    /// How long to wait for a model server that cannot be reached once
    /// nothing else is left to do; None waits for ever (a watched folder).
    /// Documents still waiting stay read, and the next run structures them.
    pub model_wait: Option<Duration>,
    /// Structured documents wait for a person's approval instead of being
    /// exported by the run (the desktop app).
    pub hold_for_review: bool,
}

/// How a run of the queue ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueOutcome {
    /// Documents read but not structured, because the model server could
    /// not be reached (and why).
    pub waiting_for_model: Option<(usize, String)>,
}

/// Retries of a model server that cannot be reached: 1 s, doubling to 30 s.
struct ModelBackoff {
    since: Instant,
    retry_at: Instant,
    delay: Duration,
    reason: String,
}

impl ModelBackoff {
    fn after(previous: Option<ModelBackoff>, reason: String) -> ModelBackoff {
        let (since, delay) = match previous {
            Some(previous) => (previous.since, (previous.delay * 2).min(Duration::from_secs(30))),
            None => (Instant::now(), Duration::from_secs(1)),
        };
        ModelBackoff { since, retry_at: Instant::now() + delay, delay, reason }
    }
}

/// Runs the queue until nothing is left to do: reading on `config.readers`
/// threads, structuring and `export` on this thread. `export` writes a
/// structured document's outputs; its error fails that document.
///
/// # Errors
/// The store failing, or no OCR engine starting; a bad document only fails
/// itself.
pub fn run_queue(
    store_path: &Path,
    config: BatchConfig,
    extractor: &mut Extractor,
    mut export: impl FnMut(&QueuedDocument, &ConvertedDocument) -> Result<(), String>,
    mut progress: impl FnMut(&Progress, usize),
) -> Result<QueueOutcome, BatchError> {
    let store = Store::open(store_path)?;
    // Documents left `reading` are requeued below, which is only right when
    // no other process is reading them: one queue runner per database.
    let lock_path = store_path.with_extension("queue-lock");
    let lock = fs::File::create(&lock_path).map_err(|source| BatchError::Lock { path: lock_path.clone(), source })?;
    lock.try_lock().map_err(|_| BatchError::Busy { path: store_path.to_owned() })?;
    store.requeue_interrupted()?;
    let started = Instant::now();
    let (read_tx, read_rx) = mpsc::channel::<Result<usize, BatchError>>();
    let mut pages_read = 0;
    let mut done_this_run = 0;
    let mut backoff: Option<ModelBackoff> = None;
    std::thread::scope(|scope| -> Result<QueueOutcome, BatchError> {
        for _ in 0..config.readers.max(1) {
            let read_tx = read_tx.clone();
            let converter_config = config.converter.clone();
            scope.spawn(move || {
                let outcome = read_documents(store_path, converter_config, &read_tx);
                if let Err(error) = outcome {
                    let _ = read_tx.send(Err(error));
                }
            });
        }
        drop(read_tx);
        let mut readers_running = true;
        loop {
            let may_structure = backoff.as_ref().is_none_or(|backoff| Instant::now() >= backoff.retry_at);
            let to_export = if config.hold_for_review { None } else { store.next_in(DocumentState::Structured)? };
            let worked = if let Some(document) = to_export {
                let outcome = stored_document(&store, &document, true).and_then(|converted| export(&document, &converted));
                match outcome {
                    Ok(()) => store.advance(document.id, DocumentState::Exported, None, None)?,
                    Err(reason) => store.fail(document.id, &format!("export: {reason}"))?,
                }
                done_this_run += 1;
                true
            } else if may_structure && let Some(document) = store.next_in(DocumentState::Read)? {
                match stored_document(&store, &document, false) {
                    Ok(mut converted) => match converted.try_structure(extractor) {
                        Ok(()) => {
                            backoff = None;
                            let record = serde_json::to_vec(&converted.record).expect("records serialise");
                            store.advance(document.id, DocumentState::Structured, Some(&record), None)?;
                        }
                        Err(unavailable) => {
                            tracing::warn!(%unavailable, "waiting for the model server");
                            backoff = Some(ModelBackoff::after(backoff.take(), unavailable.to_string()));
                        }
                    },
                    Err(reason) => store.fail(document.id, &reason)?,
                }
                true
            } else {
                false
            };
            if !worked {
                let waiting = match &backoff {
                    Some(backoff) if store.next_in(DocumentState::Read)?.is_some() => Some(backoff),
                    _ => None,
                };
                match (readers_running, waiting) {
                    (false, None) => break,
                    (false, Some(waiting)) => {
                        if config.model_wait.is_some_and(|limit| waiting.since.elapsed() >= limit) {
                            let count = store.count_in(DocumentState::Read)?;
                            return Ok(QueueOutcome { waiting_for_model: Some((count, waiting.reason.clone())) });
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    (true, _) => match read_rx.recv_timeout(Duration::from_millis(200)) {
                        Ok(Ok(pages)) => pages_read += pages,
                        Ok(Err(error)) => return Err(error),
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => readers_running = false,
                    },
                }
            }
            while let Ok(message) = read_rx.try_recv() {
                pages_read += message?;
            }
            let report = Progress {
                total: store.document_count()?,
                exported: store.count_in(DocumentState::Exported)?,
                failed: store.count_in(DocumentState::Failed)?,
                pages_read,
                elapsed: started.elapsed(),
                model_unavailable: backoff.as_ref().map(|backoff| backoff.reason.clone()),
            };
            progress(&report, done_this_run);
        }
        Ok(QueueOutcome::default())
    })
}

/// One reader: claims queued documents until none is left. A document
/// that fails to read is failed with its reason (counted as 0 pages).
fn read_documents(
    store_path: &Path,
    config: ConverterConfig,
    read_tx: &mpsc::Sender<Result<usize, BatchError>>,
) -> Result<(), BatchError> {
    let store = Store::open(store_path)?;
    let mut converter = Converter::new(config)?;
    while let Some(document) = store.claim_for_reading()? {
        let _span = tracing::debug_span!("read_document", id = document.id.0).entered();
        // A document combined from several files keeps one original per line.
        let files: Vec<PathBuf> = document.original.lines().map(PathBuf::from).collect();
        match converter.convert(&files) {
            Ok(converted) => {
                if !converted.page_images.is_empty() {
                    store.put_page_images(document.id, &converted.page_images)?;
                }
                let pages = serde_json::to_vec(&converted.pages).expect("pages serialise");
                store.advance(document.id, DocumentState::Read, Some(&pages), Some(converted.pages.len()))?;
                if read_tx.send(Ok(converted.pages.len())).is_err() {
                    return Ok(());
                }
            }
            Err(error) => {
                let reason = files.iter().fold(error.to_string(), |reason, file| {
                    reason.replace(&file.display().to_string(), &document.name)
                });
                store.fail(document.id, &reason)?;
                if read_tx.send(Ok(0)).is_err() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// `name-<8 hex of the hash>`: a document's output folder, readable, and
/// unique however many files share a name.
pub fn output_name(document: &QueuedDocument) -> String {
    let stem = Path::new(&document.name).file_stem().map_or("document".into(), |stem| stem.to_string_lossy().into_owned());
    format!("{stem}-{}", &document.content_hash[..8])
}

/// The document as `record.json` holds it, from the stored stage results;
/// the error says what is missing or unreadable.
pub fn stored_document(store: &Store, document: &QueuedDocument, with_record: bool) -> Result<ConvertedDocument, String> {
    let stored = |state| store.result(document.id, state).map_err(|error| error.to_string());
    let pages: Vec<PageText> = stored(DocumentState::Read)?
        .ok_or("its pages are missing from the store")
        .and_then(|json| serde_json::from_slice(&json).map_err(|_| "its stored pages are unreadable"))
        .map_err(str::to_owned)?;
    let record = if with_record {
        let json = stored(DocumentState::Structured)?.ok_or("its record is missing from the store")?;
        Some(serde_json::from_slice(&json).map_err(|error| format!("its stored record is unreadable: {error}"))?)
    } else {
        None
    };
    Ok(ConvertedDocument {
        id: document.content_hash.chars().take(16).collect(),
        sources: vec![document.name.clone()],
        pages,
        record,
        page_images: Vec::new(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start OCR: {0}")]
    Engine(#[from] OcrError),
    #[error("cannot create {}: {source}", path.display())]
    Lock { path: PathBuf, source: std::io::Error },
    #[error("another torikomi import or watch is working through the queue in {}", path.display())]
    Busy { path: PathBuf },
}

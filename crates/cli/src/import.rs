//! `torikomi import`, `watch` and `queue`: batches over the durable queue
//! in the local database, which the desktop app shares.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::Value;
use torikomi_extract::Extractor;
use torikomi_pipeline::batch::{BatchConfig, Intake, Progress, QueueOutcome, output_name, run_queue, take_in};
use torikomi_store::{DocumentId, DocumentState, Store};

use crate::convert::{OcrArgs, converter_config};
use torikomi_pipeline::output::Exporter;

use crate::export::OutputArgs;
use crate::structuring::StructuringArgs;

#[derive(Args)]
pub struct ImportArgs {
    /// Files and folders (walked) to take in; the same file twice is one
    /// document. None: finish what the queue holds (after a crash, a retry).
    paths: Vec<PathBuf>,
    /// Seconds to wait for a model server that cannot be reached, once
    /// everything else is done; what is still waiting is finished by the
    /// next run.
    #[arg(long, default_value_t = 300.0)]
    model_wait: f64,
    #[command(flatten)]
    batch: BatchArgs,
}

#[derive(Args)]
pub struct WatchArgs {
    /// The folder a scanner or fax server writes into. Files are taken in
    /// once they stop changing, then moved to its done/ or failed/.
    folder: PathBuf,
    /// Seconds a file's size and time must stay unchanged before it is read.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// Seconds between looks at the folder.
    #[arg(long, default_value_t = 1.0)]
    poll: f64,
    #[command(flatten)]
    batch: BatchArgs,
}

#[derive(Args)]
pub struct BatchArgs {
    /// Output folder: each document goes to DIR/<name>-<first 8 hex of its hash>/.
    #[arg(long)]
    out: PathBuf,
    /// Higher goes first (a clinician's document ahead of the batch).
    #[arg(long, default_value_t = 0)]
    priority: i64,
    /// Reader threads (intake and OCR); default one per core.
    #[arg(long)]
    jobs: Option<usize>,
    #[command(flatten)]
    ocr: OcrArgs,
    #[command(flatten)]
    structuring: StructuringArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Every document the queue holds, with its state and any error.
    List {
        #[arg(long, env = "TORIKOMI_STORE")]
        store: Option<PathBuf>,
    },
    /// Queue a failed or cancelled document again, from the start.
    Retry {
        id: i64,
        #[arg(long, env = "TORIKOMI_STORE")]
        store: Option<PathBuf>,
    },
    /// Take a document that has not been read yet out of the queue.
    Cancel {
        id: i64,
        #[arg(long, env = "TORIKOMI_STORE")]
        store: Option<PathBuf>,
    },
}

pub fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let exporter = args.batch.output.exporter()?;
    let store = exporter.store();
    let config = converter_config(&args.batch.ocr);
    let intake = take_in(store, &originals_dir(exporter.store().path()), &args.paths, args.batch.priority, &config.intake.limits)?;
    if !intake.is_empty() {
        eprintln!("{} files taken in", intake.len());
    }
    let mut extractor = args.batch.structuring.extractor()?;
    let outcome = process(&args.batch, &exporter, &mut extractor, Some(Duration::from_secs_f64(args.model_wait)))?;
    if let Some((count, reason)) = &outcome.waiting_for_model {
        println!("waiting {count} documents are read and wait for the model server ({reason}); run `torikomi import` again to finish them");
    }
    let code = report(store, &intake)?;
    Ok(if outcome.waiting_for_model.is_some() { ExitCode::FAILURE } else { code })
}

pub fn watch(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let exporter = args.batch.output.exporter()?;
    let store = exporter.store();
    let limits = converter_config(&args.batch.ocr).intake.limits;
    let done_dir = args.folder.join("done");
    let failed_dir = args.folder.join("failed");
    for dir in [&done_dir, &failed_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let settle = Duration::from_secs_f64(args.settle);
    // Loaded once: a large model takes a while to load.
    let mut extractor = args.batch.structuring.extractor()?;
    let mut watched: HashMap<PathBuf, (FileStamp, Instant)> = HashMap::new();
    eprintln!("watching {} (settle {:.1} s)", args.folder.display(), args.settle);
    loop {
        let mut ready = Vec::new();
        let mut present = Vec::new();
        for path in candidates(&args.folder)? {
            let stamp = FileStamp::of(&path);
            present.push(path.clone());
            match watched.get(&path) {
                Some((seen, since)) if *seen == stamp => {
                    if since.elapsed() >= settle {
                        ready.push(path);
                    }
                }
                _ => {
                    watched.insert(path, (stamp, Instant::now()));
                }
            }
        }
        watched.retain(|path, _| present.contains(path));
        if !ready.is_empty() {
            let intake = take_in(store, &originals_dir(exporter.store().path()), &ready, args.batch.priority, &limits)?;
            process(&args.batch, &exporter, &mut extractor, None)?;
            for outcome in &intake {
                settle_file(store, outcome, &done_dir, &failed_dir)?;
            }
            for path in &ready {
                watched.remove(path);
            }
        }
        std::thread::sleep(Duration::from_secs_f64(args.poll));
    }
}

/// Moves a taken-in file to done/ or failed/ (with NAME.error.txt saying
/// why) once its document has reached its end.
fn settle_file(store: &Store, outcome: &Intake, done_dir: &Path, failed_dir: &Path) -> anyhow::Result<()> {
    let (path, failure) = match outcome {
        Intake::Rejected { path, reason } => (path, Some(reason.clone())),
        Intake::AlreadyImported { path, .. } => (path, None),
        Intake::Queued { path, id } => {
            let document = store.document(*id)?;
            let failure = document.filter(|d| d.state == DocumentState::Failed).map(|d| d.error.unwrap_or_default());
            (path, failure)
        }
    };
    let name = file_name(path);
    let to = match &failure {
        Some(reason) => {
            std::fs::write(failed_dir.join(format!("{name}.error.txt")), format!("{reason}\n"))?;
            eprintln!("failed {name}: {reason}");
            failed_dir.join(&name)
        }
        None => {
            eprintln!("done   {name}");
            done_dir.join(&name)
        }
    };
    std::fs::rename(path, &to).with_context(|| format!("cannot move {} to {}", path.display(), to.display()))
}

/// Files directly in the watched folder, except hidden and temporary ones
/// (a scanner's `.part`, `.tmp`, `~`) and the done/ and failed/ folders.
fn candidates(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read {}", folder.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|kind| !kind.is_dir()))
        .map(|entry| entry.path())
        .filter(|path| {
            let name = file_name(path);
            !(name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") || name.ends_with('~'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Size and modification time: a file still being written changes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    size: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> FileStamp {
        let meta = std::fs::symlink_metadata(path).ok();
        FileStamp {
            size: meta.as_ref().map_or(0, |meta| meta.len()),
            modified: meta.and_then(|meta| meta.modified().ok()),
        }
    }
}

/// Runs the queue to its end, printing progress on stderr.
fn process(
    batch: &BatchArgs,
    exporter: &Exporter,
    extractor: &mut Extractor,
    model_wait: Option<Duration>,
) -> anyhow::Result<QueueOutcome> {
    let readers = batch.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = BatchConfig { readers, converter: converter_config(&batch.ocr), model_wait, hold_for_review: false };
    let mut printer = ProgressPrinter::default();
    let outcome = run_queue(
        exporter.store().path(),
        config,
        extractor,
        |document, converted| {
            let out_dir = batch.out.join(output_name(document));
            exporter.write(converted, &out_dir).map(drop).map_err(|error| format!("{error:#}"))
        },
        |progress, done_this_run| printer.show(progress, done_this_run),
    )?;
    printer.finish();
    Ok(outcome)
}

#[derive(Default)]
struct ProgressPrinter {
    /// Documents done, whether structuring was waiting, and when, at the last line.
    last: Option<(usize, bool, Instant)>,
    drew: bool,
}

impl ProgressPrinter {
    /// One line, redrawn in place on a terminal; elsewhere a line per
    /// finished document.
    fn show(&mut self, progress: &Progress, done_this_run: usize) {
        let terminal = std::io::stderr().is_terminal();
        let waiting = progress.model_unavailable.is_some();
        let changed = self.last.is_none_or(|(done, was_waiting, at)| {
            done != progress.done() || was_waiting != waiting || (terminal && at.elapsed() > Duration::from_secs(1))
        });
        if !changed {
            return;
        }
        self.last = Some((progress.done(), waiting, Instant::now()));
        let left = progress.remaining(done_this_run).map_or("—".to_owned(), |left| format!("{}m{:02}s", left.as_secs() / 60, left.as_secs() % 60));
        let mut line = format!(
            "[{}/{}] {} exported, {} failed · {:.1} pages/min · {left} left",
            progress.done(),
            progress.total,
            progress.exported,
            progress.failed,
            progress.pages_per_minute()
        );
        if let Some(reason) = &progress.model_unavailable {
            line.push_str(&format!(" · waiting for the model server: {reason}"));
        }
        if terminal {
            eprint!("\r{line}\x1b[K");
            self.drew = true;
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if self.drew {
            eprintln!();
        }
    }
}

/// What became of each file taken in: exported (and whether a person
/// should look first), already imported, or failed with the reason.
fn report(store: &Store, intake: &[Intake]) -> anyhow::Result<ExitCode> {
    let (mut exported, mut review, mut failed, mut known) = (0, 0, 0, 0);
    for outcome in intake {
        match outcome {
            Intake::Rejected { path, reason } => {
                failed += 1;
                println!("failed  {}: {reason}", path.display());
            }
            Intake::AlreadyImported { path, as_name, id, .. } => {
                known += 1;
                let state = store.document(*id)?.map_or("gone", |document| document.state.as_str());
                println!("known   {}: already imported as {as_name} ({state})", path.display());
            }
            Intake::Queued { path, id } => {
                let Some(document) = store.document(*id)? else { continue };
                match document.state {
                    DocumentState::Exported if needs_review(store, document.id)? => {
                        review += 1;
                        println!("review  {}: exported; some values are flagged for a person to check", path.display());
                    }
                    DocumentState::Exported => {
                        exported += 1;
                        println!("ok      {}", path.display());
                    }
                    state => {
                        failed += 1;
                        let reason = document.error.clone().unwrap_or_else(|| state.as_str().to_owned());
                        println!("failed  {}: {reason}", path.display());
                    }
                }
            }
        }
    }
    println!("{exported} exported, {review} exported for review, {known} already imported, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A record with notes, or any value flagged (ungrounded, unsure date, low
/// OCR confidence), wants a person's look before it is trusted.
fn needs_review(store: &Store, id: DocumentId) -> anyhow::Result<bool> {
    let Some(json) = store.result(id, DocumentState::Structured)? else { return Ok(false) };
    let record: Value = serde_json::from_slice(&json)?;
    fn flagged(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                map.get("flags").and_then(Value::as_array).is_some_and(|flags| !flags.is_empty())
                    || map.values().any(flagged)
            }
            Value::Array(items) => items.iter().any(flagged),
            _ => false,
        }
    }
    let has_notes = record.get("notes").and_then(Value::as_array).is_some_and(|notes| !notes.is_empty());
    Ok(has_notes || flagged(&record))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// Originals are kept beside the database.
fn originals_dir(store_path: &Path) -> PathBuf {
    store_path.parent().unwrap_or(Path::new(".")).join("originals")
}

pub fn queue(command: QueueCommand) -> anyhow::Result<ExitCode> {
    let open = |store: Option<PathBuf>| Store::open(&store.unwrap_or_else(crate::export::default_store_path));
    match command {
        QueueCommand::List { store } => {
            for document in open(store)?.documents()? {
                let error = document.error.map(|error| format!(": {error}")).unwrap_or_default();
                println!("{:>5} {:<10} {}{error}", document.id.0, document.state.as_str(), document.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Retry { id, store } => {
            let retried = open(store)?.retry(DocumentId(id))?;
            anyhow::ensure!(retried, "document {id} is not failed or cancelled (or has nothing to read again)");
            println!("queued {id} again; `torikomi import` or `watch` will read it");
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Cancel { id, store } => {
            let cancelled = open(store)?.cancel(DocumentId(id))?;
            anyhow::ensure!(cancelled, "document {id} is not waiting in the queue");
            println!("cancelled {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

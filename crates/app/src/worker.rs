//! The background thread: runs the queue (read, then structure, then hold
//! for review), exports what a person approved, and tells the front end
//! what changed. It owns the model, loaded once and again only when the
//! settings name another.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use torikomi_deliver::{SendPolicy, send_pending};
use torikomi_extract::{Extractor, ModelAssist};
use torikomi_llm::{GpuLayers, Llm, ModelConfig};
use torikomi_pipeline::batch::{BatchConfig, output_name, run_queue, stored_document};
use torikomi_pipeline::output::{Exporter, OutputFormat, enqueue_hl7, hl7_files};
use torikomi_pipeline::runtime;
use torikomi_store::{DeliveryRecord, DocumentState, QueuedDocument, Store};

use crate::{AppEvent, AppSettings, DocumentOverview, QueueCounts, counts, overview};

pub(crate) enum Signal {
    Work,
    Stop,
}

/// How long structuring waits for an unreachable model server before the
/// queue run ends and the worker looks at approvals again.
const MODEL_WAIT: Duration = Duration::from_secs(30);

/// Between looks at the queue when nothing wakes the worker (another
/// process may have added to it).
const IDLE_POLL: Duration = Duration::from_secs(2);

/// Which model the loaded extractor was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelChoice {
    use_model: bool,
    model_file: PathBuf,
    gpu_layers: String,
}

pub(crate) struct Worker {
    data_dir: PathBuf,
    store_path: PathBuf,
    events: Arc<dyn Fn(AppEvent) + Send + Sync>,
    extractor: Option<(ModelChoice, Extractor)>,
    /// Why the model is not in use although the settings ask for it.
    model_problem: Option<String>,
    /// The newest `updated_at` already reported.
    reported_until: String,
}

impl Worker {
    pub(crate) fn new(data_dir: PathBuf, store_path: PathBuf, events: Arc<dyn Fn(AppEvent) + Send + Sync>) -> Worker {
        Worker { data_dir, store_path, events, extractor: None, model_problem: None, reported_until: String::new() }
    }

    pub(crate) fn run(mut self, signals: &mpsc::Receiver<Signal>) {
        let store = match Store::open(&self.store_path) {
            Ok(store) => store,
            Err(error) => {
                tracing::error!(%error, "the worker cannot open the store");
                return;
            }
        };
        loop {
            if let Err(error) = self.work(&store) {
                tracing::error!(%error, "background work failed; trying again");
            }
            match signals.recv_timeout(IDLE_POLL) {
                Ok(Signal::Work) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(Signal::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn work(&mut self, store: &Store) -> Result<(), crate::AppError> {
        let settings = AppSettings::load(store)?;
        let waiting = store.count_in(DocumentState::Queued)? + store.count_in(DocumentState::Read)?;
        if waiting > 0 {
            self.run_queue(store, &settings)?;
        }
        while let Some(document) = store.next_in(DocumentState::Approved)? {
            self.export(store, &document, &settings)?;
            self.report_changes(store)?;
        }
        self.report_changes(store)
    }

    fn run_queue(&mut self, store: &Store, settings: &AppSettings) -> Result<(), crate::AppError> {
        let mut converter = runtime::converter_config(settings.ocr_engine()?);
        converter.keep_page_images = true;
        let readers = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        let config = BatchConfig { readers, converter, model_wait: Some(MODEL_WAIT), hold_for_review: true };
        let events = Arc::clone(&self.events);
        let model_problem = self.model_problem_after_loading(settings);
        let extractor = &mut self.extractor.as_mut().expect("loaded above").1;
        let mut reported_until = std::mem::take(&mut self.reported_until);
        let outcome = run_queue(
            &self.store_path,
            config,
            extractor,
            |_, _| Ok(()),
            |progress, _| {
                let model_unavailable = progress.model_unavailable.clone().or_else(|| model_problem.clone());
                let extra = (progress.pages_per_minute(), model_unavailable);
                if let Err(error) = report(store, &events, &mut reported_until, Some(extra)) {
                    tracing::warn!(%error, "cannot report progress");
                }
            },
        );
        self.reported_until = reported_until;
        if let Err(error) = outcome {
            // Another process (torikomi import) holds the queue: its
            // results show up here as they are committed.
            tracing::warn!(%error, "the queue did not run");
        }
        Ok(())
    }

    /// Loads the model the settings name, unless it is loaded already; a
    /// model that does not load leaves the rules alone, and says why.
    fn model_problem_after_loading(&mut self, settings: &AppSettings) -> Option<String> {
        let choice = ModelChoice {
            use_model: settings.use_model,
            model_file: settings.model_file(runtime::models_dir()),
            gpu_layers: settings.gpu_layers.clone(),
        };
        if self.extractor.as_ref().is_some_and(|(loaded, _)| *loaded == choice) {
            return self.model_problem.clone();
        }
        self.extractor = None;
        self.model_problem = None;
        let extractor = if choice.use_model {
            let config = ModelConfig { gpu_layers: settings.gpu_layers().unwrap_or(GpuLayers::Auto), ..ModelConfig::new(&choice.model_file) };
            match Llm::load(&config) {
                Ok(llm) => Extractor::with_model(ModelAssist::new(Box::new(llm), Vec::new())),
                Err(error) => {
                    self.model_problem = Some(format!("the model did not load ({error}); structuring with the rules alone"));
                    Extractor::rules_only()
                }
            }
        } else {
            Extractor::rules_only()
        };
        self.extractor = Some((choice, extractor));
        self.model_problem.clone()
    }

    /// Writes an approved document to the export folder and sends its HL7
    /// to the MLLP engine when one is set; records where it went.
    fn export(&self, store: &Store, document: &QueuedDocument, settings: &AppSettings) -> Result<(), crate::AppError> {
        let converted = match stored_document(store, document, true) {
            Ok(converted) => converted,
            Err(reason) => {
                store.finish_export(document.id, &[], Some(&format!("export: {reason}")))?;
                return Ok(());
            }
        };
        let root = if settings.export_folder.trim().is_empty() {
            self.data_dir.join("exports")
        } else {
            PathBuf::from(settings.export_folder.trim())
        };
        let out_dir = root.join(output_name(document));
        let config = settings.output_config()?;
        let sends_hl7 = config.formats.contains(&OutputFormat::Hl7);
        let exporter = Exporter::new(config, Store::open(&self.store_path)?);
        if let Err(error) = exporter.write(&converted, &out_dir) {
            store.finish_export(document.id, &[], Some(&format!("export: {error}")))?;
            return Ok(());
        }
        let mut deliveries = vec![delivery(&format!("folder:{}", root.display()), "written", &out_dir.display().to_string())];
        let mut failure = None;
        if let Some(target) = settings.mllp_target()?
            && sends_hl7
        {
            let destination = target.destination();
            enqueue_hl7(store, &destination, &converted.id, &hl7_files(&out_dir)?)?;
            let policy = SendPolicy { ack_timeout: Duration::from_secs(10), max_attempts: 3, ..SendPolicy::default() };
            let ours: Vec<String> = store
                .outbox(&destination)?
                .into_iter()
                .filter(|message| message.document_id == converted.id)
                .map(|message| message.control_id)
                .collect();
            match send_pending(store, &target, &policy) {
                Ok(report) => {
                    for control_id in report.delivered.iter().filter(|id| ours.contains(id)) {
                        deliveries.push(delivery(&destination, "delivered", control_id));
                    }
                    for (control_id, reason) in report.refused.iter().filter(|(id, _)| ours.contains(id)) {
                        deliveries.push(delivery(&destination, "refused", &format!("{control_id}: {reason}")));
                        failure = Some(format!("the interface engine refused {control_id}: {reason}"));
                    }
                    for (control_id, error) in report.pending.iter().filter(|(id, _)| ours.contains(id)) {
                        deliveries.push(delivery(&destination, "pending", &format!("{control_id}: {error}")));
                    }
                }
                Err(error) => deliveries.push(delivery(&destination, "pending", &error.to_string())),
            }
        }
        store.finish_export(document.id, &deliveries, failure.as_deref())?;
        Ok(())
    }

    fn report_changes(&mut self, store: &Store) -> Result<(), crate::AppError> {
        report(store, &self.events, &mut self.reported_until, None)
    }
}

fn delivery(target: &str, status: &str, detail: &str) -> DeliveryRecord {
    DeliveryRecord { target: target.to_owned(), status: status.to_owned(), detail: detail.to_owned(), at: String::new() }
}

/// Sends the documents changed since the last report, then the counts.
fn report(
    store: &Store,
    events: &Arc<dyn Fn(AppEvent) + Send + Sync>,
    reported_until: &mut String,
    extra: Option<(f64, Option<String>)>,
) -> Result<(), crate::AppError> {
    for document in store.documents_changed_since(reported_until)? {
        reported_until.clone_from(&document.updated_at);
        let overview: DocumentOverview = overview(store, document)?;
        events(AppEvent::DocumentChanged(overview));
    }
    let (pages_per_minute, model_unavailable) = extra.unwrap_or_default();
    events(AppEvent::Progress(QueueCounts { pages_per_minute, model_unavailable, ..counts(store)? }));
    Ok(())
}

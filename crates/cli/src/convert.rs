use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, mpsc};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::Args;
use torikomi_ocr::EngineChoice;
use torikomi_extract::Extractor;
use torikomi_pipeline::{ConvertedDocument, Converter, ConverterConfig};

use torikomi_pipeline::output::Exporter;

use crate::export::OutputArgs;
use torikomi_pipeline::runtime;
use crate::structuring::StructuringArgs;

#[derive(Args)]
pub struct ConvertArgs {
    /// Input files; each is one document unless --as-one.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output directory; each document goes to DIR/<first file's stem>/.
    #[arg(long)]
    out: PathBuf,
    /// All files are the pages of one document, in the order given.
    #[arg(long)]
    as_one: bool,
    /// Documents read (OCR) at once (default: one per CPU core). Structuring
    /// runs on one thread that owns the model.
    #[arg(long)]
    jobs: Option<usize>,
    #[command(flatten)]
    ocr: OcrArgs,
    #[command(flatten)]
    structuring: StructuringArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Which OCR engine reads scanned pages, faxes and photos.
#[derive(Args, Clone)]
pub struct OcrArgs {
    /// OCR engine: `tesseract`, `ppocr` (PP-OCRv6 through ONNX Runtime), or
    /// `auto`: PP-OCR where its models are fetched, else Tesseract.
    #[arg(long = "ocr", default_value = "auto", env = "TORIKOMI_OCR")]
    engine: EngineChoice,
}

impl OcrArgs {
    pub fn with(engine: EngineChoice) -> Self {
        Self { engine }
    }

    /// The same choice, as an argument of a child `torikomi`.
    pub fn forward(&self, command: &mut std::process::Command) {
        command.args(["--ocr", self.engine.name()]);
    }
}

pub fn converter_config(ocr: &OcrArgs) -> ConverterConfig {
    runtime::converter_config(ocr.engine)
}

/// One document to convert and where its output goes.
struct Job {
    files: Vec<PathBuf>,
    out_dir: PathBuf,
}

pub fn run(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let groups: Vec<Vec<PathBuf>> =
        if args.as_one { vec![args.files.clone()] } else { args.files.iter().map(|f| vec![f.clone()]).collect() };
    let jobs = assign_output_dirs(groups, &args.out);
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len());
    let mut extractor = args.structuring.extractor()?;
    let exporter = args.output.exporter()?;
    let mut config = converter_config(&args.ocr);
    // Cores that no document worker uses go to PP-OCR's model runs.
    config.ppocr.threads = (std::thread::available_parallelism().map_or(1, |n| n.get()) / workers).max(1);
    let failures = convert_all(&jobs, workers, &config, &mut extractor, &exporter)?;
    if failures > 0 {
        eprintln!("{failures} of {} documents failed", jobs.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Output folders are named after the first file's stem; two inputs with
/// the same stem (scan.pdf from two folders) get `-2`, `-3`… in input order.
fn assign_output_dirs(groups: Vec<Vec<PathBuf>>, out: &Path) -> Vec<Job> {
    let mut seen = HashMap::<String, usize>::new();
    groups
        .into_iter()
        .map(|files| {
            let stem = files[0].file_stem().map_or_else(|| "document".into(), |s| s.to_string_lossy().into_owned());
            let count = seen.entry(stem.clone()).or_default();
            *count += 1;
            let name = if *count == 1 { stem } else { format!("{stem}-{count}") };
            Job { files, out_dir: out.join(name) }
        })
        .collect()
}

/// Reads every job on `workers` threads, each with its own converter, and
/// structures the documents on this thread as they arrive (the model has
/// one context); prints one line per document as it finishes. Returns the
/// failure count.
fn convert_all(
    jobs: &[Job],
    workers: usize,
    config: &ConverterConfig,
    extractor: &mut Extractor,
    exporter: &Exporter,
) -> anyhow::Result<usize> {
    let next = AtomicUsize::new(0);
    let mut failures = 0;
    let setup_error = Mutex::new(None);
    let (read, to_structure) = mpsc::sync_channel::<(&Job, anyhow::Result<ConvertedDocument>)>(workers);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let read = read.clone();
            let (next, setup_error) = (&next, &setup_error);
            scope.spawn(move || {
                let mut converter = match Converter::new(config.clone()) {
                    Ok(converter) => converter,
                    Err(error) => {
                        setup_error.lock().expect("not poisoned").get_or_insert(error);
                        return;
                    }
                };
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let document = converter.convert(&job.files).map_err(anyhow::Error::from);
                    if read.send((job, document)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(read);
        for (job, document) in to_structure {
            let outcome = document.and_then(|mut document| {
                document.structure(extractor);
                exporter.write(&document, &job.out_dir).map(|written| (document, written)).map_err(anyhow::Error::from)
            });
            match outcome {
                Ok((document, written)) => println!(
                    "ok     {} → {} ({} pages, {} files)",
                    job.files[0].display(),
                    job.out_dir.display(),
                    document.pages.len(),
                    written.len()
                ),
                Err(error) => {
                    failures += 1;
                    println!("failed {:#}", error);
                }
            }
        }
    });
    if let Some(error) = setup_error.into_inner().expect("not poisoned") {
        return Err(error).context("cannot start OCR");
    }
    Ok(failures)
}

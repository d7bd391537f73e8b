//! `torikomi`: the command line over the Torikomi pipeline. It converts
//! documents, exports and delivers them, and measures the stages with
//! benchmarks.

mod bench;
mod convert;
mod export;
mod import;
mod structuring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "torikomi", version, about = "Paper referrals, lab reports and medication lists into structured records")]
struct Cli {
    /// Log what the pipeline does (to stderr); `RUST_LOG` gives finer control.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read documents (PDF, JPEG, PNG, TIFF) and write DIR/<name>/ for each:
    /// record.json, mml.xml, hl7/*.hl7 and fhir.json.
    Convert(convert::ConvertArgs),
    /// Write converted documents again, copy their HL7 to a folder, or send
    /// it to the interface engine over MLLP (and retry what is pending).
    Export(export::ExportArgs),
    /// Take in files and folders as a batch through the durable queue:
    /// progress as it goes, a report at the end; safe to kill and run again.
    Import(import::ImportArgs),
    /// Take in what a scanner or fax server drops into a folder, as it arrives.
    Watch(import::WatchArgs),
    /// Look at the queue; retry a failed document or cancel a waiting one.
    Queue {
        #[command(subcommand)]
        command: import::QueueCommand,
    },
    /// Benchmarks that print tables.
    Bench {
        #[command(subcommand)]
        stage: BenchStage,
    },
}

#[derive(Subcommand)]
enum BenchStage {
    /// OCR quality and speed over a fixture set, by form and layout.
    Ocr {
        /// A directory of fixture documents (each a folder with truth.json).
        #[arg(default_value = "tests/fixtures/generated")]
        fixtures: PathBuf,
        /// Only these forms (file names such as scan.pdf); default all.
        #[arg(long = "form")]
        forms: Vec<String>,
        /// Engines to compare, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "tesseract,ppocr,auto")]
        engines: Vec<torikomi_ocr::EngineChoice>,
        #[command(flatten)]
        tesseract: bench::TesseractChoice,
    },
    /// Batch import speed and memory: N documents through `torikomi import`
    /// in a child process, for each N.
    Batch {
        #[arg(default_value = "tests/fixtures/generated")]
        fixtures: PathBuf,
        /// Which form of each fixture document to import.
        #[arg(long, default_value = "born_digital.pdf")]
        form: String,
        /// Batch sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
        documents: Vec<usize>,
        #[command(flatten)]
        ocr: convert::OcrArgs,
        #[command(flatten)]
        structuring: structuring::StructuringArgs,
    },
    /// Field-level precision, recall and F1 of the records by field group,
    /// with the rules alone and with the model; model speed and memory.
    Extract {
        #[arg(default_value = "tests/fixtures/generated")]
        fixtures: PathBuf,
        /// Forms to read (default: born_digital.pdf and scan.pdf).
        #[arg(long = "form")]
        forms: Vec<String>,
        #[command(flatten)]
        ocr: convert::OcrArgs,
        #[command(flatten)]
        structuring: structuring::StructuringArgs,
    },
}

fn main() -> ExitCode {
    torikomi_pipeline::runtime::restart_with_one_openmp_thread();
    let cli = Cli::parse();
    let filter = if cli.verbose { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .init();
    let outcome = match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Export(args) => export::run(args),
        Command::Import(args) => import::import(args),
        Command::Watch(args) => import::watch(args),
        Command::Queue { command } => import::queue(command),
        Command::Bench { stage: BenchStage::Ocr { fixtures, forms, engines, tesseract } } => {
            bench::ocr(&fixtures, &forms, &engines, &tesseract)
        }
        Command::Bench { stage: BenchStage::Batch { fixtures, form, documents, ocr, structuring } } => {
            bench::batch(&fixtures, &form, &documents, &ocr, &structuring)
        }
        Command::Bench { stage: BenchStage::Extract { fixtures, forms, ocr, structuring } } => {
            bench::extract(&fixtures, &forms, &ocr, &structuring)
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("torikomi: {error:#}");
            ExitCode::FAILURE
        }
    }
}

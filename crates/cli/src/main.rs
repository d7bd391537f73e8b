//! `torikomi`: the command line over the Torikomi pipeline. It converts
//! documents, and measures the stages with benchmarks.

mod bench;
mod convert;
mod runtime;

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
    /// Read documents (PDF, JPEG, PNG, TIFF) and write DIR/<name>/record.json for each.
    Convert(convert::ConvertArgs),
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
        #[command(flatten)]
        tesseract: bench::TesseractChoice,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = if cli.verbose { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .init();
    // Tesseract's OpenMP threads fight each other and our per-document
    // workers on small machines; one thread per engine is fastest overall.
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("OMP_THREAD_LIMIT", "1") };
    }
    let outcome = match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Bench { stage: BenchStage::Ocr { fixtures, forms, tesseract } } => bench::ocr(&fixtures, &forms, &tesseract),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("torikomi: {error:#}");
            ExitCode::FAILURE
        }
    }
}

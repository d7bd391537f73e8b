//! `torikomi bench …`: tables of quality and speed over the fixture set
//! (OCR; structuring into records).
//! Timings are medians over documents; run on an otherwise idle machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;
use torikomi_ocr::{EngineChoice, PageSegMode, TesseractConfig};
use torikomi_pipeline::Converter;
use torikomi_extract::{Extractor, ModelUsage};
use torikomi_pipeline::quality::{char_f1, character_error_rate};
use torikomi_pipeline::record_quality::{Counts, GROUPS, record_as_truth, score};

use crate::convert::{OcrArgs, converter_config};
use crate::structuring::StructuringArgs;

/// The forms every fixture document is rendered in, in table order.
const FORMS: &[&str] = &[
    "born_digital.pdf",
    "scan.pdf",
    "photo.jpg",
    "fax.tif",
    "page.png",
    "rotated_180.png",
    "rotated_90.jpg",
    "exif_rotated.jpg",
];

#[derive(Deserialize)]
struct Truth {
    pages: Vec<TruthPage>,
}

#[derive(Deserialize)]
struct TruthPage {
    text: String,
}

struct Row {
    form: &'static str,
    engine: &'static str,
    document: String,
    pages: usize,
    cer: f64,
    f1: f64,
    seconds_per_page: f64,
}

/// Tesseract settings to compare; the defaults are the pipeline's own.
#[derive(clap::Args)]
pub struct TesseractChoice {
    /// Tesseract page segmentation mode: 3 (auto), 4 (single column), 6 (single block), 11 (sparse).
    #[arg(long)]
    psm: Option<u8>,
    /// Tesseract languages, e.g. `jpn+eng`.
    #[arg(long)]
    languages: Option<String>,
}

impl TesseractChoice {
    fn apply(&self, config: &mut TesseractConfig) -> anyhow::Result<()> {
        if let Some(psm) = self.psm {
            config.page_segmentation = match psm {
                3 => PageSegMode::PsmAuto,
                4 => PageSegMode::PsmSingleColumn,
                6 => PageSegMode::PsmSingleBlock,
                11 => PageSegMode::PsmSparseText,
                other => anyhow::bail!("--psm {other} is not one of 3, 4, 6, 11"),
            };
        }
        if let Some(languages) = &self.languages {
            config.languages = languages.clone();
        }
        Ok(())
    }
}

/// Reads every fixture in every form with each engine in turn; one row
/// per document, then a summary by form and engine.
pub fn ocr(fixtures: &Path, only_forms: &[String], engines: &[EngineChoice], tesseract: &TesseractChoice) -> anyhow::Result<ExitCode> {
    let documents = fixture_documents(fixtures)?;
    let mut rows = Vec::new();
    let mut peaks = Vec::new();
    println!("| form | engine | document | pages | CER | char F1 | s/page |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for &engine in engines {
        let mut config = converter_config(&OcrArgs::with(engine));
        tesseract.apply(&mut config.tesseract)?;
        let mut converter = Converter::new(config)?;
        for &form in FORMS.iter().filter(|form| only_forms.is_empty() || only_forms.iter().any(|f| f == *form)) {
            reset_peak_memory();
            for document in &documents {
                let file = document.join(form);
                if !file.is_file() {
                    continue;
                }
                let truth: Truth = serde_json::from_slice(&std::fs::read(document.join("truth.json"))?)?;
                let started = Instant::now();
                let converted = converter.convert(std::slice::from_ref(&file))?;
                let seconds = started.elapsed().as_secs_f64();
                // A single photo or image holds only the first page of a
                // multi-page document.
                let truth_text = join(truth.pages.iter().take(converted.pages.len()).map(|p| p.text.as_str()));
                let read_text = join(converted.pages.iter().map(|p| p.text.as_str()));
                let row = Row {
                    form,
                    engine: engine.name(),
                    document: document.file_name().unwrap_or_default().to_string_lossy().into_owned(),
                    pages: converted.pages.len(),
                    cer: character_error_rate(&truth_text, &read_text),
                    f1: char_f1(&truth_text, &read_text),
                    seconds_per_page: seconds / converted.pages.len().max(1) as f64,
                };
                println!(
                    "| {} | {} | {} | {} | {:.1} % | {:.3} | {:.1} |",
                    row.form,
                    row.engine,
                    row.document,
                    row.pages,
                    row.cer * 100.0,
                    row.f1,
                    row.seconds_per_page
                );
                rows.push(row);
            }
            peaks.push((form, engine.name(), peak_memory_mib()));
        }
    }
    print_summary(&rows, &peaks);
    Ok(ExitCode::SUCCESS)
}

fn join<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join("\n")
}

fn print_summary(rows: &[Row], peaks: &[(&str, &str, Option<f64>)]) {
    println!();
    println!("| form | engine | documents | median CER | worst CER | median char F1 | worst char F1 | median s/page | peak RSS MiB |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for &form in FORMS {
        for &(_, engine, peak) in peaks.iter().filter(|(of, _, _)| *of == form) {
            let of_form: Vec<&Row> = rows.iter().filter(|row| row.form == form && row.engine == engine).collect();
            if of_form.is_empty() {
                continue;
            }
            let column = |value: fn(&Row) -> f64| of_form.iter().map(|row| value(row)).collect::<Vec<f64>>();
            println!(
                "| {} | {} | {} | {:.1} % | {:.1} % | {:.3} | {:.3} | {:.1} | {} |",
                form,
                engine,
                of_form.len(),
                median(column(|row| row.cer)) * 100.0,
                column(|row| row.cer).into_iter().fold(0.0, f64::max) * 100.0,
                median(column(|row| row.f1)),
                column(|row| row.f1).into_iter().fold(1.0, f64::min),
                median(column(|row| row.seconds_per_page)),
                peak.map_or_else(|| "n/a".into(), |mib| format!("{mib:.0}")),
            );
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
}

/// Linux lets a process reset its own peak RSS, so each form gets its own peak.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// One structuring run over one document.
struct ExtractRow {
    form: String,
    mode: &'static str,
    counts: [Counts; GROUPS.len()],
    seconds: f64,
}

#[derive(Deserialize)]
struct FieldTruth {
    fields: serde_json::Value,
}

/// Reads each fixture document once per form, then structures it with the
/// rules alone and, unless `--no-llm`, with the model too.
pub fn extract(
    fixtures: &Path,
    only_forms: &[String],
    ocr: &OcrArgs,
    structuring: &StructuringArgs,
) -> anyhow::Result<ExitCode> {
    let documents = fixture_documents(fixtures)?;
    let forms: Vec<String> =
        if only_forms.is_empty() { vec!["born_digital.pdf".into(), "scan.pdf".into()] } else { only_forms.to_vec() };
    let mut converter = Converter::new(converter_config(ocr))?;
    let mut rules = Extractor::rules_only();
    reset_peak_memory();
    let mut with_model = if structuring.uses_model() { Some(structuring.extractor()?) } else { None };
    let mut rows = Vec::new();
    let mut model_usage = ModelUsage::default();
    print!("| form | document | mode |");
    for group in GROUPS {
        print!(" {group} F1 |");
    }
    println!(" s/doc |");
    println!("|---|---|---|{}---:|", "---:|".repeat(GROUPS.len()));
    for form in &forms {
        for document in &documents {
            let file = document.join(form);
            if !file.is_file() {
                continue;
            }
            let truth: FieldTruth = serde_json::from_slice(&std::fs::read(document.join("truth.json"))?)?;
            let converted = converter.convert(std::slice::from_ref(&file))?;
            let name = document.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let mut modes: Vec<(&'static str, &mut Extractor)> = vec![("rules", &mut rules)];
            if let Some(extractor) = with_model.as_mut() {
                modes.push(("rules+model", extractor));
            }
            for (mode, extractor) in modes {
                let before = extractor.model().map(|model| model.usage().clone());
                let started = Instant::now();
                let record = extractor.extract(&converted.pages);
                let seconds = started.elapsed().as_secs_f64();
                if let (Some(before), Some(model)) = (before, extractor.model()) {
                    model_usage.add_difference(model.usage(), &before);
                }
                let counts = score(&truth.fields, &record_as_truth(&record));
                print!("| {form} | {name} | {mode} |");
                for group in &counts {
                    if group.is_empty() { print!(" – |") } else { print!(" {:.2} |", group.f1()) }
                }
                println!(" {seconds:.2} |");
                rows.push(ExtractRow { form: form.clone(), mode, counts, seconds });
            }
        }
    }
    let peak = peak_memory_mib();
    println!();
    println!("| form | mode | group | precision | recall | F1 | fields |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for form in &forms {
        for mode in ["rules", "rules+model"] {
            let of_mode: Vec<&ExtractRow> = rows.iter().filter(|row| &row.form == form && row.mode == mode).collect();
            if of_mode.is_empty() {
                continue;
            }
            for (index, group) in GROUPS.iter().enumerate() {
                let mut total = Counts::default();
                for row in &of_mode {
                    total.add(row.counts[index]);
                }
                if total.is_empty() {
                    println!("| {form} | {mode} | {group} | – | – | – | 0 |");
                    continue;
                }
                println!(
                    "| {form} | {mode} | {group} | {:.3} | {:.3} | {:.3} | {} |",
                    total.precision(),
                    total.recall(),
                    total.f1(),
                    total.true_positives + total.false_negatives
                );
            }
        }
    }
    println!();
    println!("| mode | median s/doc | prompt tokens/s | decode tokens/s | prompt tokens reused | peak RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for mode in ["rules", "rules+model"] {
        let seconds: Vec<f64> = rows.iter().filter(|row| row.mode == mode).map(|row| row.seconds).collect();
        if seconds.is_empty() {
            continue;
        }
        let (prompt_rate, decode_rate, reused) = if mode == "rules" {
            ("–".to_owned(), "–".to_owned(), "–".to_owned())
        } else {
            let evaluated = model_usage.prompt_tokens - model_usage.reused_tokens;
            (
                format!("{:.0}", evaluated as f64 / model_usage.prompt_seconds.max(1e-9)),
                format!("{:.1}", model_usage.generated_tokens as f64 / model_usage.decode_seconds.max(1e-9)),
                format!("{:.0} %", 100.0 * model_usage.reused_tokens as f64 / model_usage.prompt_tokens.max(1) as f64),
            )
        };
        println!(
            "| {mode} | {:.2} | {prompt_rate} | {decode_rate} | {reused} | {} |",
            median(seconds),
            peak.map_or_else(|| "n/a".into(), |mib| format!("{mib:.0}"))
        );
    }
    if let Some(model) = with_model.as_ref().and_then(|extractor| extractor.model()) {
        println!();
        println!("model: {}", model.describe());
    }
    Ok(ExitCode::SUCCESS)
}

fn fixture_documents(fixtures: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut documents: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .with_context(|| format!("cannot read fixtures in {}", fixtures.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("truth.json").is_file())
        .collect();
    documents.sort();
    Ok(documents)
}

/// Imports N copies of the fixture documents (each made distinct, so none
/// is taken for a re-import) through `torikomi import` in a child process,
/// watching its peak RSS, for each N; prints pages per minute and memory.
pub fn batch(
    fixtures: &Path,
    form: &str,
    counts: &[usize],
    ocr: &OcrArgs,
    structuring: &StructuringArgs,
) -> anyhow::Result<ExitCode> {
    let documents = fixture_documents(fixtures)?;
    anyhow::ensure!(!documents.is_empty(), "no fixture documents in {}", fixtures.display());
    let originals: Vec<(Vec<u8>, usize)> = documents
        .iter()
        .map(|dir| {
            let path = dir.join(form);
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("truth.json"))?)?;
            let pages = truth["pages"].as_array().map_or(1, Vec::len);
            Ok((bytes, pages))
        })
        .collect::<anyhow::Result<_>>()?;
    let exe = std::env::current_exe()?;
    println!("| documents | pages | seconds | pages/min | peak RSS MiB |");
    println!("|---:|---:|---:|---:|---:|");
    for &count in counts {
        let work = tempfile::tempdir()?;
        let inbox = work.path().join("inbox");
        std::fs::create_dir_all(&inbox)?;
        let mut pages = 0;
        for copy in 0..count {
            let (bytes, document_pages) = &originals[copy % originals.len()];
            let mut bytes = bytes.clone();
            // Bytes after the end of the file change its hash, not its content.
            bytes.extend_from_slice(format!("\n%copy {copy}\n").as_bytes());
            std::fs::write(inbox.join(format!("{copy:05}_{form}")), bytes)?;
            pages += document_pages;
        }
        let mut command = std::process::Command::new(&exe);
        command
            .env("TORIKOMI_DATA_DIR", work.path().join("data"))
            .args(["import", "--format", "json,mml,hl7", "--out"])
            .arg(work.path().join("out"))
            .arg(&inbox)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        ocr.forward(&mut command);
        structuring.forward(&mut command);
        let started = Instant::now();
        let mut child = command.spawn()?;
        let mut peak_kib = 0.0_f64;
        let status = loop {
            // VmHWM of the child: its own high-water mark, read until it exits.
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                && let Some(kib) = status
                    .lines()
                    .find(|line| line.starts_with("VmHWM:"))
                    .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
            if let Some(status) = child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "the import of {count} documents failed");
        println!(
            "| {count} | {pages} | {seconds:.1} | {:.0} | {:.0} |",
            pages as f64 / seconds * 60.0,
            peak_kib / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

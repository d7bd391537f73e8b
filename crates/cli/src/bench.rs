//! `torikomi bench …`: tables of quality and speed over the fixture set.
//! Timings are medians over documents; run on an otherwise idle machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde::Deserialize;
use torikomi_ocr::{PageSegMode, TesseractConfig};
use torikomi_pipeline::Converter;
use torikomi_pipeline::quality::{char_f1, character_error_rate};

use crate::convert::converter_config;

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

pub fn ocr(fixtures: &Path, only_forms: &[String], tesseract: &TesseractChoice) -> anyhow::Result<ExitCode> {
    let mut documents: Vec<PathBuf> = std::fs::read_dir(fixtures)
        .with_context(|| format!("cannot read fixtures in {}", fixtures.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("truth.json").is_file())
        .collect();
    documents.sort();
    let mut config = converter_config();
    tesseract.apply(&mut config.tesseract)?;
    let mut converter = Converter::new(config)?;
    let mut rows = Vec::new();
    let mut peaks = Vec::new();
    println!("| form | document | pages | CER | char F1 | s/page |");
    println!("|---|---|---:|---:|---:|---:|");
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
                document: document.file_name().unwrap_or_default().to_string_lossy().into_owned(),
                pages: converted.pages.len(),
                cer: character_error_rate(&truth_text, &read_text),
                f1: char_f1(&truth_text, &read_text),
                seconds_per_page: seconds / converted.pages.len().max(1) as f64,
            };
            println!(
                "| {} | {} | {} | {:.1} % | {:.3} | {:.1} |",
                row.form,
                row.document,
                row.pages,
                row.cer * 100.0,
                row.f1,
                row.seconds_per_page
            );
            rows.push(row);
        }
        peaks.push((form, peak_memory_mib()));
    }
    print_summary(&rows, &peaks);
    Ok(ExitCode::SUCCESS)
}

fn join<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join("\n")
}

fn print_summary(rows: &[Row], peaks: &[(&str, Option<f64>)]) {
    println!();
    println!("| form | documents | median CER | worst CER | median char F1 | median s/page | peak RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &(form, peak) in peaks {
        let of_form: Vec<&Row> = rows.iter().filter(|row| row.form == form).collect();
        if of_form.is_empty() {
            continue;
        }
        let column = |value: fn(&Row) -> f64| of_form.iter().map(|row| value(row)).collect::<Vec<f64>>();
        let worst_cer = column(|row| row.cer).into_iter().fold(0.0, f64::max);
        println!(
            "| {} | {} | {:.1} % | {:.1} % | {:.3} | {:.1} | {} |",
            form,
            of_form.len(),
            median(column(|row| row.cer)) * 100.0,
            worst_cer * 100.0,
            median(column(|row| row.f1)),
            median(column(|row| row.seconds_per_page)),
            peak.map_or_else(|| "n/a".into(), |mib| format!("{mib:.0}")),
        );
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 0 { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
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

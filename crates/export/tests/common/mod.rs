//! Inputs shared by the writer tests: the records Torikomi made of the
//! born-digital fixtures (committed, so writer tests do not run OCR), a
//! fixed export context, and the standards in ../shared.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};

use chrono::DateTime;
use torikomi_export::{CodeTables, ExportContext, Facility};
use torikomi_record::ClinicalRecord;

/// (fixture name, record), sorted by name.
pub fn records() -> Vec<(String, ClinicalRecord)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/records");
    let mut records: Vec<(String, ClinicalRecord)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let record = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            (name, record)
        })
        .collect();
    records.sort_by(|a, b| a.0.cmp(&b.0));
    records
}

pub fn record(name: &str) -> ClinicalRecord {
    records().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no record {name}")).1
}

pub fn context() -> ExportContext {
    ExportContext {
        facility: Facility { name: "横浜港南総合病院".into(), code: "1412345678".into() },
        document_id: "0f1e2d3c4b5a6978".into(),
        created: DateTime::parse_from_rfc3339("2026-11-23T10:15:30+09:00").unwrap(),
        codes: CodeTables::default(),
    }
}

/// ../shared/standards, or None (with a message) where it is not beside the clone.
pub fn shared_standards() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("skipping: ../shared/standards not found beside the repository ({})", path.display());
        None
    }
}

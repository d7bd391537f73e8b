//! The OCR engines end to end through `torikomi convert`: PP-OCR with its
//! real models and ONNX Runtime (fetched by setup.sh) on scans, photos and
//! faxes, `--ocr auto`, and what happens when PP-OCR's files are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use torikomi_pipeline::quality::{char_f1, character_error_rate};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(document: &str, form: &str) -> PathBuf {
    repository().join("tests/fixtures/generated").join(document).join(form)
}

/// PP-OCR's files, or the reason they are not there.
fn ppocr_installed() -> Result<(), String> {
    let models = repository().join("models");
    for file in ["ppocr/PP-OCRv6_det_small.onnx", "ppocr/PP-OCRv6_rec_small.onnx", "runtime/libonnxruntime.so"] {
        if !models.join(file).is_file() {
            return Err(format!("models/{file} is missing: run ./setup.sh"));
        }
    }
    Ok(())
}

fn convert(inputs: &[PathBuf], out: &Path, flags: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_torikomi"));
    command.env("TORIKOMI_DATA_DIR", out).arg("convert").args(inputs).arg("--out").arg(out);
    command.args(["--no-llm", "--format", "json"]).args(flags);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("torikomi runs")
}

fn record(out: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(out.join(name).join("record.json")).unwrap()).unwrap()
}

fn texts(record: &Value) -> (String, String) {
    let pages = record["pages"].as_array().unwrap();
    let read: Vec<&str> = pages.iter().map(|page| page["text"].as_str().unwrap()).collect();
    let truth_path = Path::new(record["sources"][0].as_str().unwrap()).with_file_name("truth.json");
    let truth: Value = serde_json::from_slice(&std::fs::read(truth_path).unwrap()).unwrap();
    let truth: Vec<&str> = truth["pages"].as_array().unwrap()[..pages.len()].iter().map(|p| p["text"].as_str().unwrap()).collect();
    (truth.join("\n"), read.join("\n"))
}

#[test]
fn ppocr_reads_scans_photos_and_faxes_in_reading_order() {
    if let Err(reason) = ppocr_installed() {
        eprintln!("skipping: {reason}");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    // The letter has a vertical greeting; the lab report a form header and a table.
    let inputs = [
        fixture("referral_letter", "scan.pdf"),
        fixture("lab_report", "photo.jpg"),
        fixture("referral_two_column", "fax.tif"),
        fixture("referral_ruled", "rotated_90.jpg"),
    ];
    let run = convert(&inputs, out.path(), &["--ocr", "ppocr"], &[]);
    assert!(run.status.success(), "{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    // Bounds are about twice the errors `torikomi bench ocr` measures (README).
    for (name, min_f1, max_cer) in [("scan", 0.99, 0.01), ("photo", 0.97, 0.09), ("fax", 0.98, 0.03), ("rotated_90", 0.985, 0.015)] {
        let record = record(out.path(), name);
        let page = &record["pages"][0];
        assert!(page["source"]["engine"].as_str().unwrap().starts_with("ppocr"), "{name}: {}", page["source"]);
        let (truth, read) = texts(&record);
        let (f1, cer) = (char_f1(&truth, &read), character_error_rate(&truth, &read));
        assert!(f1 >= min_f1, "{name}: char F1 {f1:.3} under {min_f1}\n{read}");
        assert!(cer <= max_cer, "{name}: CER {:.1} % over {:.1} %\n{read}", cer * 100.0, max_cer * 100.0);
        for line in page["lines"].as_array().unwrap() {
            let confidence = line["confidence"].as_f64().unwrap();
            assert!((0.5..=1.0).contains(&confidence), "{name}: line confidence {confidence}");
            let (x, w) = (line["bbox"]["x"].as_u64().unwrap(), line["bbox"]["w"].as_u64().unwrap());
            assert!(x + w <= page["width"].as_u64().unwrap() + 1, "{name}: box outside the page");
        }
    }
    // The greeting is read as vertical columns, right to left, before the body.
    let letter = record(out.path(), "scan");
    let lines = letter["pages"][0]["lines"].as_array().unwrap();
    let greeting = lines.iter().position(|line| line["text"].as_str().unwrap().starts_with("拝啓")).expect("拝啓 is read");
    assert_eq!(lines[greeting]["vertical"], true);
    assert!(lines[greeting + 1]["text"].as_str().unwrap().starts_with("平素"), "{}", lines[greeting + 1]["text"]);
    // The fixture is the page turned a quarter clockwise; three more quarters undo it.
    assert_eq!(record(out.path(), "rotated_90")["pages"][0]["rotated_by"], 270);
}

#[test]
fn each_character_group_has_its_own_box_inside_its_line() {
    if let Err(reason) = ppocr_installed() {
        eprintln!("skipping: {reason}");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = convert(&[fixture("medication_list", "scan.pdf")], out.path(), &["--ocr", "ppocr"], &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let record = record(out.path(), "scan");
    let line = record["pages"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["text"].as_str().unwrap().contains("錠"))
        .expect("a prescription line")
        .clone();
    let words = line["words"].as_array().unwrap();
    assert!(words.len() > 3, "{line}");
    let mut previous_x = 0;
    for word in words {
        let (x, w) = (word["bbox"]["x"].as_u64().unwrap(), word["bbox"]["w"].as_u64().unwrap());
        assert!(x >= line["bbox"]["x"].as_u64().unwrap() && x + w <= line["bbox"]["x"].as_u64().unwrap() + line["bbox"]["w"].as_u64().unwrap());
        assert!(x >= previous_x, "words run left to right: {line}");
        previous_x = x;
        let confidence = word["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
    }
}

#[test]
fn without_ppocr_files_ppocr_says_what_to_fetch_and_tesseract_still_reads() {
    let out = tempfile::tempdir().unwrap();
    let empty_models = tempfile::tempdir().unwrap();
    let pdfium = repository().join("models/runtime/libpdfium.so");
    let env = [("TORIKOMI_MODELS", empty_models.path()), ("TORIKOMI_PDFIUM", pdfium.as_path())];
    let scan = [fixture("referral_ruled", "scan.pdf")];

    let ppocr = convert(&scan, &out.path().join("ppocr"), &["--ocr", "ppocr"], &env);
    assert!(!ppocr.status.success());
    let stderr = String::from_utf8_lossy(&ppocr.stderr);
    assert!(stderr.contains("python3 models/fetch.py ppocr-det ppocr-rec ppocr-cls onnxruntime"), "{stderr}");

    let auto = convert(&scan, &out.path().join("auto"), &["--ocr", "auto"], &env);
    assert!(auto.status.success(), "{}", String::from_utf8_lossy(&auto.stderr));
    assert!(String::from_utf8_lossy(&auto.stderr).contains("reading with Tesseract"));
    let record = record(&out.path().join("auto"), "scan");
    assert!(record["pages"][0]["source"]["engine"].as_str().unwrap().starts_with("tesseract"));
    let (truth, read) = texts(&record);
    assert!(char_f1(&truth, &read) > 0.95);
}

#[test]
fn auto_reads_with_ppocr_where_it_is_installed() {
    if let Err(reason) = ppocr_installed() {
        eprintln!("skipping: {reason}");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = convert(&[fixture("discharge_summary", "photo.jpg")], out.path(), &[], &[]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let record = record(out.path(), "photo");
    assert!(record["pages"][0]["source"]["engine"].as_str().unwrap().starts_with("ppocr"));
}

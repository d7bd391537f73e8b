//! `torikomi convert` end to end: real pdfium, real Tesseract or PP-OCR, the generated
//! fixtures in `tests/fixtures`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use torikomi_pipeline::quality::character_error_rate;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn fixture(document: &str, form: &str) -> PathBuf {
    fixtures().join("generated").join(document).join(form)
}

fn hostile(name: &str) -> PathBuf {
    fixtures().join("hostile").join(name)
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

fn convert(args: &[&Path], out: &Path, flags: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_torikomi"))
        // The message counter and outbox of these runs stay in the test's folder.
        .env("TORIKOMI_DATA_DIR", out)
        .arg("convert")
        .args(args)
        .arg("--out")
        .arg(out)
        // These tests are about reading pages; tests/structure.rs runs the model.
        .arg("--no-llm")
        .args(flags)
        .output()
        .expect("torikomi runs");
    Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn record(out: &Path, name: &str) -> Value {
    let path = out.join(name).join("record.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("record.json is JSON")
}

fn truth_pages(document: &str) -> Vec<String> {
    let truth: Value = serde_json::from_slice(&std::fs::read(fixture(document, "truth.json")).unwrap()).unwrap();
    truth["pages"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect()
}

/// Checks the `record.json` contract and that the text is close to what
/// is printed on the page. The CER bounds are about twice what
/// `torikomi bench ocr` measures (README), so a regression fails.
fn check_record(record: &Value, document: &str, pages: usize, max_cer: f64) {
    let read = record["pages"].as_array().expect("pages is a list");
    assert_eq!(read.len(), pages, "{document}: page count");
    for page in read {
        let (width, height) = (page["width"].as_u64().unwrap(), page["height"].as_u64().unwrap());
        let lines = page["lines"].as_array().expect("lines is a list");
        assert!(!lines.is_empty(), "{document}: a page without lines");
        for line in lines {
            let bbox = &line["bbox"];
            assert!(bbox["x"].as_u64().unwrap() + bbox["w"].as_u64().unwrap() <= width + 1, "{document}: box outside page");
            assert!(bbox["y"].as_u64().unwrap() + bbox["h"].as_u64().unwrap() <= height + 1, "{document}: box outside page");
            let confidence = line["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&confidence), "{document}: confidence {confidence}");
        }
    }
    let truth = truth_pages(document)[..pages].join("\n");
    let text: Vec<&str> = read.iter().map(|p| p["text"].as_str().unwrap()).collect();
    let cer = character_error_rate(&truth, &text.join("\n"));
    assert!(cer <= max_cer, "{document}: CER {:.1} % is over {:.1} %", cer * 100.0, max_cer * 100.0);
}

#[test]
fn every_form_converts_to_text_with_boxes() {
    let out = tempfile::tempdir().unwrap();
    let inputs = [
        fixture("referral_ruled", "born_digital.pdf"),
        fixture("lab_report", "scan.pdf"),
        fixture("medication_list", "photo.jpg"),
        fixture("discharge_summary", "fax.tif"),
        fixture("referral_ruled", "page.png"),
        fixture("referral_ruled", "rotated_180.png"),
        fixture("referral_ruled", "rotated_90.jpg"),
        fixture("referral_ruled", "exif_rotated.jpg"),
    ];
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    // Tesseract, the engine every machine has; tests/ocr_engines.rs reads
    // with PP-OCR.
    let run = convert(&inputs, out.path(), &["--ocr", "tesseract"]);
    assert!(run.success, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);

    let born_digital = record(out.path(), "born_digital");
    assert_eq!(born_digital["pages"][0]["source"]["kind"], "pdf_text_layer");
    check_record(&born_digital, "referral_ruled", 1, 0.01);
    check_record(&record(out.path(), "scan"), "lab_report", 1, 0.05);
    check_record(&record(out.path(), "photo"), "medication_list", 1, 0.05);
    let fax = record(out.path(), "fax");
    check_record(&fax, "discharge_summary", 2, 0.12);
    for page in fax["pages"].as_array().unwrap() {
        let header = page["fax_header"].as_str().expect("the fax header is kept apart");
        assert!(header.contains("P.0"), "fax header: {header}");
        assert!(!page["text"].as_str().unwrap().contains("FROM"), "the header is not in the body");
    }
    check_record(&record(out.path(), "page"), "referral_ruled", 1, 0.03);
    let upside_down = record(out.path(), "rotated_180");
    assert_eq!(upside_down["pages"][0]["rotated_by"], 180);
    check_record(&upside_down, "referral_ruled", 1, 0.03);
    check_record(&record(out.path(), "rotated_90"), "referral_ruled", 1, 0.03);
    check_record(&record(out.path(), "exif_rotated"), "referral_ruled", 1, 0.03);
}

#[test]
fn each_bad_file_fails_with_one_line_and_the_rest_convert() {
    let out = tempfile::tempdir().unwrap();
    let bad = [
        ("truncated.pdf", "truncated"),
        ("encrypted.pdf", "password-protected"),
        ("empty.pdf", "empty"),
        ("not_an_image.jpg", "plain text"),
        ("huge_30000x30000.png", "30000×30000 pixels is over"),
        ("many_pages_2000.pdf", "2000 pages is over"),
        ("blank_page.png", "no text"),
        ("no_pages.pdf", "the PDF has no pages"),
        ("javascript_open_action.pdf", "contains JavaScript; Torikomi does not take in PDFs with active content"),
        ("javascript_in_object_stream.pdf", "contains JavaScript"),
        ("embedded_file.pdf", "has embedded files (1); Torikomi does not take in PDFs with attachments"),
        ("tiff_ifd_loop.tif", "page 1: the image is damaged (format error: file contained a cycle"),
        ("tiff_ifd_past_end.tif", "page 2: the image is damaged (truncated"),
    ];
    let mut inputs: Vec<PathBuf> = bad.iter().map(|(name, _)| hostile(name)).collect();
    inputs.push(fixture("lab_report", "born_digital.pdf"));
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let run = convert(&inputs, out.path(), &[]);

    assert!(!run.success, "bad files must make the exit status non-zero");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let failed: Vec<&str> = run.stdout.lines().filter(|line| line.starts_with("failed")).collect();
    assert_eq!(failed.len(), bad.len(), "one line per bad file:\n{}", run.stdout);
    for (name, reason) in bad {
        let line = failed.iter().find(|line| line.contains(name)).unwrap_or_else(|| panic!("no line names {name}"));
        assert!(line.contains(reason), "{name}: expected '{reason}' in: {line}");
    }
    // Text layers are exact except where pdfium drops text: the lab report's
    // one-letter H/L cells come out empty (see the README), 2.4 % of its text.
    check_record(&record(out.path(), "born_digital"), "lab_report", 1, 0.03);
}

#[test]
fn several_images_make_one_document_with_as_one() {
    let out = tempfile::tempdir().unwrap();
    let first = fixture("referral_ruled", "page.png");
    let second = fixture("referral_ruled", "exif_rotated.jpg");
    let run = convert(&[&first, &second], out.path(), &["--as-one"]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    let document = record(out.path(), "page");
    assert_eq!(document["pages"].as_array().unwrap().len(), 2);
    assert_eq!(document["sources"].as_array().unwrap().len(), 2);
    assert!(!out.path().join("exif_rotated").exists());
}

#[test]
fn documents_with_the_same_name_get_their_own_folders() {
    let out = tempfile::tempdir().unwrap();
    let first = fixture("lab_report", "born_digital.pdf");
    let second = fixture("medication_list", "born_digital.pdf");
    let run = convert(&[&first, &second], out.path(), &[]);
    assert!(run.success, "{}{}", run.stdout, run.stderr);
    check_record(&record(out.path(), "born_digital"), "lab_report", 1, 0.03);
    check_record(&record(out.path(), "born_digital-2"), "medication_list", 1, 0.01);
}

//! `torikomi convert` makes a clinical record of every fixture document,
//! and every value in it points at text on the page that supports it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use torikomi_record::normalise::{parse_date, parse_sex};
use unicode_normalization::UnicodeNormalization;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/generated")
}

fn convert(files: &[PathBuf], out: &Path, flags: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_torikomi"))
        .env("TORIKOMI_DATA_DIR", out)
        .arg("convert")
        .args(files)
        .arg("--out")
        .arg(out)
        .args(flags)
        .output()
        .expect("torikomi runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn comparable(text: &str) -> String {
    text.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Every field (an object with value, printed and provenance) under `value`.
fn fields<'v>(value: &'v Value, path: String, found: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(map) if map.contains_key("value") && map.contains_key("printed") => found.push((path, value)),
        Value::Object(map) => map.iter().for_each(|(key, value)| fields(value, format!("{path}/{key}"), found)),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, value)| fields(value, format!("{path}/{i}"), found)),
        _ => {}
    }
}

/// The page text at the field's span must be what it says was printed, its
/// box must lie on the page, and the text must support the value.
fn check_grounded(document: &str, record: &Value, path: &str, field: &Value) {
    let provenance = field.get("provenance").unwrap_or_else(|| panic!("{document}{path}: no provenance: {field}"));
    let page = &record["pages"][provenance["page"].as_u64().unwrap() as usize];
    let text: Vec<char> = page["text"].as_str().unwrap().chars().collect();
    let (start, end) = (provenance["span"]["start"].as_u64().unwrap() as usize, provenance["span"]["end"].as_u64().unwrap() as usize);
    assert!(start < end && end <= text.len(), "{document}{path}: span {start}..{end} outside the page");
    let at_span: String = text[start..end].iter().collect();
    assert_eq!(at_span, field["printed"].as_str().unwrap(), "{document}{path}");
    let bbox = &provenance["bbox"];
    assert!(bbox["x"].as_u64().unwrap() + bbox["w"].as_u64().unwrap() <= page["width"].as_u64().unwrap(), "{document}{path}");
    assert!(bbox["y"].as_u64().unwrap() + bbox["h"].as_u64().unwrap() <= page["height"].as_u64().unwrap(), "{document}{path}");
    let value = &field["value"];
    let supported = match value {
        Value::String(value) if value.len() == 10 && parse_date(value).is_ok() && value.as_bytes()[4] == b'-' => {
            parse_date(&at_span).map(|found| found.date.to_string()) == Ok(value.clone())
        }
        Value::String(value) if value == "male" || value == "female" => {
            parse_sex(&at_span).is_some_and(|sex| sex.as_str() == value)
        }
        Value::String(value) => {
            let (value, span) = (comparable(value), comparable(&at_span));
            span.contains(&value) || value.contains(&span) || span.contains(value.trim_end_matches('。'))
        }
        Value::Number(number) => at_span.contains(&number.to_string()),
        Value::Object(dose) => at_span.contains(dose["unit"].as_str().unwrap()),
        other => panic!("{document}{path}: unexpected value {other}"),
    };
    assert!(supported, "{document}{path}: {value} is not supported by the page text {at_span:?}");
}

#[test]
fn every_value_of_every_fixture_record_is_grounded_on_its_page() {
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        let truth: Value = serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
        for form in ["born_digital.pdf", "scan.pdf"] {
            files.push(dir.join(form));
            kinds.push(truth["doc_type"].as_str().unwrap().to_owned());
        }
    }
    convert(&files, out.path(), &["--no-llm", "--jobs", "2"]);
    let mut checked = 0;
    for (index, file) in files.iter().enumerate() {
        let name = if index % 2 == 0 { "born_digital".to_owned() } else { "scan".to_owned() };
        let name = if index < 2 { name } else { format!("{name}-{}", index / 2 + 1) };
        let document = format!("{}", file.display());
        let record: Value = serde_json::from_slice(&std::fs::read(out.path().join(&name).join("record.json")).unwrap()).unwrap();
        assert_eq!(record["record"]["document"]["kind"], kinds[index], "{document}");
        assert!(record["record"]["patient"]["name"].is_object(), "{document}: no patient name");
        let mut found = Vec::new();
        fields(&record["record"], String::new(), &mut found);
        assert!(found.len() >= 8, "{document}: only {} values", found.len());
        for (path, field) in found {
            check_grounded(&document, &record, &path, field);
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} values checked");
}

#[test]
fn the_model_structures_a_short_letter_and_runs_a_template() {
    let out = tempfile::tempdir().unwrap();
    let file = fixtures().join("referral_ruled/born_digital.pdf");
    convert(&[file], out.path(), &["--template", "ctcae"]);
    let record: Value = serde_json::from_slice(&std::fs::read(out.path().join("born_digital/record.json")).unwrap()).unwrap();
    let record = &record["record"];
    let notes: Vec<&str> = record["notes"].as_array().map(|notes| notes.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    assert!(!notes.iter().any(|note| note.starts_with("the model could not")), "{notes:?}");
    // The model's answer parsed and was merged: some value carries its mark.
    let text = record.to_string();
    assert!(text.contains("\"origin\":\"label_and_model\"") || text.contains("\"origin\":\"model\""), "{text}");
    assert_eq!(record["templates"][0]["template"], "ctcae");
    // Labelled values stay what the page says, whatever the small model thinks.
    assert_eq!(record["patient"]["birth_date"]["value"], "1955-04-12");
    assert_eq!(record["document"]["diagnoses"][0]["icd10"]["value"], "E11.9");
}

#[test]
fn a_missing_model_is_a_clear_error_and_no_llm_still_works() {
    let out = tempfile::tempdir().unwrap();
    let file = fixtures().join("lab_report/born_digital.pdf");
    let output = Command::new(env!("CARGO_BIN_EXE_torikomi"))
        .env("TORIKOMI_DATA_DIR", out.path())
        .args(["convert", "--model", "/nonexistent/model.gguf", "--out"])
        .arg(out.path())
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/model.gguf") && stderr.contains("--no-llm"), "{stderr}");
    convert(&[file], out.path(), &["--no-llm"]);
    let record: Value = serde_json::from_slice(&std::fs::read(out.path().join("born_digital/record.json")).unwrap()).unwrap();
    assert!(record["record"]["document"]["labs"].as_array().unwrap().len() >= 10);
}

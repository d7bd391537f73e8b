//! The core of the desktop app end to end with real parts: pdfium, the
//! rules, SQLite, the MML writer. A fixture letter is taken in, read in
//! the background, reviewed (one field corrected), approved and exported;
//! the audit log holds each step, and a row altered by hand is caught.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use torikomi_app::{App, AppEvent, AppSettings};
use torikomi_store::DocumentState;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/generated").join(name)
}

fn wait_for(app: &App, id: i64, state: DocumentState) -> torikomi_app::DocumentReview {
    let started = Instant::now();
    loop {
        let review = app.document(id).unwrap();
        let now = review.overview.document.state;
        if now == state {
            return review;
        }
        assert_ne!(now, DocumentState::Failed, "failed: {:?}", review.overview.document.error);
        assert!(started.elapsed() < Duration::from_secs(180), "still {now:?} after 3 minutes");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_letter_is_read_reviewed_corrected_approved_and_exported_with_every_step_audited() {
    let data = tempfile::tempdir().unwrap();
    let ehr = data.path().join("ehr-in");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let app = App::open(data.path(), move |event| sink.lock().unwrap().push(event)).unwrap();
    let settings = AppSettings {
        use_model: false,
        facility_code: "1312345678".into(),
        export_folder: ehr.display().to_string(),
        formats: vec!["mml".into(), "hl7".into()],
        ..AppSettings::default()
    };
    app.save_settings(&settings).unwrap();

    let letter = fixture("referral_letter/born_digital.pdf");
    let summary = app.import(&[letter.clone()], false).unwrap();
    assert_eq!(summary.queued, 1);
    assert_eq!(app.import(&[letter], false).unwrap().known, 1, "the same file is one document");
    let id = app.documents().unwrap()[0].document.id.0;

    let review = wait_for(&app, id, DocumentState::Structured);
    assert_eq!(review.kind.as_deref(), Some("referral"));
    let jpeg = app.page_image(id, 0).unwrap().expect("a picture of page 1");
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "JPEG");
    let name = review.fields.iter().find(|field| field.path == "/patient/name").expect("the patient's name");
    let (page, bbox) = name.source.expect("the name's place on the page");
    assert_eq!(page, 0);
    assert!(review.pages[0].lines.iter().any(|line| line.bbox.x <= bbox.x && bbox.x < line.bbox.x + line.bbox.w));

    app.edit(id, "/patient/name", None, "山田 花子").unwrap();
    let edited = app.document(id).unwrap();
    let name = edited.fields.iter().find(|field| field.path == "/patient/name").unwrap();
    assert!(name.edited);
    assert_eq!(name.value, "山田 花子");
    assert!(matches!(app.edit(id, "/patient/birth_date", None, "not a date"), Err(torikomi_app::AppError::InvalidValue { .. })));

    app.approve(id).unwrap();
    assert!(app.edit(id, "/patient/name", None, "x").is_err(), "an approved record is not edited");
    let exported = wait_for(&app, id, DocumentState::Exported);
    assert_eq!(exported.deliveries.len(), 1);
    assert_eq!(exported.deliveries[0].status, "written");
    let out_dir = PathBuf::from(&exported.deliveries[0].detail);
    let mml = std::fs::read_to_string(out_dir.join("mml.xml")).unwrap();
    assert!(mml.contains("山田") && mml.contains("花子"), "the correction is what is exported");
    assert!(mml.contains("1312345678"), "the facility code from the settings");
    assert!(std::fs::read_dir(out_dir.join("hl7")).unwrap().count() >= 2);
    validate_mml(&out_dir.join("mml.xml"));

    let log = app.audit_log(100).unwrap();
    let actions: Vec<&str> = log.iter().rev().filter(|entry| entry.document_id.map(|d| d.0) == Some(id)).map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["import", "read", "structure", "edit", "approve", "export"]);
    let edit = log.iter().find(|entry| entry.action == "edit").unwrap();
    let detail: serde_json::Value = serde_json::from_str(&edit.detail).unwrap();
    assert_eq!(detail["new"], "山田 花子");
    assert_ne!(detail["old"], "山田 花子");
    assert!(app.verify_audit().unwrap().broken.is_none());

    let saw_export = events.lock().unwrap().iter().any(|event| {
        matches!(event, AppEvent::DocumentChanged(overview) if overview.document.id.0 == id && overview.document.state == DocumentState::Exported)
    });
    assert!(saw_export, "the front end is told when the export is done");

    drop(app);
    let database = rusqlite::Connection::open(data.path().join("torikomi.db")).unwrap();
    database.execute("UPDATE audit SET detail = replace(detail, '花子', '太郎') WHERE action = 'edit'", []).unwrap();
    let app = App::open(data.path(), |_| {}).unwrap();
    let broken = app.verify_audit().unwrap().broken.expect("the altered row is caught");
    assert_eq!(broken.0, edit.seq);
}

/// Validates with the MML v4.2 schemas in ../shared when they are there.
fn validate_mml(file: &Path) {
    let standards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards/mml");
    if !standards.join("validate_mml.sh").is_file() {
        eprintln!("skipping MML schema validation: {} is absent", standards.display());
        return;
    }
    let output = std::process::Command::new("sh")
        .arg(standards.join("validate_mml.sh"))
        .arg(standards.join("schema/mml.xsd"))
        .arg(file)
        .output()
        .expect("run validate_mml.sh (needs xmllint from libxml2-utils)");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && report.contains(" validates"), "MML does not validate:\n{report}");
}

//! The app is killed (SIGKILL, as a power cut or a crash would) in the
//! middle of a queue, twice — while documents are read and while approved
//! ones are exported — and started again. Every document ends exported,
//! none is lost, and the audit log shows each one read, structured,
//! approved and exported exactly once.

mod common;

use std::collections::HashMap;
use std::process::{Child, Command};
use std::time::Duration;

use common::{VirtualDisplay, app_binary, fixture, seeded_data_dir, wait_until};
use torikomi_store::{DocumentState, Store};

const DOCUMENTS: [&str; 4] = ["referral_letter", "lab_report", "medication_list", "discharge_summary"];

fn start_app(display: &VirtualDisplay, data: &std::path::Path, files: &[std::path::PathBuf]) -> Child {
    Command::new(app_binary())
        .args(files)
        .env("DISPLAY", &display.name)
        .env("TORIKOMI_DATA_DIR", data)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .spawn()
        .expect("start torikomi-desktop")
}

fn kill(mut app: Child) {
    app.kill().unwrap();
    app.wait().unwrap();
}

/// Approves what waits for review, as the person at the screen would.
fn approve_waiting(store: &Store) {
    for document in store.documents().unwrap() {
        if document.state == DocumentState::Structured {
            store.approve(document.id).unwrap();
        }
    }
}

#[test]
fn a_killed_app_resumes_its_queue_and_does_nothing_twice() {
    let display = VirtualDisplay::start();
    let (data, ehr) = seeded_data_dir(false);
    let store = Store::open(&data.path().join("torikomi.db")).unwrap().with_actor("test-clerk");
    let scans: Vec<_> = DOCUMENTS.iter().map(|name| fixture(&format!("{name}/scan.pdf"))).collect();

    let app = start_app(&display, data.path(), &scans);
    wait_until("one document read and structured while others wait", Duration::from_secs(300), || {
        let structured = store.count_in(DocumentState::Structured).unwrap();
        let left = store.count_in(DocumentState::Queued).unwrap() + store.count_in(DocumentState::Reading).unwrap();
        (structured >= 1 && left >= 1).then_some(())
    });
    kill(app);
    assert_eq!(store.document_count().unwrap(), DOCUMENTS.len(), "every file was taken in before the kill");

    // Approve as documents come, and kill again once exports have begun.
    let app = start_app(&display, data.path(), &[]);
    wait_until("an export done while others are still to do", Duration::from_secs(300), || {
        approve_waiting(&store);
        let exported = store.count_in(DocumentState::Exported).unwrap();
        (exported >= 1 && exported < DOCUMENTS.len()).then_some(())
    });
    kill(app);

    let app = start_app(&display, data.path(), &[]);
    wait_until("every document exported", Duration::from_secs(300), || {
        approve_waiting(&store);
        let failed = store.count_in(DocumentState::Failed).unwrap();
        assert_eq!(failed, 0, "{:?}", store.documents().unwrap());
        (store.count_in(DocumentState::Exported).unwrap() == DOCUMENTS.len()).then_some(())
    });
    kill(app);

    assert_eq!(store.document_count().unwrap(), DOCUMENTS.len(), "no document lost or added");
    for document in store.documents().unwrap() {
        let mut steps: HashMap<String, usize> = HashMap::new();
        for entry in store.audit_of(document.id).unwrap() {
            *steps.entry(entry.action).or_default() += 1;
        }
        for step in ["import", "read", "structure", "approve", "export"] {
            assert_eq!(steps.get(step), Some(&1), "{} was {step}ed {:?} times", document.name, steps.get(step));
        }
    }
    let exported: Vec<_> = std::fs::read_dir(&ehr).unwrap().filter_map(|entry| entry.ok()).collect();
    assert_eq!(exported.len(), DOCUMENTS.len(), "one export folder per document");
    for folder in exported {
        assert!(folder.path().join("mml.xml").is_file(), "{} has its MML", folder.path().display());
        let leftovers: Vec<_> = std::fs::read_dir(folder.path())
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty(), "half-written files left in {}", folder.path().display());
    }
    assert!(store.verify_audit().unwrap().broken.is_none());
}

//! `--model-server`: structuring through a real OpenAI-compatible server
//! (`llama_cpp.server` from PyPI, serving the default model) on 127.0.0.1.
//! While the server is down, read documents wait; when it comes back they
//! are structured and exported; none is lost or failed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use torikomi_store::{DocumentState, Store};

const DOCUMENTS: [&str; 3] = ["referral_letter", "lab_report", "medication_list"];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server's Python (a venv `setup.sh` makes) and the default model, or
/// None with the reason.
fn server_and_model() -> Result<(PathBuf, PathBuf), String> {
    let python = repository().join("models/runtime/model-server/bin/python");
    let model = repository().join("models/gemma-3-270m-q4_k_m.gguf");
    if !python.is_file() {
        return Err(format!("{} is missing: run ./setup.sh", python.display()));
    }
    if !model.is_file() {
        return Err(format!("{} is missing: run python3 models/fetch.py", model.display()));
    }
    Ok((python, model))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_server(python: &Path, model: &Path, port: u16) -> Child {
    let server = Command::new(python)
        .args(["-m", "llama_cpp.server", "--host", "127.0.0.1", "--n_ctx", "4096", "--port"])
        .arg(port.to_string())
        .arg("--model")
        .arg(model)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("llama_cpp.server starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "llama_cpp.server did not listen on {port}");
        thread::sleep(Duration::from_millis(200));
    }
    server
}

fn count(data_dir: &Path, state: DocumentState) -> usize {
    Store::open(&data_dir.join("torikomi.db")).and_then(|store| store.count_in(state)).unwrap_or(0)
}

#[test]
fn documents_wait_for_a_server_that_is_down_and_resume_when_it_is_back() {
    let (python, model) = match server_and_model() {
        Ok(found) => found,
        Err(reason) => {
            eprintln!("skipping: {reason}");
            return;
        }
    };
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for document in DOCUMENTS {
        let fixture = repository().join("tests/fixtures/generated").join(document).join("born_digital.pdf");
        std::fs::copy(fixture, inbox.join(format!("{document}.pdf"))).unwrap();
    }
    let data_dir = work.path().join("data");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");

    // The server is down: every document is read, none is structured or failed.
    let mut import = Command::new(env!("CARGO_BIN_EXE_torikomi"))
        .env("TORIKOMI_DATA_DIR", &data_dir)
        .args(["import", "--format", "json", "--model-wait", "300", "--model-server", &url, "--out"])
        .arg(work.path().join("out"))
        .arg(&inbox)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&data_dir, DocumentState::Read) < DOCUMENTS.len() {
        assert!(Instant::now() < deadline, "documents were not read");
        if let Some(status) = import.try_wait().unwrap() {
            let mut stdout = String::new();
            std::io::Read::read_to_string(import.stdout.as_mut().unwrap(), &mut stdout).unwrap();
            panic!("import gave up while the server was down ({status}): {stdout}");
        }
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_secs(3));
    assert_eq!(count(&data_dir, DocumentState::Read), DOCUMENTS.len(), "they wait");
    assert_eq!(count(&data_dir, DocumentState::Failed), 0);

    // The server comes up; the waiting documents are structured through it.
    let mut server = start_server(&python, &model, port);
    let status = import.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(import.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(status.success(), "{stdout}");
    assert_eq!(count(&data_dir, DocumentState::Exported), DOCUMENTS.len(), "{stdout}");

    let out = work.path().join("out");
    for entry in std::fs::read_dir(&out).unwrap() {
        let record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path().join("record.json")).unwrap()).unwrap();
        let notes = record["record"]["notes"].as_array().cloned().unwrap_or_default();
        assert!(
            !notes.iter().any(|note| note.as_str().is_some_and(|note| note.contains("could not structure"))),
            "the model answered through the server: {notes:?}"
        );
    }
}

#[test]
fn a_server_that_stays_down_leaves_documents_waiting_for_the_next_run() {
    let work = tempfile::tempdir().unwrap();
    let fixture = repository().join("tests/fixtures/generated/referral_letter/born_digital.pdf");
    let data_dir = work.path().join("data");
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = Command::new(env!("CARGO_BIN_EXE_torikomi"))
        .env("TORIKOMI_DATA_DIR", &data_dir)
        .args(["import", "--format", "json", "--model-wait", "2", "--model-server", &url, "--out"])
        .arg(work.path().join("out"))
        .arg(&fixture)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("wait for the model server"), "{stdout}");
    assert_eq!(count(&data_dir, DocumentState::Read), 1, "the document is kept, read, for the next run");
    assert_eq!(count(&data_dir, DocumentState::Failed), 0);
}

#[test]
fn a_server_too_slow_for_the_timeout_counts_as_unavailable_and_the_next_run_finishes() {
    let (python, model) = match server_and_model() {
        Ok(found) => found,
        Err(reason) => {
            eprintln!("skipping: {reason}");
            return;
        }
    };
    let work = tempfile::tempdir().unwrap();
    let fixture = repository().join("tests/fixtures/generated/medication_list/born_digital.pdf");
    let data_dir = work.path().join("data");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = start_server(&python, &model, port);
    let import = |timeout: &str| {
        Command::new(env!("CARGO_BIN_EXE_torikomi"))
            .env("TORIKOMI_DATA_DIR", &data_dir)
            .args(["import", "--format", "json", "--model-wait", "3", "--model-timeout", timeout, "--model-server", &url, "--out"])
            .arg(work.path().join("out"))
            .arg(&fixture)
            .output()
            .unwrap()
    };
    // No answer comes within 10 ms: the document waits, read, and is not failed.
    let slow = import("0.01");
    assert!(!slow.status.success());
    assert!(String::from_utf8_lossy(&slow.stdout).contains("wait for the model server"));
    assert_eq!(count(&data_dir, DocumentState::Read), 1);
    assert_eq!(count(&data_dir, DocumentState::Failed), 0);
    // With time enough, the next run structures and exports it; the file
    // itself is recognised as already taken in.
    let patient = import("120");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(patient.status.success(), "{}", String::from_utf8_lossy(&patient.stdout));
    assert_eq!(count(&data_dir, DocumentState::Exported), 1);
}

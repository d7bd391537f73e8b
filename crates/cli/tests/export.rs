//! `torikomi convert` writes MML, HL7 and FHIR for the fixtures that the
//! standards in ../shared accept, and `torikomi export --mllp` delivers
//! every message exactly once to a real listener, even when the sender is
//! killed and restarted in the middle.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use torikomi_hl7::mllp::{Deframer, frame};
use torikomi_hl7::{AckCode, Charset, SegmentOrderRules, ack, decode, encode};

const DOCUMENTS: [&str; 6] =
    ["referral_letter", "referral_ruled", "referral_two_column", "lab_report", "medication_list", "discharge_summary"];

fn fixture(document: &str, form: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/generated").join(document).join(form)
}

fn shared_standards() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("skipping: ../shared/standards not found beside the repository");
        None
    }
}

fn torikomi(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_torikomi"));
    command.env("TORIKOMI_DATA_DIR", data_dir).args(args);
    command
}

fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// Converts the born-digital fixtures (one document per folder) into `out`.
fn convert(out: &Path, data_dir: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let mut command = torikomi(data_dir, &["convert", "--no-llm", "--facility-name", "横浜港南総合病院"]);
    command.arg("--out").arg(out).args(extra);
    let mut dirs = Vec::new();
    for document in DOCUMENTS {
        let copy = out.join("inputs").join(format!("{document}.pdf"));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(fixture(document, "born_digital.pdf"), &copy).unwrap();
        command.arg(&copy);
        dirs.push(out.join(document));
    }
    succeeded(command.output().unwrap());
    dirs
}

fn hl7_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("hl7")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_fixture_exports_valid_mml_hl7_and_fhir() {
    let Some(standards) = shared_standards() else { return };
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("data");
    let rules = SegmentOrderRules::from_json(
        &std::fs::read_to_string(standards.join("hl7/nhoHQ_defs/HL7_SEGMENTORDER.json")).unwrap(),
    )
    .unwrap();
    let mut control_ids = HashSet::new();
    for (run, charset) in [("utf8", "utf-8"), ("jis", "iso-2022-jp")] {
        let out = work.path().join(run);
        let dirs = convert(&out, &data_dir, &["--charset", charset]);

        let mml: Vec<PathBuf> = dirs.iter().map(|dir| dir.join("mml.xml")).collect();
        let validation = Command::new("sh")
            .arg(standards.join("mml/validate_mml.sh"))
            .arg(standards.join("mml/schema/mml.xsd"))
            .args(&mml)
            .output()
            .expect("validate_mml.sh runs (needs xmllint)");
        let report = String::from_utf8_lossy(&validation.stderr);
        assert!(validation.status.success(), "{report}");
        assert_eq!(report.matches(" validates").count(), DOCUMENTS.len(), "{report}");

        for dir in &dirs {
            let files = hl7_files(dir);
            assert!(files.len() >= 2, "{}: {files:?}", dir.display());
            for file in files {
                let bytes = std::fs::read(&file).unwrap();
                assert_eq!(bytes.is_ascii(), charset == "iso-2022-jp", "{}", file.display());
                let message = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                rules.check(&message).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                assert!(control_ids.insert(message.control_id().to_owned()), "MSH-10 reused: {}", file.display());
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                assert!(name.ends_with("_-_1.hl7") && name.split('_').count() == 7, "SS-MIX2 name: {name}");
            }
        }

        for document in ["referral_letter", "referral_ruled", "referral_two_column"] {
            let bundle: Value = serde_json::from_slice(&std::fs::read(out.join(document).join("fhir.json")).unwrap()).unwrap();
            assert_eq!(bundle["resourceType"], "Bundle");
            assert_eq!(bundle["type"], "document");
            assert!(bundle["meta"]["profile"][0].as_str().unwrap().contains("JP_Bundle_eReferral"));
        }
        assert!(!out.join("lab_report/fhir.json").exists(), "only referral letters are eReferrals");
    }
}

#[test]
fn formats_can_be_chosen_and_export_rewrites_on_demand() {
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("data");
    let out = work.path().join("out");
    let input = fixture("referral_letter", "born_digital.pdf");
    let mut command = torikomi(&data_dir, &["convert", "--no-llm", "--format", "json"]);
    succeeded(command.arg("--out").arg(&out).arg(&input).output().unwrap());
    let dir = out.join("born_digital");
    assert!(dir.join("record.json").exists());
    assert!(!dir.join("mml.xml").exists() && !dir.join("hl7").exists());

    let mut export = torikomi(&data_dir, &["export", "--rewrite", "--format", "mml,hl7"]);
    succeeded(export.arg(&dir).output().unwrap());
    assert!(dir.join("mml.xml").exists());
    let first: Vec<String> = hl7_files(&dir).iter().map(|f| decode(&std::fs::read(f).unwrap()).unwrap().control_id().to_owned()).collect();

    // Writing again gives new messages with new control ids, replacing the old files.
    let mut export = torikomi(&data_dir, &["export", "--rewrite", "--format", "hl7"]);
    succeeded(export.arg(&dir).output().unwrap());
    let second: Vec<String> = hl7_files(&dir).iter().map(|f| decode(&std::fs::read(f).unwrap()).unwrap().control_id().to_owned()).collect();
    assert_eq!(first.len(), second.len());
    assert!(first.iter().all(|id| !second.contains(id)), "{first:?} {second:?}");

    let drop_folder = work.path().join("ehr-inbox");
    let mut export = torikomi(&data_dir, &["export", "--folder"]);
    succeeded(export.arg(&drop_folder).arg(&dir).output().unwrap());
    let dropped: Vec<_> = std::fs::read_dir(&drop_folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(dropped.len(), second.len());
    assert!(dropped.iter().all(|name| name.to_string_lossy().ends_with(".hl7")), "no temporary files: {dropped:?}");
}

/// An interface engine on 127.0.0.1 that checks MSH-10 for duplicates (as
/// engines do) and answers AA after `delay`.
struct Engine {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
    /// Distinct control ids processed: a duplicate is acknowledged again
    /// but not processed twice.
    taken_in: Arc<Mutex<HashSet<String>>>,
}

impl Engine {
    fn start(delay: Duration) -> Engine {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let taken_in = Arc::new(Mutex::new(HashSet::new()));
        let (log, engine_taken_in) = (Arc::clone(&received), Arc::clone(&taken_in));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (log, taken_in) = (Arc::clone(&log), Arc::clone(&engine_taken_in));
                thread::spawn(move || {
                    let mut deframer = Deframer::default();
                    let mut buffer = [0u8; 8192];
                    while let Ok(read) = stream.read(&mut buffer) {
                        if read == 0 {
                            return;
                        }
                        deframer.push(&buffer[..read]);
                        while let Some(bytes) = deframer.pop() {
                            let message = decode(&bytes).unwrap();
                            let control_id = message.control_id().to_owned();
                            log.lock().unwrap().push(control_id.clone());
                            thread::sleep(delay);
                            taken_in.lock().unwrap().insert(control_id);
                            let reply = ack(&message, AckCode::Accept, "", "ACK");
                            if stream.write_all(&frame(&encode(&reply, Charset::Utf8).unwrap())).is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Engine { port, received, taken_in }
    }
}

#[test]
fn mllp_delivery_survives_the_sender_being_killed() {
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("data");
    let dirs = convert(&work.path().join("out"), &data_dir, &["--format", "json,hl7"]);
    let expected: HashSet<String> = dirs
        .iter()
        .flat_map(|dir| hl7_files(dir))
        .map(|file| decode(&std::fs::read(file).unwrap()).unwrap().control_id().to_owned())
        .collect();
    assert!(expected.len() >= 15, "{} messages", expected.len());

    // Each ACK takes 80 ms, so a kill lands mid-exchange most of the time.
    let engine = Engine::start(Duration::from_millis(80));
    let target = format!("127.0.0.1:{}", engine.port);
    let mut kills = 0;
    let mut seed: u64 = 0x5eed;
    for _ in 0..8 {
        let mut command = torikomi(&data_dir, &["export", "--mllp", &target, "--ack-timeout", "2"]);
        let mut child = command.args(&dirs).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let after = Duration::from_millis(60 + (seed >> 33) % 400);
        let started = Instant::now();
        while started.elapsed() < after && child.try_wait().unwrap().is_none() {
            thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    // A last run, left to finish, sends whatever is still pending.
    let mut last = torikomi(&data_dir, &["export", "--mllp", &target, "--ack-timeout", "2"]);
    let stdout = succeeded(last.output().unwrap());
    assert!(!stdout.contains("pending"), "{stdout}");

    let taken_in = engine.taken_in.lock().unwrap();
    let received = engine.received.lock().unwrap();
    assert_eq!(*taken_in, expected, "every message arrived, none under another id");
    // Every resend is the same message (same MSH-10), so the engine's
    // duplicate check takes each in once; a resend only happens for a
    // message whose ACK a kill interrupted.
    assert!(received.len() <= expected.len() + kills, "{} receptions, {} messages, {kills} kills", received.len(), expected.len());
    assert!(kills >= 3, "the test killed the sender only {kills} times");
}

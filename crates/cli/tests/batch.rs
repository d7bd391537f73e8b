//! Batch import through the durable queue: a mixed folder of good and
//! hostile files, a batch killed with SIGKILL twenty times, and a watched
//! folder that files arrive in slowly.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const DOCUMENTS: [&str; 6] =
    ["referral_letter", "referral_ruled", "referral_two_column", "lab_report", "medication_list", "discharge_summary"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn torikomi(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_torikomi"));
    command.env("TORIKOMI_DATA_DIR", data_dir);
    command
}

fn text(output: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A born-digital fixture with bytes after its end-of-file marker, so that
/// every copy is a different document to the queue.
fn distinct_pdf(document: &str, copy: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(fixtures().join("generated").join(document).join("born_digital.pdf")).unwrap();
    writeln!(bytes, "%copy {copy}").unwrap();
    bytes
}

/// Output folders and the files in each, by kind (record.json, mml.xml,
/// and each HL7 data type).
fn outputs(out: &Path) -> HashMap<String, HashMap<String, usize>> {
    let mut documents = HashMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let dir = entry.unwrap().path();
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for file in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if file.is_dir() {
                for message in std::fs::read_dir(&file).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()) {
                    let data_type = message.split('_').nth(2).unwrap_or("?").to_owned();
                    *kinds.entry(format!("hl7 {data_type}")).or_default() += 1;
                }
            } else {
                *kinds.entry(file.file_name().unwrap().to_string_lossy().into_owned()).or_default() += 1;
            }
        }
        documents.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), kinds);
    }
    documents
}

#[test]
fn a_mixed_folder_completes_with_every_bad_file_failed_for_its_reason() {
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for document in DOCUMENTS {
        std::fs::copy(fixtures().join("generated").join(document).join("born_digital.pdf"), inbox.join(format!("{document}.pdf"))).unwrap();
    }
    std::fs::copy(fixtures().join("generated/referral_letter/scan.pdf"), inbox.join("scanned_referral.pdf")).unwrap();
    let hostile: Vec<String> = std::fs::read_dir(fixtures().join("hostile"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::copy(&path, inbox.join(&name)).unwrap();
            name
        })
        .collect();
    assert!(hostile.len() >= 6, "the hostile corpus: {hostile:?}");
    std::os::unix::fs::symlink("/etc/hostname", inbox.join("link.pdf")).unwrap();
    std::fs::create_dir_all(inbox.join("folder.pdf")).unwrap();
    std::fs::write(inbox.join("folder.pdf/notes.txt"), "not a document").unwrap();

    let output = torikomi(&work.path().join("data"))
        .args(["import", "--no-llm", "--out"])
        .arg(work.path().join("out"))
        .arg(&inbox)
        .output()
        .unwrap();
    let log = text(&output);
    assert!(!output.status.success(), "failures make the exit status non-zero:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    let summary = log.lines().find(|line| line.contains(" exported, ")).unwrap_or_else(|| panic!("no final report:\n{log}"));
    // "{exported} exported, {review} exported for review, {known} already imported, {failed} failed"
    let counts: Vec<usize> = summary.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    assert_eq!(counts[0] + counts[1], 7, "{summary}");
    assert_eq!(counts[3], hostile.len() + 2, "{summary}");

    for good in DOCUMENTS.iter().map(|d| format!("{d}.pdf")).chain(["scanned_referral.pdf".to_owned()]) {
        let line = log.lines().find(|line| line.contains(&format!("/{good}"))).unwrap_or_else(|| panic!("{good} missing:\n{log}"));
        assert!(line.starts_with("ok") || line.starts_with("review"), "{line}");
    }
    for bad in hostile.iter().map(String::as_str).chain(["link.pdf", "notes.txt"]) {
        let line = log.lines().find(|line| line.contains(&format!("/{bad}:"))).unwrap_or_else(|| panic!("{bad} missing:\n{log}"));
        assert!(line.starts_with("failed"), "{line}");
        assert!(line.len() > line.find(": ").unwrap() + 5, "a reason is given: {line}");
    }
    assert!(log.contains("link.pdf: is a symbolic link"), "{log}");
    assert_eq!(outputs(&work.path().join("out")).len(), 7, "one output folder per good document");
}

#[test]
fn a_batch_killed_twenty_times_processes_every_document_exactly_once() {
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for copy in 0..50 {
        let document = DOCUMENTS[copy % DOCUMENTS.len()];
        std::fs::write(inbox.join(format!("{copy:02}_{document}.pdf")), distinct_pdf(document, copy)).unwrap();
    }
    let data_dir = work.path().join("data");
    let out = work.path().join("out");
    let run = || -> Child {
        torikomi(&data_dir)
            .args(["import", "--no-llm", "--format", "json,mml,hl7", "--out"])
            .arg(&out)
            .arg(&inbox)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // Born-digital documents take milliseconds each, so each kill waits for
    // the run to export one more document, then a random 0–15 ms: the kills
    // land at random points inside the batch, with progress between them.
    let exported = || {
        torikomi_store::Store::open(&data_dir.join("torikomi.db"))
            .and_then(|store| store.count_in(torikomi_store::DocumentState::Exported))
            .unwrap_or(0)
    };
    let mut seed: u64 = 0x7013_1c0d;
    let mut kills = 0;
    let mut runs = 0;
    while kills < 20 && runs < 40 {
        runs += 1;
        let before = exported();
        let mut child = run();
        let deadline = Instant::now() + Duration::from_secs(20);
        while exported() <= before && child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        thread::sleep(Duration::from_millis((seed >> 33) % 16));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    let exported_before_last = |list: &Output| String::from_utf8_lossy(&list.stdout).lines().filter(|l| l.contains(" exported ")).count();
    let midway = exported_before_last(&torikomi(&data_dir).args(["queue", "list"]).output().unwrap());
    assert!(midway > 0 && midway < 50, "the kills fell inside the batch: {midway} of 50 exported after them");
    let last = torikomi(&data_dir).args(["import", "--no-llm", "--format", "json,mml,hl7", "--out"]).arg(&out).arg(&inbox).output().unwrap();
    let log = text(&last);
    assert!(last.status.success(), "{log}");
    assert_eq!(kills, 20, "killed {kills} times in {runs} runs");

    let list = torikomi(&data_dir).args(["queue", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(list.lines().count(), 50, "one queue entry per document:\n{list}");
    assert!(list.lines().all(|line| line.contains(" exported ")), "{list}");

    let documents = outputs(&out);
    assert_eq!(documents.len(), 50, "one output folder per document");
    for (name, kinds) in &documents {
        assert_eq!(kinds.get("record.json"), Some(&1), "{name}: {kinds:?}");
        assert_eq!(kinds.get("mml.xml"), Some(&1), "{name}: {kinds:?}");
        assert!(kinds.iter().all(|(_, count)| *count == 1), "{name}: every export exactly once: {kinds:?}");
        assert!(kinds.keys().any(|kind| kind == "hl7 ADT-00"), "{name}: {kinds:?}");
        assert!(!kinds.keys().any(|kind| kind.contains(".part") || kind.starts_with('.')), "{name}: {kinds:?}");
    }
}

#[test]
fn a_watched_folder_reads_files_only_once_they_are_complete() {
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("fax-server");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut watcher = torikomi(&work.path().join("data"))
        .args(["watch", "--settle", "1", "--poll", "0.2", "--no-llm", "--format", "json", "--out"])
        .arg(work.path().join("out"))
        .arg(&inbox)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Three documents written slowly, in chunks 300 ms apart, as a fax
    // server writes a large file; a fourth is garbage.
    let writers: Vec<_> = ["referral_letter", "lab_report", "medication_list"]
        .into_iter()
        .enumerate()
        .map(|(index, document)| {
            let bytes = distinct_pdf(document, index);
            let path = inbox.join(format!("{document}.pdf"));
            thread::spawn(move || {
                let mut file = std::fs::File::create(&path).unwrap();
                for chunk in bytes.chunks(bytes.len() / 6 + 1) {
                    file.write_all(chunk).unwrap();
                    file.flush().unwrap();
                    thread::sleep(Duration::from_millis(300));
                }
            })
        })
        .collect();
    std::fs::write(inbox.join("garbage.pdf"), b"%PDF-1.7\nthis is not a PDF").unwrap();
    // A link and a named pipe: neither is read (a pipe would block a reader).
    std::os::unix::fs::symlink("/etc/hostname", inbox.join("link.pdf")).unwrap();
    let fifo = std::ffi::CString::new(inbox.join("pipe.pdf").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc_mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
    for writer in writers {
        writer.join().unwrap();
    }

    let done = inbox.join("done");
    let failed = inbox.join("failed");
    let deadline = Instant::now() + Duration::from_secs(60);
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
        names.sort();
        names
    };
    while names(&done).len() < 3 && Instant::now() < deadline && watcher.try_wait().unwrap().is_none() {
        thread::sleep(Duration::from_millis(200));
    }
    thread::sleep(Duration::from_millis(500));
    watcher.kill().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(watcher.stderr.as_mut().unwrap(), &mut log).unwrap();

    assert_eq!(names(&done), ["lab_report.pdf", "medication_list.pdf", "referral_letter.pdf"], "{log}");
    assert_eq!(
        names(&failed),
        ["garbage.pdf", "garbage.pdf.error.txt", "link.pdf", "link.pdf.error.txt", "pipe.pdf", "pipe.pdf.error.txt"],
        "nothing read half-written:\n{log}"
    );
    let reason = |name: &str| std::fs::read_to_string(failed.join(format!("{name}.error.txt"))).unwrap();
    assert!(reason("garbage.pdf").contains("damaged"), "{}", reason("garbage.pdf"));
    assert!(reason("link.pdf").contains("symbolic link"), "{}", reason("link.pdf"));
    assert!(reason("pipe.pdf").contains("not a regular file"), "{}", reason("pipe.pdf"));
    assert_eq!(outputs(&work.path().join("out")).len(), 3);
}

unsafe extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
}

//! What the window tests share: a private X display (Xvfb), the app's
//! data folder seeded with settings, and polling the app's database.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use torikomi_app::AppSettings;
use torikomi_store::Store;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/generated").join(name)
}

pub fn shared_mml() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/standards/mml");
    if dir.join("validate_mml.sh").is_file() {
        Some(dir)
    } else {
        eprintln!("skipping MML schema validation: {} is absent", dir.display());
        None
    }
}

/// Validates an MML file against the MML v4.2 schemas, when ../shared is there.
pub fn assert_valid_mml(file: &Path) {
    let Some(standards) = shared_mml() else { return };
    let output = Command::new("sh")
        .arg(standards.join("validate_mml.sh"))
        .arg(standards.join("schema/mml.xsd"))
        .arg(file)
        .output()
        .expect("run validate_mml.sh (needs xmllint from libxml2-utils)");
    let report = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && report.contains(" validates"), "MML does not validate:\n{report}");
}

/// An Xvfb server on a display number of its own choosing, stopped on drop.
pub struct VirtualDisplay {
    server: Child,
    pub name: String,
}

impl VirtualDisplay {
    pub fn start() -> VirtualDisplay {
        let mut server = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (apt install xvfb; setup.sh installs it)");
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let number: u32 = line.trim().parse().expect("Xvfb prints its display number");
        VirtualDisplay { server, name: format!(":{number}") }
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The desktop binary cargo built for these tests (with the UI embedded).
pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_torikomi-desktop"))
}

/// A data folder whose settings export to `<data>/ehr-in`; `use_model`
/// chooses between the default model and the rules alone.
pub fn seeded_data_dir(use_model: bool) -> (tempfile::TempDir, PathBuf) {
    let data = tempfile::tempdir().unwrap();
    let ehr = data.path().join("ehr-in");
    let settings = AppSettings {
        use_model,
        facility_name: "東都大学医学部附属病院".into(),
        facility_code: "1312345678".into(),
        export_folder: ehr.display().to_string(),
        ..AppSettings::default()
    };
    settings.save(&Store::open(&data.path().join("torikomi.db")).unwrap()).unwrap();
    (data, ehr)
}

/// Polls `check` until it returns Some, failing after `limit`.
pub fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

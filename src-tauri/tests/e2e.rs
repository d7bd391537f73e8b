//! The real app in a real window (Xvfb), driven through WebDriver
//! (tauri-driver over Debian's WebKitWebDriver) as a clinician would use
//! it: drop a referral letter on the window, open its review, correct the
//! patient's name, approve, and find valid MML and HL7 in the export
//! folder. The review screen is photographed on the way
//! (`UPDATE_SCREENSHOT=1` copies it to docs/review-screen.png).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use common::{VirtualDisplay, app_binary, assert_valid_mml, fixture, seeded_data_dir, wait_until};
use serde_json::{Value, json};
use torikomi_store::Store;

/// WebDriver's key for Enter.
const ENTER: &str = "\u{E007}";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tauri_driver() -> PathBuf {
    let cached = std::env::var_os("HOME")
        .map(|home| Path::new(&home).join(".cache/torikomi/tools/bin/tauri-driver"))
        .filter(|path| path.is_file());
    std::env::var_os("TAURI_DRIVER").map(PathBuf::from).or(cached).unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

struct Driver {
    process: Child,
    base: String,
    session: String,
}

impl Driver {
    fn start(display: &VirtualDisplay, data: &Path) -> Driver {
        let port = free_port();
        let process = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
            .env("DISPLAY", &display.name)
            .env("TORIKOMI_DATA_DIR", data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that WebKitWebDriver and the app
            // under it stop with it.
            .process_group(0)
            .spawn()
            .expect("start tauri-driver (setup.sh installs it, with webkit2gtk-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app_binary()}
        }}});
        let session = wait_until("tauri-driver to start a session", Duration::from_secs(60), || {
            let reply: Value = ureq::post(&format!("{base}/session")).send_json(&capabilities).ok()?.into_json().ok()?;
            reply["value"]["sessionId"].as_str().map(str::to_owned)
        });
        Driver { process, base, session }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = ureq::request(method, &url);
        let reply = match body {
            Some(body) => request.send_json(&body),
            None => request.call(),
        };
        match reply {
            Ok(reply) => reply.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(status, reply)) => panic!("{method} {path}: {status} {}", reply.into_string().unwrap()),
            Err(error) => panic!("{method} {path}: {error}"),
        }
    }

    fn script(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// The first element matching `css`, if any.
    fn find(&self, css: &str) -> Option<String> {
        let found = self.call("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        found.as_array()?.first()?.as_object()?.values().next()?.as_str().map(str::to_owned)
    }

    fn wait_for(&self, css: &str, limit: Duration) -> String {
        wait_until(css, limit, || self.find(css))
    }

    /// Clicks as a script does: for table rows, which WebKitWebDriver
    /// does not count as interactable.
    fn script_click(&self, element: &str) {
        self.script("arguments[0].click()", json!([{"element-6066-11e4-a52e-4f735466cecf": element}]));
    }

    fn click(&self, element: &str) {
        self.call("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    fn clear_and_type(&self, element: &str, text: &str) {
        self.call("POST", &format!("/element/{element}/clear"), Some(json!({})));
        self.call("POST", &format!("/element/{element}/value"), Some(json!({"text": text})));
    }

    fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD.decode(encoded.as_str().unwrap()).unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}

#[test]
fn a_dropped_letter_is_reviewed_corrected_approved_and_exported() {
    let display = VirtualDisplay::start();
    let (data, ehr) = seeded_data_dir(true);
    let driver = Driver::start(&display, data.path());
    wait_until("the UI to register its listeners", Duration::from_secs(60), || {
        (driver.script("return document.body.dataset.ready || null", json!([])) == json!("true")).then_some(())
    });

    let letter = fixture("referral_letter/born_digital.pdf");
    driver.script(
        "return window.__TAURI_INTERNALS__.invoke('plugin:event|emit', \
         {event: 'tauri://drag-drop', payload: {paths: arguments[0], position: {x: 400, y: 300}}})",
        json!([[letter]]),
    );
    // Read, then structured by the default model: a minute or two on two cores.
    let row = driver.wait_for("[data-doc-id][data-state='needsReview']", Duration::from_secs(600));
    driver.script_click(&row);
    driver.wait_for("#review", Duration::from_secs(30));

    let name = driver.wait_for("input[data-path='/patient/name']", Duration::from_secs(30));
    driver.click(&name);
    driver.clear_and_type(&name, &format!("山田 花子{ENTER}"));
    let store = Store::open(&data.path().join("torikomi.db")).unwrap();
    let edit = wait_until("the edit to reach the audit log", Duration::from_secs(30), || {
        store.audit_log(50).unwrap().into_iter().find(|entry| entry.action == "edit")
    });
    let detail: Value = serde_json::from_str(&edit.detail).unwrap();
    assert_eq!(detail["path"], "/patient/name");
    assert_eq!(detail["new"], "山田 花子");

    // Back on the name: its source box is highlighted on the page.
    let name = driver.wait_for("input[data-path='/patient/name']", Duration::from_secs(10));
    driver.click(&name);
    std::thread::sleep(Duration::from_millis(500));
    let shot = driver.screenshot();
    assert_eq!(&shot[1..4], b"PNG");
    let shot_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-screen.png");
    std::fs::write(&shot_path, &shot).unwrap();
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&shot_path, docs.join("review-screen.png")).unwrap();
    }

    let approve = driver.wait_for("#approve", Duration::from_secs(10));
    driver.click(&approve);
    driver.wait_for("#doc-state[data-state='exported']", Duration::from_secs(120));
    driver.wait_for("#deliveries li[data-status='written']", Duration::from_secs(10));

    let folders: Vec<PathBuf> = std::fs::read_dir(&ehr).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(folders.len(), 1, "one exported document");
    let mml = std::fs::read_to_string(folders[0].join("mml.xml")).unwrap();
    assert!(mml.contains("山田") && mml.contains("花子"), "the corrected name is exported");
    assert_valid_mml(&folders[0].join("mml.xml"));
    let hl7: Vec<PathBuf> = std::fs::read_dir(folders[0].join("hl7")).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert!(hl7.len() >= 2, "{hl7:?}");
    for file in &hl7 {
        let message = torikomi_hl7::decode(&std::fs::read(file).unwrap()).unwrap();
        assert!(!message.control_id().is_empty());
    }
    assert!(store.verify_audit().unwrap().broken.is_none());
}

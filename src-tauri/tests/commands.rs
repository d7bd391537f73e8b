//! The commands through Tauri's IPC on the mock runtime (no display): each
//! one registered and permitted by the app's real capabilities, nothing
//! else reachable, errors arriving as `{code, message}`, and the
//! TypeScript bindings in step with the Rust DTOs.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{fixture, seeded_data_dir, wait_until};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn app(data: &Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = mock_builder()
        .invoke_handler(torikomi_desktop::invoke_handler())
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    torikomi_desktop::start_core(app.handle(), data.to_owned(), Vec::new()).unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, command: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}

/// The permissions the capability grants, as command names.
fn permitted_commands() -> Vec<String> {
    let capability: Value =
        serde_json::from_str(include_str!("../capabilities/default.json")).expect("the capability is JSON");
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|permission| permission.as_str()?.strip_prefix("allow-").map(|name| name.replace('-', "_")))
        .collect()
}

#[test]
fn every_permitted_command_is_registered_and_nothing_else_is_reachable() {
    let (data, _) = seeded_data_dir(false);
    let (_app, window) = app(data.path());
    let commands = permitted_commands();
    assert_eq!(commands.len(), 12, "{commands:?}");
    for command in &commands {
        // Arguments that reach every command's body: an unknown document
        // answers with the app's own error, never Tauri's "not found" or
        // "not allowed".
        let args = json!({"id": 999_999, "page": 0, "path": "/x", "part": null, "value": "v", "limit": 5,
                          "paths": [], "asOne": false, "settings": invoke(&window, "get_settings", json!({})).unwrap()});
        match invoke(&window, command, args) {
            Ok(_) => {}
            Err(error) => assert!(error["code"].is_string(), "{command}: {error}"),
        }
    }
    let refused = invoke(&window, "plugin:fs|read_text_file", json!({"path": "/etc/passwd"})).unwrap_err();
    assert!(refused.as_str().is_some_and(|text| text.contains("not")), "{refused}");
}

#[test]
fn a_document_goes_from_import_to_review_through_the_commands() {
    let (data, _) = seeded_data_dir(false);
    let (_app, window) = app(data.path());
    let letter = fixture("medication_list/born_digital.pdf");
    let report = invoke(&window, "import_paths", json!({"paths": [letter], "asOne": false})).unwrap();
    assert_eq!(report["queued"], 1);
    let id = wait_until("the document to wait for review", Duration::from_secs(120), || {
        let documents = invoke(&window, "list_documents", json!({})).unwrap();
        let document = &documents[0];
        assert_ne!(document["state"], "failed", "{document}");
        (document["state"] == "needsReview").then(|| document["id"].as_i64().unwrap())
    });
    let detail = invoke(&window, "document_detail", json!({"id": id})).unwrap();
    assert_eq!(detail["kind"], "medication_list");
    assert!(detail["pages"][0]["lines"].as_array().is_some_and(|lines| !lines.is_empty()));
    let image = invoke(&window, "page_image", json!({"id": id, "page": 0})).unwrap();
    assert!(image.as_str().unwrap().starts_with("data:image/jpeg;base64,"));

    let days = detail["fields"].as_array().unwrap().iter().find(|field| field["label"].as_str().unwrap().ends_with("days")).unwrap();
    let refused = invoke(&window, "edit_field", json!({"id": id, "path": days["path"], "part": null, "value": "二週間分ほど"})).unwrap_err();
    assert_eq!(refused["code"], "invalid_value", "{refused}");
    let longer = (days["value"].as_str().unwrap().parse::<u32>().unwrap() + 7).to_string();
    let edited = invoke(&window, "edit_field", json!({"id": id, "path": days["path"], "part": null, "value": longer})).unwrap();
    let days_now = edited["fields"].as_array().unwrap().iter().find(|field| field["path"] == days["path"]).unwrap();
    assert_eq!((days_now["value"].as_str(), days_now["edited"].as_bool()), (Some(longer.as_str()), Some(true)));

    let bad = json!({"modelPath": "", "useModel": false, "gpuLayers": "many", "ocrEngine": "auto", "facilityName": "",
                     "facilityCode": "", "formats": ["mml"], "exportFolder": "", "mllpHost": "", "mllpPort": null,
                     "hl7Charset": "utf-8", "language": "en"});
    assert_eq!(invoke(&window, "save_settings", json!({"settings": bad})).unwrap_err()["code"], "invalid_setting");
    let audit = invoke(&window, "audit_log", json!({"limit": 10})).unwrap();
    assert_eq!(audit[0]["action"], "edit");
    assert_eq!(invoke(&window, "verify_audit", json!({})).unwrap()["intact"], true);
}

#[test]
fn the_typescript_bindings_match_the_rust_types() {
    let generated = torikomi_desktop::dto::typescript_declarations();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "ui/src/bindings.ts is stale: run UPDATE_BINDINGS=1 cargo test -p torikomi-desktop --test commands");
}

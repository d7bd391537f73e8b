/// Every command the UI may invoke; `tauri-build` makes an `allow-…`
/// permission for each, and capabilities/default.json grants them.
const COMMANDS: &[&str] = &[
    "list_documents",
    "import_paths",
    "document_detail",
    "page_image",
    "edit_field",
    "approve",
    "retry",
    "get_settings",
    "save_settings",
    "machine_info",
    "audit_log",
    "verify_audit",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("the Tauri build step");
}

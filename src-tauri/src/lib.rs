//! Torikomi's desktop shell: a Tauri window over `torikomi-app`. It owns
//! what only a desktop has — the window, drag-and-drop, the data folder,
//! events to the web view — and maps commands onto the core.

pub mod commands;
pub mod dto;

use std::path::PathBuf;

use tauri::{Emitter, Manager, Runtime};
use torikomi_app::{App, AppEvent};

use crate::dto::{DocumentSummary, QueueProgress};

/// Event names the UI listens to.
pub const PROGRESS_EVENT: &str = "torikomi://progress";
pub const DOCUMENT_EVENT: &str = "torikomi://document-changed";

/// Every command, registered once here; build.rs lists the same names for
/// their permissions, and a test checks the two agree.
pub fn invoke_handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::list_documents,
        commands::import_paths,
        commands::document_detail,
        commands::page_image,
        commands::edit_field,
        commands::approve,
        commands::retry,
        commands::get_settings,
        commands::save_settings,
        commands::machine_info,
        commands::audit_log,
        commands::verify_audit,
    ]
}

/// Opens the core on `data_dir` with its events going to every window,
/// and takes in `files` (the app opened with files).
pub fn start_core<R: Runtime>(handle: &tauri::AppHandle<R>, data_dir: PathBuf, files: Vec<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    let emitter = handle.clone();
    let core = App::open(&data_dir, move |event| {
        let sent = match event {
            AppEvent::Progress(counts) => emitter.emit(PROGRESS_EVENT, QueueProgress::from(counts)),
            AppEvent::DocumentChanged(overview) => emitter.emit(DOCUMENT_EVENT, DocumentSummary::from(overview)),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "cannot send an event to the window");
        }
    })?;
    if !files.is_empty() {
        core.import(&files, false)?;
    }
    handle.manage(core);
    Ok(())
}

/// Runs the app until its window closes.
///
/// # Panics
/// When the window system cannot be started.
pub fn run() {
    // Files to take in; options a launcher adds (WebDriver's, say) are not files.
    let files: Vec<PathBuf> =
        std::env::args_os().skip(1).filter(|arg| !arg.to_string_lossy().starts_with('-')).map(PathBuf::from).collect();
    tauri::Builder::default()
        .setup(move |app| {
            let data_dir = torikomi_pipeline::runtime::data_dir();
            start_core(app.handle(), data_dir, files.clone())
        })
        .invoke_handler(invoke_handler())
        .run(tauri::generate_context!())
        .expect("the window system could not be started");
}

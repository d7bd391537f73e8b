//! The commands the UI invokes: each takes the app's core from Tauri's
//! state, calls it, and maps the result to DTOs. Nothing else happens here.

use std::path::PathBuf;

use base64::Engine;
use tauri::State;
use torikomi_app::App;

use crate::dto::{
    AuditEntry, AuditVerification, DocumentDetail, DocumentSummary, ErrorDto, ImportReport, MachineInfo, Rejection,
    Settings,
};

type Reply<T> = Result<T, ErrorDto>;

#[tauri::command]
pub fn list_documents(app: State<'_, App>) -> Reply<Vec<DocumentSummary>> {
    Ok(app.documents()?.into_iter().map(DocumentSummary::from).collect())
}

#[tauri::command]
pub fn import_paths(app: State<'_, App>, paths: Vec<String>, as_one: bool) -> Reply<ImportReport> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    let summary = app.import(&paths, as_one)?;
    Ok(ImportReport {
        queued: summary.queued as u32,
        known: summary.known as u32,
        rejected: summary.rejected.into_iter().map(|(name, reason)| Rejection { name, reason }).collect(),
    })
}

#[tauri::command]
pub fn document_detail(app: State<'_, App>, id: i64) -> Reply<DocumentDetail> {
    Ok(app.document(id)?.into())
}

/// The page as a data URL: the content security policy lets the web view
/// show `data:` images and nothing from outside.
#[tauri::command]
pub fn page_image(app: State<'_, App>, id: i64, page: u32) -> Reply<String> {
    let jpeg = app.page_image(id, page as usize)?.ok_or_else(|| ErrorDto {
        code: "no_page_image".to_owned(),
        message: format!("document {id} has no picture of page {}", page + 1),
    })?;
    Ok(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg)))
}

#[tauri::command]
pub fn edit_field(app: State<'_, App>, id: i64, path: String, part: Option<String>, value: String) -> Reply<DocumentDetail> {
    app.edit(id, &path, part.as_deref(), &value)?;
    Ok(app.document(id)?.into())
}

#[tauri::command]
pub fn approve(app: State<'_, App>, id: i64) -> Reply<DocumentDetail> {
    app.approve(id)?;
    Ok(app.document(id)?.into())
}

#[tauri::command]
pub fn retry(app: State<'_, App>, id: i64) -> Reply<DocumentSummary> {
    app.retry(id)?;
    Ok(app.document(id)?.overview.into())
}

#[tauri::command]
pub fn get_settings(app: State<'_, App>) -> Reply<Settings> {
    Ok(app.settings()?.into())
}

#[tauri::command]
pub fn save_settings(app: State<'_, App>, settings: Settings) -> Reply<Settings> {
    app.save_settings(&settings.into())?;
    Ok(app.settings()?.into())
}

#[tauri::command]
pub fn machine_info(app: State<'_, App>) -> Reply<MachineInfo> {
    let gpu_backends = [("cuda", cfg!(feature = "cuda")), ("vulkan", cfg!(feature = "vulkan")), ("metal", cfg!(feature = "metal"))]
        .into_iter()
        .filter(|(_, built)| *built)
        .map(|(name, _)| name.to_owned())
        .collect();
    let mut models: Vec<String> = torikomi_pipeline::runtime::models_dir()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "gguf"))
        .map(|path| path.display().to_string())
        .collect();
    models.sort();
    Ok(MachineInfo {
        cores: std::thread::available_parallelism().map_or(1, |cores| cores.get() as u32),
        gpu_backends,
        models,
        data_dir: app.data_dir().display().to_string(),
    })
}

#[tauri::command]
pub fn audit_log(app: State<'_, App>, limit: u32) -> Reply<Vec<AuditEntry>> {
    Ok(app.audit_log(limit as usize)?.into_iter().map(AuditEntry::from).collect())
}

#[tauri::command]
pub fn verify_audit(app: State<'_, App>) -> Reply<AuditVerification> {
    Ok(app.verify_audit()?.into())
}

//! What crosses to the web view: plain data, camelCase, with TypeScript
//! twins in `ui/src/bindings.ts` generated from these types (see the test).

use serde::{Deserialize, Serialize};
use torikomi_app::{AppError, AppSettings, DocumentOverview, DocumentReview, QueueCounts, ReviewField};
use torikomi_page::BBox;
use torikomi_store::{AuditEntry as StoreAuditEntry, AuditVerification as StoreVerification, DocumentState as StoreState};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DocumentState {
    Queued,
    Reading,
    /// Read; the model is structuring it (or it waits for the model).
    Structuring,
    NeedsReview,
    Approved,
    Exported,
    Failed,
    Cancelled,
}

impl From<StoreState> for DocumentState {
    fn from(state: StoreState) -> Self {
        match state {
            StoreState::Queued => DocumentState::Queued,
            StoreState::Reading => DocumentState::Reading,
            StoreState::Read => DocumentState::Structuring,
            StoreState::Structured => DocumentState::NeedsReview,
            StoreState::Approved => DocumentState::Approved,
            StoreState::Exported => DocumentState::Exported,
            StoreState::Failed => DocumentState::Failed,
            StoreState::Cancelled => DocumentState::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub state: DocumentState,
    pub error: Option<String>,
    #[ts(type = "number | null")]
    pub pages: Option<i64>,
    pub flagged: u32,
    pub updated_at: String,
}

impl From<DocumentOverview> for DocumentSummary {
    fn from(overview: DocumentOverview) -> Self {
        let document = overview.document;
        DocumentSummary {
            id: document.id.0,
            name: document.name,
            state: document.state.into(),
            error: document.error,
            pages: document.pages,
            flagged: overview.flagged as u32,
            updated_at: document.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct BoxView {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl From<BBox> for BoxView {
    fn from(bbox: BBox) -> Self {
        BoxView { x: bbox.x, y: bbox.y, w: bbox.w, h: bbox.h }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LineView {
    pub text: String,
    pub bbox: BoxView,
    pub confidence: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PageView {
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SourceView {
    pub page: u32,
    pub bbox: BoxView,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldView {
    pub path: String,
    pub part: Option<String>,
    pub group: String,
    pub label: String,
    pub value: String,
    pub printed: String,
    pub confidence: f64,
    pub origin: String,
    pub flags: Vec<String>,
    pub source: Option<SourceView>,
    pub needs_review: bool,
    pub edited: bool,
}

impl From<ReviewField> for FieldView {
    fn from(field: ReviewField) -> Self {
        FieldView {
            path: field.path,
            part: field.part,
            group: field.group,
            label: field.label,
            value: field.value,
            printed: field.printed,
            confidence: field.confidence,
            origin: field.origin,
            flags: field.flags,
            source: field.source.map(|(page, bbox)| SourceView { page: page as u32, bbox: bbox.into() }),
            needs_review: field.needs_review,
            edited: field.edited,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DeliveryView {
    pub target: String,
    pub status: String,
    pub detail: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DocumentDetail {
    pub summary: DocumentSummary,
    pub kind: String,
    pub pages: Vec<PageView>,
    pub fields: Vec<FieldView>,
    pub deliveries: Vec<DeliveryView>,
}

impl From<DocumentReview> for DocumentDetail {
    fn from(review: DocumentReview) -> Self {
        let pages = review
            .pages
            .into_iter()
            .enumerate()
            .map(|(index, page)| PageView {
                index: index as u32,
                width: page.width,
                height: page.height,
                lines: page
                    .lines
                    .into_iter()
                    .map(|line| LineView { text: line.text, bbox: line.bbox.into(), confidence: line.confidence })
                    .collect(),
            })
            .collect();
        DocumentDetail {
            summary: review.overview.into(),
            kind: review.kind.unwrap_or_default(),
            pages,
            fields: review.fields.into_iter().map(FieldView::from).collect(),
            deliveries: review
                .deliveries
                .into_iter()
                .map(|d| DeliveryView { target: d.target, status: d.status, detail: d.detail, at: d.at })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueProgress {
    pub total: u32,
    pub queued: u32,
    pub reading: u32,
    pub structuring: u32,
    pub needs_review: u32,
    pub approved: u32,
    pub exported: u32,
    pub failed: u32,
    pub pages_per_minute: f64,
    pub model_unavailable: Option<String>,
}

impl From<QueueCounts> for QueueProgress {
    fn from(counts: QueueCounts) -> Self {
        QueueProgress {
            total: counts.total as u32,
            queued: counts.queued as u32,
            reading: counts.reading as u32,
            structuring: counts.structuring as u32,
            needs_review: counts.needs_review as u32,
            approved: counts.approved as u32,
            exported: counts.exported as u32,
            failed: counts.failed as u32,
            pages_per_minute: counts.pages_per_minute,
            model_unavailable: counts.model_unavailable,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Rejection {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub queued: u32,
    pub known: u32,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub model_path: String,
    pub use_model: bool,
    pub gpu_layers: String,
    pub ocr_engine: String,
    pub facility_name: String,
    pub facility_code: String,
    pub formats: Vec<String>,
    pub export_folder: String,
    pub mllp_host: String,
    pub mllp_port: Option<u16>,
    pub hl7_charset: String,
    pub language: String,
}

impl From<AppSettings> for Settings {
    fn from(s: AppSettings) -> Self {
        Settings {
            model_path: s.model_path,
            use_model: s.use_model,
            gpu_layers: s.gpu_layers,
            ocr_engine: s.ocr_engine,
            facility_name: s.facility_name,
            facility_code: s.facility_code,
            formats: s.formats,
            export_folder: s.export_folder,
            mllp_host: s.mllp_host,
            mllp_port: s.mllp_port,
            hl7_charset: s.hl7_charset,
            language: s.language,
        }
    }
}

impl From<Settings> for AppSettings {
    fn from(s: Settings) -> Self {
        AppSettings {
            model_path: s.model_path,
            use_model: s.use_model,
            gpu_layers: s.gpu_layers,
            ocr_engine: s.ocr_engine,
            facility_name: s.facility_name,
            facility_code: s.facility_code,
            formats: s.formats,
            export_folder: s.export_folder,
            mllp_host: s.mllp_host,
            mllp_port: s.mllp_port,
            hl7_charset: s.hl7_charset,
            language: s.language,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MachineInfo {
    pub cores: u32,
    /// GPU backends this build was made with; empty: CPU only.
    pub gpu_backends: Vec<String>,
    /// GGUF files in the models folder.
    pub models: Vec<String>,
    pub data_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    #[ts(type = "number | null")]
    pub document_id: Option<i64>,
    pub detail: String,
}

impl From<StoreAuditEntry> for AuditEntry {
    fn from(entry: StoreAuditEntry) -> Self {
        AuditEntry {
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            document_id: entry.document_id.map(|id| id.0),
            detail: entry.detail,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditVerification {
    pub entries: u32,
    pub intact: bool,
    #[ts(type = "number | null")]
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
}

impl From<StoreVerification> for AuditVerification {
    fn from(verification: StoreVerification) -> Self {
        let (first_broken, reason) = verification.broken.map_or((None, None), |(seq, reason)| (Some(seq), Some(reason)));
        AuditVerification { entries: verification.entries as u32, intact: first_broken.is_none(), first_broken, reason }
    }
}

/// How a failed command reaches the UI: a stable code to act on and a
/// sentence to show.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
}

impl From<AppError> for ErrorDto {
    fn from(error: AppError) -> Self {
        ErrorDto { code: error.code().to_owned(), message: error.to_string() }
    }
}

/// Every type the UI sees, in the order `bindings.ts` lists them.
pub fn typescript_declarations() -> String {
    let declarations = [
        DocumentState::decl(&Default::default()),
        DocumentSummary::decl(&Default::default()),
        BoxView::decl(&Default::default()),
        LineView::decl(&Default::default()),
        PageView::decl(&Default::default()),
        SourceView::decl(&Default::default()),
        FieldView::decl(&Default::default()),
        DeliveryView::decl(&Default::default()),
        DocumentDetail::decl(&Default::default()),
        QueueProgress::decl(&Default::default()),
        ImportReport::decl(&Default::default()),
        Rejection::decl(&Default::default()),
        Settings::decl(&Default::default()),
        MachineInfo::decl(&Default::default()),
        AuditEntry::decl(&Default::default()),
        AuditVerification::decl(&Default::default()),
        ErrorDto::decl(&Default::default()),
    ];
    let mut out = String::from(
        "// Generated from the Rust DTOs in src-tauri/src/dto.rs by `cargo test -p torikomi-desktop` (ts-rs).\n\
         // Do not edit by hand: change the Rust types and run the tests with UPDATE_BINDINGS=1.\n",
    );
    for declaration in declarations {
        out.push_str(&format!("\nexport {declaration}\n"));
    }
    out
}

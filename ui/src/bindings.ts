// Generated from the Rust DTOs in src-tauri/src/dto.rs by `cargo test -p torikomi-desktop` (ts-rs).
// Do not edit by hand: change the Rust types and run the tests with UPDATE_BINDINGS=1.

export type DocumentState = "queued" | "reading" | "structuring" | "needsReview" | "approved" | "exported" | "failed" | "cancelled";

export type DocumentSummary = { id: number, name: string, state: DocumentState, error: string | null, pages: number | null, flagged: number, updatedAt: string, };

export type BoxView = { x: number, y: number, w: number, h: number, };

export type LineView = { text: string, bbox: BoxView, confidence: number, };

export type PageView = { index: number, width: number, height: number, lines: Array<LineView>, };

export type SourceView = { page: number, bbox: BoxView, };

export type FieldView = { path: string, part: string | null, group: string, label: string, value: string, printed: string, confidence: number, origin: string, flags: Array<string>, source: SourceView | null, needsReview: boolean, edited: boolean, };

export type DeliveryView = { target: string, status: string, detail: string, at: string, };

export type DocumentDetail = { summary: DocumentSummary, kind: string, pages: Array<PageView>, fields: Array<FieldView>, deliveries: Array<DeliveryView>, };

export type QueueProgress = { total: number, queued: number, reading: number, structuring: number, needsReview: number, approved: number, exported: number, failed: number, pagesPerMinute: number, modelUnavailable: string | null, };

export type ImportReport = { queued: number, known: number, rejected: Array<Rejection>, };

export type Rejection = { name: string, reason: string, };

export type Settings = { modelPath: string, useModel: boolean, gpuLayers: string, ocrEngine: string, facilityName: string, facilityCode: string, formats: Array<string>, exportFolder: string, mllpHost: string, mllpPort: number | null, hl7Charset: string, language: string, };

export type MachineInfo = { cores: number, 
/**
 * GPU backends this build was made with; empty: CPU only.
 */
gpuBackends: Array<string>, 
/**
 * GGUF files in the models folder.
 */
models: Array<string>, dataDir: string, };

export type AuditEntry = { seq: number, at: string, actor: string, action: string, documentId: number | null, detail: string, };

export type AuditVerification = { entries: number, intact: boolean, firstBroken: number | null, reason: string | null, };

export type ErrorDto = { code: string, message: string, };

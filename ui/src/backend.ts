import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  AuditEntry,
  AuditVerification,
  DocumentDetail,
  DocumentSummary,
  ErrorDto,
  ImportReport,
  MachineInfo,
  QueueProgress,
  Settings,
} from "./bindings";

export type Unlisten = () => void;

export type DragDrop = { paths: string[]; position: { x: number; y: number } };

/** Everything the screens ask of the Rust side; the only module that knows about Tauri. */
export interface Backend {
  listDocuments(): Promise<DocumentSummary[]>;
  importPaths(paths: string[], asOne: boolean): Promise<ImportReport>;
  documentDetail(id: number): Promise<DocumentDetail>;
  pageImage(id: number, page: number): Promise<string>;
  editField(id: number, path: string, part: string | null, value: string): Promise<DocumentDetail>;
  approve(id: number): Promise<DocumentDetail>;
  retry(id: number): Promise<DocumentSummary>;
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<Settings>;
  machineInfo(): Promise<MachineInfo>;
  auditLog(limit: number): Promise<AuditEntry[]>;
  verifyAudit(): Promise<AuditVerification>;
  onProgress(callback: (progress: QueueProgress) => void): Promise<Unlisten>;
  onDocumentChanged(callback: (summary: DocumentSummary) => void): Promise<Unlisten>;
  onDragDrop(callback: (drop: DragDrop) => void): Promise<Unlisten>;
}

const events = {
  progress: "torikomi://progress",
  documentChanged: "torikomi://document-changed",
  dragDrop: "tauri://drag-drop",
} as const;

export function tauriBackend(): Backend {
  const on =
    <T>(event: string) =>
    (callback: (payload: T) => void): Promise<Unlisten> =>
      listen<T>(event, (message) => callback(message.payload));
  return {
    listDocuments: () => invoke("list_documents"),
    importPaths: (paths, asOne) => invoke("import_paths", { paths, asOne }),
    documentDetail: (id) => invoke("document_detail", { id }),
    pageImage: (id, page) => invoke("page_image", { id, page }),
    editField: (id, path, part, value) => invoke("edit_field", { id, path, part, value }),
    approve: (id) => invoke("approve", { id }),
    retry: (id) => invoke("retry", { id }),
    getSettings: () => invoke("get_settings"),
    saveSettings: (settings) => invoke("save_settings", { settings }),
    machineInfo: () => invoke("machine_info"),
    auditLog: (limit) => invoke("audit_log", { limit }),
    verifyAudit: () => invoke("verify_audit"),
    onProgress: on<QueueProgress>(events.progress),
    onDocumentChanged: on<DocumentSummary>(events.documentChanged),
    onDragDrop: on<DragDrop>(events.dragDrop),
  };
}

function isErrorDto(error: unknown): error is ErrorDto {
  return typeof error === "object" && error !== null && "code" in error && "message" in error;
}

/** The text to show for a rejected command: the backend's message, or whatever was thrown. */
export function errorMessage(error: unknown, fallback: string): string {
  if (isErrorDto(error)) return error.message;
  if (error instanceof Error) return error.message;
  if (typeof error === "string" && error !== "") return error;
  return fallback;
}

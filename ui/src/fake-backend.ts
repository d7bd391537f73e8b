import type { Backend, DragDrop, Unlisten } from "./backend";
import type {
  AuditEntry,
  AuditVerification,
  DocumentDetail,
  DocumentSummary,
  ErrorDto,
  FieldView,
  ImportReport,
  MachineInfo,
  QueueProgress,
  Settings,
} from "./bindings";

type Listener<T> = (payload: T) => void;

export type Call = { method: keyof Backend; args: unknown[] };

/** An in-memory Backend for tests: records every call and lets the test fire the backend's events. */
export class FakeBackend implements Backend {
  calls: Call[] = [];
  documents: DocumentSummary[] = [];
  details = new Map<number, DocumentDetail>();
  settings: Settings = sampleSettings();
  machine: MachineInfo = { cores: 2, gpuBackends: [], models: ["models/qwen.gguf"], dataDir: "/data/torikomi" };
  audit: AuditEntry[] = [];
  verification: AuditVerification = { entries: 0, intact: true, firstBroken: null, reason: null };
  importReport: ImportReport = { queued: 1, known: 0, rejected: [] };
  /** When set, edit_field rejects with what it returns for the value (null accepts). */
  editError: ((value: string) => ErrorDto | null) | null = null;

  private readonly listeners = {
    progress: [] as Listener<QueueProgress>[],
    documentChanged: [] as Listener<DocumentSummary>[],
    dragDrop: [] as Listener<DragDrop>[],
  };

  callsOf(method: keyof Backend): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  private record(method: keyof Backend, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private detail(id: number): DocumentDetail {
    const detail = this.details.get(id);
    if (!detail) throw { code: "not_found", message: `no document ${id}` } satisfies ErrorDto;
    return detail;
  }

  async listDocuments(): Promise<DocumentSummary[]> {
    this.record("listDocuments");
    return structuredClone(this.documents);
  }

  async importPaths(paths: string[], asOne: boolean): Promise<ImportReport> {
    this.record("importPaths", paths, asOne);
    return structuredClone(this.importReport);
  }

  async documentDetail(id: number): Promise<DocumentDetail> {
    this.record("documentDetail", id);
    return structuredClone(this.detail(id));
  }

  async pageImage(id: number, page: number): Promise<string> {
    this.record("pageImage", id, page);
    return `data:image/jpeg;base64,page${page}`;
  }

  async editField(id: number, path: string, part: string | null, value: string): Promise<DocumentDetail> {
    this.record("editField", id, path, part, value);
    const error = this.editError?.(value);
    if (error) throw error;
    const detail = this.detail(id);
    const field = detail.fields.find((candidate) => candidate.path === path && candidate.part === part);
    if (!field) throw { code: "unknown_field", message: path } satisfies ErrorDto;
    Object.assign(field, { value, edited: true, needsReview: false, flags: [], confidence: 1 });
    return structuredClone(detail);
  }

  async approve(id: number): Promise<DocumentDetail> {
    this.record("approve", id);
    const detail = this.detail(id);
    detail.summary.state = "approved";
    return structuredClone(detail);
  }

  async retry(id: number): Promise<DocumentSummary> {
    this.record("retry", id);
    const summary = this.documents.find((document) => document.id === id);
    if (!summary) throw { code: "not_found", message: `no document ${id}` } satisfies ErrorDto;
    Object.assign(summary, { state: "queued", error: null });
    return structuredClone(summary);
  }

  async getSettings(): Promise<Settings> {
    this.record("getSettings");
    return structuredClone(this.settings);
  }

  async saveSettings(settings: Settings): Promise<Settings> {
    this.record("saveSettings", settings);
    this.settings = structuredClone(settings);
    return structuredClone(settings);
  }

  async machineInfo(): Promise<MachineInfo> {
    this.record("machineInfo");
    return structuredClone(this.machine);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    this.record("auditLog", limit);
    return structuredClone(this.audit.slice(0, limit));
  }

  async verifyAudit(): Promise<AuditVerification> {
    this.record("verifyAudit");
    return structuredClone(this.verification);
  }

  onProgress(callback: Listener<QueueProgress>): Promise<Unlisten> {
    return this.subscribe(this.listeners.progress, callback);
  }

  onDocumentChanged(callback: Listener<DocumentSummary>): Promise<Unlisten> {
    return this.subscribe(this.listeners.documentChanged, callback);
  }

  onDragDrop(callback: Listener<DragDrop>): Promise<Unlisten> {
    return this.subscribe(this.listeners.dragDrop, callback);
  }

  emitProgress(progress: QueueProgress): void {
    for (const listener of this.listeners.progress) listener(structuredClone(progress));
  }

  emitDocumentChanged(summary: DocumentSummary): void {
    for (const listener of this.listeners.documentChanged) listener(structuredClone(summary));
  }

  emitDragDrop(paths: string[]): void {
    for (const listener of this.listeners.dragDrop) listener({ paths, position: { x: 10, y: 10 } });
  }

  listenerCount(): number {
    return Object.values(this.listeners).reduce((sum, list) => sum + list.length, 0);
  }

  /** Like Tauri's listen, the listener is only in place some time after the call. */
  private async subscribe<T>(list: Listener<T>[], callback: Listener<T>): Promise<Unlisten> {
    await settle();
    list.push(callback);
    return () => list.splice(list.indexOf(callback), 1);
  }
}

export function sampleSettings(): Settings {
  return {
    modelPath: "models/qwen.gguf",
    useModel: true,
    gpuLayers: "auto",
    ocrEngine: "auto",
    facilityName: "鳥込病院",
    facilityCode: "1312345678",
    formats: ["mml", "hl7"],
    exportFolder: "/srv/export",
    mllpHost: "",
    mllpPort: null,
    hl7Charset: "iso-2022-jp",
    language: "ja",
  };
}

export function sampleSummary(overrides: Partial<DocumentSummary> = {}): DocumentSummary {
  return {
    id: 1,
    name: "紹介状_山田.pdf",
    state: "needsReview",
    error: null,
    pages: 2,
    flagged: 1,
    updatedAt: "2025-01-10T09:00:00+09:00",
    ...overrides,
  };
}

export function sampleField(overrides: Partial<FieldView> = {}): FieldView {
  return {
    path: "/patient/name",
    part: null,
    group: "patient",
    label: "name",
    value: "山田 太郎",
    printed: "山田 太郎",
    confidence: 0.95,
    origin: "rules",
    flags: [],
    source: { page: 0, bbox: { x: 100, y: 50, w: 200, h: 20 } },
    needsReview: false,
    edited: false,
    ...overrides,
  };
}

/** A two-page referral whose fields arrive out of display order, as the backend may send them. */
export function sampleDetail(summary: Partial<DocumentSummary> = {}): DocumentDetail {
  return {
    summary: sampleSummary(summary),
    kind: "referral",
    pages: [
      {
        index: 0,
        width: 1000,
        height: 1400,
        lines: [
          { text: "氏名 山田 太郎", bbox: { x: 100, y: 50, w: 200, h: 20 }, confidence: 0.98 },
          { text: "生年月日 昭和30年1月2日", bbox: { x: 100, y: 80, w: 300, h: 20 }, confidence: 0.9 },
        ],
      },
      {
        index: 1,
        width: 1000,
        height: 1400,
        lines: [{ text: "アムロジピン錠5mg 1錠", bbox: { x: 120, y: 300, w: 400, h: 24 }, confidence: 0.6 }],
      },
    ],
    fields: [
      sampleField({
        path: "/document/medications/0/dose_per_time",
        part: "quantity",
        group: "medications",
        label: "medications 1 · dose_per_time · quantity",
        value: "1",
        printed: "1錠",
        confidence: 0.6,
        flags: ["low_ocr_confidence"],
        source: { page: 1, bbox: { x: 120, y: 300, w: 400, h: 24 } },
        needsReview: true,
      }),
      sampleField(),
      sampleField({
        path: "/patient/birth_date",
        label: "birth_date",
        value: "1955-01-02",
        printed: "昭和30年1月2日",
        flags: ["date"],
        source: { page: 0, bbox: { x: 100, y: 80, w: 300, h: 20 } },
        needsReview: true,
      }),
      sampleField({
        path: "/document/remarks",
        group: "document",
        label: "remarks",
        value: "",
        printed: "",
        confidence: 0.3,
        flags: ["ungrounded"],
        source: null,
        needsReview: true,
      }),
    ],
    deliveries: [],
  };
}

/** Lets every pending promise callback run, so what a screen does after an await has happened. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

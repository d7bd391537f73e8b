import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startApp, type App } from "../app";
import type { QueueProgress } from "../bindings";
import { FakeBackend, sampleDetail, sampleSummary, settle } from "../fake-backend";

let backend: FakeBackend;
let app: App;

beforeEach(async () => {
  backend = new FakeBackend();
  backend.documents = [
    sampleSummary({ id: 3, name: "c.pdf", state: "reading", pages: null, flagged: 0 }),
    sampleSummary({ id: 2, name: "b.pdf", state: "failed", error: "PDF が壊れています", flagged: 0 }),
    sampleSummary({ id: 1, name: "a.pdf", state: "needsReview", flagged: 3 }),
  ];
  backend.details.set(1, sampleDetail({ id: 1, name: "a.pdf" }));
  document.body.replaceChildren(Object.assign(document.createElement("div"), { id: "app" }));
  app = await startApp(document.getElementById("app")!, backend);
  await settle();
});

afterEach(() => {
  app.stop();
  document.body.replaceChildren();
});

const row = (id: number) => document.querySelector<HTMLTableRowElement>(`tr[data-doc-id="${id}"]`)!;
const rowIds = () => [...document.querySelectorAll<HTMLElement>("tr[data-doc-id]")].map((element) => Number(element.dataset.docId));

function progress(overrides: Partial<QueueProgress>): QueueProgress {
  const zero = { total: 0, queued: 0, reading: 0, structuring: 0, needsReview: 0, approved: 0, exported: 0, failed: 0 };
  return { ...zero, pagesPerMinute: 0, modelUnavailable: null, ...overrides };
}

describe("queue screen", () => {
  it("lists the documents with localised states, pages and flagged counts", () => {
    expect(rowIds()).toEqual([3, 2, 1]);
    expect(row(1).dataset.state).toBe("needsReview");
    expect(row(1).querySelector(".badge")!.textContent).toBe("要確認");
    expect(row(1).textContent).toContain("3");
    expect(row(3).textContent).toContain("読み取り中");
    expect(document.querySelector(".drop-zone")!.textContent).toBe("ここにファイルまたはフォルダをドロップ");
  });

  it("shows a failure's error and retries it", async () => {
    expect(row(2).querySelector(".error-text")!.textContent).toBe("PDF が壊れています");
    expect(row(1).querySelector("button.retry")).toBeNull();
    row(2).querySelector<HTMLButtonElement>("button.retry")!.click();
    await settle();
    expect(backend.callsOf("retry")).toEqual([[2]]);
    expect(row(2).dataset.state).toBe("queued");
    expect(row(2).querySelector("button.retry")).toBeNull();
    expect(document.getElementById("review")!.hidden).toBe(true);
  });

  it("imports what is dropped on the window, one document per file", async () => {
    backend.emitDragDrop(["/scans/2025-01-10", "/scans/extra.pdf"]);
    await settle();
    expect(backend.callsOf("importPaths")).toEqual([[["/scans/2025-01-10", "/scans/extra.pdf"], false]]);
    expect(document.querySelector(".import-report")!.textContent).toBe("1件を追加しました（取り込み済み 0件）");
  });

  it("imports typed paths, one per line, combined into one document when asked", async () => {
    const paths = document.querySelector<HTMLTextAreaElement>("#import-paths")!;
    paths.value = "/scans/p1.jpg\n\n  /scans/p2.jpg  \n";
    paths.dispatchEvent(new Event("input"));
    const asOne = document.querySelector<HTMLInputElement>("#import-as-one")!;
    asOne.checked = true;
    asOne.dispatchEvent(new Event("change"));
    backend.importReport = { queued: 1, known: 0, rejected: [{ name: "notes.txt", reason: "not an image or PDF" }] };
    document.querySelector<HTMLButtonElement>("#import-button")!.click();
    await settle();
    expect(backend.callsOf("importPaths")).toEqual([[["/scans/p1.jpg", "/scans/p2.jpg"], true]]);
    expect(document.querySelector(".rejected")!.textContent).toBe("取り込めません: notes.txt — not an image or PDF");
    expect(paths.value).toBe("");
  });

  it("updates a document's row in place when the backend reports a change", () => {
    const before = row(3);
    backend.emitDocumentChanged(sampleSummary({ id: 3, name: "c.pdf", state: "needsReview", pages: 2, flagged: 4 }));
    expect(rowIds()).toEqual([3, 2, 1]);
    expect(row(3)).not.toBe(before);
    expect(row(3).dataset.state).toBe("needsReview");
    expect(row(3).textContent).toContain("4");
  });

  it("puts a new document at the top", () => {
    backend.emitDocumentChanged(sampleSummary({ id: 9, name: "new.pdf", state: "queued" }));
    expect(rowIds()).toEqual([9, 3, 2, 1]);
  });

  it("shows progress over the documents the pipeline has finished with, and refreshes the list", async () => {
    backend.documents.unshift(sampleSummary({ id: 4, name: "d.pdf", state: "queued" }));
    backend.emitProgress(
      progress({ total: 10, queued: 2, reading: 1, needsReview: 3, approved: 1, exported: 2, failed: 1, pagesPerMinute: 12.34 }),
    );
    await settle();
    const bar = document.querySelector<HTMLProgressElement>("#queue-progress")!;
    expect([bar.value, bar.max]).toEqual([7, 10]);
    expect(document.querySelector(".progress-text")!.textContent).toBe("7 / 10 件処理済み · 12.3 ページ/分");
    expect(document.getElementById("model-unavailable")).toBeNull();
    expect(rowIds()).toEqual([4, 3, 2, 1]);
  });

  it("warns while the model server cannot be reached", () => {
    backend.emitProgress(progress({ total: 1, structuring: 1, modelUnavailable: "connection refused" }));
    expect(document.getElementById("model-unavailable")!.textContent).toBe(
      "モデルサーバーに接続できないため構造化を待っています: connection refused",
    );
  });

  it("opens a document for review with a click or Enter", async () => {
    row(1).click();
    await settle();
    expect(document.getElementById("review")!.hidden).toBe(false);
    expect(document.getElementById("queue")!.hidden).toBe(true);
    expect(backend.callsOf("documentDetail")).toEqual([[1]]);

    app.showTab("queue");
    await settle();
    row(1).dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(document.getElementById("review")!.hidden).toBe(false);
    expect(backend.callsOf("documentDetail")).toEqual([[1], [1]]);
  });

  it("moves between rows with the arrow keys", () => {
    row(3).focus();
    row(3).dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(document.activeElement).toBe(row(2));
    row(2).dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true }));
    expect(document.activeElement).toBe(row(3));
  });
});

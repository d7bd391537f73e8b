import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditEntry } from "../bindings";
import { FakeBackend, settle } from "../fake-backend";
import { AuditScreen, describeDetail } from "./audit";

let backend: FakeBackend;

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  seq: 1,
  at: "2025-01-10T09:00:00+09:00",
  actor: "yamada",
  action: "import",
  documentId: 1,
  detail: "",
  ...overrides,
});

beforeEach(async () => {
  backend = new FakeBackend();
  backend.audit = [
    entry({
      seq: 3,
      action: "edit",
      detail: JSON.stringify({ path: "/patient/birth_date", part: null, old: "1955-01-02", new: "1955-01-03" }),
    }),
    entry({ seq: 2, action: "settings", documentId: null, detail: "language" }),
    entry({ seq: 1, action: "import", detail: "/scans/a.pdf" }),
  ];
  const screen = new AuditScreen({ backend, openDocument: vi.fn(), setLanguage: vi.fn() });
  document.body.replaceChildren(screen.element);
  screen.show();
  await settle();
});

afterEach(() => document.body.replaceChildren());

const cells = (seq: number) => [...document.querySelectorAll(`tr[data-seq="${seq}"] td`)].map((cell) => cell.textContent);

describe("audit screen", () => {
  it("lists the entries with localised actions and readable edits", () => {
    expect(backend.callsOf("auditLog")).toEqual([[500]]);
    expect(cells(3)).toEqual([
      "3",
      expect.stringMatching(/^2025-01-\d\d \d\d:\d\d:00$/),
      "yamada",
      "修正",
      "#1",
      "/patient/birth_date: 1955-01-02 → 1955-01-03",
    ]);
    expect(cells(2)[3]).toBe("設定変更");
    expect(cells(2)[4]).toBe("—");
    expect(cells(1)[5]).toBe("/scans/a.pdf");
  });

  it("says the log is intact, with how many entries were checked", async () => {
    backend.verification = { entries: 3, intact: true, firstBroken: null, reason: null };
    document.querySelector<HTMLButtonElement>("#audit-verify")!.click();
    await settle();
    const verdict = document.getElementById("audit-verdict")!;
    expect(verdict.dataset.intact).toBe("true");
    expect(verdict.textContent).toBe("改ざんなし (3件)");
  });

  it("names the first broken entry and why", async () => {
    backend.verification = { entries: 3, intact: false, firstBroken: 2, reason: "hash does not chain" };
    document.querySelector<HTMLButtonElement>("#audit-verify")!.click();
    await settle();
    const verdict = document.getElementById("audit-verdict")!;
    expect(verdict.dataset.intact).toBe("false");
    expect(verdict.textContent).toBe("改ざんを検出: #2 — hash does not chain");
  });
});

describe("describeDetail", () => {
  it("names the part of a compound value and shows empty values as such", () => {
    const detail = JSON.stringify({ path: "/document/medications/0/dose_per_time", part: "quantity", old: "", new: "2" });
    expect(describeDetail(entry({ action: "edit", detail }))).toBe("/document/medications/0/dose_per_time (quantity): （空） → 2");
  });

  it("shows an edit detail that is not the expected JSON as it is", () => {
    expect(describeDetail(entry({ action: "edit", detail: "not json" }))).toBe("not json");
    expect(describeDetail(entry({ action: "export", detail: '{"path":"/x"}' }))).toBe('{"path":"/x"}');
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, sampleDetail, sampleSummary, settle } from "../fake-backend";
import { setLanguage } from "../i18n";
import { ReviewScreen } from "./review";

let backend: FakeBackend;
let screen: ReviewScreen;
const forwardKeys = (event: KeyboardEvent) => screen.onKeyDown(event);

beforeEach(async () => {
  setLanguage("ja");
  backend = new FakeBackend();
  backend.documents = [
    sampleSummary({ id: 1 }),
    sampleSummary({ id: 2, state: "exported" }),
    sampleSummary({ id: 3, name: "検査報告.pdf" }),
  ];
  backend.details.set(1, sampleDetail());
  backend.details.set(3, sampleDetail({ id: 3, name: "検査報告.pdf" }));
  screen = new ReviewScreen({ backend, openDocument: vi.fn(), setLanguage: vi.fn() });
  document.body.append(screen.element);
  document.addEventListener("keydown", forwardKeys);
  screen.show();
  await screen.open(1);
  await settle();
});

afterEach(() => {
  document.removeEventListener("keydown", forwardKeys);
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

const input = (path: string) => document.querySelector<HTMLInputElement>(`input[data-path="${path}"]`)!;
const rowOf = (path: string) => input(path).closest<HTMLElement>(".field-row")!;
const press = (target: Element, key: string, init: KeyboardEventInit = {}) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init }));
const type = (path: string, value: string) => {
  input(path).focus();
  input(path).value = value;
  input(path).dispatchEvent(new Event("input", { bubbles: true }));
};

describe("review screen", () => {
  it("shows the fields grouped in clinical order with localised headings and labels", () => {
    const headings = [...document.querySelectorAll(".field-group h3")].map((heading) => heading.textContent);
    expect(headings).toEqual(["患者", "文書", "処方"]);
    const paths = [...document.querySelectorAll<HTMLInputElement>("input[data-path]")].map((field) => field.dataset.path);
    expect(paths).toEqual(["/patient/name", "/patient/birth_date", "/document/remarks", "/document/medications/0/dose_per_time"]);
    expect(input("/document/medications/0/dose_per_time").dataset.part).toBe("quantity");
    expect(input("/patient/name").dataset.part).toBe("");
    expect(input("/patient/birth_date").value).toBe("1955-01-02");
    expect(rowOf("/document/medications/0/dose_per_time").querySelector("label")!.textContent).toBe("処方 1 · 1回量 · 量");
    expect(document.getElementById("doc-state")!.dataset.state).toBe("needsReview");
  });

  it("marks the fields that need review with their reasons, and shows what was printed", () => {
    expect(rowOf("/patient/name").classList.contains("needs-review")).toBe(false);
    expect(rowOf("/patient/birth_date").classList.contains("needs-review")).toBe(true);
    expect(rowOf("/patient/birth_date").querySelector(".badges")!.textContent).toBe("日付要確認");
    expect(rowOf("/document/remarks").querySelector(".badges")!.textContent).toBe("根拠なし低信頼");
    expect(rowOf("/patient/birth_date").querySelector(".printed")!.textContent).toBe("記載: 昭和30年1月2日");
  });

  it("starts on the first field that needs review", () => {
    expect(document.activeElement).toBe(input("/patient/birth_date"));
  });

  it("saves a changed value once on Enter, shows it as edited and moves to the next field", async () => {
    type("/patient/birth_date", "昭和30年1月3日");
    press(input("/patient/birth_date"), "Enter");
    await settle();
    expect(backend.callsOf("editField")).toEqual([[1, "/patient/birth_date", null, "昭和30年1月3日"]]);
    expect(document.activeElement).toBe(input("/document/remarks"));
    expect(rowOf("/patient/birth_date").classList.contains("needs-review")).toBe(false);
    expect(rowOf("/patient/birth_date").querySelector(".badges")!.textContent).toBe("修正済");
  });

  it("does not send a value twice when the field is left while its save is on the way", async () => {
    type("/patient/name", "山田 次郎");
    press(input("/patient/name"), "Enter");
    input("/document/remarks").focus();
    await settle();
    expect(backend.callsOf("editField")).toHaveLength(1);
  });

  it("does not call the backend for Enter on an unchanged value", async () => {
    press(input("/patient/birth_date"), "Enter");
    await settle();
    expect(backend.callsOf("editField")).toEqual([]);
    expect(document.activeElement).toBe(input("/document/remarks"));
  });

  it("leaves Enter to the input method while it is composing", async () => {
    type("/patient/birth_date", "しょうわ");
    press(input("/patient/birth_date"), "Enter", { isComposing: true });
    await settle();
    expect(backend.callsOf("editField")).toEqual([]);
    expect(document.activeElement).toBe(input("/patient/birth_date"));
  });

  it("saves a changed value when the field is left another way", async () => {
    type("/patient/name", "山田 次郎");
    input("/document/remarks").focus();
    await settle();
    expect(backend.callsOf("editField")).toEqual([[1, "/patient/name", null, "山田 次郎"]]);
  });

  it("reverts the input on Escape without saving", async () => {
    type("/patient/name", "間違い");
    press(input("/patient/name"), "Escape");
    expect(input("/patient/name").value).toBe("山田 太郎");
    input("/document/remarks").focus();
    await settle();
    expect(backend.callsOf("editField")).toEqual([]);
  });

  it("shows a refused value's error beside the field and stays there", async () => {
    backend.editError = (value) => (value === "令和5年2月30日" ? { code: "invalid_value", message: "存在しない日付です" } : null);
    type("/patient/birth_date", "令和5年2月30日");
    press(input("/patient/birth_date"), "Enter");
    await settle();
    const error = rowOf("/patient/birth_date").querySelector<HTMLElement>(".field-error")!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("存在しない日付です");
    expect(input("/patient/birth_date").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(input("/patient/birth_date"));

    press(input("/patient/birth_date"), "Escape");
    expect(error.hidden).toBe(true);
    expect(input("/patient/birth_date").value).toBe("1955-01-02");
  });

  it("moves between fields with Tab, Shift+Tab and the arrow keys", () => {
    press(input("/patient/birth_date"), "Tab");
    expect(document.activeElement).toBe(input("/document/remarks"));
    press(input("/document/remarks"), "ArrowDown");
    expect(document.activeElement).toBe(input("/document/medications/0/dose_per_time"));
    press(input("/document/medications/0/dose_per_time"), "Tab", { shiftKey: true });
    expect(document.activeElement).toBe(input("/document/remarks"));
    press(input("/document/remarks"), "ArrowUp");
    expect(document.activeElement).toBe(input("/patient/birth_date"));
  });

  it("moves with j and k only when not typing", () => {
    press(input("/patient/birth_date"), "j");
    expect(document.activeElement).toBe(input("/patient/birth_date"));
    press(input("/patient/birth_date"), "Escape"); // unchanged: leaves the field
    expect(document.activeElement).not.toBe(input("/patient/birth_date"));
    press(document.body, "j");
    expect(document.activeElement).toBe(input("/document/remarks"));
    input("/document/remarks").blur();
    press(document.body, "k");
    expect(document.activeElement).toBe(input("/patient/birth_date"));
  });

  it("highlights the focused field's source box, scaled to the displayed image, switching page as needed", async () => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(500);
    input("/patient/name").focus();
    const highlight = document.getElementById("source-highlight")!;
    expect(highlight.hidden).toBe(false);
    expect([highlight.style.left, highlight.style.top, highlight.style.width, highlight.style.height]).toEqual([
      "50px",
      "25px",
      "100px",
      "10px",
    ]);
    expect(document.querySelector<HTMLElement>(".page")!.dataset.page).toBe("0");

    input("/document/medications/0/dose_per_time").focus();
    await settle();
    expect(document.querySelector<HTMLElement>(".page")!.dataset.page).toBe("1");
    expect(backend.callsOf("pageImage")).toContainEqual([1, 1]);
    expect(document.querySelector<HTMLImageElement>(".page-image")!.src).toBe("data:image/jpeg;base64,page1");
    expect([highlight.style.left, highlight.style.top]).toEqual(["60px", "150px"]);
    expect(document.querySelectorAll(".ocr-line")).toHaveLength(1);

    input("/document/remarks").focus();
    expect(highlight.hidden).toBe(true);
  });

  it("draws every OCR line of the page", () => {
    expect(document.querySelectorAll(".ocr-line")).toHaveLength(2);
  });

  it("approves with Ctrl+Enter, saving what is typed first, then locks the fields", async () => {
    type("/patient/name", "山田 次郎");
    press(input("/patient/name"), "Enter", { ctrlKey: true });
    await settle();
    expect(backend.calls.map((call) => call.method).filter((method) => method === "editField" || method === "approve")).toEqual([
      "editField",
      "approve",
    ]);
    expect(document.getElementById("doc-state")!.dataset.state).toBe("approved");
    expect(document.querySelector<HTMLButtonElement>("#approve")!.disabled).toBe(true);
    expect(input("/patient/name").readOnly).toBe(true);
    expect(document.getElementById("deliveries")).not.toBeNull();
  });

  it("does not approve when a typed value is refused", async () => {
    backend.editError = () => ({ code: "invalid_value", message: "数値ではありません" });
    type("/document/medications/0/dose_per_time", "一");
    press(document.body, "Enter", { ctrlKey: true });
    await settle();
    expect(backend.callsOf("approve")).toEqual([]);
    expect(document.getElementById("doc-state")!.dataset.state).toBe("needsReview");
  });

  it("shows where the record went when the backend reports the export", async () => {
    document.querySelector<HTMLButtonElement>("#approve")!.click();
    await settle();
    const detail = backend.details.get(1)!;
    detail.summary.state = "exported";
    detail.deliveries = [
      { target: "mml", status: "written", detail: "/srv/export/1.xml", at: "2025-01-10T09:01:00+09:00" },
      { target: "hl7 mllp", status: "refused", detail: "AE: unknown patient", at: "2025-01-10T09:01:00+09:00" },
    ];
    await screen.documentChanged(detail.summary);
    expect(document.getElementById("doc-state")!.dataset.state).toBe("exported");
    const items = [...document.querySelectorAll<HTMLElement>("#deliveries li")];
    expect(items.map((item) => item.dataset.status)).toEqual(["written", "refused"]);
    expect(items[1].textContent).toContain("AE: unknown patient");
    expect(items[1].textContent).toContain("拒否");
  });

  it("ignores changes to other documents", async () => {
    await screen.documentChanged(sampleSummary({ id: 3 }));
    expect(backend.callsOf("documentDetail")).toEqual([[1]]);
  });

  it("opens the next and previous documents that need review with n and p", async () => {
    input("/patient/birth_date").blur();
    press(document.body, "n");
    await settle();
    expect(document.querySelector(".document-name")!.textContent).toBe("検査報告.pdf");
    input("/patient/birth_date").blur();
    press(document.body, "p");
    await settle();
    expect(document.querySelector(".document-name")!.textContent).toBe("紹介状_山田.pdf");
  });

  it("says so when no other document needs review", async () => {
    backend.documents = [sampleSummary({ id: 1 })];
    input("/patient/birth_date").blur();
    press(document.body, "n");
    await settle();
    expect(document.querySelector(".notice")!.textContent).toBe("ほかに確認待ちの文書はありません");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { sampleField, sampleSummary } from "./fake-backend";
import { adjacentDocumentToReview, displayOrder, fieldBadges, fieldLabel, groupFields, groupHeading, stepFieldIndex } from "./fields";
import { setLanguage } from "./i18n";

afterEach(() => setLanguage("ja"));

describe("groupFields", () => {
  it("orders groups clinically, unknown groups last in the order they came, fields kept in order within a group", () => {
    const fields = [
      sampleField({ path: "/templates/0", group: "templates" }),
      sampleField({ path: "/document/labs/0/name", group: "labs" }),
      sampleField({ path: "/document/past_history/0", group: "past_history" }),
      sampleField({ path: "/patient/name", group: "patient" }),
      sampleField({ path: "/document/labs/1/name", group: "labs" }),
      sampleField({ path: "/document/from/facility", group: "parties" }),
    ];
    expect(groupFields(fields).map((group) => group.group)).toEqual(["patient", "parties", "labs", "templates", "past_history"]);
    expect(displayOrder(fields).map((field) => field.path)).toEqual([
      "/patient/name",
      "/document/from/facility",
      "/document/labs/0/name",
      "/document/labs/1/name",
      "/templates/0",
      "/document/past_history/0",
    ]);
  });

  it("localises group headings, showing unknown groups by their key", () => {
    expect(groupHeading("adverse_events")).toBe("有害事象");
    expect(groupHeading("templates")).toBe("templates");
  });
});

describe("fieldLabel", () => {
  it("localises every segment and keeps item numbers", () => {
    expect(fieldLabel("medications 1 · dose_per_time · quantity")).toBe("処方 1 · 1回量 · 量");
    expect(fieldLabel("from · facility")).toBe("紹介元 · 医療機関");
    expect(fieldLabel("birth_date")).toBe("生年月日");
  });

  it("reads a key in the context of its parent", () => {
    expect(fieldLabel("name")).toBe("氏名");
    expect(fieldLabel("medications 2 · name")).toBe("処方 2 · 薬剤名");
    expect(fieldLabel("diagnoses 1 · name")).toBe("診断 1 · 病名");
  });

  it("shows keys it does not know as they are", () => {
    expect(fieldLabel("labs 3 · specimen")).toBe("検査 3 · specimen");
  });

  it("follows the language", () => {
    setLanguage("en");
    expect(fieldLabel("medications 1 · times_per_day")).toBe("Medication 1 · Times per day");
  });
});

describe("fieldBadges", () => {
  it("names each flag, adds low confidence below 0.7, and marks edits", () => {
    const flagged = sampleField({ flags: ["ungrounded", "low_ocr_confidence", "date", "impossible_date"], confidence: 0.69 });
    expect(fieldBadges(flagged).map((badge) => badge.text)).toEqual(["根拠なし", "OCR低信頼", "日付要確認", "存在しない日付", "低信頼"]);
    expect(fieldBadges(sampleField({ confidence: 0.7 }))).toEqual([]);
    expect(fieldBadges(sampleField({ edited: true, confidence: 1 }))).toEqual([{ kind: "edited", text: "修正済" }]);
  });

  it("shows a flag it does not know by its name", () => {
    expect(fieldBadges(sampleField({ flags: ["new_kind"] }))).toEqual([{ kind: "new_kind", text: "new_kind" }]);
  });
});

describe("stepFieldIndex", () => {
  it("starts at either end when nothing is selected", () => {
    expect(stepFieldIndex(-1, 4, 1)).toBe(0);
    expect(stepFieldIndex(-1, 4, -1)).toBe(3);
  });

  it("moves one field and stops at the ends", () => {
    expect(stepFieldIndex(1, 4, 1)).toBe(2);
    expect(stepFieldIndex(1, 4, -1)).toBe(0);
    expect(stepFieldIndex(3, 4, 1)).toBeNull();
    expect(stepFieldIndex(0, 4, -1)).toBeNull();
    expect(stepFieldIndex(-1, 0, 1)).toBeNull();
  });
});

describe("adjacentDocumentToReview", () => {
  const documents = [
    sampleSummary({ id: 5, state: "needsReview" }),
    sampleSummary({ id: 4, state: "exported" }),
    sampleSummary({ id: 3, state: "needsReview" }),
    sampleSummary({ id: 2, state: "reading" }),
    sampleSummary({ id: 1, state: "needsReview" }),
  ];
  const id = (step: 1 | -1, current: number | null) => adjacentDocumentToReview(documents, current, step)?.id ?? null;

  it("skips documents that do not need review", () => {
    expect(id(1, 5)).toBe(3);
    expect(id(1, 3)).toBe(1);
    expect(id(-1, 1)).toBe(3);
    expect(id(1, 4)).toBe(3);
  });

  it("wraps around the list", () => {
    expect(id(1, 1)).toBe(5);
    expect(id(-1, 5)).toBe(1);
  });

  it("starts from the top (or bottom) when no document is open", () => {
    expect(id(1, null)).toBe(5);
    expect(id(-1, null)).toBe(1);
  });

  it("finds nothing when the open document is the only one to review", () => {
    expect(adjacentDocumentToReview([sampleSummary({ id: 7 }), sampleSummary({ id: 8, state: "exported" })], 7, 1)).toBeNull();
    expect(adjacentDocumentToReview([], null, 1)).toBeNull();
  });
});

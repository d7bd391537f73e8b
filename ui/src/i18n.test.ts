import { afterEach, describe, expect, it } from "vitest";
import { currentLanguage, dictionaries, setLanguage, t, tOr } from "./i18n";

afterEach(() => setLanguage("ja"));

describe("dictionaries", () => {
  it("have the same keys in Japanese and English", () => {
    expect(Object.keys(dictionaries.en).sort()).toEqual(Object.keys(dictionaries.ja).sort());
  });

  it("have no empty messages and the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const [key, japanese] of Object.entries(dictionaries.ja)) {
      const english = dictionaries.en[key as keyof typeof dictionaries.en];
      expect(japanese, key).not.toBe("");
      expect(english, key).not.toBe("");
      expect(placeholders(english), key).toEqual(placeholders(japanese));
    }
  });
});

describe("t", () => {
  it("is Japanese by default and fills in parameters", () => {
    expect(currentLanguage()).toBe("ja");
    expect(t("audit.intact", { entries: 12 })).toBe("改ざんなし (12件)");
  });

  it("switches language, and falls back to Japanese for a language it does not know", () => {
    setLanguage("en");
    expect(t("nav.queue")).toBe("Import");
    setLanguage("fr");
    expect(currentLanguage()).toBe("ja");
    expect(t("nav.queue")).toBe("取り込み");
  });

  it("leaves a placeholder without a parameter visible rather than inventing a value", () => {
    expect(t("queue.progress", { done: 1 })).toBe("1 / {total} 件処理済み");
  });
});

describe("tOr", () => {
  it("translates known keys and returns the fallback for keys built from unknown backend values", () => {
    expect(tOr("state.needsReview", "needsReview")).toBe("要確認");
    expect(tOr("state.paused", "paused")).toBe("paused");
  });
});

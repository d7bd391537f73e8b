import { afterEach, describe, expect, it } from "vitest";
import { startApp, type App } from "./app";
import { FakeBackend, settle } from "./fake-backend";
import { currentLanguage, setLanguage } from "./i18n";

let app: App | null = null;

afterEach(() => {
  app?.stop();
  app = null;
  setLanguage("ja");
  document.body.replaceChildren();
});

async function start(backend: FakeBackend): Promise<HTMLElement> {
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  app = await startApp(root, backend);
  await settle();
  return root;
}

const tabNames = () => [...document.querySelectorAll("nav button")].map((button) => button.textContent);

describe("startApp", () => {
  it("marks the window ready only once every backend event has a listener", async () => {
    const backend = new FakeBackend();
    const root = document.createElement("div");
    let listenersWhenReady = -1;
    new MutationObserver(() => {
      if (document.body.dataset.ready === "true" && listenersWhenReady === -1) listenersWhenReady = backend.listenerCount();
    }).observe(document.body, { attributes: true });
    app = await startApp(root, backend);
    await settle();
    expect(document.body.dataset.ready).toBe("true");
    expect(listenersWhenReady).toBe(3);
  });

  it("starts on the import screen, in the language of the settings", async () => {
    const backend = new FakeBackend();
    backend.settings.language = "en";
    await start(backend);
    expect(currentLanguage()).toBe("en");
    expect(document.documentElement.lang).toBe("en");
    expect(tabNames()).toEqual(["Import", "Review", "Settings", "Audit log"]);
    expect(document.getElementById("queue")!.hidden).toBe(false);
    expect(document.getElementById("tab-queue")!.getAttribute("aria-selected")).toBe("true");
  });

  it("starts in Japanese when the settings cannot be read", async () => {
    const backend = new FakeBackend();
    backend.getSettings = () => Promise.reject({ code: "store", message: "locked" });
    await start(backend);
    expect(tabNames()).toEqual(["取り込み", "確認", "設定", "監査ログ"]);
  });

  it("switches screens with Alt and the tab's number", async () => {
    await start(new FakeBackend());
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "4", altKey: true }));
    await settle();
    expect(document.getElementById("audit")!.hidden).toBe(false);
    expect(document.getElementById("queue")!.hidden).toBe(true);
    document.querySelector<HTMLButtonElement>("#tab-settings")!.click();
    expect(document.getElementById("settings")!.hidden).toBe(false);
  });

  it("stops listening when stopped", async () => {
    const backend = new FakeBackend();
    await start(backend);
    app!.stop();
    app = null;
    expect(backend.listenerCount()).toBe(0);
    expect(document.body.dataset.ready).toBeUndefined();
  });
});

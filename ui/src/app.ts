import type { Backend, Unlisten } from "./backend";
import { h, setChildren } from "./dom";
import { currentLanguage, setLanguage, t } from "./i18n";
import { AuditScreen } from "./screens/audit";
import { QueueScreen } from "./screens/queue";
import { ReviewScreen } from "./screens/review";
import type { AppContext, Screen } from "./screens/screen";
import { SettingsScreen } from "./screens/settings";

const TABS = ["queue", "review", "settings", "audit"] as const;
export type Tab = (typeof TABS)[number];

export type App = { showTab(tab: Tab): void; stop(): void };

/**
 * Builds the window inside `root` and wires it to the backend. Resolves once every event
 * listener is registered, which is when `body[data-ready]` is set.
 */
export async function startApp(root: HTMLElement, backend: Backend): Promise<App> {
  // Without readable settings the window still opens, in the default language.
  const settings = await backend.getSettings().catch(() => null);
  applyLanguage(settings?.language ?? "ja");

  let active: Tab = "queue";
  const context: AppContext = {
    backend,
    openDocument(id) {
      showTab("review");
      void review.open(id);
    },
    setLanguage(language) {
      applyLanguage(language);
      renderAll();
    },
  };
  const queue = new QueueScreen(context);
  const review = new ReviewScreen(context);
  const screens: Record<Tab, Screen> = { queue, review, settings: new SettingsScreen(context), audit: new AuditScreen(context) };

  const nav = h("nav", { class: "tabs", role: "tablist" });
  const main = h("main", {}, ...TABS.map((tab) => screens[tab].element));
  setChildren(root, nav, main);

  function renderNav(): void {
    nav.setAttribute("aria-label", t("nav.label"));
    setChildren(
      nav,
      ...TABS.map((tab, index) => {
        const button = h(
          "button",
          { type: "button", role: "tab", id: `tab-${tab}`, "aria-selected": String(tab === active), title: `Alt+${index + 1}` },
          t(`nav.${tab}`),
        );
        button.addEventListener("click", () => showTab(tab));
        return button;
      }),
    );
  }

  function renderAll(): void {
    renderNav();
    for (const tab of TABS) screens[tab].render();
  }

  function showTab(tab: Tab): void {
    active = tab;
    for (const name of TABS) screens[name].element.hidden = name !== tab;
    renderNav();
    screens[tab].show();
  }

  const onKeyDown = (event: KeyboardEvent) => {
    const tab = event.altKey && !event.ctrlKey && !event.metaKey ? TABS[Number(event.key) - 1] : undefined;
    if (tab) {
      event.preventDefault();
      showTab(tab);
      return;
    }
    screens[active].onKeyDown?.(event);
  };
  document.addEventListener("keydown", onKeyDown);

  renderAll();
  const unlisten: Unlisten[] = await Promise.all([
    backend.onProgress((progress) => queue.updateProgress(progress)),
    backend.onDocumentChanged((summary) => {
      queue.updateDocument(summary);
      void review.documentChanged(summary);
    }),
    backend.onDragDrop((drop) => {
      showTab("queue");
      void queue.importPaths(drop.paths, false);
    }),
  ]);
  document.body.dataset.ready = "true";
  showTab("queue");

  return {
    showTab,
    stop() {
      document.removeEventListener("keydown", onKeyDown);
      for (const stopListening of unlisten) stopListening();
      delete document.body.dataset.ready;
    },
  };
}

function applyLanguage(language: string): void {
  setLanguage(language);
  document.documentElement.lang = currentLanguage();
}

import { errorMessage } from "../backend";
import type { DocumentSummary, ImportReport, QueueProgress } from "../bindings";
import { h, setChildren } from "../dom";
import { t } from "../i18n";
import { stateBadge } from "./state-badge";
import type { AppContext, Screen } from "./screen";

/** Documents the pipeline has finished with, whichever way. */
function finishedCount(progress: QueueProgress): number {
  return progress.needsReview + progress.approved + progress.exported + progress.failed;
}

export class QueueScreen implements Screen {
  readonly element = h("section", { id: "queue", class: "screen queue" });
  private documents: DocumentSummary[] = [];
  private progress: QueueProgress | null = null;
  private report: ImportReport | null = null;
  private importError: string | null = null;
  private listError: string | null = null;
  private pathsText = "";
  private asOne = false;
  private importing = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  private readonly reportArea = h("div", { class: "import-report", role: "status" });
  private readonly progressArea = h("div", { class: "progress-area" });
  private readonly rows = h("tbody");
  private readonly listArea = h("div", { class: "document-list" });

  constructor(private readonly context: AppContext) {}

  render(): void {
    const paths = h("textarea", { id: "import-paths", rows: 3, spellcheck: "false" });
    paths.value = this.pathsText;
    paths.addEventListener("input", () => (this.pathsText = paths.value));
    paths.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.importTyped();
      }
    });
    const asOne = h("input", { id: "import-as-one", type: "checkbox" });
    asOne.checked = this.asOne;
    asOne.addEventListener("change", () => (this.asOne = asOne.checked));
    const importButton = h("button", { id: "import-button", type: "submit", disabled: this.importing }, t("queue.import"));
    const form = h(
      "form",
      { class: "import-form" },
      h("label", { for: "import-paths" }, t("queue.paths")),
      paths,
      h(
        "div",
        { class: "import-actions" },
        h("label", { class: "checkbox" }, asOne, t("queue.asOne")),
        importButton,
        h("span", { class: "hint" }, t("queue.importHint")),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.importTyped();
    });

    setChildren(
      this.element,
      h("div", { class: "drop-zone" }, t("queue.dropZone")),
      form,
      this.reportArea,
      this.progressArea,
      h("h2", {}, t("queue.documents")),
      this.listArea,
    );
    this.renderReport();
    this.renderProgress();
    this.renderList();
  }

  show(): void {
    void this.refresh();
  }

  /** Reloads the list; calls made while a load is running are folded into one more load. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          this.documents = await this.context.backend.listDocuments();
          this.listError = null;
        } catch (error) {
          this.listError = errorMessage(error, t("error.unknown"));
        }
      } while (this.refreshAgain);
      this.refreshing = null;
      this.renderList();
    })();
    return this.refreshing;
  }

  async importPaths(paths: string[], asOne: boolean): Promise<void> {
    this.setImporting(true);
    this.importError = null;
    try {
      this.report = await this.context.backend.importPaths(paths, asOne);
    } catch (error) {
      this.report = null;
      this.importError = errorMessage(error, t("error.unknown"));
    } finally {
      this.setImporting(false);
    }
    this.renderReport();
    await this.refresh();
  }

  updateProgress(progress: QueueProgress): void {
    this.progress = progress;
    this.renderProgress();
    void this.refresh();
  }

  /** Replaces the document's row where it is, or puts a new document at the top. */
  updateDocument(summary: DocumentSummary): void {
    const at = this.documents.findIndex((document) => document.id === summary.id);
    if (at === -1) {
      this.documents.unshift(summary);
      this.renderList();
      return;
    }
    this.documents[at] = summary;
    const old = this.rows.querySelector<HTMLElement>(`tr[data-doc-id="${summary.id}"]`);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement);
    const row = this.row(summary);
    old.replaceWith(row);
    if (hadFocus) row.focus();
  }

  private async importTyped(): Promise<void> {
    const paths = this.pathsText
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    if (paths.length === 0 || this.importing) return;
    await this.importPaths(paths, this.asOne);
    if (!this.importError) {
      this.pathsText = "";
      const input = this.element.querySelector<HTMLTextAreaElement>("#import-paths");
      if (input) input.value = "";
    }
  }

  private setImporting(importing: boolean): void {
    this.importing = importing;
    const button = this.element.querySelector<HTMLButtonElement>("#import-button");
    if (button) button.disabled = importing;
  }

  private renderReport(): void {
    const report = this.report;
    setChildren(
      this.reportArea,
      ...(this.importError ? [h("p", { class: "error", role: "alert" }, this.importError)] : []),
      ...(report ? [h("p", {}, t("queue.report", { queued: report.queued, known: report.known }))] : []),
      ...(report && report.rejected.length > 0
        ? [
            h(
              "ul",
              { class: "rejected" },
              ...report.rejected.map((rejection) => h("li", { class: "error" }, t("queue.rejected", rejection))),
            ),
          ]
        : []),
    );
  }

  private renderProgress(): void {
    const progress = this.progress;
    if (!progress) {
      setChildren(this.progressArea);
      return;
    }
    const done = finishedCount(progress);
    setChildren(
      this.progressArea,
      h("progress", { id: "queue-progress", max: Math.max(progress.total, 1), value: done }),
      h(
        "span",
        { class: "progress-text" },
        t("queue.progress", { done, total: progress.total }),
        " · ",
        t("queue.pagesPerMinute", { rate: progress.pagesPerMinute.toFixed(1) }),
      ),
      progress.modelUnavailable
        ? h(
            "p",
            { id: "model-unavailable", class: "warning", role: "alert" },
            t("queue.modelUnavailable", { reason: progress.modelUnavailable }),
          )
        : null,
    );
  }

  private renderList(): void {
    setChildren(this.rows, ...this.documents.map((document) => this.row(document)));
    const header = h(
      "tr",
      {},
      ...(["name", "state", "pages", "flagged", "actions"] as const).map((column) =>
        h("th", { scope: "col" }, t(`queue.column.${column}`)),
      ),
    );
    setChildren(
      this.listArea,
      this.listError ? h("p", { class: "error", role: "alert" }, this.listError) : null,
      this.documents.length === 0
        ? h("p", { class: "empty" }, t("queue.empty"))
        : h("table", { id: "documents" }, h("thead", {}, header), this.rows),
    );
  }

  private row(summary: DocumentSummary): HTMLTableRowElement {
    const state = h("td", {}, stateBadge(summary.state));
    if (summary.state === "failed" && summary.error) state.append(h("div", { class: "error-text" }, summary.error));
    const actions = h("td", {});
    if (summary.state === "failed") {
      const retry = h("button", { type: "button", class: "retry" }, t("queue.retry"));
      retry.addEventListener("click", (event) => {
        event.stopPropagation();
        void this.retry(summary.id);
      });
      actions.append(retry);
    }
    const row = h(
      "tr",
      { tabindex: 0, class: "document-row", "data-doc-id": summary.id, "data-state": summary.state },
      h("td", { class: "name" }, summary.name),
      state,
      h("td", { class: "number" }, summary.pages === null ? "—" : String(summary.pages)),
      h("td", { class: "number" }, summary.flagged > 0 ? String(summary.flagged) : "—"),
      actions,
    );
    row.addEventListener("click", () => this.context.openDocument(summary.id));
    row.addEventListener("keydown", (event) => {
      if (event.target !== row) return;
      if (event.key === "Enter") {
        event.preventDefault();
        this.context.openDocument(summary.id);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const sibling = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
        if (sibling instanceof HTMLElement) sibling.focus();
      }
    });
    return row;
  }

  private async retry(id: number): Promise<void> {
    try {
      this.updateDocument(await this.context.backend.retry(id));
    } catch (error) {
      this.listError = errorMessage(error, t("error.unknown"));
      this.renderList();
    }
  }
}

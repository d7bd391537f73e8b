import { errorMessage } from "../backend";
import type { BoxView, DocumentDetail, DocumentSummary, FieldView, PageView } from "../bindings";
import { h, isTyping, setChildren } from "../dom";
import { adjacentDocumentToReview, displayOrder, fieldBadges, fieldKey, fieldLabel, groupHeading, stepFieldIndex } from "../fields";
import { t, tOr } from "../i18n";
import { scaleBox } from "../overlay";
import { stateBadge } from "./state-badge";
import type { AppContext, Screen } from "./screen";

type FieldRow = {
  field: FieldView;
  element: HTMLElement;
  input: HTMLInputElement;
  badges: HTMLElement;
  printed: HTMLElement;
  error: HTMLElement;
};

type PlacedBox = { element: HTMLElement; bbox: BoxView };

/** States in which the backend has started exporting, so where the record went is worth showing. */
const EXPORTING_STATES: readonly string[] = ["approved", "exported", "failed"];

/** An IME is composing: Enter and Escape belong to it, not to the form. */
function isComposing(event: KeyboardEvent): boolean {
  return event.isComposing || event.keyCode === 229;
}

function place(element: HTMLElement, bbox: BoxView, page: PageView, displayedWidth: number): void {
  const box = scaleBox(bbox, page.width, displayedWidth);
  element.style.left = `${box.left}px`;
  element.style.top = `${box.top}px`;
  element.style.width = `${box.width}px`;
  element.style.height = `${box.height}px`;
}

export class ReviewScreen implements Screen {
  readonly element = h("section", { id: "review", class: "screen review" });
  private detail: DocumentDetail | null = null;
  /** The document's fields in display order; `rows` matches it index for index. */
  private fields: FieldView[] = [];
  private rows: FieldRow[] = [];
  private selected = -1;
  /** Position in `detail.pages` of the page shown. */
  private pageIndex = 0;
  private readonly images = new Map<number, string>();
  private readonly errors = new Map<string, string>();
  /** Values on their way to the backend, by field key, so that a blur does not send them twice. */
  private readonly saving = new Map<string, string>();
  private notice: string | null = null;
  private approveError: string | null = null;
  private pageError: string | null = null;
  private approving = false;
  private latestOpen = 0;

  private readonly header = h("div", { class: "review-header" });
  private readonly pagePane = h("div", { class: "page-pane" });
  private readonly fieldsPane = h("div", { class: "fields-pane" });
  private readonly deliveriesArea = h("div", { class: "deliveries" });
  private image: HTMLImageElement | null = null;
  private lineBoxes: PlacedBox[] = [];
  private readonly highlight = h("div", { id: "source-highlight", class: "source-box", hidden: true });
  private readonly resizeObserver = new ResizeObserver(() => this.layoutOverlay(false));

  constructor(private readonly context: AppContext) {}

  get documentId(): number | null {
    return this.detail?.summary.id ?? null;
  }

  render(): void {
    this.renderHeader();
    if (!this.detail) {
      setChildren(this.element, this.header, h("p", { class: "empty" }, t("review.noDocument")));
      return;
    }
    setChildren(
      this.element,
      this.header,
      h("div", { class: "review-body" }, this.pagePane, this.fieldsPane),
      this.deliveriesArea,
      h("p", { class: "hint" }, t("review.keys")),
    );
    this.renderPage();
    this.renderFields();
    this.renderDeliveries();
  }

  show(): void {
    if (!this.detail) this.render();
  }

  async open(id: number): Promise<void> {
    const request = ++this.latestOpen;
    let detail: DocumentDetail;
    try {
      detail = await this.context.backend.documentDetail(id);
    } catch (error) {
      if (request !== this.latestOpen) return;
      this.notice = errorMessage(error, t("error.unknown"));
      this.renderHeader();
      return;
    }
    if (request !== this.latestOpen) return;
    this.detail = detail;
    this.fields = displayOrder(detail.fields);
    this.selected = -1;
    this.pageIndex = 0;
    this.images.clear();
    this.errors.clear();
    this.notice = null;
    this.approveError = null;
    this.pageError = null;
    this.render();
    this.focusFirstField();
  }

  /** Keeps the open document current when the backend reports a change to it. */
  async documentChanged(summary: DocumentSummary): Promise<void> {
    if (summary.id !== this.documentId) return;
    try {
      const detail = await this.context.backend.documentDetail(summary.id);
      if (detail.summary.id === this.documentId) this.applyDetail(detail);
    } catch (error) {
      this.notice = errorMessage(error, t("error.unknown"));
      this.renderHeader();
    }
  }

  onKeyDown(event: KeyboardEvent): void {
    if (isComposing(event)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void this.approve();
      return;
    }
    if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions: Record<string, () => void> = {
      j: () => this.moveSelection(1),
      ArrowDown: () => this.moveSelection(1),
      k: () => this.moveSelection(-1),
      ArrowUp: () => this.moveSelection(-1),
      n: () => void this.openAdjacent(1),
      p: () => void this.openAdjacent(-1),
      PageDown: () => this.showPage(this.pageIndex + 1),
      PageUp: () => this.showPage(this.pageIndex - 1),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  private get editable(): boolean {
    return this.detail?.summary.state === "needsReview";
  }

  private renderHeader(): void {
    const detail = this.detail;
    const approve = h(
      "button",
      { id: "approve", type: "button", class: "primary", disabled: !this.editable || this.approving },
      t("review.approve"),
    );
    approve.addEventListener("click", () => void this.approve());
    setChildren(
      this.header,
      ...(detail
        ? [
            h("h2", { class: "document-name" }, detail.summary.name),
            h("span", { class: "kind" }, tOr(`kind.${detail.kind}`, detail.kind)),
            h("span", { class: "page-count" }, t("review.pages", { count: detail.pages.length })),
            stateBadge(detail.summary.state, { id: "doc-state" }),
            detail.summary.error ? h("span", { class: "error-text" }, detail.summary.error) : null,
            approve,
          ]
        : []),
      this.approveError ? h("p", { class: "error", role: "alert" }, this.approveError) : null,
      this.notice ? h("p", { class: "notice", role: "status" }, this.notice) : null,
    );
  }

  private renderPage(): void {
    const detail = this.detail;
    const page = detail?.pages[this.pageIndex];
    this.resizeObserver.disconnect();
    this.image = null;
    this.lineBoxes = [];
    if (!detail || !page) {
      setChildren(this.pagePane, h("p", { class: "empty" }, t("review.noPages")));
      return;
    }
    const switcher =
      detail.pages.length > 1
        ? h(
            "div",
            { class: "page-switcher" },
            this.pageButton(t("review.previousPage"), "‹", this.pageIndex - 1),
            h("span", {}, t("review.pageOf", { page: this.pageIndex + 1, count: detail.pages.length })),
            this.pageButton(t("review.nextPage"), "›", this.pageIndex + 1),
          )
        : null;
    const image = h("img", { class: "page-image", alt: t("review.pageAlt", { name: detail.summary.name, page: this.pageIndex + 1 }) });
    image.addEventListener("load", () => this.layoutOverlay(true));
    this.lineBoxes = page.lines.map((line) => ({ element: h("div", { class: "ocr-line", title: line.text }), bbox: line.bbox }));
    const overlay = h("div", { class: "page-overlay" }, ...this.lineBoxes.map((box) => box.element), this.highlight);
    this.image = image;
    setChildren(
      this.pagePane,
      switcher,
      this.pageError ? h("p", { class: "error", role: "alert" }, this.pageError) : null,
      h("div", { class: "page-frame" }, h("div", { class: "page", "data-page": page.index }, image, overlay)),
    );
    this.resizeObserver.observe(image);
    const source = this.images.get(page.index);
    if (source) image.src = source;
    else void this.loadImage(detail.summary.id, page.index);
    this.layoutOverlay(false);
  }

  private pageButton(label: string, symbol: string, target: number): HTMLButtonElement {
    const count = this.detail?.pages.length ?? 0;
    const button = h("button", { type: "button", "aria-label": label, title: label, disabled: target < 0 || target >= count }, symbol);
    button.addEventListener("click", () => this.showPage(target));
    return button;
  }

  private async loadImage(documentId: number, page: number): Promise<void> {
    try {
      const source = await this.context.backend.pageImage(documentId, page);
      if (documentId !== this.documentId) return;
      this.images.set(page, source);
      if (this.currentPage()?.index === page && this.image) this.image.src = source;
    } catch (error) {
      if (documentId !== this.documentId) return;
      this.pageError = errorMessage(error, t("error.unknown"));
      this.renderPage();
    }
  }

  private currentPage(): PageView | undefined {
    return this.detail?.pages[this.pageIndex];
  }

  private showPage(index: number): void {
    const count = this.detail?.pages.length ?? 0;
    if (index < 0 || index >= count || index === this.pageIndex) return;
    this.pageIndex = index;
    this.pageError = null;
    this.renderPage();
  }

  /** Positions the OCR boxes and the selected field's source box over the image as it is now displayed. */
  private layoutOverlay(scrollToSource: boolean): void {
    const page = this.currentPage();
    if (!page || !this.image) return;
    const width = this.image.clientWidth;
    for (const box of this.lineBoxes) place(box.element, box.bbox, page, width);
    const source = this.fields[this.selected]?.source;
    const onThisPage = source !== undefined && source !== null && source.page === page.index;
    this.highlight.hidden = !onThisPage;
    if (!onThisPage) return;
    place(this.highlight, source.bbox, page, width);
    if (scrollToSource) this.highlight.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  private renderFields(): void {
    const editable = this.editable;
    this.rows = [];
    if (this.fields.length === 0) {
      setChildren(this.fieldsPane, h("p", { class: "empty" }, t("review.noFields")));
      return;
    }
    const groups: HTMLElement[] = [];
    let currentGroup = "";
    let section: HTMLElement | null = null;
    this.fields.forEach((field, index) => {
      if (!section || field.group !== currentGroup) {
        currentGroup = field.group;
        section = h("section", { class: "field-group", "data-group": field.group }, h("h3", {}, groupHeading(field.group)));
        groups.push(section);
      }
      const row = this.fieldRow(field, index, editable);
      this.rows.push(row);
      section.append(row.element);
    });
    setChildren(this.fieldsPane, ...groups);
  }

  private fieldRow(field: FieldView, index: number, editable: boolean): FieldRow {
    const id = `field-${index}`;
    const input = h("input", {
      id,
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      "data-path": field.path,
      "data-part": field.part ?? "",
    });
    input.value = field.value;
    input.readOnly = !editable;
    input.addEventListener("focus", () => this.select(index));
    input.addEventListener("blur", () => void this.commit(index));
    input.addEventListener("keydown", (event) => this.onFieldKey(event, index));
    const row: FieldRow = {
      field,
      element: h("div", { class: index === this.selected ? "field-row selected" : "field-row" }, h("label", { for: id }, fieldLabel(field.label)), input),
      input,
      badges: h("div", { class: "badges" }),
      printed: h("div", { class: "printed" }),
      error: h("div", { class: "field-error", role: "alert" }),
    };
    row.element.append(row.badges, row.printed, row.error);
    this.decorate(row);
    return row;
  }

  /** Updates everything about a row except what is typed in it. */
  private decorate(row: FieldRow): void {
    const { field } = row;
    row.element.classList.toggle("needs-review", field.needsReview);
    row.element.classList.toggle("edited", field.edited);
    row.input.readOnly = !this.editable;
    setChildren(row.badges, ...fieldBadges(field).map((badge) => h("span", { class: `badge flag flag-${badge.kind}` }, badge.text)));
    const showPrinted = field.printed !== "" && field.printed !== field.value;
    row.printed.textContent = showPrinted ? t("review.printed", { text: field.printed }) : "";
    row.printed.hidden = !showPrinted;
    const error = this.errors.get(fieldKey(field));
    row.error.textContent = error ?? "";
    row.error.hidden = error === undefined;
    row.input.setAttribute("aria-invalid", String(error !== undefined));
  }

  private renderDeliveries(): void {
    const detail = this.detail;
    if (!detail || (detail.deliveries.length === 0 && !EXPORTING_STATES.includes(detail.summary.state))) {
      setChildren(this.deliveriesArea);
      return;
    }
    setChildren(
      this.deliveriesArea,
      h("h3", {}, t("review.deliveries")),
      h(
        "ul",
        { id: "deliveries" },
        ...detail.deliveries.map((delivery) =>
          h(
            "li",
            { "data-status": delivery.status },
            h("span", { class: "target" }, delivery.target),
            h("span", { class: `badge delivery delivery-${delivery.status}` }, tOr(`delivery.${delivery.status}`, delivery.status)),
            h("span", { class: "detail" }, delivery.detail),
          ),
        ),
      ),
    );
  }

  /**
   * Takes in a detail the backend sent for the open document. Rows are updated in place when
   * the document still has the same fields, so focus and anything being typed survive.
   */
  private applyDetail(detail: DocumentDetail, saved?: { key: string; value: string }): void {
    const pagesChanged = detail.pages.length !== this.detail?.pages.length;
    const fields = displayOrder(detail.fields);
    const sameFields =
      fields.length === this.rows.length && fields.every((field, index) => fieldKey(field) === fieldKey(this.rows[index].field));
    this.detail = detail;
    this.fields = fields;
    if (sameFields) {
      this.rows.forEach((row, index) => {
        const next = fields[index];
        const untouched = row.input.value === row.field.value || (saved?.key === fieldKey(next) && row.input.value === saved.value);
        row.field = next;
        if (untouched) row.input.value = next.value;
        this.decorate(row);
      });
    } else {
      this.selected = -1;
      this.renderFields();
    }
    if (pagesChanged) {
      this.pageIndex = Math.min(this.pageIndex, Math.max(detail.pages.length - 1, 0));
      this.renderPage();
    } else {
      this.layoutOverlay(false);
    }
    this.renderHeader();
    this.renderDeliveries();
  }

  private onFieldKey(event: KeyboardEvent, index: number): void {
    if (isComposing(event)) return;
    const row = this.rows[index];
    switch (event.key) {
      case "Enter":
        if (event.ctrlKey || event.metaKey) return;
        event.preventDefault();
        void this.commit(index).then((saved) => {
          if (saved) this.focusAfter(index);
        });
        return;
      case "Escape": {
        event.preventDefault();
        const key = fieldKey(row.field);
        if (row.input.value === row.field.value && !this.errors.has(key)) {
          // A second Escape leaves the field, so that single-key shortcuts work again.
          row.input.blur();
          return;
        }
        row.input.value = row.field.value;
        this.errors.delete(key);
        this.decorate(row);
        return;
      }
      case "Tab": {
        const target = stepFieldIndex(index, this.rows.length, event.shiftKey ? -1 : 1);
        if (target === null) return;
        event.preventDefault();
        this.focusField(target);
        return;
      }
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        const target = stepFieldIndex(index, this.rows.length, event.key === "ArrowDown" ? 1 : -1);
        if (target !== null) this.focusField(target);
        return;
      }
    }
  }

  /** Saves the row's value if it differs from the backend's; false when the backend refused it. */
  private async commit(index: number): Promise<boolean> {
    const row = this.rows[index];
    const detail = this.detail;
    if (!row || !detail || !this.editable) return true;
    const key = fieldKey(row.field);
    const value = row.input.value;
    if (value === row.field.value || this.saving.get(key) === value) return true;
    this.saving.set(key, value);
    try {
      const updated = await this.context.backend.editField(detail.summary.id, row.field.path, row.field.part, value);
      if (updated.summary.id !== this.documentId) return false;
      this.errors.delete(key);
      this.applyDetail(updated, { key, value });
      return true;
    } catch (error) {
      if (detail.summary.id !== this.documentId) return false;
      this.errors.set(key, errorMessage(error, t("error.unknown")));
      const current = this.rows.find((candidate) => fieldKey(candidate.field) === key);
      if (current) this.decorate(current);
      return false;
    } finally {
      this.saving.delete(key);
    }
  }

  private select(index: number): void {
    this.rows[this.selected]?.element.classList.remove("selected");
    this.selected = index;
    this.rows[index]?.element.classList.add("selected");
    const source = this.fields[index]?.source;
    const pageIndex = source ? (this.detail?.pages.findIndex((page) => page.index === source.page) ?? -1) : -1;
    if (pageIndex !== -1 && pageIndex !== this.pageIndex) {
      this.pageIndex = pageIndex;
      this.pageError = null;
      this.renderPage();
    }
    this.layoutOverlay(true);
  }

  private focusField(index: number): void {
    this.rows[index]?.input.focus();
  }

  /** After saving a field, the next one; after the last, the approve button. */
  private focusAfter(index: number): void {
    const next = stepFieldIndex(index, this.rows.length, 1);
    if (next !== null) this.focusField(next);
    else this.header.querySelector<HTMLButtonElement>("#approve")?.focus();
  }

  private moveSelection(step: 1 | -1): void {
    const target = stepFieldIndex(this.selected, this.rows.length, step);
    if (target !== null) this.focusField(target);
  }

  private focusFirstField(): void {
    if (!this.editable) return;
    const first = this.fields.findIndex((field) => field.needsReview);
    this.focusField(first === -1 ? 0 : first);
  }

  private async openAdjacent(step: 1 | -1): Promise<void> {
    try {
      const next = adjacentDocumentToReview(await this.context.backend.listDocuments(), this.documentId, step);
      if (next) {
        await this.open(next.id);
        return;
      }
      this.notice = t("review.noMoreToReview");
    } catch (error) {
      this.notice = errorMessage(error, t("error.unknown"));
    }
    if (this.detail) this.renderHeader();
    else this.render();
  }

  private async approve(): Promise<void> {
    const detail = this.detail;
    if (!detail || !this.editable || this.approving) return;
    this.approving = true;
    this.approveError = null;
    this.renderHeader();
    try {
      // What is typed but not yet saved is part of what the person approves.
      for (let index = 0; index < this.rows.length; index++) {
        if (!(await this.commit(index))) return;
      }
      const approved = await this.context.backend.approve(detail.summary.id);
      if (approved.summary.id === this.documentId) this.applyDetail(approved);
    } catch (error) {
      this.approveError = errorMessage(error, t("error.unknown"));
    } finally {
      this.approving = false;
      this.renderHeader();
    }
  }
}

import { errorMessage } from "../backend";
import type { AuditEntry, AuditVerification } from "../bindings";
import { h, setChildren } from "../dom";
import { t, tOr } from "../i18n";
import type { AppContext, Screen } from "./screen";

/** Enough for a day's work at a busy desk; older entries stay in the log. */
const ENTRIES_SHOWN = 500;

const pad = (value: number) => String(value).padStart(2, "0");

/** A timestamp in local time as YYYY-MM-DD HH:MM:SS; text that is not a date is shown as it is. */
export function formatTime(at: string): string {
  const time = new Date(at);
  if (Number.isNaN(time.getTime())) return at;
  const date = `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}`;
  return `${date} ${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
}

type EditDetail = { path: string; part?: string | null; old?: string | null; new?: string | null };

function parseEdit(detail: string): EditDetail | null {
  try {
    const parsed: unknown = JSON.parse(detail);
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as EditDetail).path === "string") return parsed as EditDetail;
  } catch {
    // Not JSON: shown as it is.
  }
  return null;
}

/** An entry's detail for people: an edit reads "path (part): old → new". */
export function describeDetail(entry: AuditEntry): string {
  const edit = entry.action === "edit" ? parseEdit(entry.detail) : null;
  if (!edit) return entry.detail;
  const shown = (value: string | null | undefined) =>
    value === null || value === undefined || value === "" ? t("audit.emptyValue") : value;
  const field = edit.part ? `${edit.path} (${edit.part})` : edit.path;
  return `${field}: ${shown(edit.old)} → ${shown(edit.new)}`;
}

export class AuditScreen implements Screen {
  readonly element = h("section", { id: "audit", class: "screen audit" });
  private entries: AuditEntry[] = [];
  private verification: AuditVerification | null = null;
  private error: string | null = null;

  constructor(private readonly context: AppContext) {}

  show(): void {
    void this.reload();
  }

  async reload(): Promise<void> {
    try {
      this.entries = await this.context.backend.auditLog(ENTRIES_SHOWN);
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error, t("error.unknown"));
    }
    this.render();
  }

  async verify(): Promise<void> {
    try {
      this.verification = await this.context.backend.verifyAudit();
      this.error = null;
    } catch (error) {
      this.verification = null;
      this.error = errorMessage(error, t("error.unknown"));
    }
    this.render();
    this.element.querySelector<HTMLButtonElement>("#audit-verify")?.focus();
  }

  render(): void {
    const refresh = h("button", { id: "audit-refresh", type: "button" }, t("audit.refresh"));
    refresh.addEventListener("click", () => void this.reload());
    const verify = h("button", { id: "audit-verify", type: "button", class: "primary" }, t("audit.verify"));
    verify.addEventListener("click", () => void this.verify());
    setChildren(
      this.element,
      h("div", { class: "audit-actions" }, verify, refresh),
      this.verdict(),
      this.error ? h("p", { class: "error", role: "alert" }, this.error) : null,
      this.entries.length === 0 ? h("p", { class: "empty" }, t("audit.empty")) : this.table(),
    );
  }

  private verdict(): HTMLElement | null {
    const verification = this.verification;
    if (!verification) return null;
    const text = verification.intact
      ? t("audit.intact", { entries: verification.entries })
      : t("audit.broken", { seq: verification.firstBroken ?? "?", reason: verification.reason ?? "" });
    return h(
      "p",
      {
        id: "audit-verdict",
        class: verification.intact ? "verdict intact" : "verdict broken",
        "data-intact": String(verification.intact),
        role: "status",
      },
      text,
    );
  }

  private table(): HTMLElement {
    const columns = ["seq", "time", "actor", "action", "document", "detail"] as const;
    return h(
      "table",
      { id: "audit-entries" },
      h("thead", {}, h("tr", {}, ...columns.map((column) => h("th", { scope: "col" }, t(`audit.column.${column}`))))),
      h(
        "tbody",
        {},
        ...this.entries.map((entry) =>
          h(
            "tr",
            { "data-seq": entry.seq, "data-action": entry.action },
            h("td", { class: "number" }, String(entry.seq)),
            h("td", { class: "time" }, formatTime(entry.at)),
            h("td", {}, entry.actor),
            h("td", {}, tOr(`action.${entry.action}`, entry.action)),
            h("td", { class: "number" }, entry.documentId === null ? "—" : `#${entry.documentId}`),
            h("td", { class: "detail" }, describeDetail(entry)),
          ),
        ),
      ),
    );
  }
}

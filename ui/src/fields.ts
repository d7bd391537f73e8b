import type { DocumentSummary, FieldView } from "./bindings";
import { t, tOr } from "./i18n";

/** Groups in the order a clinician reads a referral; groups not listed follow in the backend's order. */
const GROUP_ORDER = ["patient", "parties", "document", "diagnoses", "medications", "labs", "allergies", "adverse_events"];

/** Below this the extraction is unsure enough to say so, whatever the flags. */
export const LOW_CONFIDENCE = 0.7;

export type FieldGroup = { group: string; fields: FieldView[] };

export function groupFields(fields: readonly FieldView[]): FieldGroup[] {
  const byGroup = new Map<string, FieldView[]>();
  for (const field of fields) {
    const members = byGroup.get(field.group);
    if (members) members.push(field);
    else byGroup.set(field.group, [field]);
  }
  const rank = (group: string) => {
    const known = GROUP_ORDER.indexOf(group);
    return known === -1 ? GROUP_ORDER.length : known;
  };
  // Array.prototype.sort is stable, so unknown groups keep their first-appearance order.
  return [...byGroup.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([group, members]) => ({ group, fields: members }));
}

/** The fields in the order they are shown, which is the order the keyboard walks them. */
export function displayOrder(fields: readonly FieldView[]): FieldView[] {
  return groupFields(fields).flatMap((group) => group.fields);
}

export function groupHeading(group: string): string {
  return tOr(`group.${group}`, group);
}

/**
 * Localises a backend label such as "medications 1 · dose_per_time · quantity": each segment's
 * key is translated (in the context of the segment before it first, so that a medication's
 * "name" is not a person's), and index numbers are kept as given.
 */
export function fieldLabel(label: string): string {
  let parent = "";
  return label
    .split(" · ")
    .map((segment) => {
      const [key = "", ...rest] = segment.trim().split(/\s+/);
      const localised = tOr(`field.${parent}.${key}`, tOr(`field.${key}`, key));
      parent = key;
      return [localised, ...rest].join(" ");
    })
    .join(" · ");
}

export type Badge = { kind: string; text: string };

/** What the reviewer should know about a field: its flags, low confidence, and whether a person edited it. */
export function fieldBadges(field: FieldView): Badge[] {
  const badges: Badge[] = field.flags.map((flag) => ({ kind: flag, text: tOr(`flag.${flag}`, flag) }));
  if (field.confidence < LOW_CONFIDENCE) {
    badges.push({ kind: "low_confidence", text: t("flag.low_confidence") });
  }
  if (field.edited) badges.push({ kind: "edited", text: t("flag.edited") });
  return badges;
}

/** Identifies a field across reloads of its document. */
export function fieldKey(field: Pick<FieldView, "path" | "part">): string {
  return `${field.path}\u0000${field.part ?? ""}`;
}

/**
 * The field to move to from `current` (-1 when none is selected) by `step`, stopping at the
 * ends; null when there is none to move to.
 */
export function stepFieldIndex(current: number, count: number, step: 1 | -1): number | null {
  if (count === 0) return null;
  if (current < 0) return step === 1 ? 0 : count - 1;
  const next = current + step;
  return next >= 0 && next < count ? next : null;
}

/**
 * The next (step 1) or previous (step -1) document in list order that needs review, wrapping
 * around the list and skipping the current one; null when no other document needs review.
 */
export function adjacentDocumentToReview(
  documents: readonly DocumentSummary[],
  currentId: number | null,
  step: 1 | -1,
): DocumentSummary | null {
  const count = documents.length;
  if (count === 0) return null;
  const at = documents.findIndex((document) => document.id === currentId);
  const start = at === -1 ? (step === 1 ? -1 : count) : at;
  for (let offset = 1; offset <= count; offset++) {
    const candidate = documents[(((start + step * offset) % count) + count) % count];
    if (candidate.id !== currentId && candidate.state === "needsReview") return candidate;
  }
  return null;
}

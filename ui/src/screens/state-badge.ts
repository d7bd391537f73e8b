import { h } from "../dom";
import { tOr } from "../i18n";

/** A document's state, localised, with the raw value in data-state for styling and tests. */
export function stateBadge(state: string, attributes: Record<string, string> = {}): HTMLElement {
  return h("span", { class: `badge state state-${state}`, "data-state": state, ...attributes }, tOr(`state.${state}`, state));
}

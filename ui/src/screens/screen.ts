import type { Backend } from "../backend";

/** What the screens may ask of the application around them. */
export interface AppContext {
  readonly backend: Backend;
  openDocument(id: number): void;
  /** Applies a language to the whole window at once, without saving it. */
  setLanguage(language: string): void;
}

export interface Screen {
  readonly element: HTMLElement;
  /** Rebuilds the screen from its state, in the current language. */
  render(): void;
  /** Called each time the screen's tab is opened. */
  show(): void;
  /** Keys pressed anywhere in the window while this screen is open. */
  onKeyDown?(event: KeyboardEvent): void;
}

import { errorMessage } from "../backend";
import type { MachineInfo, Settings } from "../bindings";
import { h, setChildren } from "../dom";
import { currentLanguage, languages, t, type MessageKey } from "../i18n";
import type { AppContext, Screen } from "./screen";

const FORMATS = ["json", "mml", "hl7", "fhir"] as const;
const OCR_ENGINES = ["auto", "ppocr", "tesseract"] as const;
const HL7_CHARSETS = ["utf-8", "iso-2022-jp"] as const;

type Checked = "facilityCode" | "gpuLayers" | "mllpPort";
export type SettingsErrors = Partial<Record<Checked, MessageKey>>;

/** The port as the backend takes it: empty means no MLLP delivery. */
function parsePort(text: string): number | null {
  return text.trim() === "" ? null : Number(text.trim());
}

/** The checks the form can make before asking the backend, which checks again. */
export function validateSettings(settings: Settings, portText: string): SettingsErrors {
  const errors: SettingsErrors = {};
  if (settings.facilityCode !== "" && !/^\d{10}$/.test(settings.facilityCode)) errors.facilityCode = "settings.facilityCodeInvalid";
  // Empty means auto, as it does for the backend.
  if (!/^(auto|\d*)$/.test(settings.gpuLayers.trim())) errors.gpuLayers = "settings.gpuLayersInvalid";
  const port = portText.trim();
  if (port === "" && settings.mllpHost.trim() !== "") errors.mllpPort = "settings.mllpPortRequired";
  else if (port !== "" && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) errors.mllpPort = "settings.mllpPortInvalid";
  return errors;
}

type Option = { value: string; label: string };

export class SettingsScreen implements Screen {
  readonly element = h("section", { id: "settings", class: "screen settings" });
  private draft: Settings | null = null;
  /** The port as typed, which may not be a number yet. */
  private portText = "";
  private machine: MachineInfo | null = null;
  private errors: SettingsErrors = {};
  private status: { saved: boolean; text: string } | null = null;
  private saving = false;

  constructor(private readonly context: AppContext) {}

  show(): void {
    if (!this.draft) void this.load();
  }

  private async load(): Promise<void> {
    setChildren(this.element, h("p", {}, t("common.loading")));
    const [settings, machine] = await Promise.allSettled([this.context.backend.getSettings(), this.context.backend.machineInfo()]);
    this.machine = machine.status === "fulfilled" ? machine.value : null;
    if (settings.status === "fulfilled") {
      this.adopt(settings.value);
      this.status = null;
    } else {
      this.status = { saved: false, text: errorMessage(settings.reason, t("error.unknown")) };
    }
    this.render();
  }

  private adopt(settings: Settings): void {
    this.draft = settings;
    this.portText = settings.mllpPort === null ? "" : String(settings.mllpPort);
  }

  render(): void {
    const draft = this.draft;
    if (!draft) {
      setChildren(this.element, this.statusLine() ?? h("p", {}, t("common.loading")));
      return;
    }
    const form = h(
      "form",
      { class: "settings-form", novalidate: true },
      this.fieldset(
        "settings.model",
        this.row("settings-model-path", "settings.modelPath", this.modelControl(draft)),
        this.checkbox("settings-use-model", "settings.useModel", draft.useModel, (checked) => (draft.useModel = checked)),
        this.row(
          "settings-gpu-layers",
          "settings.gpuLayers",
          this.textInput("settings-gpu-layers", draft.gpuLayers, (value) => (draft.gpuLayers = value)),
          "gpuLayers",
        ),
        this.machineSummary(),
      ),
      this.fieldset(
        "settings.ocr",
        this.row(
          "settings-ocr-engine",
          "settings.ocrEngine",
          this.select(
            "settings-ocr-engine",
            OCR_ENGINES.map((engine) => ({ value: engine, label: t(`settings.ocr.${engine}`) })),
            draft.ocrEngine,
            (value) => (draft.ocrEngine = value),
          ),
        ),
      ),
      this.fieldset(
        "settings.facility",
        this.row(
          "settings-facility-name",
          "settings.facilityName",
          this.textInput("settings-facility-name", draft.facilityName, (value) => (draft.facilityName = value)),
        ),
        this.row(
          "settings-facility-code",
          "settings.facilityCode",
          this.textInput("settings-facility-code", draft.facilityCode, (value) => (draft.facilityCode = value.trim()), {
            inputmode: "numeric",
            maxlength: 10,
          }),
          "facilityCode",
        ),
      ),
      this.fieldset(
        "settings.export",
        h(
          "fieldset",
          { class: "formats" },
          h("legend", {}, t("settings.formats")),
          ...FORMATS.map((format) =>
            this.checkbox(`settings-format-${format}`, `settings.format.${format}`, draft.formats.includes(format), (checked) => {
              const others = draft.formats.filter((candidate) => candidate !== format);
              draft.formats = checked ? [...others, format] : others;
            }),
          ),
        ),
        this.row(
          "settings-export-folder",
          "settings.exportFolder",
          this.textInput("settings-export-folder", draft.exportFolder, (value) => (draft.exportFolder = value)),
        ),
        this.row(
          "settings-mllp-host",
          "settings.mllpHost",
          this.textInput("settings-mllp-host", draft.mllpHost, (value) => (draft.mllpHost = value.trim())),
        ),
        this.row(
          "settings-mllp-port",
          "settings.mllpPort",
          this.textInput("settings-mllp-port", this.portText, (value) => (this.portText = value), { inputmode: "numeric" }),
          "mllpPort",
        ),
        this.row(
          "settings-hl7-charset",
          "settings.hl7Charset",
          this.select(
            "settings-hl7-charset",
            HL7_CHARSETS.map((charset) => ({ value: charset, label: t(`settings.charset.${charset}`) })),
            draft.hl7Charset,
            (value) => (draft.hl7Charset = value),
          ),
        ),
      ),
      this.fieldset(
        "settings.display",
        this.row(
          "settings-language",
          "settings.language",
          this.select(
            "settings-language",
            languages.map((language) => ({ value: language, label: t(`language.${language}`) })),
            draft.language,
            (value) => {
              draft.language = value;
              this.context.setLanguage(value);
              this.element.querySelector<HTMLSelectElement>("#settings-language")?.focus();
            },
          ),
        ),
      ),
      h(
        "div",
        { class: "form-actions" },
        h("button", { id: "settings-save", type: "submit", class: "primary", disabled: this.saving }, t("settings.save")),
        this.statusLine(),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });
    setChildren(this.element, form);
  }

  private async save(): Promise<void> {
    const draft = this.draft;
    if (!draft || this.saving) return;
    this.errors = validateSettings(draft, this.portText);
    if (Object.keys(this.errors).length > 0) {
      this.status = { saved: false, text: t("settings.invalid") };
      this.render();
      return;
    }
    this.setSaving(true);
    try {
      const saved = await this.context.backend.saveSettings({
        ...draft,
        gpuLayers: draft.gpuLayers.trim(),
        mllpPort: parsePort(this.portText),
      });
      this.adopt(saved);
      this.status = { saved: true, text: t("settings.saved") };
    } catch (error) {
      this.status = { saved: false, text: errorMessage(error, t("error.unknown")) };
    }
    this.setSaving(false);
    if (this.draft && this.draft.language !== currentLanguage()) this.context.setLanguage(this.draft.language);
    else this.render();
  }

  private setSaving(saving: boolean): void {
    this.saving = saving;
    const button = this.element.querySelector<HTMLButtonElement>("#settings-save");
    if (button) button.disabled = saving;
  }

  private statusLine(): HTMLElement | null {
    if (!this.status) return null;
    return h(
      "p",
      { id: "settings-status", class: this.status.saved ? "success" : "error", role: this.status.saved ? "status" : "alert" },
      this.status.text,
    );
  }

  /** A choice of the models found, when there are any; an empty path means the default model. */
  private modelControl(draft: Settings): HTMLElement {
    const models = this.machine?.models ?? [];
    if (models.length === 0) return this.textInput("settings-model-path", draft.modelPath, (value) => (draft.modelPath = value));
    const custom = draft.modelPath !== "" && !models.includes(draft.modelPath) ? [draft.modelPath] : [];
    const options = [
      { value: "", label: t("settings.defaultModel") },
      ...[...custom, ...models].map((model) => ({ value: model, label: model })),
    ];
    return this.select("settings-model-path", options, draft.modelPath, (value) => (draft.modelPath = value));
  }

  private machineSummary(): HTMLElement | null {
    const machine = this.machine;
    if (!machine) return null;
    const backends = machine.gpuBackends.length > 0 ? machine.gpuBackends.join(", ") : t("settings.cpuOnly");
    return h(
      "ul",
      { class: "machine" },
      h("li", { id: "settings-gpu-backends" }, t("settings.gpuBackends", { backends })),
      h("li", {}, t("settings.cores", { cores: machine.cores })),
      h("li", {}, t("settings.dataDir", { dir: machine.dataDir })),
    );
  }

  private fieldset(legend: MessageKey, ...children: (HTMLElement | null)[]): HTMLElement {
    return h("fieldset", {}, h("legend", {}, t(legend)), ...children);
  }

  private row(id: string, label: MessageKey, control: HTMLElement, checked?: Checked): HTMLElement {
    const error = checked ? this.errors[checked] : undefined;
    if (error) control.setAttribute("aria-invalid", "true");
    return h(
      "div",
      { class: "form-row" },
      h("label", { for: id }, t(label)),
      control,
      error ? h("p", { id: `${id}-error`, class: "field-error", role: "alert" }, t(error)) : null,
    );
  }

  private textInput(
    id: string,
    value: string,
    onInput: (value: string) => void,
    attributes: Record<string, string | number> = {},
  ): HTMLInputElement {
    const input = h("input", { id, type: "text", spellcheck: "false", ...attributes });
    input.value = value;
    input.addEventListener("input", () => onInput(input.value));
    return input;
  }

  private select(id: string, options: Option[], value: string, onChange: (value: string) => void): HTMLSelectElement {
    const select = h("select", { id }, ...options.map((option) => h("option", { value: option.value }, option.label)));
    select.value = value;
    select.addEventListener("change", () => onChange(select.value));
    return select;
  }

  private checkbox(id: string, label: MessageKey, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
    const input = h("input", { id, type: "checkbox" });
    input.checked = checked;
    input.addEventListener("change", () => onChange(input.checked));
    return h("label", { class: "checkbox" }, input, t(label));
  }
}

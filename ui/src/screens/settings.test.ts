import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startApp, type App } from "../app";
import { FakeBackend, sampleSettings, settle } from "../fake-backend";
import { setLanguage } from "../i18n";
import { validateSettings } from "./settings";

let backend: FakeBackend;
let app: App;

beforeEach(async () => {
  backend = new FakeBackend();
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  app = await startApp(root, backend);
  app.showTab("settings");
  await settle();
});

afterEach(() => {
  app.stop();
  setLanguage("ja");
  document.body.replaceChildren();
});

const field = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
function change(id: string, value: string): void {
  const control = field<HTMLInputElement | HTMLSelectElement>(id);
  control.value = value;
  control.dispatchEvent(new Event(control instanceof HTMLSelectElement ? "change" : "input"));
}
function toggle(id: string, checked: boolean): void {
  const box = field<HTMLInputElement>(id);
  box.checked = checked;
  box.dispatchEvent(new Event("change"));
}
async function save(): Promise<void> {
  field<HTMLButtonElement>("settings-save").click();
  await settle();
}

describe("settings screen", () => {
  it("shows the stored settings and what the machine has", () => {
    expect(field<HTMLSelectElement>("settings-model-path").value).toBe("models/qwen.gguf");
    expect(field<HTMLInputElement>("settings-use-model").checked).toBe(true);
    expect(field<HTMLInputElement>("settings-gpu-layers").value).toBe("auto");
    expect(field<HTMLSelectElement>("settings-ocr-engine").value).toBe("auto");
    expect(field<HTMLInputElement>("settings-facility-code").value).toBe("1312345678");
    expect(["json", "mml", "hl7", "fhir"].map((format) => field<HTMLInputElement>(`settings-format-${format}`).checked)).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(field<HTMLSelectElement>("settings-hl7-charset").value).toBe("iso-2022-jp");
    expect(field("settings-gpu-backends").textContent).toBe("GPU: CPUのみ");
    expect(document.querySelector(".machine")!.textContent).toContain("CPUコア数: 2");
  });

  it("saves every field as edited", async () => {
    change("settings-facility-name", "北病院");
    change("settings-facility-code", "0123456789");
    change("settings-gpu-layers", "20");
    change("settings-ocr-engine", "tesseract");
    toggle("settings-use-model", false);
    toggle("settings-format-mml", false);
    toggle("settings-format-fhir", true);
    change("settings-export-folder", "/mnt/ehr");
    change("settings-mllp-host", "10.0.0.5");
    change("settings-mllp-port", "2575");
    change("settings-hl7-charset", "utf-8");
    change("settings-model-path", "");
    await save();
    expect(backend.callsOf("saveSettings")).toEqual([
      [
        {
          ...sampleSettings(),
          modelPath: "",
          useModel: false,
          gpuLayers: "20",
          ocrEngine: "tesseract",
          facilityName: "北病院",
          facilityCode: "0123456789",
          formats: ["hl7", "fhir"],
          exportFolder: "/mnt/ehr",
          mllpHost: "10.0.0.5",
          mllpPort: 2575,
          hl7Charset: "utf-8",
        },
      ],
    ]);
    expect(field("settings-status").textContent).toBe("保存しました");
  });

  it("refuses a facility code that is not 10 digits, without asking the backend", async () => {
    change("settings-facility-code", "12345");
    await save();
    expect(backend.callsOf("saveSettings")).toEqual([]);
    expect(field("settings-facility-code-error").textContent).toBe("医療機関コードは10桁の数字です");
    expect(field("settings-facility-code").getAttribute("aria-invalid")).toBe("true");
  });

  it("shows the backend's refusal", async () => {
    backend.saveSettings = () => Promise.reject({ code: "invalid_setting", message: "export folder: not writable" });
    await save();
    expect(field("settings-status").textContent).toBe("export folder: not writable");
    expect(field("settings-status").className).toBe("error");
  });

  it("switches the whole window's language as soon as it is chosen, keeping unsaved edits", async () => {
    change("settings-facility-name", "北病院");
    change("settings-language", "en");
    expect(document.querySelector("nav button")!.textContent).toBe("Import");
    expect(document.querySelector('label[for="settings-facility-name"]')!.textContent).toBe("Facility name");
    expect(field<HTMLInputElement>("settings-facility-name").value).toBe("北病院");
    expect(document.documentElement.lang).toBe("en");
    await save();
    expect(backend.settings.language).toBe("en");
    expect(field("settings-status").textContent).toBe("Saved");
  });
});

describe("validateSettings", () => {
  const valid = sampleSettings();

  it("accepts the facility code empty or as 10 digits", () => {
    expect(validateSettings({ ...valid, facilityCode: "" }, "")).toEqual({});
    expect(validateSettings({ ...valid, facilityCode: "131234567" }, "").facilityCode).toBe("settings.facilityCodeInvalid");
    expect(validateSettings({ ...valid, facilityCode: "13123456789" }, "").facilityCode).toBe("settings.facilityCodeInvalid");
    expect(validateSettings({ ...valid, facilityCode: "13123456a8" }, "").facilityCode).toBe("settings.facilityCodeInvalid");
  });

  it("accepts GPU layers as auto, empty or a whole number", () => {
    for (const layers of ["auto", "", "0", "33"]) expect(validateSettings({ ...valid, gpuLayers: layers }, "")).toEqual({});
    for (const layers of ["-1", "all", "1.5"]) expect(validateSettings({ ...valid, gpuLayers: layers }, "").gpuLayers).toBeDefined();
  });

  it("wants a port from 1 to 65535, and one whenever a host is set", () => {
    expect(validateSettings(valid, "2575")).toEqual({});
    expect(validateSettings(valid, "0").mllpPort).toBe("settings.mllpPortInvalid");
    expect(validateSettings(valid, "65536").mllpPort).toBe("settings.mllpPortInvalid");
    expect(validateSettings({ ...valid, mllpHost: "ehr.local" }, "").mllpPort).toBe("settings.mllpPortRequired");
  });
});

import { describe, expect, it } from "vitest";
import { scaleBox } from "./overlay";

describe("scaleBox", () => {
  it("scales page coordinates by displayed width over page width, on both axes", () => {
    expect(scaleBox({ x: 100, y: 200, w: 300, h: 40 }, 2000, 500)).toEqual({ left: 25, top: 50, width: 75, height: 10 });
  });

  it("enlarges when the page is displayed bigger than it was measured", () => {
    expect(scaleBox({ x: 10, y: 20, w: 30, h: 5 }, 100, 300)).toEqual({ left: 30, top: 60, width: 90, height: 15 });
  });

  it("collapses to nothing for a page without a width instead of dividing by zero", () => {
    expect(scaleBox({ x: 10, y: 20, w: 30, h: 5 }, 0, 300)).toEqual({ left: 0, top: 0, width: 0, height: 0 });
  });
});

import type { BoxView } from "./bindings";

export type PixelBox = { left: number; top: number; width: number; height: number };

/**
 * Where a box given in page coordinates lands on the page image as displayed. The image the
 * backend sends may have another pixel size than the page the OCR measured, but the same
 * aspect ratio, so one factor (displayed width / page width) serves both axes.
 */
export function scaleBox(box: BoxView, pageWidth: number, displayedWidth: number): PixelBox {
  const factor = pageWidth > 0 ? displayedWidth / pageWidth : 0;
  return {
    left: box.x * factor,
    top: box.y * factor,
    width: box.w * factor,
    height: box.h * factor,
  };
}

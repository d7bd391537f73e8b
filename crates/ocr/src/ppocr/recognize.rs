//! Line crops and what the recognition model makes of them: each detected
//! rectangle is cut out upright (vertical lines turned to read left to
//! right), and the CTC output decoded into characters with their own
//! confidence and position along the line.

use image::imageops::{FilterType, resize};
use image::{GrayImage, Luma};

use super::detect::{Quad, normalise};

/// Lines this much taller than wide are vertical text (縦書き).
const VERTICAL_RATIO: f32 = 1.5;
/// The recognition and direction models' input height.
pub(crate) const LINE_HEIGHT: u32 = 48;
/// The direction model's input width.
pub(crate) const DIRECTION_WIDTH: u32 = 192;
/// The narrowest line image the recogniser is given (PaddleOCR's 3×48×320).
const MIN_LINE_WIDTH: u32 = 320;

/// A line cut out of the page, upright, and how its pixels map back.
pub(crate) struct LineCrop {
    pub image: GrayImage,
    /// Page position of the crop's pixel (0, 0), and of one step along its
    /// width and its height.
    origin: (f32, f32),
    along: (f32, f32),
    down: (f32, f32),
    pub vertical: bool,
}

impl LineCrop {
    /// Cuts `quad` out of `page` with bilinear sampling, edges repeated.
    pub(crate) fn cut(page: &GrayImage, quad: &Quad) -> LineCrop {
        let width = quad.width().round().max(1.0) as u32;
        let height = quad.height().round().max(1.0) as u32;
        let [top_left, top_right, _, bottom_left] = quad.0;
        let along = ((top_right.0 - top_left.0) / width as f32, (top_right.1 - top_left.1) / width as f32);
        let down = ((bottom_left.0 - top_left.0) / height as f32, (bottom_left.1 - top_left.1) / height as f32);
        let mut image = GrayImage::new(width, height);
        for v in 0..height {
            for u in 0..width {
                let (u, v) = (u as f32 + 0.5, v as f32 + 0.5);
                let x = top_left.0 + u * along.0 + v * down.0;
                let y = top_left.1 + u * along.1 + v * down.1;
                image.put_pixel(u as u32, v as u32, Luma([sample(page, x - 0.5, y - 0.5)]));
            }
        }
        let mut crop = LineCrop { image, origin: top_left, along, down, vertical: false };
        if height as f32 >= width as f32 * VERTICAL_RATIO {
            crop.turn_counterclockwise();
            crop.vertical = true;
        }
        crop
    }

    /// Turns the image a quarter counter-clockwise: a vertical column then
    /// reads from left to right, as the recogniser was trained on.
    fn turn_counterclockwise(&mut self) {
        let (width, height) = self.image.dimensions();
        self.image = image::imageops::rotate270(&self.image);
        // New (u, v) is old (width − v, u).
        self.origin = (self.origin.0 + width as f32 * self.along.0, self.origin.1 + width as f32 * self.along.1);
        let (along, down) = (self.down, (-self.along.0, -self.along.1));
        self.along = along;
        self.down = down;
        debug_assert_eq!(self.image.dimensions(), (height, width));
    }

    pub(crate) fn turn_half(&mut self) {
        let (width, height) = self.image.dimensions();
        self.image = image::imageops::rotate180(&self.image);
        self.origin = (
            self.origin.0 + width as f32 * self.along.0 + height as f32 * self.down.0,
            self.origin.1 + width as f32 * self.along.1 + height as f32 * self.down.1,
        );
        self.along = (-self.along.0, -self.along.1);
        self.down = (-self.down.0, -self.down.1);
    }

    /// The rows of the crop that hold ink. The detector grows each line by
    /// half its height or more, so that neighbouring lines' boxes would
    /// touch; the ink's own extent keeps rows apart for reading order and
    /// gives a tight box to highlight.
    pub(crate) fn ink_rows(&self) -> (f32, f32) {
        let (width, height) = self.image.dimensions();
        let (darkest, lightest) =
            self.image.pixels().fold((u8::MAX, u8::MIN), |(low, high), p| (low.min(p.0[0]), high.max(p.0[0])));
        let threshold = (u16::from(darkest) + u16::from(lightest)) / 2;
        let min_dark = (width / 100).max(1);
        let inked = |y: u32| (0..width).filter(|&x| u16::from(self.image.get_pixel(x, y).0[0]) < threshold).count() as u32 >= min_dark;
        match ((0..height).find(|&y| inked(y)), (0..height).rev().find(|&y| inked(y))) {
            (Some(top), Some(bottom)) if lightest > darkest => (top as f32, (bottom + 1) as f32),
            _ => (0.0, height as f32),
        }
    }

    /// The page-pixel box around the crop's columns `from`…`to` and rows
    /// `top`…`bottom`.
    pub(crate) fn page_box(&self, from: f32, to: f32, (top, bottom): (f32, f32)) -> (f32, f32, f32, f32) {
        let corners = [(from, top), (to, top), (to, bottom), (from, bottom)].map(|(u, v)| {
            (self.origin.0 + u * self.along.0 + v * self.down.0, self.origin.1 + u * self.along.1 + v * self.down.1)
        });
        let min_x = corners.iter().map(|c| c.0).fold(f32::MAX, f32::min);
        let max_x = corners.iter().map(|c| c.0).fold(f32::MIN, f32::max);
        let min_y = corners.iter().map(|c| c.1).fold(f32::MAX, f32::min);
        let max_y = corners.iter().map(|c| c.1).fold(f32::MIN, f32::max);
        (min_x, min_y, max_x, max_y)
    }

    pub(crate) fn aspect(&self) -> f32 {
        self.image.width() as f32 / self.image.height().max(1) as f32
    }
}

fn sample(page: &GrayImage, x: f32, y: f32) -> u8 {
    let (width, height) = page.dimensions();
    let x = x.clamp(0.0, (width - 1) as f32);
    let y = y.clamp(0.0, (height - 1) as f32);
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x, y| f32::from(page.get_pixel(x, y).0[0]);
    let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
    (top * (1.0 - fy) + bottom * fy).round() as u8
}

/// A batch of line images scaled to `LINE_HEIGHT`, normalised, padded on
/// the right to a common width (PaddleOCR pads with 0 after normalising).
pub(crate) struct LineBatch {
    pub width: u32,
    pub tensor: Vec<f32>,
    /// Each line's scaled width before padding.
    pub scaled_widths: Vec<u32>,
}

pub(crate) fn line_batch(crops: &[&LineCrop], width: u32) -> LineBatch {
    let plane = (LINE_HEIGHT * width) as usize;
    let mut tensor = vec![0.0f32; crops.len() * 3 * plane];
    let mut scaled_widths = Vec::with_capacity(crops.len());
    for (index, crop) in crops.iter().enumerate() {
        let scaled_width = ((LINE_HEIGHT as f32 * crop.aspect()).ceil() as u32).clamp(1, width);
        let scaled = resize(&crop.image, scaled_width, LINE_HEIGHT, FilterType::Triangle);
        for channel in 0..3 {
            let base = (index * 3 + channel) * plane;
            for (x, y, pixel) in scaled.enumerate_pixels() {
                tensor[base + (y * width + x) as usize] = normalise(pixel.0[0]);
            }
        }
        scaled_widths.push(scaled_width);
    }
    LineBatch { width, tensor, scaled_widths }
}

/// The width a recognition batch is padded to: at least `MIN_LINE_WIDTH`,
/// and wide enough for its widest line.
pub(crate) fn recognition_width(crops: &[&LineCrop]) -> u32 {
    let widest = crops.iter().map(|crop| crop.aspect()).fold(MIN_LINE_WIDTH as f32 / LINE_HEIGHT as f32, f32::max);
    (LINE_HEIGHT as f32 * widest) as u32
}

/// One recognised character: where along the scaled line the model saw it
/// (in CTC time steps) and how sure it was.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodedChar {
    pub text: char,
    pub step: usize,
    pub confidence: f32,
}

/// Greedy CTC decoding of one line's `steps` × `classes` probabilities:
/// the best `allowed` class per step, repeats merged, blanks (class 0)
/// dropped. Class `i` is `characters[i − 1]`.
pub(crate) fn ctc_decode(
    probabilities: &[f32],
    steps: usize,
    classes: usize,
    characters: &[char],
    allowed: &[bool],
) -> Vec<DecodedChar> {
    let mut decoded = Vec::new();
    let mut previous = 0usize;
    for step in 0..steps {
        let row = &probabilities[step * classes..(step + 1) * classes];
        let (best, confidence) = row.iter().enumerate().filter(|&(class, _)| allowed.get(class).copied().unwrap_or(false)).fold(
            (0, f32::MIN),
            |(best, max), (class, &p)| if p > max { (class, p) } else { (best, max) },
        );
        if best != 0
            && best != previous
            && let Some(&text) = characters.get(best - 1)
        {
            decoded.push(DecodedChar { text, step, confidence });
        }
        previous = best;
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let characters = ['a', 'b'];
        // Steps: a a blank a b b → "aab".
        let best = [1, 1, 0, 1, 2, 2];
        let mut probabilities = vec![0.0f32; best.len() * 3];
        for (step, class) in best.iter().enumerate() {
            probabilities[step * 3 + class] = 0.9;
        }
        let decoded = ctc_decode(&probabilities, best.len(), 3, &characters, &[true; 3]);
        let text: String = decoded.iter().map(|c| c.text).collect();
        assert_eq!(text, "aab");
        assert_eq!(decoded.iter().map(|c| c.step).collect::<Vec<_>>(), [0, 3, 4]);
    }

    #[test]
    fn a_class_that_is_not_allowed_gives_way_to_the_best_that_is() {
        let characters = ['别', '別'];
        let probabilities = [0.1, 0.6, 0.3];
        let decoded = ctc_decode(&probabilities, 1, 3, &characters, &[true, false, true]);
        assert_eq!(decoded, [DecodedChar { text: '別', step: 0, confidence: 0.3 }]);
    }

    #[test]
    fn a_tall_crop_is_turned_and_maps_back_to_its_column() {
        let mut page = GrayImage::from_pixel(100, 200, Luma([255]));
        // A dark mark near the top of a 20×120 column at x 40–60, y 30–150.
        for y in 35..45 {
            for x in 45..55 {
                page.put_pixel(x, y, Luma([0]));
            }
        }
        let quad = Quad([(40.0, 30.0), (60.0, 30.0), (60.0, 150.0), (40.0, 150.0)]);
        let crop = LineCrop::cut(&page, &quad);
        assert!(crop.vertical);
        assert_eq!(crop.image.dimensions(), (120, 20));
        // The column's top is now the line's start, on the left.
        let dark: Vec<u32> =
            crop.image.enumerate_pixels().filter(|(_, _, p)| p.0[0] < 128).map(|(x, _, _)| x).collect();
        assert!(dark.iter().all(|&x| (5..15).contains(&x)), "{dark:?}");
        let (x0, y0, x1, y1) = crop.page_box(5.0, 15.0, (0.0, 20.0));
        assert!((x0 - 40.0).abs() < 0.5 && (x1 - 60.0).abs() < 0.5, "{x0} {x1}");
        assert!((y0 - 35.0).abs() < 0.5 && (y1 - 45.0).abs() < 0.5, "{y0} {y1}");
    }

    #[test]
    fn ink_rows_are_where_the_text_is() {
        let mut page = GrayImage::from_pixel(100, 40, Luma([250]));
        for y in 12..30 {
            for x in 10..20 {
                page.put_pixel(x, y, Luma([20]));
            }
        }
        let crop = LineCrop::cut(&page, &Quad([(0.0, 0.0), (100.0, 0.0), (100.0, 40.0), (0.0, 40.0)]));
        assert_eq!(crop.ink_rows(), (12.0, 30.0));
    }

    #[test]
    fn a_half_turn_keeps_the_mapping() {
        let page = GrayImage::from_pixel(100, 100, Luma([255]));
        let quad = Quad([(10.0, 10.0), (90.0, 10.0), (90.0, 30.0), (10.0, 30.0)]);
        let mut crop = LineCrop::cut(&page, &quad);
        crop.turn_half();
        let (x0, y0, x1, y1) = crop.page_box(0.0, 10.0, (0.0, 20.0));
        assert!((x0 - 80.0).abs() < 0.5 && (x1 - 90.0).abs() < 0.5, "{x0} {x1}");
        assert!((y0 - 10.0).abs() < 0.5 && (y1 - 30.0).abs() < 0.5, "{y0} {y1}");
    }
}

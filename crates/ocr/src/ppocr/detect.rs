//! Text detection: the DB model's probability map → one rotated rectangle
//! per text line, as PaddleOCR's `DBPostProcess` makes them (threshold,
//! dilate, contours, minimum-area rectangle, score, unclip).

use image::GrayImage;
use image::imageops::{FilterType, resize};
use imageproc::contours::{BorderType, find_contours};
use imageproc::geometry::convex_hull;
use imageproc::point::Point;

/// The detector sees pages with the short side at least this long
/// (PaddleOCR's `limit_type: min`, `limit_side_len: 736`).
const MIN_SIDE: u32 = 736;
/// A map pixel above this is text.
const PIXEL_THRESHOLD: f32 = 0.3;
/// A region whose mean probability is below this is dropped.
const BOX_THRESHOLD: f32 = 0.5;
/// How far a region is grown back to the full line (DB shrinks its targets).
const UNCLIP_RATIO: f32 = 1.6;
const MIN_BOX_SIDE: f32 = 3.0;
const MAX_CANDIDATES: usize = 1000;

/// A rotated rectangle in image pixels: top-left, top-right, bottom-right,
/// bottom-left as the text reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Quad(pub [(f32, f32); 4]);

impl Quad {
    pub(crate) fn width(&self) -> f32 {
        distance(self.0[0], self.0[1]).max(distance(self.0[3], self.0[2]))
    }

    pub(crate) fn height(&self) -> f32 {
        distance(self.0[0], self.0[3]).max(distance(self.0[1], self.0[2]))
    }
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The detector's input: the page resized to multiples of 32 and
/// normalised to −1…1 in three identical channels, NCHW.
pub(crate) struct DetectorInput {
    pub width: u32,
    pub height: u32,
    pub tensor: Vec<f32>,
}

pub(crate) fn detector_input(image: &GrayImage) -> DetectorInput {
    let (width, height) = image.dimensions();
    let ratio = if width.min(height) < MIN_SIDE { MIN_SIDE as f32 / width.min(height) as f32 } else { 1.0 };
    let to_32 = |side: u32| (((side as f32 * ratio) / 32.0).round() as u32 * 32).max(32);
    let (input_width, input_height) = (to_32(width), to_32(height));
    let resized = resize(image, input_width, input_height, FilterType::Triangle);
    let plane: Vec<f32> = resized.as_raw().iter().map(|&v| normalise(v)).collect();
    let mut tensor = Vec::with_capacity(plane.len() * 3);
    for _ in 0..3 {
        tensor.extend_from_slice(&plane);
    }
    DetectorInput { width: input_width, height: input_height, tensor }
}

/// PaddleOCR's normalisation: (v / 255 − 0.5) / 0.5.
pub(crate) fn normalise(value: u8) -> f32 {
    value as f32 / 127.5 - 1.0
}

/// Text line rectangles in the coordinates of an image `image_width` ×
/// `image_height`, from the probability map of `input` (same size as it).
pub(crate) fn boxes_from_map(
    map: &[f32],
    input: &DetectorInput,
    image_width: u32,
    image_height: u32,
) -> Vec<Quad> {
    let (width, height) = (input.width, input.height);
    let mut mask = GrayImage::new(width, height);
    // A 2×2 dilation joins characters the map left a pixel apart.
    for y in 0..height {
        for x in 0..width {
            let at = |x: u32, y: u32| map[(y * width + x) as usize] > PIXEL_THRESHOLD;
            let on = at(x, y) || (x > 0 && at(x - 1, y)) || (y > 0 && at(x, y - 1)) || (x > 0 && y > 0 && at(x - 1, y - 1));
            if on {
                mask.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
    let scale_x = image_width as f32 / width as f32;
    let scale_y = image_height as f32 / height as f32;
    let mut quads = Vec::new();
    for contour in find_contours::<i32>(&mask).into_iter().filter(|c| c.border_type == BorderType::Outer).take(MAX_CANDIDATES) {
        let Some(rectangle) = min_area_rectangle(&contour.points) else { continue };
        if rectangle.short_side() < MIN_BOX_SIDE {
            continue;
        }
        if mean_inside(map, width, height, &rectangle.corners()) < BOX_THRESHOLD {
            continue;
        }
        let (w, h) = (rectangle.half_width * 2.0, rectangle.half_height * 2.0);
        let grow = w * h * UNCLIP_RATIO / (2.0 * (w + h));
        let grown = Rectangle {
            half_width: rectangle.half_width + grow,
            half_height: rectangle.half_height + grow,
            ..rectangle
        };
        if grown.short_side() < MIN_BOX_SIDE + 2.0 {
            continue;
        }
        let corners = grown.corners().map(|(x, y)| {
            ((x * scale_x).clamp(0.0, image_width as f32), (y * scale_y).clamp(0.0, image_height as f32))
        });
        let quad = reading_order_corners(corners);
        if quad.width() <= 3.0 || quad.height() <= 3.0 {
            continue;
        }
        quads.push(quad);
    }
    sort_top_to_bottom(&mut quads);
    quads
}

#[derive(Debug, Clone, Copy)]
struct Rectangle {
    centre: (f32, f32),
    /// Unit vector along the rectangle's first side.
    axis: (f32, f32),
    half_width: f32,
    half_height: f32,
}

impl Rectangle {
    fn short_side(&self) -> f32 {
        2.0 * self.half_width.min(self.half_height)
    }

    fn corners(&self) -> [(f32, f32); 4] {
        let (ux, uy) = self.axis;
        let (vx, vy) = (-uy, ux);
        let (cx, cy) = self.centre;
        [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map(|(a, b)| {
            (
                cx + a * self.half_width * ux + b * self.half_height * vx,
                cy + a * self.half_width * uy + b * self.half_height * vy,
            )
        })
    }
}

/// The smallest rectangle around the points, trying each edge of their
/// convex hull as a side. Pixel centres are at +0.5.
fn min_area_rectangle(points: &[Point<i32>]) -> Option<Rectangle> {
    let hull = convex_hull(points.to_vec());
    if hull.is_empty() {
        return None;
    }
    let hull: Vec<(f32, f32)> = hull.iter().map(|p| (p.x as f32 + 0.5, p.y as f32 + 0.5)).collect();
    if hull.len() < 3 {
        let (x, y) = hull[0];
        let (x2, y2) = *hull.last().expect("not empty");
        let length = distance((x, y), (x2, y2));
        let axis = if length > 0.0 { ((x2 - x) / length, (y2 - y) / length) } else { (1.0, 0.0) };
        return Some(Rectangle { centre: ((x + x2) / 2.0, (y + y2) / 2.0), axis, half_width: length / 2.0, half_height: 0.0 });
    }
    let mut best: Option<(f32, Rectangle)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let length = distance(a, b);
        if length == 0.0 {
            continue;
        }
        let axis = ((b.0 - a.0) / length, (b.1 - a.1) / length);
        let normal = (-axis.1, axis.0);
        let project = |p: &(f32, f32), d: (f32, f32)| p.0 * d.0 + p.1 * d.1;
        let (mut min_u, mut max_u, mut min_v, mut max_v) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &hull {
            let (u, v) = (project(p, axis), project(p, normal));
            min_u = min_u.min(u);
            max_u = max_u.max(u);
            min_v = min_v.min(v);
            max_v = max_v.max(v);
        }
        let area = (max_u - min_u) * (max_v - min_v);
        if best.as_ref().is_none_or(|(best_area, _)| area < *best_area) {
            let (cu, cv) = ((min_u + max_u) / 2.0, (min_v + max_v) / 2.0);
            let centre = (cu * axis.0 + cv * normal.0, cu * axis.1 + cv * normal.1);
            let rectangle =
                Rectangle { centre, axis, half_width: (max_u - min_u) / 2.0, half_height: (max_v - min_v) / 2.0 };
            best = Some((area, rectangle));
        }
    }
    best.map(|(_, rectangle)| rectangle)
}

/// The map's mean inside a convex quadrilateral.
fn mean_inside(map: &[f32], width: u32, height: u32, corners: &[(f32, f32); 4]) -> f32 {
    let min_x = corners.iter().map(|c| c.0).fold(f32::MAX, f32::min).floor().max(0.0) as u32;
    let max_x = corners.iter().map(|c| c.0).fold(f32::MIN, f32::max).ceil().min(width as f32 - 1.0) as u32;
    let min_y = corners.iter().map(|c| c.1).fold(f32::MAX, f32::min).floor().max(0.0) as u32;
    let max_y = corners.iter().map(|c| c.1).fold(f32::MIN, f32::max).ceil().min(height as f32 - 1.0) as u32;
    let inside = |x: f32, y: f32| {
        let mut sign = 0.0f32;
        for i in 0..4 {
            let (a, b) = (corners[i], corners[(i + 1) % 4]);
            let cross = (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
            if cross != 0.0 {
                if sign != 0.0 && cross.signum() != sign {
                    return false;
                }
                sign = cross.signum();
            }
        }
        true
    };
    let (mut sum, mut count) = (0.0f32, 0u32);
    for y in min_y..=max_y {
        for x in min_x..=max_x {
            if inside(x as f32 + 0.5, y as f32 + 0.5) {
                sum += map[(y * width + x) as usize];
                count += 1;
            }
        }
    }
    if count == 0 { 0.0 } else { sum / count as f32 }
}

/// Orders a rectangle's corners as PaddleOCR does: the two leftmost make
/// the left side, each side's upper one first.
fn reading_order_corners(corners: [(f32, f32); 4]) -> Quad {
    let mut by_x = corners;
    by_x.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (left_top, left_bottom) = if by_x[0].1 <= by_x[1].1 { (by_x[0], by_x[1]) } else { (by_x[1], by_x[0]) };
    let (right_top, right_bottom) = if by_x[2].1 <= by_x[3].1 { (by_x[2], by_x[3]) } else { (by_x[3], by_x[2]) };
    Quad([left_top, right_top, right_bottom, left_bottom])
}

/// Top to bottom, and left to right within 10 pixels of the same top.
fn sort_top_to_bottom(quads: &mut [Quad]) {
    quads.sort_by(|a, b| a.0[0].1.total_cmp(&b.0[0].1).then(a.0[0].0.total_cmp(&b.0[0].0)));
    for i in 1..quads.len() {
        let mut j = i;
        while j > 0 && (quads[j].0[0].1 - quads[j - 1].0[0].1).abs() < 10.0 && quads[j].0[0].0 < quads[j - 1].0[0].0 {
            quads.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solid_block_in_the_map_becomes_one_grown_box() {
        let input = DetectorInput { width: 64, height: 32, tensor: Vec::new() };
        let mut map = vec![0.0f32; 64 * 32];
        for y in 10..20 {
            for x in 10..50 {
                map[y * 64 + x] = 0.9;
            }
        }
        let quads = boxes_from_map(&map, &input, 128, 64);
        assert_eq!(quads.len(), 1);
        let quad = quads[0];
        // Pixel centres 10…50 × 10…20 (the dilation adds one) span 40×10;
        // grown by area·1.6/perimeter = 6.4 on each side, then doubled to
        // the image's scale.
        assert!((quad.width() - 2.0 * (40.0 + 12.8)).abs() < 0.5, "{quad:?}");
        assert!((quad.height() - 2.0 * (10.0 + 12.8)).abs() < 0.5, "{quad:?}");
        assert!(quad.0[0].0 < quad.0[1].0 && quad.0[0].1 < quad.0[3].1);
    }

    #[test]
    fn a_faint_region_is_not_text() {
        let input = DetectorInput { width: 32, height: 32, tensor: Vec::new() };
        let mut map = vec![0.0f32; 32 * 32];
        for value in &mut map[5 * 32..15 * 32] {
            *value = 0.35;
        }
        assert!(boxes_from_map(&map, &input, 32, 32).is_empty());
    }

    #[test]
    fn a_tilted_line_keeps_its_angle() {
        let points: Vec<Point<i32>> =
            (0..100).flat_map(|i| (0..8).map(move |j| Point::new(i, i / 5 + j))).collect();
        let rectangle = min_area_rectangle(&points).unwrap();
        let angle = rectangle.axis.1.atan2(rectangle.axis.0).to_degrees().rem_euclid(180.0);
        let tilt = angle.min(180.0 - angle).min((angle - 90.0).abs());
        assert!(tilt > 5.0, "{angle}");
    }
}

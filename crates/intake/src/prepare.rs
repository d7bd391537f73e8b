//! Making a page image readable: a photographed page is cut out of its
//! background and flattened, uneven light is evened out, skew is removed.
//! Quarter turns are decided by the OCR engine (it knows the script) and
//! applied here.

use image::{GrayImage, Luma, imageops};
use imageproc::contrast::{otsu_level, threshold, ThresholdType};
use imageproc::geometric_transformations::{Interpolation, Projection, rotate_about_center, warp_into};
use imageproc::region_labelling::{Connectivity, connected_components};
use torikomi_page::{Capture, PageImage};

use crate::raster::OCR_DPI;

const WHITE: Luma<u8> = Luma([255]);

/// A4 height in pixels at [`OCR_DPI`]: photos are flattened onto this.
const A4_HEIGHT_AT_OCR_DPI: f32 = 11.69 * OCR_DPI;
const A4_ASPECT: f32 = 210.0 / 297.0;

/// Turns the page clockwise by a multiple of 90°.
pub fn rotate_clockwise(page: PageImage, degrees: u16) -> PageImage {
    let image = match degrees % 360 {
        90 => imageops::rotate90(&page.image),
        180 => imageops::rotate180(&page.image),
        270 => imageops::rotate270(&page.image),
        _ => return page,
    };
    PageImage { image, ..page }
}

/// If the image is a photo of a page lying on something darker, cuts the
/// page out, undoes the perspective and evens out the light. Returns the
/// image unchanged when it is already just the page.
pub fn flatten_photo(page: PageImage) -> PageImage {
    let Some(corners) = find_page_corners(&page.image) else {
        return page;
    };
    let [top_left, top_right, bottom_right, bottom_left] = corners;
    let side_height = (distance(top_left, bottom_left) + distance(top_right, bottom_right)) / 2.0;
    let side_width = (distance(top_left, top_right) + distance(bottom_left, bottom_right)) / 2.0;
    // Documents are A4 portrait as a rule; keep the measured aspect when it
    // is clearly something else (a receipt, a landscape table).
    let aspect = side_width / side_height;
    let aspect = if (aspect - A4_ASPECT).abs() < 0.08 { A4_ASPECT } else { aspect };
    let height = A4_HEIGHT_AT_OCR_DPI;
    let width = height * aspect;
    let Some(projection) = Projection::from_control_points(
        corners,
        [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)],
    ) else {
        return page;
    };
    let mut flat = GrayImage::from_pixel(width as u32, height as u32, WHITE);
    warp_into(&page.image, &projection, Interpolation::Bilinear, WHITE, &mut flat);
    PageImage { image: even_out_light(&flat), dpi: OCR_DPI, capture: Capture::Photo }
}

/// Corners of the largest bright region (the paper), clockwise from top
/// left, in full-resolution pixels; `None` when that region fills the frame.
fn find_page_corners(image: &GrayImage) -> Option<[(f32, f32); 4]> {
    let scale = 400.0 / image.width().max(image.height()) as f32;
    let small = imageops::resize(
        image,
        ((image.width() as f32 * scale) as u32).max(1),
        ((image.height() as f32 * scale) as u32).max(1),
        imageops::FilterType::Triangle,
    );
    // Blur away the text so the paper is one bright blob.
    let smooth = imageproc::filter::gaussian_blur_f32(&small, 2.0);
    let mask = threshold(&smooth, otsu_level(&smooth), ThresholdType::Binary);
    let labels = connected_components(&mask, Connectivity::Eight, Luma([0u8]));
    let mut sizes = std::collections::HashMap::<u32, usize>::new();
    for label in labels.pixels() {
        if label[0] != 0 {
            *sizes.entry(label[0]).or_default() += 1;
        }
    }
    let (&page_label, &page_area) = sizes.iter().max_by_key(|(_, size)| **size)?;
    let frame_area = (small.width() * small.height()) as usize;
    if page_area * 100 > frame_area * 90 || page_area * 100 < frame_area * 20 {
        return None;
    }
    let mut extremes = [(i64::MAX, (0, 0)), (i64::MIN, (0, 0)), (i64::MIN, (0, 0)), (i64::MAX, (0, 0))];
    for (x, y, label) in labels.enumerate_pixels() {
        if label[0] != page_label {
            continue;
        }
        let (sum, diff) = (x as i64 + y as i64, x as i64 - y as i64);
        if sum < extremes[0].0 {
            extremes[0] = (sum, (x, y));
        }
        if diff > extremes[1].0 {
            extremes[1] = (diff, (x, y));
        }
        if sum > extremes[2].0 {
            extremes[2] = (sum, (x, y));
        }
        if diff < extremes[3].0 {
            extremes[3] = (diff, (x, y));
        }
    }
    Some(extremes.map(|(_, (x, y))| (x as f32 / scale, y as f32 / scale)))
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Divides the page by an estimate of its paper brightness, so a shadow
/// across a photo does not turn into a black band when binarised.
pub fn even_out_light(image: &GrayImage) -> GrayImage {
    let scale = 8;
    let small = imageops::resize(
        image,
        (image.width() / scale).max(1),
        (image.height() / scale).max(1),
        imageops::FilterType::Triangle,
    );
    // The brightest value nearby is paper; the max filter removes the ink.
    let paper = imageproc::morphology::grayscale_dilate(&small, &imageproc::morphology::Mask::square(3));
    let paper = imageproc::filter::gaussian_blur_f32(&paper, 3.0);
    let paper = imageops::resize(&paper, image.width(), image.height(), imageops::FilterType::Triangle);
    GrayImage::from_fn(image.width(), image.height(), |x, y| {
        let ink = image.get_pixel(x, y)[0] as u32;
        let background = paper.get_pixel(x, y)[0].max(1) as u32;
        Luma([(ink * 255 / background).min(255) as u8])
    })
}

/// Removes the isolated dots that line noise leaves on a fax, which
/// Tesseract otherwise reads as punctuation or merges into glyphs.
pub fn despeckle(page: PageImage) -> PageImage {
    let image = imageproc::filter::median_filter(&page.image, 1, 1);
    PageImage { image, ..page }
}

/// Straightens a page scanned a little crooked. Returns the straightened
/// page and the angle it was turned by, in degrees.
pub fn deskew(page: PageImage) -> (PageImage, f32) {
    let angle = estimate_skew_degrees(&page.image);
    if angle.abs() < 0.15 {
        return (page, 0.0);
    }
    let image = rotate_about_center(&page.image, -angle.to_radians(), Interpolation::Bilinear, WHITE);
    (PageImage { image, ..page }, angle)
}

/// Projection-profile skew estimate: text rows give the sharpest row
/// histogram when the page is level.
pub fn estimate_skew_degrees(image: &GrayImage) -> f32 {
    let scale = (1200.0 / image.width() as f32).min(1.0);
    let small = imageops::resize(
        image,
        ((image.width() as f32 * scale) as u32).max(1),
        ((image.height() as f32 * scale) as u32).max(1),
        imageops::FilterType::Triangle,
    );
    let level = otsu_level(&small);
    let ink: Vec<(f32, f32)> = small
        .enumerate_pixels()
        .filter(|(_, _, pixel)| pixel[0] < level)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if ink.len() < 100 {
        return 0.0;
    }
    let height = small.height() as usize;
    let sharpness = |degrees: f32| -> f64 {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let offset = small.width() as f32;
        let mut rows = vec![0u32; height + 2 * small.width() as usize + 1];
        for &(x, y) in &ink {
            let row = (y * cos - x * sin + offset) as usize;
            if let Some(count) = rows.get_mut(row) {
                *count += 1;
            }
        }
        rows.iter().map(|&count| (count as f64).powi(2)).sum()
    };
    let best_in = |from: f32, to: f32, step: f32| -> f32 {
        let steps = ((to - from) / step).round() as i32;
        (0..=steps)
            .map(|i| from + i as f32 * step)
            .max_by(|a, b| sharpness(*a).total_cmp(&sharpness(*b)))
            .unwrap_or(0.0)
    };
    let coarse = best_in(-5.0, 5.0, 0.5);
    best_in(coarse - 0.5, coarse + 0.5, 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn striped_page() -> GrayImage {
        // Dark "text rows" on white paper.
        GrayImage::from_fn(800, 1000, |x, y| {
            let in_row = (y % 40) < 12 && x > 80 && x < 720 && y > 100 && y < 900;
            Luma([if in_row { 20 } else { 250 }])
        })
    }

    #[test]
    fn finds_the_angle_a_page_was_turned_by() {
        let tilted = rotate_about_center(&striped_page(), 2.0f32.to_radians(), Interpolation::Bilinear, WHITE);
        let angle = estimate_skew_degrees(&tilted);
        assert!((angle - 2.0).abs() < 0.2, "estimated {angle}");
    }

    #[test]
    fn level_page_needs_no_turn() {
        assert!(estimate_skew_degrees(&striped_page()).abs() < 0.1);
    }

    #[test]
    fn a_page_on_a_dark_desk_is_cut_out() {
        let photo = GrayImage::from_fn(1000, 1200, |x, y| {
            let on_page = x > 150 && x < 850 && y > 100 && y < 1100;
            Luma([if on_page { 230 } else { 60 }])
        });
        let flat = flatten_photo(PageImage { image: photo, dpi: 100.0, capture: Capture::Scan });
        assert_eq!(flat.capture, Capture::Photo);
        // The desk is gone: the corners are paper now.
        assert!(flat.image.get_pixel(5, 5)[0] > 200);
        assert!(flat.image.get_pixel(flat.image.width() - 5, flat.image.height() - 5)[0] > 200);
    }
}

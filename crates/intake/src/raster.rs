//! Image files: PNG and JPEG through `image` (EXIF orientation applied),
//! TIFF page by page through `tiff`, because fax servers send multi-page
//! bilevel TIFFs with non-square pixels that must be squared before OCR.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, imageops};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::{ResolutionUnit, Tag};
use tiff::ColorType as TiffColor;
use torikomi_page::{Capture, PageImage};

use crate::{IntakeError, IntakeLimits};

/// Files without a usable resolution are assumed to be an A4 page, whose
/// long side is this many inches.
const A4_LONG_SIDE_INCHES: f32 = 11.69;

/// OCR is done on square pixels at this resolution; faxes are resampled to it.
pub const OCR_DPI: f32 = 300.0;

pub(crate) fn read_png_or_jpeg(path: &Path, bytes: &[u8], limits: &IntakeLimits) -> Result<Vec<PageImage>, IntakeError> {
    let damaged = |error: image::ImageError| IntakeError::ImageDamaged {
        path: path.into(),
        page: 1,
        message: error.to_string(),
    };
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|source| IntakeError::Io {
        path: path.into(),
        source,
    })?;
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    check_pixels(path, 1, width as u64, height as u64, limits)?;
    let orientation = decoder.orientation().map_err(damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    image.apply_orientation(orientation);
    let gray = image.to_luma8();
    let dpi = assumed_a4_dpi(&gray);
    Ok(vec![PageImage { image: gray, dpi, capture: Capture::Scan }])
}

pub(crate) fn read_tiff(path: &Path, bytes: &[u8], limits: &IntakeLimits) -> Result<Vec<PageImage>, IntakeError> {
    let mut page_number = 1;
    let damaged = |page: usize, error: tiff::TiffError| IntakeError::ImageDamaged {
        path: path.into(),
        page,
        message: describe_tiff_error(error),
    };
    let mut decoder = TiffDecoder::new(Cursor::new(bytes)).map_err(|error| damaged(1, error))?;
    let mut pages = Vec::new();
    loop {
        if page_number > limits.max_pages {
            return Err(IntakeError::TooManyPages { path: path.into(), pages: page_number, limit: limits.max_pages });
        }
        let (width, height) = decoder.dimensions().map_err(|error| damaged(page_number, error))?;
        check_pixels(path, page_number, width as u64, height as u64, limits)?;
        let color = decoder.colortype().map_err(|error| damaged(page_number, error))?;
        let resolution = tiff_resolution(&mut decoder);
        let pixels = decoder.read_image().map_err(|error| damaged(page_number, error))?;
        let gray = to_gray(width, height, color, pixels).ok_or_else(|| IntakeError::UnsupportedPixels {
            path: path.into(),
            page: page_number,
            format: format!("{color:?}"),
        })?;
        let capture = if color == TiffColor::Gray(1) { Capture::Fax } else { Capture::Scan };
        pages.push(square_pixels(gray, resolution, capture));
        if !decoder.more_images() {
            break;
        }
        page_number += 1;
        decoder.next_image().map_err(|error| damaged(page_number, error))?;
    }
    Ok(pages)
}

/// The tiff crate reports a directory or strip that lies past the end of the
/// file, as in a truncated fax, only as the reader's "failed to fill whole buffer".
fn describe_tiff_error(error: tiff::TiffError) -> String {
    match error {
        tiff::TiffError::IoError(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: a directory or strip lies past the end of the file".into()
        }
        other => other.to_string(),
    }
}

fn check_pixels(path: &Path, page: usize, width: u64, height: u64, limits: &IntakeLimits) -> Result<(), IntakeError> {
    if width * height > limits.max_page_pixels {
        return Err(IntakeError::PageTooLarge { path: path.into(), page, width, height, limit: limits.max_page_pixels });
    }
    if width == 0 || height == 0 {
        return Err(IntakeError::ImageDamaged { path: path.into(), page, message: "zero width or height".into() });
    }
    Ok(())
}

fn assumed_a4_dpi(image: &GrayImage) -> f32 {
    image.width().max(image.height()) as f32 / A4_LONG_SIDE_INCHES
}

/// Horizontal and vertical resolution in dots per inch, when the file says.
fn tiff_resolution<R: std::io::Read + std::io::Seek>(decoder: &mut TiffDecoder<R>) -> Option<(f32, f32)> {
    let x = rational(decoder.get_tag(Tag::XResolution).ok()?)?;
    let y = rational(decoder.get_tag(Tag::YResolution).ok()?)?;
    let per_cm = decoder.get_tag_u32(Tag::ResolutionUnit).ok() == Some(ResolutionUnit::Centimeter.to_u16() as u32);
    let to_inch = if per_cm { 2.54 } else { 1.0 };
    (x > 0.0 && y > 0.0).then_some((x * to_inch, y * to_inch))
}

/// TIFF stores resolutions as fractions; some writers use floats.
fn rational(value: tiff::decoder::ifd::Value) -> Option<f32> {
    use tiff::decoder::ifd::Value;
    match value {
        Value::Rational(numerator, denominator) if denominator != 0 => Some(numerator as f32 / denominator as f32),
        Value::RationalBig(numerator, denominator) if denominator != 0 => Some(numerator as f32 / denominator as f32),
        Value::Float(value) => Some(value),
        Value::Double(value) => Some(value as f32),
        _ => None,
    }
}

fn to_gray(width: u32, height: u32, color: TiffColor, pixels: DecodingResult) -> Option<GrayImage> {
    let DecodingResult::U8(buffer) = pixels else { return None };
    match color {
        TiffColor::Gray(1) => {
            // One bit per pixel, rows padded to whole bytes; the decoder has
            // already turned WhiteIsZero files into 1 = white.
            let stride = width.div_ceil(8) as usize;
            Some(GrayImage::from_fn(width, height, |x, y| {
                let byte = buffer[y as usize * stride + x as usize / 8];
                let white = byte & (0x80 >> (x % 8)) != 0;
                image::Luma([if white { 255 } else { 0 }])
            }))
        }
        TiffColor::Gray(8) => GrayImage::from_raw(width, height, buffer),
        TiffColor::RGB(8) => {
            let rgb = image::RgbImage::from_raw(width, height, buffer)?;
            Some(DynamicImage::ImageRgb8(rgb).to_luma8())
        }
        TiffColor::RGBA(8) => {
            let rgba = image::RgbaImage::from_raw(width, height, buffer)?;
            Some(DynamicImage::ImageRgba8(rgba).to_luma8())
        }
        _ => None,
    }
}

/// Faxes are sent at 204×98 dpi ("standard") or 204×196 ("fine"): each
/// pixel is twice as tall as wide, and OCR on the raw raster reads squashed
/// glyphs. Resample so both axes are [`OCR_DPI`].
fn square_pixels(image: GrayImage, resolution: Option<(f32, f32)>, capture: Capture) -> PageImage {
    let Some((dpi_x, dpi_y)) = resolution else {
        let dpi = assumed_a4_dpi(&image);
        return PageImage { image, dpi, capture };
    };
    let needs_resample = (dpi_x - dpi_y).abs() > 1.0 || (capture == Capture::Fax && dpi_x.max(dpi_y) < OCR_DPI);
    if !needs_resample {
        return PageImage { image, dpi: dpi_x, capture };
    }
    let width = (image.width() as f32 * OCR_DPI / dpi_x).round() as u32;
    let height = (image.height() as f32 * OCR_DPI / dpi_y).round() as u32;
    let resized = imageops::resize(&image, width, height, imageops::FilterType::Triangle);
    PageImage { image: resized, dpi: OCR_DPI, capture }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn read_hostile_tiff(name: &str) -> Result<Vec<PageImage>, IntakeError> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hostile").join(name);
        let bytes = std::fs::read(&path).unwrap();
        // On a thread, so that a directory chain that loops fails the test
        // instead of hanging it.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || sender.send(read_tiff(&path, &bytes, &IntakeLimits::default())));
        receiver.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{name}: no answer in 20 s"))
    }

    #[test]
    fn a_directory_that_names_itself_next_is_refused_not_followed() {
        let error = read_hostile_tiff("tiff_ifd_loop.tif").unwrap_err();
        assert!(matches!(error, IntakeError::ImageDamaged { page: 1, .. }), "{error}");
        assert!(error.to_string().contains("cycle"), "{error}");
    }

    #[test]
    fn a_next_directory_past_the_end_fails_on_that_page() {
        let error = read_hostile_tiff("tiff_ifd_past_end.tif").unwrap_err();
        assert!(matches!(error, IntakeError::ImageDamaged { page: 2, .. }), "{error}");
        assert!(error.to_string().contains("past the end of the file"), "{error}");
    }
}

//! PDF pages through pdfium: a born-digital page gives its own text layer
//! (exact, with boxes); an image-only page is rendered for OCR.

use std::path::Path;
use std::sync::OnceLock;

use pdfium_render::prelude::*;
use torikomi_page::{BBox, Capture, PageImage, PageText, TextLine, TextSource, Word, order_for_reading};

use crate::pdf_javascript::{JavaScriptScan, OBJECT_STREAM_BUDGET, scan_for_javascript};
use crate::{IntakeConfig, IntakeError, IntakePage};

/// Pages are rendered, and text-layer boxes expressed, at this resolution:
/// what Tesseract reads best and what the page model's boxes assume.
pub const RENDER_DPI: f32 = 300.0;

/// Fewer visible characters than this and the text layer is a scanner's
/// stamp or page number, not the document.
const MIN_TEXT_LAYER_CHARS: usize = 20;

/// pdfium can be bound once per process; every reader shares it.
static PDFIUM: OnceLock<Result<Pdfium, String>> = OnceLock::new();

pub(crate) fn bind_pdfium(library: &Path) -> Result<&'static Pdfium, IntakeError> {
    let bound = PDFIUM.get_or_init(|| {
        if !library.exists() {
            return Err(format!("{} does not exist", library.display()));
        }
        Pdfium::bind_to_library(library)
            .map(Pdfium::new)
            .map_err(|error| format!("{}: {error}", library.display()))
    });
    bound.as_ref().map_err(|reason| IntakeError::PdfRendererMissing { reason: reason.clone() })
}

pub(crate) fn read_pdf(
    path: &Path,
    bytes: &[u8],
    pdfium: &Pdfium,
    config: &IntakeConfig,
) -> Result<Vec<IntakePage>, IntakeError> {
    let limits = &config.limits;
    // pdfium silently rebuilds a cut-off file from whatever objects survive;
    // a referral missing its last pages must not pass as complete.
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|window| window == b"%%EOF") {
        return Err(IntakeError::PdfDamaged { path: path.into(), message: "truncated: no end-of-file marker".into() });
    }
    // Hospital policy: scripts and attached files are not taken in, and a
    // script is refused before the renderer ever opens the file.
    match scan_for_javascript(bytes, OBJECT_STREAM_BUDGET) {
        JavaScriptScan::None => {}
        JavaScriptScan::Found => return Err(IntakeError::PdfJavaScript { path: path.into() }),
        JavaScriptScan::ObjectStreamsTooLarge => {
            return Err(IntakeError::PdfObjectStreamsTooLarge { path: path.into(), limit: OBJECT_STREAM_BUDGET });
        }
    }
    let document = pdfium.load_pdf_from_byte_slice(bytes, None).map_err(|error| match error {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            IntakeError::PdfEncrypted { path: path.into() }
        }
        other => IntakeError::PdfDamaged { path: path.into(), message: other.to_string() },
    })?;
    let attachments = document.attachments().len() as usize;
    if attachments > 0 {
        return Err(IntakeError::PdfAttachments { path: path.into(), count: attachments });
    }
    let pages = document.pages();
    let page_count = pages.len() as usize;
    if page_count == 0 {
        return Err(IntakeError::PdfNoPages { path: path.into() });
    }
    if page_count > limits.max_pages {
        return Err(IntakeError::TooManyPages { path: path.into(), pages: page_count, limit: limits.max_pages });
    }
    pages
        .iter()
        .enumerate()
        .map(|(index, page)| read_page(path, index + 1, &page, config))
        .collect()
}

fn read_page(path: &Path, page_number: usize, page: &PdfPage, config: &IntakeConfig) -> Result<IntakePage, IntakeError> {
    let limits = &config.limits;
    let render_error = |error: PdfiumError| IntakeError::PdfRender {
        path: path.into(),
        page: page_number,
        message: error.to_string(),
    };
    let width_pt = page.width().value;
    let height_pt = page.height().value;
    // Posters and engineering drawings exist; shrink them to the pixel
    // budget instead of refusing them.
    let full_pixels = (width_pt * RENDER_DPI / 72.0) as f64 * (height_pt * RENDER_DPI / 72.0) as f64;
    let shrink = (limits.max_page_pixels as f64 / full_pixels).sqrt().min(1.0) as f32;
    let dpi = RENDER_DPI * shrink;
    let scale = dpi / 72.0;
    let width = (width_pt * scale).round() as u32;
    let height = (height_pt * scale).round() as u32;

    let render = || -> Result<PageImage, IntakeError> {
        let bitmap = page
            .render_with_config(
                &PdfRenderConfig::new()
                    .set_target_width(width as i32)
                    .set_maximum_height(height as i32)
                    .render_form_data(true),
            )
            .map_err(render_error)?;
        let image = bitmap.as_image().map_err(render_error)?.to_luma8();
        Ok(PageImage { image, dpi, capture: Capture::Scan })
    };
    let text = page.text().map_err(render_error)?;
    let lines = text_layer_lines(&text, height_pt, scale);
    let visible_chars: usize = lines.iter().map(|line| line.text.chars().count()).sum();
    if visible_chars >= MIN_TEXT_LAYER_CHARS {
        let lines = order_for_reading(lines, width);
        let text = PageText::from_ordered_lines(width, height, dpi, TextSource::PdfTextLayer, lines);
        let image = if config.render_text_pages { Some(render()?) } else { None };
        return Ok(IntakePage::Text { text, image });
    }
    Ok(IntakePage::Image(render()?))
}

/// Groups the text layer's characters into lines by geometry: the order
/// pdfium reports them in is the content stream's, which is whatever the
/// producing program happened to write.
fn text_layer_lines(text: &PdfPageText, page_height_pt: f32, scale: f32) -> Vec<TextLine> {
    let mut lines = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    let mut direction = Direction::Unknown;
    let mut word_open = false;
    for character in text.chars().iter() {
        let Some(unicode) = character.unicode_char() else { continue };
        if unicode.is_whitespace() || unicode.is_control() {
            word_open = false;
            continue;
        }
        let Ok(rect) = character.loose_bounds() else { continue };
        let bbox = BBox::new(
            (rect.left().value * scale).max(0.0) as u32,
            ((page_height_pt - rect.top().value) * scale).max(0.0) as u32,
            ((rect.right().value - rect.left().value) * scale).max(1.0) as u32,
            ((rect.top().value - rect.bottom().value) * scale).max(1.0) as u32,
        );
        let continues = current.last().map(|previous| continuation(&previous.bbox, &bbox));
        match continues {
            Some(Some(next)) if direction == Direction::Unknown || direction == next => direction = next,
            Some(_) => {
                lines.push(TextLine::from_words(std::mem::take(&mut current)));
                direction = Direction::Unknown;
                word_open = false;
            }
            None => {}
        }
        // Japanese characters are words of their own for provenance; Latin
        // letters and digits run together until a space.
        let joins_word = word_open && !is_cjk(unicode) && current.last().is_some_and(|w| !w.text.chars().any(is_cjk));
        match current.last_mut() {
            Some(word) if joins_word => {
                word.text.push(unicode);
                word.bbox = word.bbox.union(&bbox);
            }
            _ => current.push(Word { text: unicode.to_string(), bbox, confidence: 1.0 }),
        }
        word_open = true;
    }
    if !current.is_empty() {
        lines.push(TextLine::from_words(current));
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Direction {
    Unknown,
    Horizontal,
    Vertical,
}

/// Whether `next` carries on the line that `previous` ends, and in which
/// direction.
fn continuation(previous: &BBox, next: &BBox) -> Option<Direction> {
    let size = previous.h.max(previous.w).max(next.h).max(1) as i64;
    let (px, py) = (previous.x as i64 + previous.w as i64 / 2, previous.y as i64 + previous.h as i64 / 2);
    let (nx, ny) = (next.x as i64 + next.w as i64 / 2, next.y as i64 + next.h as i64 / 2);
    let ahead_x = nx - px;
    let ahead_y = ny - py;
    // Up to about one full-width space between characters is still one
    // line; more is the next cell of a table or form.
    if (ahead_y.abs() * 2) < size && ahead_x > -size / 3 && ahead_x < size * 5 / 2 {
        Some(Direction::Horizontal)
    } else if (ahead_x.abs() * 2) < size && ahead_y > -size / 3 && ahead_y < size * 3 {
        Some(Direction::Vertical)
    } else {
        None
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x30FF   // punctuation, hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0xFF00..=0xFFEF // full-width forms
    )
}

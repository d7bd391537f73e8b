//! The page model that every stage of Torikomi speaks: a page's pixels
//! ([`PageImage`]) on the way in, and its text with positions ([`PageText`]) on
//! the way out, whether that text came from a PDF text layer or from OCR.
//!
//! Coordinates are always pixels of the page as rasterised at
//! [`PageText::dpi`], origin top-left, so a viewer that renders the page at
//! that resolution can draw every box without knowing where the text came
//! from.
//!
//! ```
//! use torikomi_page::{BBox, TextLine, Word};
//! let word = Word { text: "患者".into(), bbox: BBox::new(10, 10, 40, 20), confidence: 0.9 };
//! let line = TextLine::from_words(vec![word]);
//! assert_eq!(line.text, "患者");
//! ```

mod layout;

pub use layout::{order_for_reading, split_at_wide_gaps, split_fax_header};

use image::GrayImage;
use serde::{Deserialize, Serialize};

/// An axis-aligned box in page pixels, origin top-left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl BBox {
    pub fn new(x: u32, y: u32, w: u32, h: u32) -> Self {
        Self { x, y, w, h }
    }

    pub fn right(&self) -> u32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }

    pub fn union(&self, other: &BBox) -> BBox {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        BBox::new(x, y, self.right().max(other.right()) - x, self.bottom().max(other.bottom()) - y)
    }

    pub fn intersects(&self, other: &BBox) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }

    /// The box grown by `margin` on every side, kept inside `width`×`height`.
    pub fn grown(&self, margin: u32, width: u32, height: u32) -> BBox {
        let x = self.x.saturating_sub(margin);
        let y = self.y.saturating_sub(margin);
        BBox::new(x, y, (self.right() + margin).min(width) - x, (self.bottom() + margin).min(height) - y)
    }

    pub fn contains_centre_of(&self, other: &BBox) -> bool {
        let (cx, cy) = (other.x + other.w / 2, other.y + other.h / 2);
        cx >= self.x && cx < self.right() && cy >= self.y && cy < self.bottom()
    }

    /// How much two boxes share vertically, as a fraction of the shorter one.
    pub fn vertical_overlap(&self, other: &BBox) -> f32 {
        let top = self.y.max(other.y);
        let bottom = self.bottom().min(other.bottom());
        if bottom <= top {
            return 0.0;
        }
        (bottom - top) as f32 / self.h.min(other.h).max(1) as f32
    }

    /// Vertical text lines are much taller than wide; Japanese vertical
    /// columns are read top to bottom, right to left.
    pub fn is_tall(&self) -> bool {
        self.h > self.w * 2
    }
}

/// The smallest unit an engine reports with its own box: a word for Latin
/// script, usually one to a few characters for Japanese.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// 0.0–1.0.
    pub confidence: f32,
}

/// What a line is to a reader; fax transmission headers are not part of the
/// document a person wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineRole {
    #[default]
    Body,
    FaxHeader,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    pub text: String,
    pub bbox: BBox,
    /// 0.0–1.0; the character-weighted mean of the words' confidences.
    pub confidence: f32,
    pub vertical: bool,
    pub role: LineRole,
    pub words: Vec<Word>,
}

impl TextLine {
    /// Joins words the way the script wants: no space between Japanese
    /// characters, one space between Latin words.
    ///
    /// # Panics
    /// If `words` is empty: a line without words has no box.
    pub fn from_words(words: Vec<Word>) -> Self {
        assert!(!words.is_empty(), "a line needs at least one word");
        let mut text = String::new();
        let mut bbox = words[0].bbox;
        let mut weighted_confidence = 0.0;
        let mut chars = 0usize;
        for word in &words {
            if needs_space_between(&text, &word.text) {
                text.push(' ');
            }
            text.push_str(&word.text);
            bbox = bbox.union(&word.bbox);
            let n = word.text.chars().count().max(1);
            weighted_confidence += word.confidence * n as f32;
            chars += n;
        }
        let vertical = bbox.is_tall() && text.chars().count() > 1;
        TextLine {
            text,
            bbox,
            confidence: weighted_confidence / chars as f32,
            vertical,
            role: LineRole::Body,
            words,
        }
    }
}

fn needs_space_between(before: &str, after: &str) -> bool {
    match (before.chars().last(), after.chars().next()) {
        (Some(a), Some(b)) => is_latin_or_digit(a) && is_latin_or_digit(b),
        _ => false,
    }
}

fn is_latin_or_digit(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '%' | '/' | '-' | '(' | ')' | ':')
}

/// Where a page's text came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TextSource {
    /// A born-digital PDF's own text: exact, confidence 1.
    PdfTextLayer,
    Ocr { engine: String },
}

/// A page's text in reading order, with every line's box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    pub width: u32,
    pub height: u32,
    pub dpi: f32,
    pub source: TextSource,
    /// The body lines joined by `\n`, in the order a person reads them.
    pub text: String,
    /// A fax transmission header, kept apart from the body.
    pub fax_header: Option<String>,
    /// Clockwise degrees the page was turned to make it upright.
    pub rotated_by: u16,
    pub lines: Vec<TextLine>,
}

impl PageText {
    /// Builds the page from lines already in reading order; header lines
    /// (see [`split_fax_header`]) go to `fax_header`, the rest to `text`.
    pub fn from_ordered_lines(
        width: u32,
        height: u32,
        dpi: f32,
        source: TextSource,
        lines: Vec<TextLine>,
    ) -> Self {
        let join = |role: LineRole| {
            lines
                .iter()
                .filter(|line| line.role == role)
                .map(|line| line.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let header = join(LineRole::FaxHeader);
        PageText {
            width,
            height,
            dpi,
            source,
            text: join(LineRole::Body),
            fax_header: (!header.is_empty()).then_some(header),
            rotated_by: 0,
            lines,
        }
    }
}

/// How a page reached us; it decides preprocessing and whether a header
/// line can be a fax transmission header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    /// A rasterised PDF page or a flatbed scan.
    Scan,
    /// A camera photo: perspective and uneven light.
    Photo,
    /// A bilevel fax page.
    Fax,
}

/// A page's pixels, square, upright as far as the file told us, 8-bit grey.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub image: GrayImage,
    pub dpi: f32,
    pub capture: Capture,
}

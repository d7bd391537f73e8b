use tesseract::{PageSegMode, Tesseract};
use torikomi_page::{BBox, PageImage, TextLine, Word, split_at_wide_gaps};

use crate::osd::OsdDetector;
use crate::{OcrEngine, OcrError, Orientation};

#[derive(Debug, Clone)]
pub struct TesseractConfig {
    /// Tesseract language string; `jpn` also reads vertical columns through
    /// its `jpn_vert` sub-model.
    pub languages: String,
    pub page_segmentation: PageSegMode,
    /// `None`: the system's tessdata.
    pub datapath: Option<String>,
}

impl Default for TesseractConfig {
    fn default() -> Self {
        // Chosen by measurement on the fixtures; see the README.
        Self { languages: "jpn".into(), page_segmentation: PageSegMode::PsmAuto, datapath: None }
    }
}

/// Language and mode for columns of vertical text (縦書き): the horizontal
/// model finds them but reads them as noise.
const VERTICAL_LANGUAGE: &str = "jpn_vert";

pub struct TesseractEngine {
    config: TesseractConfig,
    /// The `tesseract` crate's builder consumes the handle at every step; a
    /// failed step loses it, and the next page loads a fresh one.
    api: Option<Tesseract>,
    /// Loaded on the first page with vertical text.
    vertical_api: Option<Tesseract>,
    osd: Option<OsdDetector>,
}

impl TesseractEngine {
    /// Loads the language model (about a second), to be reused for many pages.
    ///
    /// # Errors
    /// When the language data is not installed.
    pub fn new(config: TesseractConfig) -> Result<Self, OcrError> {
        let api = load(&config)?;
        Ok(Self { config, api: Some(api), vertical_api: None, osd: None })
    }
}

fn load(config: &TesseractConfig) -> Result<Tesseract, OcrError> {
    let api = Tesseract::new(config.datapath.as_deref(), Some(&config.languages)).map_err(|error| {
        OcrError::LanguageMissing { language: config.languages.clone(), message: error.to_string() }
    })?;
    // Tesseract prints debugging chatter ("Detected 20 diacritics") to
    // stderr, between our own one-line-per-document output.
    let mut api = api.set_variable("debug_file", "/dev/null").map_err(|error| OcrError::LanguageMissing {
        language: config.languages.clone(),
        message: error.to_string(),
    })?;
    api.set_page_seg_mode(config.page_segmentation);
    Ok(api)
}

impl OcrEngine for TesseractEngine {
    fn name(&self) -> String {
        format!("tesseract:{}", self.config.languages)
    }

    fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        if self.osd.is_none() {
            self.osd = Some(OsdDetector::new()?);
        }
        self.osd.as_mut().expect("loaded above").detect(page)
    }

    fn recognize(&mut self, page: &PageImage) -> Result<Vec<TextLine>, OcrError> {
        let api = match self.api.take() {
            Some(api) => api,
            None => load(&self.config)?,
        };
        let (api, mut lines) = read_region(api, page, None)?;
        self.api = Some(api);
        let (width, height) = page.image.dimensions();
        for region in vertical_regions(&lines) {
            let region = region.grown(page.dpi as u32 / 10, width, height);
            let api = match self.vertical_api.take() {
                Some(api) => api,
                None => load(&TesseractConfig {
                    languages: VERTICAL_LANGUAGE.into(),
                    page_segmentation: PageSegMode::PsmSingleBlockVertText,
                    datapath: self.config.datapath.clone(),
                })?,
            };
            let (api, columns) = read_region(api, page, Some(region))?;
            self.vertical_api = Some(api);
            lines.retain(|line| !region.contains_centre_of(&line.bbox));
            lines.extend(columns);
        }
        Ok(lines)
    }
}

/// Reads the page, or one region of it, with the given handle and returns
/// the handle for reuse.
fn read_region(api: Tesseract, page: &PageImage, region: Option<BBox>) -> Result<(Tesseract, Vec<TextLine>), OcrError> {
    let failed = |message: String| OcrError::Recognize { message };
    let image = &page.image;
    let mut api = api
        .set_frame(image.as_raw(), image.width() as i32, image.height() as i32, 1, image.width() as i32)
        .map_err(|error| failed(error.to_string()))?
        .set_source_resolution(page.dpi.round() as i32);
    if let Some(region) = region {
        api = api.set_rectangle(region.x as i32, region.y as i32, region.w as i32, region.h as i32);
    }
    let mut api = api.recognize().map_err(|error| failed(error.to_string()))?;
    let tsv = api.get_tsv_text(0).map_err(|error| failed(error.to_string()))?;
    Ok((api, lines_from_tsv(&tsv)))
}

/// Areas holding vertical columns, each column joined with its neighbours.
fn vertical_regions(lines: &[TextLine]) -> Vec<BBox> {
    let mut regions: Vec<BBox> = Vec::new();
    for line in lines.iter().filter(|line| line.vertical) {
        let reach = line.bbox.grown(line.bbox.w * 2, u32::MAX, u32::MAX);
        match regions.iter_mut().find(|region| region.intersects(&reach)) {
            Some(region) => *region = region.union(&line.bbox),
            None => regions.push(line.bbox),
        }
    }
    regions
}

/// Tesseract's TSV: one row per page, block, paragraph, line and word
/// (level 1–5); words carry confidences 0–100.
fn lines_from_tsv(tsv: &str) -> Vec<TextLine> {
    let mut lines = Vec::new();
    let mut current_key = None;
    let mut words: Vec<Word> = Vec::new();
    for row in tsv.lines() {
        let columns: Vec<&str> = row.split('\t').collect();
        if columns.len() < 12 || columns[0] != "5" {
            continue;
        }
        let text = columns[11].trim();
        let confidence: f32 = columns[10].parse().unwrap_or(-1.0);
        if text.is_empty() || confidence < 0.0 || is_speckle(text, confidence) {
            continue;
        }
        let number = |i: usize| columns[i].parse::<u32>().unwrap_or(0);
        let key = (number(2), number(3), number(4));
        if current_key != Some(key) && !words.is_empty() {
            lines.push(TextLine::from_words(std::mem::take(&mut words)));
        }
        current_key = Some(key);
        words.push(Word {
            text: text.to_string(),
            bbox: BBox::new(number(6), number(7), number(8), number(9)),
            confidence: confidence / 100.0,
        });
    }
    if !words.is_empty() {
        lines.push(TextLine::from_words(words));
    }
    lines.into_iter().flat_map(split_at_wide_gaps).filter(|line| !is_noise_line(&line.text)).collect()
}

/// A short line of nothing but dashes and dots is noise read as text; it
/// would also block the gutter between two columns.
fn is_noise_line(text: &str) -> bool {
    text.chars().count() <= 3 && text.chars().all(|c| !c.is_alphanumeric() || matches!(c, 'ー' | 'ｰ' | '一'))
}

/// Fax line noise and dust come back as lone, doubtful punctuation.
fn is_speckle(text: &str, confidence: f32) -> bool {
    let mut chars = text.chars();
    let lone = chars.next().filter(|_| chars.next().is_none());
    confidence < 50.0 && lone.is_some_and(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_group_into_lines_by_block_paragraph_and_line() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            4\t1\t1\t1\t1\t0\t10\t10\t200\t30\t-1\t\n\
            5\t1\t1\t1\t1\t1\t10\t10\t60\t30\t96.5\t患者\n\
            5\t1\t1\t1\t1\t2\t80\t10\t60\t30\t90.0\t氏名\n\
            5\t1\t1\t1\t2\t1\t10\t50\t60\t30\t80.0\tHbA1c\n\
            5\t1\t1\t1\t2\t2\t80\t50\t40\t30\t70.0\t7.2\n";
        let lines = lines_from_tsv(tsv);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "患者氏名");
        assert_eq!(lines[0].bbox, BBox::new(10, 10, 130, 30));
        assert_eq!(lines[1].text, "HbA1c 7.2");
        assert!((lines[1].confidence - 0.7625).abs() < 1e-3);
    }
}

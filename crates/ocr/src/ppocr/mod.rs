//! PP-OCR (PaddleOCR's PP-OCRv6-small, as shipped in the PyPI package
//! `rapidocr`) through ONNX Runtime: detection, line direction and
//! recognition models, with PaddleOCR's pre- and post-processing in Rust.
//! The runtime is the shared library from the PyPI `onnxruntime` wheel,
//! loaded when the first engine starts; both are fetched by
//! `models/fetch.py`.

mod detect;
mod recognize;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::GrayImage;
use image::imageops::{FilterType, resize};
use ort::session::Session;
use ort::value::Tensor;
use torikomi_page::{BBox, PageImage, TextLine, Word};

use self::detect::{boxes_from_map, detector_input};
use self::recognize::{
    DIRECTION_WIDTH, DecodedChar, LINE_HEIGHT, LineCrop, ctc_decode, line_batch, recognition_width,
};
use crate::osd::OsdDetector;
use crate::{OcrEngine, OcrError, Orientation};

/// Pages are read with their long side at most this many pixels
/// (PaddleOCR's `max_side_len`): about 170 dpi for A4, which the models
/// were trained for, and far faster than 300.
const MAX_SIDE: u32 = 2000;
/// Lines per model run.
const BATCH: usize = 6;
/// The direction model's label 1 is "turned 180°"; below this it is not trusted.
const HALF_TURN_CONFIDENCE: f32 = 0.9;
/// Lines read with a lower mean confidence are noise.
const MIN_LINE_CONFIDENCE: f32 = 0.5;

/// File names as `models/fetch.py` writes them under `models/`.
const DETECTION_MODEL: &str = "ppocr/PP-OCRv6_det_small.onnx";
const RECOGNITION_MODEL: &str = "ppocr/PP-OCRv6_rec_small.onnx";
const DIRECTION_MODEL: &str = "ppocr/ch_ppocr_mobile_v2.0_cls_mobile.onnx";
const RUNTIME_LIBRARY: &str = "runtime/libonnxruntime.so";
const FETCH_HINT: &str = "run `python3 models/fetch.py ppocr-det ppocr-rec ppocr-cls onnxruntime` (or ./setup.sh)";

#[derive(Debug, Clone)]
pub struct PpOcrConfig {
    pub detection_model: PathBuf,
    pub recognition_model: PathBuf,
    pub direction_model: PathBuf,
    /// `libonnxruntime.so`; loaded once per process, by the first engine.
    pub runtime_library: PathBuf,
    /// Threads inside each model run; the pipeline runs one engine per core.
    pub threads: usize,
}

impl Default for PpOcrConfig {
    fn default() -> Self {
        Self::in_models_dir(Path::new("models"))
    }
}

impl PpOcrConfig {
    /// The files where `models/fetch.py` puts them under `models_dir`.
    pub fn in_models_dir(models_dir: &Path) -> Self {
        Self {
            detection_model: models_dir.join(DETECTION_MODEL),
            recognition_model: models_dir.join(RECOGNITION_MODEL),
            direction_model: models_dir.join(DIRECTION_MODEL),
            runtime_library: models_dir.join(RUNTIME_LIBRARY),
            threads: 1,
        }
    }
}

pub struct PpOcrEngine {
    detector: Session,
    direction: Session,
    recognizer: Session,
    /// Class `i` of the recogniser is `characters[i − 1]`; class 0 is CTC's blank.
    characters: Vec<char>,
    /// Per class: whether a Japanese document can contain it.
    readable: Vec<bool>,
    /// Page orientation is Tesseract's OSD for every engine, so that both
    /// engines see the same upright page.
    osd: Option<OsdDetector>,
}

impl PpOcrEngine {
    /// Loads the runtime (once per process) and the three models.
    ///
    /// # Errors
    /// A model file or the runtime library is missing or cannot be loaded;
    /// the message says what to fetch.
    pub fn new(config: &PpOcrConfig) -> Result<Self, OcrError> {
        load_runtime(&config.runtime_library)?;
        let detector = session(&config.detection_model, config.threads)?;
        let direction = session(&config.direction_model, config.threads)?;
        let recognizer = session(&config.recognition_model, config.threads)?;
        let metadata = recognizer.metadata().map_err(|error| onnx_failed("read the recogniser's metadata", &error))?;
        let list = metadata.custom("character").ok_or_else(|| OcrError::ModelInvalid {
            path: config.recognition_model.clone(),
            reason: "no `character` list in its metadata".into(),
        })?;
        // The list is one character per line; the model's last class is a space.
        let mut characters: Vec<char> = list
            .split('\n')
            .filter_map(|entry| entry.chars().next())
            .map(|c| if matches!(c, '~' | '～') { '〜' } else { c })
            .collect();
        characters.push(' ');
        drop(metadata);
        let readable = std::iter::once(true).chain(characters.iter().map(|&c| is_japanese_print(c))).collect();
        Ok(Self { detector, direction, recognizer, characters, readable, osd: None })
    }

    fn detect(&mut self, image: &GrayImage) -> Result<Vec<detect::Quad>, OcrError> {
        let mut input = detector_input(image);
        let shape = [1, 3, input.height as usize, input.width as usize];
        let pixels = std::mem::take(&mut input.tensor);
        let tensor = Tensor::from_array((shape, pixels)).map_err(|e| onnx_failed("detection input", &e))?;
        let outputs = self.detector.run(ort::inputs!["x" => tensor]).map_err(|e| onnx_failed("detection", &e))?;
        let (_, map) = outputs[0].try_extract_tensor::<f32>().map_err(|e| onnx_failed("detection output", &e))?;
        Ok(boxes_from_map(map, &input, image.width(), image.height()))
    }

    /// Turns lines the direction model finds upside down.
    fn straighten(&mut self, crops: &mut [LineCrop]) -> Result<(), OcrError> {
        for batch in crops.chunks_mut(BATCH) {
            let lines: Vec<&LineCrop> = batch.iter().collect();
            // Lines wider than the model's input are squeezed into it.
            let tensor = line_batch(&lines, DIRECTION_WIDTH).tensor;
            let shape = [batch.len(), 3, LINE_HEIGHT as usize, DIRECTION_WIDTH as usize];
            let tensor = Tensor::from_array((shape, tensor)).map_err(|e| onnx_failed("direction input", &e))?;
            let outputs = self.direction.run(ort::inputs!["x" => tensor]).map_err(|e| onnx_failed("direction", &e))?;
            let (_, scores) = outputs[0].try_extract_tensor::<f32>().map_err(|e| onnx_failed("direction output", &e))?;
            for (crop, pair) in batch.iter_mut().zip(scores.chunks(2)) {
                if pair[1] > pair[0] && pair[1] > HALF_TURN_CONFIDENCE {
                    crop.turn_half();
                }
            }
        }
        Ok(())
    }

    /// Each crop's characters, or None where the line is too doubtful.
    fn read_lines(&mut self, crops: &[LineCrop]) -> Result<Vec<Option<ReadLine>>, OcrError> {
        // Lines of similar shape share a batch, so that little is padding.
        let mut order: Vec<usize> = (0..crops.len()).collect();
        order.sort_by(|&a, &b| crops[a].aspect().total_cmp(&crops[b].aspect()));
        let mut read: Vec<Option<ReadLine>> = (0..crops.len()).map(|_| None).collect();
        for indexes in order.chunks(BATCH) {
            let lines: Vec<&LineCrop> = indexes.iter().map(|&i| &crops[i]).collect();
            let batch = line_batch(&lines, recognition_width(&lines));
            let shape = [lines.len(), 3, LINE_HEIGHT as usize, batch.width as usize];
            let tensor = Tensor::from_array((shape, batch.tensor)).map_err(|e| onnx_failed("recognition input", &e))?;
            let outputs =
                self.recognizer.run(ort::inputs!["x" => tensor]).map_err(|e| onnx_failed("recognition", &e))?;
            let (shape, probabilities) =
                outputs[0].try_extract_tensor::<f32>().map_err(|e| onnx_failed("recognition output", &e))?;
            let (steps, classes) = (shape[1] as usize, shape[2] as usize);
            for (position, &index) in indexes.iter().enumerate() {
                let own = &probabilities[position * steps * classes..(position + 1) * steps * classes];
                let chars = ctc_decode(own, steps, classes, &self.characters, &self.readable);
                let visible: Vec<&DecodedChar> = chars.iter().filter(|c| !c.text.is_whitespace()).collect();
                if visible.is_empty() {
                    continue;
                }
                let confidence = chars.iter().map(|c| c.confidence).sum::<f32>() / chars.len() as f32;
                if confidence < MIN_LINE_CONFIDENCE {
                    continue;
                }
                // One step covers this many of the crop's own pixels.
                let step_width = batch.width as f32 / steps as f32 * crops[index].image.width() as f32
                    / batch.scaled_widths[position] as f32;
                read[index] = Some(ReadLine { chars, steps, step_width });
            }
        }
        Ok(read)
    }
}

/// A line's decoded characters and the scale from CTC steps to crop pixels.
struct ReadLine {
    chars: Vec<DecodedChar>,
    steps: usize,
    step_width: f32,
}

impl ReadLine {
    /// Words with page boxes: each kana or kanji its own word, runs of
    /// Latin letters, digits and signs together, spaces between words.
    /// A character spans from halfway after its predecessor's step to
    /// halfway before its successor's.
    fn words(&self, crop: &LineCrop, page_scale: f32) -> Vec<Word> {
        let chars = &self.chars;
        let boundary_before = |i: usize| {
            if i == 0 {
                chars[0].step.saturating_sub(1) as f32
            } else {
                (chars[i - 1].step + chars[i].step) as f32 / 2.0 + 0.5
            }
        };
        let boundary_after = |i: usize| {
            if i + 1 == chars.len() { (chars[i].step + 2).min(self.steps) as f32 } else { boundary_before(i + 1) }
        };
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if c.text.is_whitespace() {
                continue;
            }
            let joins = groups.last().is_some_and(|&(_, end)| {
                end == i && c.text.is_ascii() && chars[end - 1].text.is_ascii()
            });
            match groups.last_mut() {
                Some(group) if joins => group.1 = i + 1,
                _ => groups.push((i, i + 1)),
            }
        }
        let ink = crop.ink_rows();
        groups
            .into_iter()
            .map(|(start, end)| {
                let from = boundary_before(start) * self.step_width;
                let to = (boundary_after(end - 1) * self.step_width).min(crop.image.width() as f32);
                let (x0, y0, x1, y1) = crop.page_box(from, to.max(from + 1.0), ink);
                let to_page = |v: f32| (v / page_scale).max(0.0).round() as u32;
                let (x, y) = (to_page(x0), to_page(y0));
                let members = &chars[start..end];
                Word {
                    text: members.iter().map(|c| c.text).collect(),
                    bbox: BBox::new(x, y, to_page(x1).saturating_sub(x).max(1), to_page(y1).saturating_sub(y).max(1)),
                    confidence: members.iter().map(|c| c.confidence).sum::<f32>() / members.len() as f32,
                }
            })
            .collect()
    }
}

impl OcrEngine for PpOcrEngine {
    fn name(&self) -> String {
        "ppocr:PP-OCRv6-small".into()
    }

    fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        if self.osd.is_none() {
            self.osd = Some(OsdDetector::new()?);
        }
        self.osd.as_mut().expect("loaded above").detect(page)
    }

    fn recognize(&mut self, page: &PageImage) -> Result<Vec<TextLine>, OcrError> {
        let (width, height) = page.image.dimensions();
        let scale = (MAX_SIDE as f32 / width.max(height) as f32).min(1.0);
        let scaled;
        let image = if scale < 1.0 {
            let (w, h) = (((width as f32 * scale).round() as u32).max(1), ((height as f32 * scale).round() as u32).max(1));
            scaled = resize(&page.image, w, h, FilterType::Triangle);
            &scaled
        } else {
            &page.image
        };
        let quads = self.detect(image)?;
        let mut crops: Vec<LineCrop> = quads.iter().map(|quad| LineCrop::cut(image, quad)).collect();
        self.straighten(&mut crops)?;
        let read = self.read_lines(&crops)?;
        let mut lines = Vec::new();
        for (crop, line) in crops.iter().zip(read) {
            let Some(line) = line else { continue };
            let words = line.words(crop, scale);
            if words.is_empty() {
                continue;
            }
            let mut text_line = TextLine::from_words(words);
            // The detector's shape decides: a one-character column is as
            // vertical as a long one.
            text_line.vertical = crop.vertical;
            lines.push(text_line);
        }
        Ok(lines)
    }
}

/// The recogniser reads Chinese as well as Japanese, and on a blurred
/// Japanese glyph often prefers the Chinese form (别 for 別, 查 for 査, 压
/// for 圧). Japanese print uses what Shift_JIS (Windows-31J) can encode;
/// other classes are never chosen. Tildes are read as the wave dash (〜)
/// that they are in Japanese print.
fn is_japanese_print(c: char) -> bool {
    // JIS X 0208's wave dash; Shift_JIS as the web encodes it maps that
    // code to the full-width tilde instead.
    if c == '〜' {
        return true;
    }
    let mut buffer = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buffer));
    !unmappable
}

/// ONNX Runtime is one library per process; the first engine loads it.
fn load_runtime(library: &Path) -> Result<(), OcrError> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = LOADED.get_or_init(|| {
        if !library.is_file() {
            return Err(format!("{} does not exist", library.display()));
        }
        let builder = ort::init_from(library).map_err(|error| error.to_string())?;
        builder.with_name("torikomi").commit();
        Ok(())
    });
    outcome.clone().map_err(|reason| OcrError::RuntimeMissing {
        library: library.to_owned(),
        reason,
        hint: FETCH_HINT,
    })
}

fn session(path: &Path, threads: usize) -> Result<Session, OcrError> {
    if !path.is_file() {
        return Err(OcrError::ModelMissing { path: path.to_owned(), hint: FETCH_HINT });
    }
    let invalid = |error: &dyn std::fmt::Display| OcrError::ModelInvalid { path: path.to_owned(), reason: error.to_string() };
    // Every page and line batch has its own shape; ONNX Runtime's arena
    // and memory patterns would keep the largest of each (1.4 GiB peak).
    Session::builder()
        .map_err(|e| invalid(&e))?
        .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(false).build()])
        .map_err(|e| invalid(&e))?
        .with_memory_pattern(false)
        .map_err(|e| invalid(&e))?
        .with_intra_threads(threads.max(1))
        .map_err(|e| invalid(&e))?
        .with_inter_threads(1)
        .map_err(|e| invalid(&e))?
        .commit_from_file(path)
        .map_err(|e| invalid(&e))
}

fn onnx_failed(step: &str, error: &dyn std::fmt::Display) -> OcrError {
    OcrError::Recognize { message: format!("PP-OCR {step}: {error}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_print_keeps_japanese_forms_and_drops_chinese_ones() {
        for japanese in ['別', '査', '圧', '〜', '①', 'ｶ', 'A', '・', '℃'] {
            assert!(is_japanese_print(japanese), "{japanese}");
        }
        for chinese in ['别', '查', '压', '值', '·'] {
            assert!(!is_japanese_print(chinese), "{chinese}");
        }
    }
}

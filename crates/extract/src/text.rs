//! Pieces of page text that remember where they are, and the grounder that
//! turns a place in the text into a box on the page.

use regex::{Captures, Regex};
use torikomi_page::{BBox, PageText};
use torikomi_record::{CharSpan, Provenance};
use unicode_normalization::UnicodeNormalization;

/// A run of characters of one page's `text`, with its offsets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snippet {
    pub page: usize,
    /// Char offset of `text` in the page text.
    pub start: usize,
    pub text: String,
}

impl Snippet {
    pub fn end(&self) -> usize {
        self.start + self.text.chars().count()
    }

    pub fn span(&self) -> CharSpan {
        CharSpan { start: self.start, end: self.end() }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The characters `from..to` (char offsets within this snippet).
    pub fn chars(&self, from: usize, to: usize) -> Snippet {
        let text: String = self.text.chars().skip(from).take(to.saturating_sub(from)).collect();
        Snippet { page: self.page, start: self.start + from, text }
    }

    /// The bytes `from..to` of `text`, which must lie on char boundaries.
    pub fn bytes(&self, from: usize, to: usize) -> Snippet {
        let skipped = self.text[..from].chars().count();
        Snippet { page: self.page, start: self.start + skipped, text: self.text[from..to].to_owned() }
    }

    pub fn after_bytes(&self, from: usize) -> Snippet {
        self.bytes(from, self.text.len())
    }

    pub fn trim(&self) -> Snippet {
        let trimmed_start = self.text.trim_start_matches(is_blank);
        let from = self.text.len() - trimmed_start.len();
        let to = from + trimmed_start.trim_end_matches(is_blank).len();
        self.bytes(from, to)
    }

    /// Trims brackets, colons and list punctuation that frame a value.
    pub fn trim_punctuation(&self) -> Snippet {
        let framing = |c: char| {
            is_blank(c) || matches!(c, ':' | '：' | '、' | ',' | '，' | '・' | '【' | '】' | '[' | ']' | '／')
        };
        let trimmed_start = self.text.trim_start_matches(|c| framing(c) || c == '。');
        let from = self.text.len() - trimmed_start.len();
        let to = from + trimmed_start.trim_end_matches(framing).len();
        self.bytes(from, to)
    }

    pub fn words(&self) -> Vec<Snippet> {
        self.split_by(is_blank)
    }

    pub fn split_by(&self, separator: impl Fn(char) -> bool) -> Vec<Snippet> {
        let mut parts = Vec::new();
        let mut part_start = None;
        for (index, c) in self.text.char_indices() {
            match (separator(c), part_start) {
                (true, Some(from)) => {
                    parts.push(self.bytes(from, index));
                    part_start = None;
                }
                (false, None) => part_start = Some(index),
                _ => {}
            }
        }
        if let Some(from) = part_start {
            parts.push(self.after_bytes(from));
        }
        parts
    }

    pub fn captures<'t>(&'t self, pattern: &Regex) -> Option<Captured<'t>> {
        pattern.captures(&self.text).map(|captures| Captured { snippet: self, captures })
    }

    /// Joins consecutive pieces of one page into the snippet that spans
    /// them (the page text between them included).
    pub fn spanning(pieces: &[Snippet], page_text: &str) -> Snippet {
        let first = &pieces[0];
        let last = pieces.iter().rev().find(|piece| piece.page == first.page).unwrap_or(first);
        let text = page_text.chars().skip(first.start).take(last.end() - first.start).collect();
        Snippet { page: first.page, start: first.start, text }
    }
}

pub(crate) struct Captured<'t> {
    snippet: &'t Snippet,
    pub captures: Captures<'t>,
}

impl Captured<'_> {
    pub fn get(&self, group: &str) -> Option<Snippet> {
        self.captures
            .name(group)
            .filter(|found| !found.as_str().is_empty())
            .map(|found| self.snippet.bytes(found.start(), found.end()))
    }

    pub fn whole(&self) -> Snippet {
        let found = self.captures.get(0).expect("group 0 always matches");
        self.snippet.bytes(found.start(), found.end())
    }
}

pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

/// Characters compared when matching proposed values against the page:
/// NFKC, lower case, without spaces and punctuation that OCR drops or adds.
fn comparable(c: char) -> Option<char> {
    if is_blank(c) || matches!(c, '、' | '。' | ',' | '.' | '・' | ':' | '：') {
        return None;
    }
    c.to_lowercase().next()
}

fn comparable_chars(text: &str) -> Vec<char> {
    text.nfkc().filter_map(comparable).collect()
}

/// Turns places in the page text into boxes on the page, and finds
/// proposed values in the text.
pub struct Grounder<'p> {
    pages: &'p [PageText],
    /// Per page, per body line: the char offset where it starts in `text`.
    line_starts: Vec<Vec<usize>>,
}

impl<'p> Grounder<'p> {
    pub fn new(pages: &'p [PageText]) -> Self {
        let line_starts = pages
            .iter()
            .map(|page| {
                let mut starts = vec![0];
                for (offset, c) in page.text.chars().enumerate() {
                    if c == '\n' {
                        starts.push(offset + 1);
                    }
                }
                starts
            })
            .collect();
        Grounder { pages, line_starts }
    }

    pub fn pages(&self) -> &'p [PageText] {
        self.pages
    }

    /// The provenance of a snippet: its span and the union of the boxes of
    /// the words it covers.
    pub(crate) fn provenance(&self, snippet: &Snippet) -> Provenance {
        Provenance { page: snippet.page, bbox: self.bbox_of(snippet.page, snippet.span()), span: snippet.span() }
    }

    fn bbox_of(&self, page_index: usize, span: CharSpan) -> BBox {
        let page = &self.pages[page_index];
        let body: Vec<_> = page.lines.iter().filter(|line| line.role == torikomi_page::LineRole::Body).collect();
        let starts = &self.line_starts[page_index];
        let mut bbox: Option<BBox> = None;
        for (line, &line_start) in body.iter().zip(starts) {
            let line_len = line.text.chars().count();
            let (from, to) = (span.start.max(line_start), span.end.min(line_start + line_len));
            if from >= to {
                continue;
            }
            let covered = word_boxes(line, from - line_start, to - line_start);
            bbox = Some(covered.iter().fold(bbox.unwrap_or(covered[0]), |acc, b| acc.union(b)));
        }
        bbox.unwrap_or_else(|| BBox::new(0, 0, page.width, page.height))
    }

    /// Finds `value` in the pages: exactly (ignoring width, case, spaces
    /// and punctuation), or failing that as the closest window within an
    /// edit distance of a fifth of its length, which absorbs OCR errors.
    pub(crate) fn find(&self, value: &str) -> Option<Snippet> {
        let wanted = comparable_chars(value);
        if wanted.is_empty() {
            return None;
        }
        let mut best: Option<(usize, Snippet)> = None;
        for (page_index, page) in self.pages.iter().enumerate() {
            let (chars, offsets) = comparable_with_offsets(&page.text);
            if let Some(at) = chars.windows(wanted.len()).position(|window| window == wanted.as_slice()) {
                return Some(self.snippet_between(page_index, offsets[at], offsets[at + wanted.len() - 1] + 1));
            }
            let budget = wanted.len() / 5;
            if budget == 0 {
                continue;
            }
            if let Some((distance, from, to)) = closest_window(&chars, &wanted, budget)
                && best.as_ref().is_none_or(|(best_distance, _)| distance < *best_distance)
            {
                best = Some((distance, self.snippet_between(page_index, offsets[from], offsets[to - 1] + 1)));
            }
        }
        best.map(|(_, snippet)| snippet)
    }

    pub(crate) fn snippet_between(&self, page: usize, start: usize, end: usize) -> Snippet {
        let text = self.pages[page].text.chars().skip(start).take(end - start).collect();
        Snippet { page, start, text }
    }
}

/// The boxes of the words that chars `from..to` of `line` fall in. Words
/// are found in the line text in order: lines are built from their words.
fn word_boxes(line: &torikomi_page::TextLine, from: usize, to: usize) -> Vec<BBox> {
    let mut boxes = Vec::new();
    let mut cursor = 0;
    let line_chars: Vec<char> = line.text.chars().collect();
    for word in &line.words {
        let word_chars: Vec<char> = word.text.chars().collect();
        let Some(at) = (cursor..=line_chars.len().saturating_sub(word_chars.len()))
            .find(|&at| line_chars[at..at + word_chars.len()] == word_chars[..])
        else {
            continue;
        };
        let (word_from, word_to) = (at, at + word_chars.len());
        cursor = word_to;
        if word_from < to && from < word_to {
            boxes.push(word.bbox);
        }
    }
    if boxes.is_empty() {
        boxes.push(line.bbox);
    }
    boxes
}

/// The comparable characters of `text`, each with the char offset in
/// `text` it came from.
fn comparable_with_offsets(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut chars = Vec::new();
    let mut offsets = Vec::new();
    for (offset, c) in text.chars().enumerate() {
        for normalised in std::iter::once(c).nfkc().filter_map(comparable) {
            chars.push(normalised);
            offsets.push(offset);
        }
    }
    (chars, offsets)
}

/// The window of `text` closest to `wanted` by edit distance, if within
/// `budget`: semi-global alignment (free start and end in `text`).
fn closest_window(text: &[char], wanted: &[char], budget: usize) -> Option<(usize, usize, usize)> {
    let n = wanted.len();
    // previous[i]: (distance, start in text) aligning wanted[..i] ending at the current text position.
    let mut previous: Vec<(usize, usize)> = (0..=n).map(|i| (i, 0)).collect();
    let mut best: Option<(usize, usize, usize)> = None;
    for (j, &c) in text.iter().enumerate() {
        let mut current = vec![(0, j + 1); n + 1];
        for i in 1..=n {
            let substitution = (previous[i - 1].0 + usize::from(wanted[i - 1] != c), previous[i - 1].1);
            let deletion = (previous[i].0 + 1, previous[i].1);
            let insertion = (current[i - 1].0 + 1, current[i - 1].1);
            current[i] = [substitution, deletion, insertion].into_iter().min_by_key(|(d, _)| *d).unwrap();
        }
        let (distance, start) = current[n];
        if distance <= budget && best.is_none_or(|(d, _, _)| distance < d) {
            best = Some((distance, start, j + 1));
        }
        previous = current;
    }
    best.filter(|(_, start, end)| end > start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_keep_char_offsets_through_splits_and_trims() {
        let line = Snippet { page: 0, start: 10, text: "患者氏名　山田 太郎 様".to_owned() };
        let words = line.words();
        assert_eq!(words.iter().map(|w| (w.text.as_str(), w.start)).collect::<Vec<_>>(), vec![
            ("患者氏名", 10),
            ("山田", 15),
            ("太郎", 18),
            ("様", 21)
        ]);
        let value = line.chars(4, 11).trim();
        assert_eq!((value.text.as_str(), value.start, value.end()), ("山田 太郎", 15, 20));
    }

    #[test]
    fn closest_window_absorbs_an_ocr_substitution() {
        let text: Vec<char> = "紹介目的 血糖コントロール不良のため".chars().collect();
        let wanted: Vec<char> = "血糖コントロ一ル不良".chars().collect();
        let (distance, from, to) = closest_window(&text, &wanted, 2).unwrap();
        assert_eq!(distance, 1);
        assert_eq!(text[from..to].iter().collect::<String>(), "血糖コントロール不良");
    }
}

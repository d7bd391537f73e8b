//! The page's lines as cells with boxes, and the two layout questions rules
//! ask of them: what is beside a label, and which cells make one table row.

use torikomi_page::{BBox, LineRole};

use crate::text::{Grounder, Snippet};

/// One body line of a page, with its box.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub snippet: Snippet,
    pub bbox: BBox,
}

/// Every body line of every page, in reading order.
pub(crate) fn cells(grounder: &Grounder<'_>) -> Vec<Cell> {
    let mut cells = Vec::new();
    for (page_index, page) in grounder.pages().iter().enumerate() {
        let mut start = 0;
        let body = page.lines.iter().filter(|line| line.role == LineRole::Body);
        for (text, line) in page.text.split('\n').zip(body) {
            let snippet = Snippet { page: page_index, start, text: text.to_owned() };
            start += text.chars().count() + 1;
            if !snippet.trim().is_empty() {
                cells.push(Cell { snippet, bbox: line.bbox });
            }
        }
    }
    cells
}

fn vertical_overlap(a: &BBox, b: &BBox) -> f32 {
    let top = a.y.max(b.y);
    let bottom = a.bottom().min(b.bottom());
    let shorter = a.h.min(b.h).max(1);
    bottom.saturating_sub(top) as f32 / shorter as f32
}

/// The cell nearest to the right of `label` on the same row and page.
pub(crate) fn beside(cells: &[Cell], label: usize, available: impl Fn(usize) -> bool) -> Option<usize> {
    let of = &cells[label];
    cells
        .iter()
        .enumerate()
        .filter(|&(index, cell)| {
            index != label
                && available(index)
                && cell.snippet.page == of.snippet.page
                && vertical_overlap(&cell.bbox, &of.bbox) >= 0.5
                && cell.bbox.x + of.bbox.h / 2 >= of.bbox.right()
        })
        .min_by_key(|(_, cell)| cell.bbox.x)
        .map(|(index, _)| index)
}

/// Groups cells (given in reading order) into rows: cells on one page that
/// overlap vertically, left to right.
pub(crate) fn rows(cells: &[Cell]) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for cell in cells {
        let row = rows.iter_mut().find(|row| {
            row[0].snippet.page == cell.snippet.page
                && row.iter().any(|other| vertical_overlap(&other.bbox, &cell.bbox) >= 0.5)
        });
        match row {
            Some(row) => row.push(cell.clone()),
            None => rows.push(vec![cell.clone()]),
        }
    }
    for row in &mut rows {
        row.sort_by_key(|cell| cell.bbox.x);
    }
    rows
}

/// Several snippets read as one string (joined by spaces), so that one
/// pattern can match across table cells and wrapped lines, and each match
/// still maps back to the page.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pieces: Vec<Snippet>,
    pub text: String,
    /// Byte offset in `text` where each piece starts.
    starts: Vec<usize>,
}

impl Run {
    pub fn new(pieces: Vec<Snippet>) -> Self {
        let mut text = String::new();
        let mut starts = Vec::new();
        for piece in &pieces {
            if !text.is_empty() {
                text.push(' ');
            }
            starts.push(text.len());
            text.push_str(&piece.text);
        }
        Run { pieces, text, starts }
    }

    pub fn of_cells(cells: &[Cell]) -> Self {
        Run::new(cells.iter().map(|cell| cell.snippet.clone()).collect())
    }

    fn piece_at(&self, byte: usize) -> usize {
        self.starts.partition_point(|&start| start <= byte).saturating_sub(1)
    }

    /// The page text behind bytes `from..to` of `text`: within one piece
    /// exactly; across pieces, the page text from the first to the last
    /// (on the first piece's page).
    pub fn resolve(&self, from: usize, to: usize, grounder: &Grounder<'_>) -> Snippet {
        let (first, last) = (self.piece_at(from), self.piece_at(to.saturating_sub(1).max(from)));
        let local = |piece: usize, byte: usize| (byte - self.starts[piece]).min(self.pieces[piece].text.len());
        if first == last {
            return self.pieces[first].bytes(local(first, from), local(last, to)).trim();
        }
        let start = self.pieces[first].bytes(local(first, from), self.pieces[first].text.len());
        let last = if self.pieces[last].page == start.page { last } else { first };
        let end = self.pieces[last].bytes(0, local(last, to));
        let end_offset = if last == first { self.pieces[first].end() } else { end.end() };
        grounder.snippet_between(start.page, start.start, end_offset).trim()
    }

    pub fn whole(&self, grounder: &Grounder<'_>) -> Snippet {
        self.resolve(0, self.text.len(), grounder)
    }
}

//! Reading order: the order a person reads a page's lines in, whichever
//! engine found them. A recursive XY cut over line boxes, with two Japanese
//! twists: vertical columns (縦書き) are kept together and read right to
//! left and before what stands to their left, and a gutter between two text
//! columns is told apart from the gap between a form's labels and values.

use crate::{BBox, LineRole, TextLine, Word};

/// Fax machines print their transmission line inside this top band.
const FAX_HEADER_BAND: f32 = 0.05;

/// Marks the lines in a fax page's top band as its transmission header.
pub fn split_fax_header(lines: &mut [TextLine], page_height: u32) {
    let band = (page_height as f32 * FAX_HEADER_BAND) as u32;
    for line in lines.iter_mut() {
        if line.bbox.bottom() <= band {
            line.role = LineRole::FaxHeader;
        }
    }
}

/// Puts lines into reading order. Header lines come first, then the body.
pub fn order_for_reading(lines: Vec<TextLine>, page_width: u32) -> Vec<TextLine> {
    // A gutter between columns is wider than a character or two; narrower
    // gaps line up by chance, as where OCR splits a title in two.
    let mut heights: Vec<u32> = lines.iter().filter(|line| !line.vertical).map(|line| line.bbox.h).collect();
    heights.sort_unstable();
    let median_height = heights.get(heights.len() / 2).copied().unwrap_or(0);
    let min_gutter = (page_width / 100).max(median_height * 3 / 2).max(4);
    let items = group_vertical_columns(&lines);
    let mut ordered_items = Vec::with_capacity(items.len());
    xy_cut(items, min_gutter, &mut ordered_items);

    let mut slots: Vec<Option<TextLine>> = lines.into_iter().map(Some).collect();
    let mut ordered: Vec<TextLine> = ordered_items
        .into_iter()
        .flat_map(|item| item.members)
        .filter_map(|index| slots[index].take())
        .collect();
    ordered.sort_by_key(|line| line.role != LineRole::FaxHeader);
    ordered
}

/// An OCR engine can run one line across a gutter or from a label to a
/// value far to its right; a gap wider than this many line heights splits
/// it, so that reading order sees what is really on the page.
const LINE_SPLIT_GAP: f32 = 1.5;

pub fn split_at_wide_gaps(line: TextLine) -> Vec<TextLine> {
    if line.vertical || line.words.len() < 2 {
        return vec![line];
    }
    let max_gap = (line.bbox.h as f32 * LINE_SPLIT_GAP) as u32;
    let role = line.role;
    let mut pieces: Vec<Vec<Word>> = vec![Vec::new()];
    let mut previous_right = None;
    for word in line.words {
        if previous_right.is_some_and(|right: u32| word.bbox.x > right + max_gap) {
            pieces.push(Vec::new());
        }
        previous_right = Some(word.bbox.right());
        pieces.last_mut().expect("never empty").push(word);
    }
    pieces
        .into_iter()
        .map(|words| TextLine { role, ..TextLine::from_words(words) })
        .collect()
}

/// A unit of the XY cut: one horizontal line, or a run of vertical columns
/// that belong together (already right to left).
struct Item {
    bbox: BBox,
    members: Vec<usize>,
    is_vertical: bool,
}

fn group_vertical_columns(lines: &[TextLine]) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut vertical: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].vertical).collect();
    vertical.sort_by_key(|&i| std::cmp::Reverse(lines[i].bbox.right()));
    let mut open: Option<Item> = None;
    for index in vertical {
        let bbox = lines[index].bbox;
        let joins = open.as_ref().is_some_and(|block| {
            let gap = block.bbox.x.saturating_sub(bbox.right());
            gap <= bbox.w * 2 && block.bbox.vertical_overlap(&bbox) > 0.3
        });
        match (&mut open, joins) {
            (Some(block), true) => {
                block.bbox = block.bbox.union(&bbox);
                block.members.push(index);
            }
            _ => {
                items.extend(open.take());
                open = Some(Item { bbox, members: vec![index], is_vertical: true });
            }
        }
    }
    items.extend(open);
    items.extend(
        (0..lines.len())
            .filter(|&i| !lines[i].vertical)
            .map(|i| Item { bbox: lines[i].bbox, members: vec![i], is_vertical: false }),
    );
    items
}

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    X,
    Y,
}

fn xy_cut(mut items: Vec<Item>, min_gutter: u32, out: &mut Vec<Item>) {
    if items.len() <= 1 {
        out.extend(items);
        return;
    }
    let x_gaps = gaps(&items, Axis::X);
    // Vertical writing runs right to left: a block of vertical columns is
    // read before whatever stands to its left.
    let before_vertical = x_gaps
        .iter()
        .rev()
        .find(|gap| items.iter().filter(|item| item.bbox.x >= gap.at).all(|item| item.is_vertical))
        .map(|gap| (Axis::X, gap.at, true));
    let gutter = x_gaps
        .iter()
        .filter(|gap| gap.width >= min_gutter && is_text_column_gutter(&items, gap.at))
        .max_by_key(|gap| gap.width)
        .map(|gap| (Axis::X, gap.at, false));
    let widest = |axis, found: &[Gap]| found.iter().max_by_key(|gap| gap.width).map(|gap| (axis, gap.at, false));
    let cut = before_vertical
        .or(gutter)
        .or_else(|| widest(Axis::Y, &gaps(&items, Axis::Y)))
        .or_else(|| widest(Axis::X, &x_gaps));
    let Some((axis, at, right_first)) = cut else {
        items.sort_by_key(|item| (item.bbox.y, item.bbox.x));
        out.extend(items);
        return;
    };
    let (mut first, mut second): (Vec<Item>, Vec<Item>) = items.into_iter().partition(|item| match axis {
        Axis::X => item.bbox.right() <= at,
        Axis::Y => item.bbox.bottom() <= at,
    });
    if right_first {
        std::mem::swap(&mut first, &mut second);
    }
    xy_cut(first, min_gutter, out);
    xy_cut(second, min_gutter, out);
}

/// An empty band across all items along an axis.
struct Gap {
    /// The middle of the band: everything before it is on one side.
    at: u32,
    width: u32,
}

fn gaps(items: &[Item], axis: Axis) -> Vec<Gap> {
    let mut spans: Vec<(u32, u32)> = items
        .iter()
        .map(|item| match axis {
            Axis::X => (item.bbox.x, item.bbox.right()),
            Axis::Y => (item.bbox.y, item.bbox.bottom()),
        })
        .collect();
    spans.sort_unstable();
    let mut reach = spans[0].1;
    let mut found = Vec::new();
    for &(start, end) in &spans[1..] {
        if start > reach {
            found.push(Gap { at: reach + (start - reach) / 2, width: start - reach });
        }
        reach = reach.max(end);
    }
    found
}

/// Whether a vertical gap separates two columns of text (read one, then
/// the other) rather than the cells of a table or form (read row by row).
/// Lines of both can share baselines, so the test is their shape: text
/// columns are of comparable width, hold several lines each stacked one
/// above the other, and some lines fill their column, where a label column
/// is narrow and half a table still has cells side by side.
fn is_text_column_gutter(items: &[Item], at: u32) -> bool {
    let left_edge = items.iter().map(|item| item.bbox.x).min().unwrap_or(0);
    let right_edge = items.iter().map(|item| item.bbox.right()).max().unwrap_or(0);
    let region = (right_edge - left_edge).max(1) as f32;
    let side_is_column = |side: Vec<&Item>, extent: u32| {
        let side_by_side = side
            .iter()
            .enumerate()
            .filter(|(i, item)| {
                side.iter().enumerate().any(|(j, other)| *i != j && item.bbox.vertical_overlap(&other.bbox) > 0.5)
            })
            .count();
        side.len() >= 2
            && extent as f32 >= region * 0.3
            && side_by_side * 5 <= side.len()
            && side.iter().any(|item| item.bbox.w as f32 >= extent as f32 * 0.6)
    };
    let (left, right): (Vec<&Item>, Vec<&Item>) = items.iter().partition(|item| item.bbox.right() <= at);
    side_is_column(left, at - left_edge) && side_is_column(right, right_edge - at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Word;

    fn line(text: &str, x: u32, y: u32, w: u32, h: u32) -> TextLine {
        TextLine::from_words(vec![Word { text: text.into(), bbox: BBox::new(x, y, w, h), confidence: 1.0 }])
    }

    fn check(lines: Vec<TextLine>, expected: &[&str]) {
        let ordered = order_for_reading(lines, 2480);
        let texts: Vec<&str> = ordered.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, expected);
    }

    #[test]
    fn two_columns_read_left_column_first() {
        // Lines of both columns share baselines, as in a clinic template,
        // but the columns hold different numbers of lines.
        check(
            vec![
                line("右一", 1300, 100, 900, 40),
                line("左一", 100, 100, 900, 40),
                line("左二", 100, 160, 900, 40),
                line("右二", 1300, 160, 900, 40),
                line("左三", 100, 220, 900, 40),
                line("左四", 100, 280, 900, 40),
                line("左五", 100, 340, 900, 40),
            ],
            &["左一", "左二", "左三", "左四", "左五", "右一", "右二"],
        );
    }

    #[test]
    fn table_rows_read_label_then_value() {
        check(
            vec![
                line("AST", 100, 100, 200, 40),
                line("32", 800, 100, 100, 40),
                line("ALT", 100, 160, 200, 40),
                line("45", 800, 160, 100, 40),
            ],
            &["AST", "32", "ALT", "45"],
        );
    }

    #[test]
    fn vertical_greeting_reads_right_to_left_before_body_below() {
        check(
            vec![
                line("本文", 100, 900, 1500, 40),
                line("時下", 2000, 100, 40, 600),
                line("拝啓", 2100, 100, 40, 600),
            ],
            &["拝啓", "時下", "本文"],
        );
    }

    #[test]
    fn letter_reads_greeting_then_date_then_addresses() {
        check(
            vec![
                line("宛先", 236, 407, 660, 50),
                line("差出人", 236, 656, 960, 50),
                line("令和7年10月3日", 1583, 270, 306, 47),
                line("平素より", 2115, 259, 45, 1100),
                line("拝啓", 2197, 259, 45, 1190),
                line("診療情報提供書", 1006, 1598, 466, 70),
            ],
            &["拝啓", "平素より", "令和7年10月3日", "宛先", "差出人", "診療情報提供書"],
        );
    }

    #[test]
    fn a_line_run_across_the_gutter_is_split_back_into_columns() {
        let word = |text: &str, x: u32, y: u32| Word { text: text.into(), bbox: BBox::new(x, y, 700, 40), confidence: 0.9 };
        let merged = |y, left: &str, right: &str| TextLine::from_words(vec![word(left, 100, y), word(right, 1300, y)]);
        let lines = [merged(100, "左一", "右一"), merged(160, "左二", "右二"), merged(220, "左三", "右三")];
        check(
            lines.into_iter().flat_map(split_at_wide_gaps).collect(),
            &["左一", "左二", "左三", "右一", "右二", "右三"],
        );
    }

    #[test]
    fn fax_header_comes_first_and_apart() {
        let mut lines = vec![line("本文", 100, 500, 1500, 40), line("FROM: 03-1234", 100, 20, 1500, 30)];
        split_fax_header(&mut lines, 3508);
        let ordered = order_for_reading(lines, 2480);
        assert_eq!(ordered[0].role, LineRole::FaxHeader);
        assert_eq!(ordered[1].role, LineRole::Body);
    }
}

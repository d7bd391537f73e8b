//! Reading order: the order a person reads a page's lines in, whichever
//! engine found them. A recursive XY cut over line boxes, with two Japanese
//! twists: vertical columns (縦書き) are kept together and read right to
//! left, and a gap that separates table cells on the same rows is not taken
//! for a gutter between two text columns.

use crate::{BBox, LineRole, TextLine};

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
    let min_gutter = (page_width / 100).max(4);
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
    let column_cut = widest_gap(&items, Axis::X)
        .filter(|&(at, width)| width >= min_gutter && !cells_share_rows(&items, at));
    let cut = column_cut
        .map(|(at, _)| (Axis::X, at))
        .or_else(|| widest_gap(&items, Axis::Y).map(|(at, _)| (Axis::Y, at)))
        .or_else(|| widest_gap(&items, Axis::X).map(|(at, _)| (Axis::X, at)));
    let Some((axis, at)) = cut else {
        items.sort_by_key(|item| (item.bbox.y, item.bbox.x));
        out.extend(items);
        return;
    };
    let (mut first, mut second): (Vec<Item>, Vec<Item>) = items.into_iter().partition(|item| match axis {
        Axis::X => item.bbox.right() <= at,
        Axis::Y => item.bbox.bottom() <= at,
    });
    // Vertical writing runs right to left, so a block of vertical columns
    // is read before whatever stands to its left.
    if axis == Axis::X && second.iter().all(|item| item.is_vertical) {
        std::mem::swap(&mut first, &mut second);
    }
    xy_cut(first, min_gutter, out);
    xy_cut(second, min_gutter, out);
}

/// The widest empty band across all items along an axis: (cut position,
/// band width).
fn widest_gap(items: &[Item], axis: Axis) -> Option<(u32, u32)> {
    let mut spans: Vec<(u32, u32)> = items
        .iter()
        .map(|item| match axis {
            Axis::X => (item.bbox.x, item.bbox.right()),
            Axis::Y => (item.bbox.y, item.bbox.bottom()),
        })
        .collect();
    spans.sort_unstable();
    let mut reach = spans[0].1;
    let mut best: Option<(u32, u32)> = None;
    for &(start, end) in &spans[1..] {
        if start > reach {
            let width = start - reach;
            if best.is_none_or(|(_, w)| width > w) {
                best = Some((reach + width / 2, width));
            }
        }
        reach = reach.max(end);
    }
    best
}

/// A vertical gap between table cells has the same rows on both sides; a
/// gutter between text columns does not. Reading a table column by column
/// would tear every label from its value.
fn cells_share_rows(items: &[Item], at: u32) -> bool {
    let (left, right): (Vec<&Item>, Vec<&Item>) = items.iter().partition(|item| item.bbox.right() <= at);
    let (fewer, more) = if left.len() <= right.len() { (&left, &right) } else { (&right, &left) };
    let aligned = fewer
        .iter()
        .filter(|item| more.iter().any(|other| item.bbox.vertical_overlap(&other.bbox) > 0.5))
        .count();
    aligned * 10 >= fewer.len() * 6
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
    fn fax_header_comes_first_and_apart() {
        let mut lines = vec![line("本文", 100, 500, 1500, 40), line("FROM: 03-1234", 100, 20, 1500, 30)];
        split_fax_header(&mut lines, 3508);
        let ordered = order_for_reading(lines, 2480);
        assert_eq!(ordered[0].role, LineRole::FaxHeader);
        assert_eq!(ordered[1].role, LineRole::Body);
    }
}

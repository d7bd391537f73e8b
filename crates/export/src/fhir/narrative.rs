//! Section narrative: the XHTML `div` a person reads where the receiving
//! system does not take the structured entries in.

use serde_json::{Value, json};

/// What a section the profile requires says when the letter has nothing for
/// it: the FHIR invariant cmp-1 wants text in every section, and "not
/// stated" is true of the letter, where any clinical wording would not be.
pub(super) const NOT_STATED: &str = "記載なし";

/// `Narrative` with one line per item (`<br/>` between), escaped; line
/// breaks inside an item become `<br/>` too.
pub(super) fn lines<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    let body = items.into_iter().map(escape).collect::<Vec<_>>().join("<br/>");
    json!({
        "status": "additional",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{body}</div>"),
    })
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for (index, line) in text.trim().lines().map(str::trim).enumerate() {
        if index > 0 {
            escaped.push_str("<br/>");
        }
        for c in line.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                _ => escaped.push(c),
            }
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_breaks_lines() {
        let narrative = lines(["HbA1c <7.0 & LDL>100", "一行目\n二行目"]);
        assert_eq!(
            narrative["div"],
            "<div xmlns=\"http://www.w3.org/1999/xhtml\">HbA1c &lt;7.0 &amp; LDL&gt;100<br/>一行目<br/>二行目</div>"
        );
    }
}

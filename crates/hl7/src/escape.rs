//! HL7 escape sequences: delimiters inside text travel as `\F\ \S\ \R\ \E\
//! \T\`, a line break as `\.br\`.
//!
//! Reading keeps every other sequence (`\X0D0A\`, `\H\`, `\.sp\`, an
//! unterminated `\`) as literal text: their meaning depends on the sender's
//! formatting and character set, and keeping the characters loses nothing a
//! person reading the text needs.

use crate::model::FIELD_SEPARATOR;

/// The five delimiters a message's MSH-1 and MSH-2 declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: char,
    pub escape: char,
    pub subcomponent: char,
}

impl Delimiters {
    /// `|^~\&`, what the encoder always writes.
    pub const STANDARD: Self = Self {
        field: FIELD_SEPARATOR,
        component: '^',
        repetition: '~',
        escape: '\\',
        subcomponent: '&',
    };

    /// Reads MSH-2. The four characters must differ from each other and
    /// from the field separator, and must not be letters, digits or
    /// whitespace; a fifth (v2.7's truncation character) is ignored.
    pub fn from_msh(field: char, encoding_characters: &str) -> Option<Self> {
        let mut characters = encoding_characters.chars();
        let delimiters = Self {
            field,
            component: characters.next()?,
            repetition: characters.next()?,
            escape: characters.next()?,
            subcomponent: characters.next()?,
        };
        let all = delimiters.all();
        let distinct = all.iter().enumerate().all(|(i, c)| !all[..i].contains(c));
        let usable = all
            .iter()
            .all(|c| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control());
        (distinct && usable).then_some(delimiters)
    }

    fn all(&self) -> [char; 5] {
        [
            self.field,
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ]
    }

    /// Turns one subcomponent as read into its text.
    pub fn unescape(&self, raw: &str) -> String {
        let mut text = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(start) = rest.find(self.escape) {
            text.push_str(&rest[..start]);
            let after_escape = &rest[start + self.escape.len_utf8()..];
            let Some(length) = after_escape.find(self.escape) else {
                // No closing escape character: the rest is literal text.
                text.push_str(&rest[start..]);
                return text;
            };
            let sequence = &after_escape[..length];
            match sequence {
                "F" => text.push(self.field),
                "S" => text.push(self.component),
                "R" => text.push(self.repetition),
                "E" => text.push(self.escape),
                "T" => text.push(self.subcomponent),
                ".br" => text.push('\n'),
                _ => {
                    text.push(self.escape);
                    text.push_str(sequence);
                    text.push(self.escape);
                }
            }
            rest = &after_escape[length + self.escape.len_utf8()..];
        }
        text.push_str(rest);
        text
    }
}

/// Appends `text` escaped for the standard delimiters. `\r\n`, `\n` and a
/// lone `\r` all become `\.br\`, so line breaks read back as `\n`.
///
/// Returns the first control character HL7 text cannot carry (any C0 control
/// but tab and line breaks: 0x0B and 0x1C would break MLLP framing, ESC would
/// make the bytes look like ISO-2022-JP).
pub(crate) fn escape_into(text: &str, out: &mut String) -> Result<(), char> {
    let mut characters = text.chars().peekable();
    while let Some(c) = characters.next() {
        match c {
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '~' => out.push_str("\\R\\"),
            '\\' => out.push_str("\\E\\"),
            '&' => out.push_str("\\T\\"),
            '\n' => out.push_str("\\.br\\"),
            '\r' => {
                characters.next_if_eq(&'\n');
                out.push_str("\\.br\\");
            }
            '\t' => out.push(c),
            c if c.is_ascii_control() && c != '\u{7f}' => return Err(c),
            c => out.push(c),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        escape_into(text, &mut out).unwrap();
        out
    }

    #[test]
    fn delimiters_and_line_breaks_escape_and_read_back() {
        let text = "a|b^c~d\\e&f\ng";
        assert_eq!(escaped(text), "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\.br\\g");
        assert_eq!(Delimiters::STANDARD.unescape(&escaped(text)), text);
    }

    #[test]
    fn every_line_break_style_reads_back_as_newline() {
        let out = escaped("1\r\n2\r3\n4");
        assert_eq!(Delimiters::STANDARD.unescape(&out), "1\n2\n3\n4");
    }

    #[test]
    fn framing_and_escape_control_characters_are_refused() {
        for c in ['\u{0b}', '\u{1c}', '\u{1b}', '\u{0}'] {
            assert_eq!(escape_into(&format!("x{c}y"), &mut String::new()), Err(c));
        }
        assert_eq!(escaped("a\tb"), "a\tb");
    }

    #[test]
    fn unknown_and_unterminated_sequences_stay_literal() {
        let d = Delimiters::STANDARD;
        assert_eq!(d.unescape("\\X0D0A\\x"), "\\X0D0A\\x");
        assert_eq!(d.unescape("\\H\\bold\\N\\"), "\\H\\bold\\N\\");
        assert_eq!(d.unescape("C:\\temp"), "C:\\temp");
        assert_eq!(d.unescape("end\\"), "end\\");
        assert_eq!(d.unescape("\\\\"), "\\\\");
    }

    #[test]
    fn unescape_uses_the_senders_delimiters() {
        let d = Delimiters::from_msh('#', "$%!*").unwrap();
        assert_eq!(d.unescape("a!F!b!S!c!E!"), "a#b$c!");
    }

    #[test]
    fn bad_encoding_characters_are_refused() {
        assert!(Delimiters::from_msh('|', "^~\\").is_none());
        assert!(Delimiters::from_msh('|', "^^\\&").is_none());
        assert!(Delimiters::from_msh('|', "^~|&").is_none());
        assert!(Delimiters::from_msh('|', "^~A&").is_none());
        assert_eq!(
            Delimiters::from_msh('|', "^~\\&#"),
            Some(Delimiters::STANDARD)
        );
    }
}

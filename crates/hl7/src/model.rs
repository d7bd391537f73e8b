//! The in-memory message: segments → fields → repetitions → components →
//! subcomponents, holding unescaped text.
//!
//! Every level is kept in one canonical form: trailing empty items are
//! dropped when a value is built. An empty trailing component is not
//! written on the wire either, so a message read back from its own bytes
//! compares equal to the one that was written.

use std::sync::LazyLock;

/// A component: one or more subcomponents (`&`-separated on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Component {
    subcomponents: Vec<String>,
}

impl Component {
    /// A component holding one subcomponent.
    pub fn text(text: impl Into<String>) -> Self {
        Self::subcomponents([text.into()])
    }

    /// A component made of subcomponents, e.g. `TAB&錠&MR9P`.
    pub fn subcomponents<S: AsRef<str>>(subcomponents: impl IntoIterator<Item = S>) -> Self {
        let mut subcomponents: Vec<String> = subcomponents
            .into_iter()
            .map(|text| text.as_ref().to_owned())
            .collect();
        trim_trailing(&mut subcomponents, String::is_empty);
        Self { subcomponents }
    }

    /// Subcomponent `m` (1-based), `""` when absent.
    pub fn subcomponent(&self, m: usize) -> &str {
        m.checked_sub(1)
            .and_then(|index| self.subcomponents.get(index))
            .map_or("", String::as_str)
    }

    pub fn as_subcomponents(&self) -> &[String] {
        &self.subcomponents
    }

    pub fn is_empty(&self) -> bool {
        self.subcomponents.is_empty()
    }
}

/// One repetition of a field: its components (`^`-separated on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repetition {
    components: Vec<Component>,
}

impl Repetition {
    pub fn new(components: impl IntoIterator<Item = Component>) -> Self {
        let mut components: Vec<Component> = components.into_iter().collect();
        trim_trailing(&mut components, Component::is_empty);
        Self { components }
    }

    /// A repetition whose components each hold one subcomponent.
    pub fn components<S: AsRef<str>>(components: impl IntoIterator<Item = S>) -> Self {
        Self::new(
            components
                .into_iter()
                .map(|text| Component::text(text.as_ref())),
        )
    }

    /// First subcomponent of component `n` (1-based), `""` when absent.
    pub fn component(&self, n: usize) -> &str {
        self.subcomponent(n, 1)
    }

    /// Subcomponent `m` of component `n` (both 1-based), `""` when absent.
    pub fn subcomponent(&self, n: usize, m: usize) -> &str {
        n.checked_sub(1)
            .and_then(|index| self.components.get(index))
            .map_or("", |component| component.subcomponent(m))
    }

    pub fn as_components(&self) -> &[Component] {
        &self.components
    }

    pub fn is_empty(&self) -> bool {
        self.components.is_empty()
    }
}

impl From<Vec<Component>> for Repetition {
    fn from(components: Vec<Component>) -> Self {
        Self::new(components)
    }
}

/// A field: its repetitions (`~`-separated on the wire). An empty field has
/// no repetitions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    repetitions: Vec<Repetition>,
}

impl Field {
    /// A field holding one piece of text.
    pub fn text(text: impl Into<String>) -> Self {
        Self::from(vec![Repetition::new([Component::text(text)])])
    }

    /// A field of one repetition whose components each hold one
    /// subcomponent: `Field::components(["患者", "太郎"])` is `患者^太郎`.
    pub fn components<S: AsRef<str>>(components: impl IntoIterator<Item = S>) -> Self {
        Self::from(vec![Repetition::components(components)])
    }

    /// A repeating field, one list of components per repetition:
    /// `Field::repetitions([vec![""], vec!["ISO IR87"]])` is `~ISO IR87`.
    pub fn repetitions<C, S>(repetitions: impl IntoIterator<Item = C>) -> Self
    where
        C: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::from(
            repetitions
                .into_iter()
                .map(Repetition::components)
                .collect::<Vec<_>>(),
        )
    }

    /// Repetition `i` (0-based).
    pub fn repetition(&self, i: usize) -> Option<&Repetition> {
        self.repetitions.get(i)
    }

    /// First subcomponent of component `n` (1-based) of the first
    /// repetition, `""` when absent.
    pub fn component(&self, n: usize) -> &str {
        self.subcomponent(n, 1)
    }

    /// Subcomponent `m` of component `n` (both 1-based) of the first
    /// repetition, `""` when absent.
    pub fn subcomponent(&self, n: usize, m: usize) -> &str {
        self.repetitions
            .first()
            .map_or("", |repetition| repetition.subcomponent(n, m))
    }

    pub fn as_repetitions(&self) -> &[Repetition] {
        &self.repetitions
    }

    pub fn is_empty(&self) -> bool {
        self.repetitions.is_empty()
    }
}

impl From<Vec<Repetition>> for Field {
    fn from(mut repetitions: Vec<Repetition>) -> Self {
        trim_trailing(&mut repetitions, Repetition::is_empty);
        Self { repetitions }
    }
}

/// The model holds unescaped text, so MSH-1 and MSH-2 are the same for every
/// message: the delimiters a sender chose are a property of its bytes, and
/// the encoder always writes these.
pub(crate) const FIELD_SEPARATOR: char = '|';
pub(crate) const ENCODING_CHARACTERS: &str = "^~\\&";

static MSH_1: LazyLock<Field> = LazyLock::new(|| Field::text(FIELD_SEPARATOR));
static MSH_2: LazyLock<Field> = LazyLock::new(|| Field::text(ENCODING_CHARACTERS));

/// A segment: its id and its fields, numbered as HL7 numbers them (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Three characters, upper-case letters and digits (`PID`, `ZPR`).
    pub id: String,
    /// `fields[n - 1]` is field `n`. In MSH, indices 0 and 1 stay empty:
    /// MSH-1 and MSH-2 are fixed (see [`Segment::field`]).
    fields: Vec<Field>,
}

impl Segment {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            fields: Vec::new(),
        }
    }

    /// Builder form of [`Segment::set`].
    ///
    /// # Panics
    ///
    /// As [`Segment::set`].
    #[must_use]
    pub fn with(mut self, n: usize, field: Field) -> Self {
        self.set(n, field);
        self
    }

    /// Sets field `n` (1-based HL7 numbering, so PID-5 is `set(5, ..)`).
    /// Setting an empty field past the last one changes nothing.
    ///
    /// # Panics
    ///
    /// When `n` is 0, or when this is an MSH segment and `n` is 1 or 2: the
    /// field separator and encoding characters are chosen by the encoder,
    /// and writers start at MSH-3.
    pub fn set(&mut self, n: usize, field: Field) {
        assert!(n >= 1, "HL7 field numbers start at 1");
        assert!(
            !(self.is_msh() && n <= 2),
            "MSH-1 and MSH-2 are written by the encoder; set fields from MSH-3"
        );
        let index = n - 1;
        if index >= self.fields.len() {
            if field.is_empty() {
                return;
            }
            self.fields.resize_with(index + 1, Field::default);
        }
        self.fields[index] = field;
        trim_trailing(&mut self.fields, Field::is_empty);
    }

    /// Field `n` (1-based), `None` when absent or empty. For MSH, MSH-1 is
    /// `|` and MSH-2 is `^~\&` whatever delimiters the bytes used.
    pub fn field(&self, n: usize) -> Option<&Field> {
        if self.is_msh() {
            match n {
                1 => return Some(&MSH_1),
                2 => return Some(&MSH_2),
                _ => {}
            }
        }
        n.checked_sub(1)
            .and_then(|index| self.fields.get(index))
            .filter(|field| !field.is_empty())
    }

    /// The first subcomponent of the first component of the first
    /// repetition of field `n`, `""` when absent.
    pub fn text(&self, n: usize) -> &str {
        self.field(n).map_or("", |field| field.component(1))
    }

    pub(crate) fn is_msh(&self) -> bool {
        self.id == "MSH"
    }

    /// The fields the encoder writes after the id, numbered from
    /// `first_written_field_number`.
    pub(crate) fn written_fields(&self) -> &[Field] {
        let first = self.first_written_field_number() - 1;
        self.fields.get(first..).unwrap_or(&[])
    }

    pub(crate) fn first_written_field_number(&self) -> usize {
        if self.is_msh() { 3 } else { 1 }
    }

    /// Appends the next field while reading, keeping positions even when it
    /// is empty; the reader trims at the end with [`Segment::trim`].
    pub(crate) fn push_read_field(&mut self, field: Field) {
        if self.is_msh() && self.fields.len() < 2 {
            self.fields.resize_with(2, Field::default);
        }
        self.fields.push(field);
    }

    pub(crate) fn trim(&mut self) {
        trim_trailing(&mut self.fields, Field::is_empty);
    }
}

/// A message: its segments in order, MSH first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub segments: Vec<Segment>,
}

impl Message {
    pub fn new(segments: Vec<Segment>) -> Self {
        Self { segments }
    }

    /// The first segment with this id.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|segment| segment.id == id)
    }

    /// Every segment with this id, in order.
    pub fn segments_named(&self, id: &str) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(move |segment| segment.id == id)
    }

    /// `code^trigger` from MSH-9 (`ADT^A08`); just the code when MSH-9 has
    /// no trigger, `""` without MSH.
    pub fn message_type(&self) -> String {
        let Some(msh_9) = self.segment("MSH").and_then(|msh| msh.field(9)) else {
            return String::new();
        };
        match (msh_9.component(1), msh_9.component(2)) {
            (code, "") => code.to_owned(),
            (code, trigger) => format!("{code}^{trigger}"),
        }
    }

    /// MSH-10, `""` when absent.
    pub fn control_id(&self) -> &str {
        self.segment("MSH").map_or("", |msh| msh.text(10))
    }
}

fn trim_trailing<T>(items: &mut Vec<T>, is_empty: impl Fn(&T) -> bool) {
    while items.last().is_some_and(&is_empty) {
        items.pop();
    }
}

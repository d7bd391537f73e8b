//! Segment order rules: per message type, a regular expression over the
//! message's segment ids written one after another (`MSHEVNPIDPV1`), as in
//! the SS-MIX2 rule table `HL7_SEGMENTORDER.json`.

use std::collections::BTreeMap;

use regex::Regex;

use crate::error::{Hl7Error, SegmentOrderError};
use crate::model::Message;

#[derive(Debug, Clone)]
pub struct SegmentOrderRules {
    /// Message type (`ADT^A08`) → its rule, anchored at both ends.
    rules: BTreeMap<String, Regex>,
}

impl SegmentOrderRules {
    /// Reads a JSON object mapping message types to regular expressions.
    /// The table's rules are anchored only at the start; here they must
    /// match the whole sequence, so a message with extra segments after a
    /// valid prefix fails.
    ///
    /// # Errors
    ///
    /// [`Hl7Error::SegmentOrderJson`] when the text is not such an object,
    /// [`Hl7Error::SegmentOrderRegex`] naming the message type whose rule
    /// does not compile.
    pub fn from_json(json: &str) -> Result<Self, Hl7Error> {
        let table: BTreeMap<String, String> =
            serde_json::from_str(json).map_err(Hl7Error::SegmentOrderJson)?;
        let rules = table
            .into_iter()
            .map(
                |(message_type, rule)| match Regex::new(&format!("^(?:{rule})$")) {
                    Ok(regex) => Ok((message_type, regex)),
                    Err(source) => Err(Hl7Error::SegmentOrderRegex {
                        message_type,
                        source,
                    }),
                },
            )
            .collect::<Result<_, _>>()?;
        Ok(Self { rules })
    }

    /// The message types that have a rule, sorted.
    pub fn message_types(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }

    /// Checks the order of `message`'s segments against the rule for its
    /// type (MSH-9 components 1 and 2).
    ///
    /// # Errors
    ///
    /// [`SegmentOrderError::NoRule`] when its type has no rule,
    /// [`SegmentOrderError::Mismatch`] with the type and the segment
    /// sequence when the order breaks the rule.
    pub fn check(&self, message: &Message) -> Result<(), SegmentOrderError> {
        let message_type = message.message_type();
        let Some(rule) = self.rules.get(&message_type) else {
            return Err(SegmentOrderError::NoRule { message_type });
        };
        let ids: Vec<&str> = message
            .segments
            .iter()
            .map(|segment| segment.id.as_str())
            .collect();
        if rule.is_match(&ids.concat()) {
            return Ok(());
        }
        Err(SegmentOrderError::Mismatch {
            message_type,
            sequence: ids.join(" "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, Segment};

    fn message(message_type: [&str; 2], ids: &[&str]) -> Message {
        let msh = Segment::new("MSH").with(9, Field::components(message_type));
        let rest = ids.iter().map(|id| Segment::new(*id));
        Message::new(std::iter::once(msh).chain(rest).collect())
    }

    #[test]
    fn the_whole_sequence_must_match() {
        let rules = SegmentOrderRules::from_json(r#"{"ADT^A08": "^(MSH)(EVN)(PID)"}"#).unwrap();
        assert_eq!(
            rules.check(&message(["ADT", "A08"], &["EVN", "PID"])),
            Ok(())
        );
        assert_eq!(
            rules.check(&message(["ADT", "A08"], &["EVN", "PID", "PV1"])),
            Err(SegmentOrderError::Mismatch {
                message_type: "ADT^A08".into(),
                sequence: "MSH EVN PID PV1".into()
            })
        );
        assert_eq!(
            rules.check(&message(["ADT", "A01"], &["EVN", "PID"])),
            Err(SegmentOrderError::NoRule {
                message_type: "ADT^A01".into()
            })
        );
    }

    #[test]
    fn top_level_alternation_stays_anchored() {
        let rules = SegmentOrderRules::from_json(r#"{"X^Y": "^(MSH)(AAA)|(BBB)"}"#).unwrap();
        assert!(rules.check(&message(["X", "Y"], &["AAA"])).is_ok());
        assert!(rules.check(&message(["X", "Y"], &["BBB"])).is_err());
    }

    #[test]
    fn bad_tables_are_typed_errors() {
        assert!(matches!(
            SegmentOrderRules::from_json("[1]"),
            Err(Hl7Error::SegmentOrderJson(_))
        ));
        assert!(matches!(
            SegmentOrderRules::from_json(r#"{"A^B": "(MSH"}"#),
            Err(Hl7Error::SegmentOrderRegex { message_type, .. }) if message_type == "A^B"
        ));
    }
}

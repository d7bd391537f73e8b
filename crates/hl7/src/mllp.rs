//! MLLP (Minimal Lower Layer Protocol) framing: each message travels as
//! 0x0B, the message bytes, 0x1C 0x0D.

use std::collections::VecDeque;

const START_BLOCK: u8 = 0x0B;
const END_BLOCK: u8 = 0x1C;
const CARRIAGE_RETURN: u8 = 0x0D;

/// Wraps encoded message bytes in an MLLP frame.
#[must_use]
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 3);
    framed.push(START_BLOCK);
    framed.extend_from_slice(message);
    framed.extend_from_slice(&[END_BLOCK, CARRIAGE_RETURN]);
    framed
}

/// The largest message a [`Deframer`] made with [`Deframer::new`] accepts:
/// 16 MiB, far above any HL7 message a referral or a lab result needs.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Collects bytes as they arrive from a connection and hands out complete
/// frames.
///
/// Bytes outside a frame (noise, the 0x0D after 0x1C arriving late) are
/// dropped. A second 0x0B before a frame's end means the sender gave up on
/// the first frame, which is dropped too. A frame ends at 0x1C: neither
/// ISO-2022-JP nor the encoder's UTF-8 puts that byte inside a message.
///
/// A frame whose message grows past the limit is dropped as soon as it
/// does, with the rest of it up to the next 0x0B, so a peer that never
/// ends a frame cannot take more than the limit in memory;
/// [`overflowed`](Self::overflowed) counts such frames. Complete frames
/// wait until [`pop`](Self::pop)ped, so pop after every push.
#[derive(Debug)]
pub struct Deframer {
    max_message_bytes: usize,
    /// The message bytes of the frame being received, if inside one.
    current: Option<Vec<u8>>,
    /// Complete messages, oldest first.
    complete: VecDeque<Vec<u8>>,
    overflowed: usize,
}

impl Default for Deframer {
    fn default() -> Self {
        Self::with_limit(DEFAULT_MAX_MESSAGE_BYTES)
    }
}

impl Deframer {
    /// A deframer accepting messages of up to
    /// [`DEFAULT_MAX_MESSAGE_BYTES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A deframer accepting messages of up to `max_message_bytes` (the
    /// framing bytes not counted).
    pub fn with_limit(max_message_bytes: usize) -> Self {
        Self {
            max_message_bytes,
            current: None,
            complete: VecDeque::new(),
            overflowed: 0,
        }
    }

    pub fn push(&mut self, received: &[u8]) {
        let mut rest = received;
        while !rest.is_empty() {
            let Some(current) = &mut self.current else {
                let Some(start) = rest.iter().position(|&b| b == START_BLOCK) else {
                    return;
                };
                self.current = Some(Vec::new());
                rest = &rest[start + 1..];
                continue;
            };
            let boundary = rest
                .iter()
                .position(|&b| b == START_BLOCK || b == END_BLOCK);
            let body = &rest[..boundary.unwrap_or(rest.len())];
            let fits = current.len() + body.len() <= self.max_message_bytes;
            if fits {
                current.extend_from_slice(body);
            } else {
                self.current = None;
                self.overflowed += 1;
            }
            let Some(boundary) = boundary else {
                return;
            };
            match rest[boundary] {
                START_BLOCK => self.current = Some(Vec::new()),
                _ => {
                    if let Some(message) = self.current.take() {
                        self.complete.push_back(message);
                    }
                }
            }
            rest = &rest[boundary + 1..];
        }
    }

    /// The next complete frame's message bytes, without the framing.
    #[must_use]
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.complete.pop_front()
    }

    /// How many frames were dropped so far because their message was
    /// longer than the limit.
    pub fn overflowed(&self) -> usize {
        self.overflowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_wraps_the_message() {
        assert_eq!(frame(b"MSH|x\r"), b"\x0bMSH|x\r\x1c\r");
    }

    #[test]
    fn a_frame_whose_end_has_not_arrived_is_kept() {
        let mut deframer = Deframer::new();
        deframer.push(b"\x0bMSH|");
        assert_eq!(deframer.pop(), None);
        deframer.push(b"x\r\x1c");
        assert_eq!(deframer.pop().as_deref(), Some(&b"MSH|x\r"[..]));
        deframer.push(b"\r");
        assert_eq!(deframer.pop(), None);
    }

    #[test]
    fn an_abandoned_frame_is_dropped() {
        let mut deframer = Deframer::new();
        deframer.push(b"\x0bhalf\x0bwhole\x1c\r");
        assert_eq!(deframer.pop().as_deref(), Some(&b"whole"[..]));
        assert_eq!(deframer.pop(), None);
    }

    #[test]
    fn noise_between_frames_is_dropped() {
        let mut deframer = Deframer::new();
        deframer.push(b"noise\x1c\r\x0ba\x1c\rmore noise\x0bb\x1c\r");
        assert_eq!(deframer.pop().as_deref(), Some(&b"a"[..]));
        assert_eq!(deframer.pop().as_deref(), Some(&b"b"[..]));
        assert_eq!(deframer.pop(), None);
    }

    #[test]
    fn a_frame_past_the_limit_is_dropped_and_counted() {
        let mut deframer = Deframer::with_limit(4);
        deframer.push(b"\x0b1234\x1c\r");
        assert_eq!(deframer.pop().as_deref(), Some(&b"1234"[..]));
        assert_eq!(deframer.overflowed(), 0);

        // A frame that never ends keeps no more than the limit.
        deframer.push(b"\x0b123");
        deframer.push(b"45");
        assert_eq!(deframer.overflowed(), 1);
        for _ in 0..1000 {
            deframer.push(b"endless");
        }
        assert_eq!(deframer.current, None);
        assert_eq!(deframer.pop(), None);
        // Its end is noise; the next frame comes through.
        deframer.push(b"\x1c\r\x0bok\x1c\r\x0b12345\x1c\r\x0bok2\x1c\r");
        assert_eq!(deframer.pop().as_deref(), Some(&b"ok"[..]));
        assert_eq!(deframer.pop().as_deref(), Some(&b"ok2"[..]));
        assert_eq!(deframer.pop(), None);
        assert_eq!(deframer.overflowed(), 2);
    }

    #[test]
    fn the_default_limit_is_generous() {
        let mut deframer = Deframer::default();
        assert_eq!(deframer.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
        let message = vec![b'x'; 1024 * 1024];
        deframer.push(&frame(&message));
        assert_eq!(deframer.pop(), Some(message));
        assert_eq!(deframer.overflowed(), 0);
    }

    #[test]
    fn frames_pushed_before_popping_all_come_out() {
        let mut deframer = Deframer::new();
        deframer.push(b"\x0ba\x1c\r");
        deframer.push(b"\x0bb\x1c\r\x0bc");
        assert_eq!(deframer.pop().as_deref(), Some(&b"a"[..]));
        assert_eq!(deframer.pop().as_deref(), Some(&b"b"[..]));
        assert_eq!(deframer.pop(), None);
        deframer.push(b"\x1c");
        assert_eq!(deframer.pop().as_deref(), Some(&b"c"[..]));
    }
}

//! MLLP (Minimal Lower Layer Protocol) framing: each message travels as
//! 0x0B, the message bytes, 0x1C 0x0D.

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

/// Collects bytes as they arrive from a connection and hands out complete
/// frames.
///
/// Bytes outside a frame (noise, the 0x0D after 0x1C arriving late) are
/// dropped. A second 0x0B before a frame's end means the sender gave up on
/// the first frame, which is dropped too. A frame ends at 0x1C: neither
/// ISO-2022-JP nor the encoder's UTF-8 puts that byte inside a message.
#[derive(Debug, Default)]
pub struct Deframer {
    /// Empty, or starting with 0x0B.
    buffer: Vec<u8>,
}

impl Deframer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, received: &[u8]) {
        self.buffer.extend_from_slice(received);
        self.skip_to_start_block();
    }

    /// The next complete frame's message bytes, without the framing.
    #[must_use]
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        let end = self.buffer.iter().position(|&b| b == END_BLOCK)?;
        let start = self.buffer[..end].iter().rposition(|&b| b == START_BLOCK)?;
        let message = self.buffer[start + 1..end].to_vec();
        self.buffer.drain(..=end);
        self.skip_to_start_block();
        Some(message)
    }

    fn skip_to_start_block(&mut self) {
        match self.buffer.iter().position(|&b| b == START_BLOCK) {
            Some(start) => {
                self.buffer.drain(..start);
            }
            None => self.buffer.clear(),
        }
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
}

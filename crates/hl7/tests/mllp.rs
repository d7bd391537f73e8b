//! MLLP framing and acknowledgements over real sample messages.

mod common;

use common::{samples, standards};
use regex::Regex;
use torikomi_hl7::mllp::{Deframer, frame};
use torikomi_hl7::{AckCode, Charset, Message, ack, decode, encode};

fn sample_messages() -> Option<Vec<Message>> {
    let standards = standards()?;
    Some(
        samples(&standards, "raw_iso2022jp")
            .iter()
            .map(|sample| decode(&sample.bytes).unwrap())
            .collect(),
    )
}

#[test]
fn frames_split_at_every_byte_come_back_whole() {
    let Some(messages) = sample_messages() else {
        return;
    };
    let bytes = encode(&messages[0], Charset::Iso2022Jp).unwrap();
    let framed = frame(&bytes);
    assert_eq!(framed.first(), Some(&0x0B));
    assert!(framed.ends_with(&[0x1C, 0x0D]));
    for split in 0..=framed.len() {
        let mut deframer = Deframer::new();
        deframer.push(&framed[..split]);
        let early = deframer.pop();
        deframer.push(&framed[split..]);
        let message = early.or_else(|| deframer.pop()).expect("a frame");
        assert_eq!(message, bytes, "split at {split}");
        assert_eq!(deframer.pop(), None);
    }
}

#[test]
fn byte_by_byte_with_noise_and_two_frames_in_one_read() {
    let Some(messages) = sample_messages() else {
        return;
    };
    let encoded: Vec<Vec<u8>> = messages[..3]
        .iter()
        .map(|message| encode(message, Charset::Iso2022Jp).unwrap())
        .collect();

    // Two frames in one buffer, noise before the first.
    let mut deframer = Deframer::new();
    let mut received = b"\r\nnoise".to_vec();
    received.extend(frame(&encoded[0]));
    received.extend(frame(&encoded[1]));
    deframer.push(&received);
    assert_eq!(deframer.pop().as_ref(), Some(&encoded[0]));
    assert_eq!(deframer.pop().as_ref(), Some(&encoded[1]));
    assert_eq!(deframer.pop(), None);

    // One byte at a time.
    let mut stream = Vec::new();
    for bytes in &encoded {
        stream.extend(frame(bytes));
    }
    let mut deframer = Deframer::new();
    let mut popped = Vec::new();
    for byte in stream {
        deframer.push(&[byte]);
        popped.extend(deframer.pop());
    }
    assert_eq!(popped, encoded);
    for (bytes, message) in popped.iter().zip(&messages) {
        assert_eq!(&decode(bytes).unwrap(), message);
    }
}

#[test]
fn ack_answers_the_original() {
    let Some(messages) = sample_messages() else {
        return;
    };
    let original = messages
        .iter()
        .find(|message| message.message_type() == "ADT^A08")
        .unwrap();
    let acknowledgement = ack(original, AckCode::Error, "患者IDが不明です", "ACK0001");

    let msh = acknowledgement.segment("MSH").unwrap();
    assert_eq!(
        [msh.text(3), msh.text(4), msh.text(5), msh.text(6)],
        ["GW", "RCV", "HIS123", "SEND"]
    );
    assert!(Regex::new(r"^\d{14}\+0000$").unwrap().is_match(msh.text(7)));
    assert_eq!(acknowledgement.message_type(), "ACK^A08");
    assert_eq!(msh.field(9).unwrap().component(3), "ACK");
    assert_eq!(acknowledgement.control_id(), "ACK0001");
    assert_eq!(msh.text(12), "2.5");
    assert_eq!(msh.field(18), original.segment("MSH").unwrap().field(18));

    let msa = acknowledgement.segment("MSA").unwrap();
    assert_eq!(msa.text(1), "AE");
    assert_eq!(msa.text(2), "20111220000001");
    assert_eq!(msa.text(3), "患者IDが不明です");

    // Over the wire and back.
    let bytes = encode(&acknowledgement, Charset::Iso2022Jp).unwrap();
    let mut deframer = Deframer::new();
    deframer.push(&frame(&bytes));
    let received = decode(&deframer.pop().unwrap()).unwrap();
    assert_eq!(received, acknowledgement);
    assert_eq!(AckCode::from_message(&received).unwrap(), AckCode::Error);

    let accepted = ack(original, AckCode::Accept, "", "ACK0002");
    assert_eq!(AckCode::from_message(&accepted).unwrap(), AckCode::Accept);
    assert_eq!(accepted.segment("MSA").unwrap().field(3), None);
    assert!(AckCode::from_message(original).is_err());
}

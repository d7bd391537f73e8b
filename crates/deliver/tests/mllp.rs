//! The MLLP sender against a real TCP listener on 127.0.0.1 that answers
//! as interface engines do, well and badly: AA, AE, AR, late ACKs, ACKs
//! for another message, no ACK, connections closed mid-message.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use torikomi_deliver::{Backoff, MllpTarget, SendPolicy, send_pending};
use torikomi_hl7::mllp::{Deframer, frame};
use torikomi_hl7::{AckCode, Charset, Field, Message, Segment, ack, decode, encode};
use torikomi_store::{NewMessage, OutboxStatus, Store};

#[derive(Debug, Clone)]
enum Answer {
    Ack(AckCode, &'static str),
    /// AA, but only after the sender has given up waiting.
    Late,
    /// An ACK whose MSA-2 names another message.
    WrongId,
    /// Keep the connection open and say nothing.
    Silence,
    /// Drop the connection without answering.
    Hangup,
}

#[derive(Default)]
struct EngineLog {
    /// Every complete message received, by control id, in order.
    received: Vec<String>,
    /// How often each control id was taken in; the engine's duplicate
    /// check (on MSH-10) takes a resent message in once.
    taken_in: HashMap<String, usize>,
}

/// A listener that answers each control id from its script, one answer per
/// reception, the last one repeating; `hang_up_first_after` bytes drops the
/// very first connection in the middle of a message.
struct Engine {
    target: MllpTarget,
    script: Arc<Mutex<HashMap<String, VecDeque<Answer>>>>,
    log: Arc<Mutex<EngineLog>>,
}

impl Engine {
    fn start(script: Vec<(&str, Vec<Answer>)>, hang_up_first_after: Option<usize>) -> Engine {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let script: HashMap<String, VecDeque<Answer>> =
            script.into_iter().map(|(id, answers)| (id.to_owned(), answers.into())).collect();
        let script = Arc::new(Mutex::new(script));
        let log = Arc::new(Mutex::new(EngineLog::default()));
        let (engine_script, engine_log) = (Arc::clone(&script), Arc::clone(&log));
        thread::spawn(move || {
            let mut hang_up = hang_up_first_after;
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (script, log, hang_up_after) = (Arc::clone(&engine_script), Arc::clone(&engine_log), hang_up.take());
                thread::spawn(move || serve(stream, &script, &log, hang_up_after));
            }
        });
        Engine { target: MllpTarget { host: "127.0.0.1".into(), port }, script, log }
    }

    /// From now on, answer `control_id` so.
    fn answer(&self, control_id: &str, answer: Answer) {
        self.script.lock().unwrap().insert(control_id.to_owned(), VecDeque::from([answer]));
    }
}

fn serve(
    mut stream: TcpStream,
    script: &Mutex<HashMap<String, VecDeque<Answer>>>,
    log: &Mutex<EngineLog>,
    hang_up_after: Option<usize>,
) {
    if let Some(bytes) = hang_up_after {
        let mut partial = vec![0; bytes];
        let _ = stream.read_exact(&mut partial);
        return;
    }
    let mut deframer = Deframer::default();
    let mut buffer = [0u8; 4096];
    loop {
        let Ok(read) = stream.read(&mut buffer) else { return };
        if read == 0 {
            return;
        }
        deframer.push(&buffer[..read]);
        while let Some(bytes) = deframer.pop() {
            let message = decode(&bytes).unwrap();
            let control_id = message.control_id().to_owned();
            {
                let mut log = log.lock().unwrap();
                log.received.push(control_id.clone());
            }
            let answer = {
                let mut script = script.lock().unwrap();
                let answers = script.get_mut(&control_id).expect("scripted control id");
                if answers.len() > 1 { answers.pop_front().unwrap() } else { answers[0].clone() }
            };
            let reply = |code: AckCode, text: &str, named: &str| {
                let mut reply = ack(&message, code, text, "ACK1");
                if named != control_id {
                    let msa = Segment::new("MSA").with(1, Field::text(code.as_str())).with(2, Field::text(named));
                    reply = Message::new(vec![reply.segments[0].clone(), msa]);
                }
                frame(&encode(&reply, Charset::Utf8).unwrap())
            };
            let take_in = || *log.lock().unwrap().taken_in.entry(control_id.clone()).or_default() += 1;
            let first_time = !log.lock().unwrap().taken_in.contains_key(&control_id);
            match answer {
                Answer::Ack(code, text) => {
                    if code == AckCode::Accept && first_time {
                        take_in();
                    }
                    let _ = stream.write_all(&reply(code, text, &control_id));
                }
                Answer::Late => {
                    if first_time {
                        take_in();
                    }
                    thread::sleep(Duration::from_millis(600));
                    let _ = stream.write_all(&reply(AckCode::Accept, "", &control_id));
                }
                Answer::WrongId => {
                    let _ = stream.write_all(&reply(AckCode::Accept, "", "SOMEONE-ELSE"));
                }
                Answer::Silence => {}
                Answer::Hangup => return,
            }
        }
    }
}

fn message(control_id: &str) -> Vec<u8> {
    let message = Message::new(vec![
        Segment::new("MSH")
            .with(3, Field::text("TORIKOMI"))
            .with(9, Field::components(["ADT", "A08", "ADT_A01"]))
            .with(10, Field::text(control_id))
            .with(11, Field::text("P"))
            .with(12, Field::text("2.5")),
        Segment::new("PID").with(5, Field::components(["患者", "太郎"])),
    ]);
    encode(&message, Charset::Utf8).unwrap()
}

fn queue(store: &Store, target: &MllpTarget, control_ids: &[&str]) {
    for control_id in control_ids {
        let payload = message(control_id);
        let queued = NewMessage {
            destination: &target.destination(),
            document_id: control_id,
            data_type: "ADT-00",
            control_id,
            payload: &payload,
        };
        assert!(store.enqueue(&queued).unwrap());
    }
}

fn policy() -> SendPolicy {
    SendPolicy {
        connect_timeout: Duration::from_secs(2),
        ack_timeout: Duration::from_millis(300),
        max_attempts: 4,
        backoff: Backoff { initial: Duration::from_millis(10), max: Duration::from_millis(40) },
    }
}

#[test]
fn every_message_ends_delivered_once_or_refused_with_the_engine_s_reason() {
    use Answer::*;
    let engine = Engine::start(
        vec![
            ("M1", vec![Ack(AckCode::Accept, "")]),
            ("M2", vec![Ack(AckCode::Error, "患者IDが未登録です")]),
            ("M3", vec![Ack(AckCode::Reject, "unsupported message type")]),
            ("M4", vec![Late, Ack(AckCode::Accept, "")]),
            ("M5", vec![WrongId, Ack(AckCode::Accept, "")]),
            ("M6", vec![Silence, Silence, Ack(AckCode::Accept, "")]),
            ("M7", vec![Hangup, Ack(AckCode::Accept, "")]),
        ],
        Some(20),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let ids = ["M1", "M2", "M3", "M4", "M5", "M6", "M7"];
    queue(&store, &engine.target, &ids);

    let report = send_pending(&store, &engine.target, &policy()).unwrap();

    assert_eq!(report.delivered, ["M1", "M4", "M5", "M6", "M7"]);
    assert_eq!(report.refused.len(), 2, "{report:?}");
    assert_eq!(report.refused[0].0, "M2");
    assert!(report.refused[0].1.contains("AE") && report.refused[0].1.contains("患者IDが未登録です"), "{report:?}");
    assert!(report.refused[1].1.contains("unsupported message type"), "{report:?}");
    assert!(report.pending.is_empty());

    let outbox = store.outbox(&engine.target.destination()).unwrap();
    assert!(outbox.iter().all(|message| message.status != OutboxStatus::Pending));
    let log = engine.log.lock().unwrap();
    for id in ["M1", "M4", "M5", "M6", "M7"] {
        assert_eq!(log.taken_in.get(id), Some(&1), "{id} taken in once: {:?}", log.taken_in);
    }
    // Resends carry the same MSH-10; nothing was sent under another id.
    assert!(log.received.iter().all(|id| ids.contains(&id.as_str())));
    assert!(log.received.iter().filter(|id| *id == "M4").count() >= 2, "the late ACK forced a resend");
}

#[test]
fn an_unanswered_message_and_those_after_it_wait_for_the_next_run() {
    use Answer::*;
    let engine = Engine::start(vec![("N1", vec![Ack(AckCode::Accept, "")]), ("N2", vec![Silence]), ("N3", vec![Silence])], None);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    queue(&store, &engine.target, &["N1", "N2", "N3"]);

    let report = send_pending(&store, &engine.target, &policy()).unwrap();
    assert_eq!(report.delivered, ["N1"]);
    let pending: Vec<&str> = report.pending.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(pending, ["N2", "N3"], "order is kept: N3 does not overtake N2");
    assert!(report.pending[0].1.contains("no ACK"), "{report:?}");
    assert_eq!(engine.log.lock().unwrap().received.iter().filter(|id| *id == "N3").count(), 0);

    // The engine recovers; the next run sends what was left, in order.
    engine.answer("N2", Ack(AckCode::Accept, ""));
    engine.answer("N3", Ack(AckCode::Accept, ""));
    let report = send_pending(&store, &engine.target, &policy()).unwrap();
    assert_eq!(report.delivered, ["N2", "N3"]);
    assert!(store.pending(&engine.target.destination()).unwrap().is_empty());
}

#[test]
fn an_engine_that_is_down_leaves_everything_pending() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = MllpTarget { host: "127.0.0.1".into(), port: listener.local_addr().unwrap().port() };
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    queue(&store, &target, &["D1", "D2"]);
    let report = send_pending(&store, &target, &policy()).unwrap();
    assert!(report.delivered.is_empty());
    assert_eq!(report.pending.len(), 2);
    assert!(report.pending[0].1.contains("cannot connect"), "{report:?}");
    assert_eq!(store.outbox(&target.destination()).unwrap()[0].attempts, 4);
}

//! MLLP (Minimal Lower Layer Protocol) sender: one framed message at a
//! time, each waiting for the ACK whose MSA-2 names its MSH-10.
//!
//! The outbox is the source of truth: a message is stored before it is
//! first sent and marked done only after its ACK, so a crash or a dropped
//! connection leads to a resend of the same bytes with the same MSH-10,
//! never to a lost message or one sent under a new id.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use torikomi_hl7::mllp::{Deframer, frame};
use torikomi_hl7::{AckCode, decode};
use torikomi_store::{Delivery, OutboxMessage, Store};
use tracing::{debug, warn};

use crate::DeliverError;

/// An interface engine's MLLP listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MllpTarget {
    pub host: String,
    pub port: u16,
}

impl MllpTarget {
    /// Parses "host:port".
    ///
    /// # Errors
    /// No port, or a port that is not a number.
    pub fn parse(target: &str) -> Result<MllpTarget, DeliverError> {
        let bad = || DeliverError::BadTarget { target: target.to_owned() };
        let (host, port) = target.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(MllpTarget { host: host.to_owned(), port })
    }

    /// The outbox's name for this destination.
    pub fn destination(&self) -> String {
        format!("mllp://{}:{}", self.host, self.port)
    }
}

/// Waits between tries: `initial`, doubling up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    fn after(&self, failures: u32) -> Duration {
        self.initial.saturating_mul(1 << failures.min(16)).min(self.max)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SendPolicy {
    pub connect_timeout: Duration,
    /// How long to wait for the ACK of a sent message.
    pub ack_timeout: Duration,
    /// Tries per message in this run; a message still unanswered stays in
    /// the outbox for the next run.
    pub max_attempts: u32,
    pub backoff: Backoff,
}

impl Default for SendPolicy {
    fn default() -> Self {
        SendPolicy {
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(30),
            max_attempts: 5,
            backoff: Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(60) },
        }
    }
}

/// What one run of the sender achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub delivered: Vec<String>,
    /// (control id, the engine's reason) for AE/AR answers.
    pub refused: Vec<(String, String)>,
    /// (control id, last error) for messages left for a later run.
    pub pending: Vec<(String, String)>,
}

/// Sends the outbox's pending messages for `target` in order. A message
/// the engine does not answer after `max_attempts` stops the run (later
/// messages would overtake it) and it and those after it stay pending.
///
/// # Errors
/// Only the store failing; network trouble is recorded per message.
pub fn send_pending(store: &Store, target: &MllpTarget, policy: &SendPolicy) -> Result<SendReport, DeliverError> {
    let destination = target.destination();
    let mut report = SendReport::default();
    let mut connection: Option<Connection> = None;
    let mut queue = store.pending(&destination)?.into_iter();
    while let Some(message) = queue.next() {
        match send_one(store, target, policy, &mut connection, &message)? {
            Some(Delivery::Accepted) => report.delivered.push(message.control_id),
            Some(Delivery::Refused { reason }) => report.refused.push((message.control_id, reason)),
            None => {
                for left in std::iter::once(message).chain(queue.by_ref()) {
                    let last_error = store
                        .outbox_message(left.id)?
                        .and_then(|stored| stored.last_error)
                        .unwrap_or_else(|| "not tried".to_owned());
                    report.pending.push((left.control_id, last_error));
                }
            }
        }
    }
    Ok(report)
}

/// Tries one message until the engine answers it or the tries run out
/// (None).
fn send_one(
    store: &Store,
    target: &MllpTarget,
    policy: &SendPolicy,
    connection: &mut Option<Connection>,
    message: &OutboxMessage,
) -> Result<Option<Delivery>, DeliverError> {
    for attempt in 0..policy.max_attempts {
        if attempt > 0 {
            thread::sleep(policy.backoff.after(attempt - 1));
        }
        let answer = match connection.take() {
            Some(open) => Ok(open),
            None => Connection::open(target, policy),
        }
        .and_then(|mut open| {
            let answer = open.exchange(&message.payload, &message.control_id, policy.ack_timeout);
            if answer.is_ok() {
                *connection = Some(open);
            }
            answer
        });
        match answer {
            Ok(delivery) => {
                store.finish(message.id, &delivery)?;
                debug!(control_id = %message.control_id, ?delivery, "answered");
                return Ok(Some(delivery));
            }
            Err(problem) => {
                warn!(control_id = %message.control_id, attempt, %problem, "no answer");
                store.record_attempt(message.id, &problem)?;
            }
        }
    }
    Ok(None)
}

struct Connection {
    stream: TcpStream,
    deframer: Deframer,
}

impl Connection {
    fn open(target: &MllpTarget, policy: &SendPolicy) -> Result<Connection, String> {
        let addresses = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|error| format!("cannot resolve {}: {error}", target.host))?;
        let mut last_error = format!("no address for {}", target.host);
        for address in addresses {
            match TcpStream::connect_timeout(&address, policy.connect_timeout) {
                Ok(stream) => return Ok(Connection { stream, deframer: Deframer::default() }),
                Err(error) => last_error = format!("cannot connect to {address}: {error}"),
            }
        }
        Err(last_error)
    }

    /// Sends one framed message and reads frames until its ACK arrives.
    /// Any trouble (timeout, closed connection, an ACK for another message)
    /// is an `Err` with the reason; the connection is then dropped, since
    /// a late answer on it would be taken for the next message's.
    fn exchange(&mut self, payload: &[u8], control_id: &str, timeout: Duration) -> Result<Delivery, String> {
        self.stream.write_all(&frame(payload)).map_err(|error| format!("sending: {error}"))?;
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(ack) = self.deframer.pop() {
                return read_ack(&ack, control_id);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("no ACK within {} s", timeout.as_secs_f32()));
            }
            self.stream.set_read_timeout(Some(left)).map_err(|error| error.to_string())?;
            match self.stream.read(&mut buffer) {
                Ok(0) => return Err("the engine closed the connection before answering".to_owned()),
                Ok(read) => self.deframer.push(&buffer[..read]),
                Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(format!("no ACK within {} s", timeout.as_secs_f32()));
                }
                Err(error) => return Err(format!("reading the ACK: {error}")),
            }
        }
    }
}

fn read_ack(bytes: &[u8], control_id: &str) -> Result<Delivery, String> {
    let ack = decode(bytes).map_err(|error| format!("unreadable ACK: {error}"))?;
    let msa = ack.segment("MSA").ok_or("ACK without MSA")?;
    if msa.text(2) != control_id {
        return Err(format!("ACK names message {:?}, not {control_id:?}", msa.text(2)));
    }
    let code: AckCode = msa.text(1).parse().map_err(|_| format!("unknown ACK code {:?}", msa.text(1)))?;
    Ok(match code {
        AckCode::Accept => Delivery::Accepted,
        AckCode::Error | AckCode::Reject => {
            let mut reason = format!("{}: {}", code.as_str(), msa.text(3));
            if let Some(err) = ack.segment("ERR") {
                let detail = err.text(8);
                if !detail.is_empty() {
                    reason.push_str(&format!(" ({detail})"));
                }
            }
            Delivery::Refused { reason }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(MllpTarget::parse("10.0.0.5:2575").unwrap().destination(), "mllp://10.0.0.5:2575");
        assert!(MllpTarget::parse("engine").is_err());
        assert!(MllpTarget::parse(":2575").is_err());
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let backoff = Backoff { initial: Duration::from_millis(100), max: Duration::from_millis(500) };
        assert_eq!(backoff.after(0), Duration::from_millis(100));
        assert_eq!(backoff.after(2), Duration::from_millis(400));
        assert_eq!(backoff.after(30), Duration::from_millis(500));
    }
}

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
            // An idle connection the engine has since closed is no fault of
            // this message: try again at once on a fresh one, uncounted.
            Some(mut reused) => match reused.exchange(&message.payload, &message.control_id, policy.ack_timeout) {
                Err(problem) if problem.is_connection_lost() => exchange_fresh(target, policy, message, connection),
                answer => {
                    if answer.is_ok() {
                        *connection = Some(reused);
                    }
                    answer
                }
            },
            None => exchange_fresh(target, policy, message, connection),
        };
        match answer {
            Ok(delivery) => {
                store.finish(message.id, &delivery)?;
                debug!(control_id = %message.control_id, ?delivery, "answered");
                return Ok(Some(delivery));
            }
            Err(problem) => {
                warn!(control_id = %message.control_id, attempt, %problem, "no answer");
                store.record_attempt(message.id, &problem.to_string())?;
            }
        }
    }
    Ok(None)
}

fn exchange_fresh(
    target: &MllpTarget,
    policy: &SendPolicy,
    message: &OutboxMessage,
    connection: &mut Option<Connection>,
) -> Result<Delivery, Exchange> {
    let mut fresh = Connection::open(target, policy)?;
    let answer = fresh.exchange(&message.payload, &message.control_id, policy.ack_timeout);
    if answer.is_ok() {
        *connection = Some(fresh);
    }
    answer
}

/// Why one exchange ended without the engine's answer; recorded on the
/// message, which stays pending.
#[derive(Debug, thiserror::Error)]
enum Exchange {
    #[error("cannot resolve {host}: {source}")]
    Resolve { host: String, source: std::io::Error },
    #[error("cannot connect to {address}: {source}")]
    Connect { address: String, source: std::io::Error },
    #[error("sending: {0}")]
    Send(std::io::Error),
    #[error("the engine closed the connection before answering")]
    Closed,
    #[error("reading the ACK: {0}")]
    Read(std::io::Error),
    #[error("no ACK within {seconds} s")]
    Timeout { seconds: f32 },
    #[error("unreadable ACK: {0}")]
    UnreadableAck(#[from] torikomi_hl7::Hl7Error),
}

impl Exchange {
    /// The connection itself failed (as an idle one the engine closed does).
    fn is_connection_lost(&self) -> bool {
        matches!(self, Exchange::Send(_) | Exchange::Closed | Exchange::Read(_))
    }
}

struct Connection {
    stream: TcpStream,
    deframer: Deframer,
}

impl Connection {
    fn open(target: &MllpTarget, policy: &SendPolicy) -> Result<Connection, Exchange> {
        let addresses = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|source| Exchange::Resolve { host: target.host.clone(), source })?;
        let mut last_error = Exchange::Resolve {
            host: target.host.clone(),
            source: std::io::Error::new(ErrorKind::NotFound, "no address"),
        };
        for address in addresses {
            match TcpStream::connect_timeout(&address, policy.connect_timeout) {
                Ok(stream) => return Ok(Connection { stream, deframer: Deframer::default() }),
                Err(source) => last_error = Exchange::Connect { address: address.to_string(), source },
            }
        }
        Err(last_error)
    }

    /// Sends one framed message and reads frames until its ACK arrives,
    /// passing over frames that answer other messages (a late ACK from an
    /// earlier try, an application ACK after a commit ACK). On any error
    /// the caller drops the connection: a late answer on it would be taken
    /// for the next message's.
    fn exchange(&mut self, payload: &[u8], control_id: &str, timeout: Duration) -> Result<Delivery, Exchange> {
        let seconds = timeout.as_secs_f32();
        self.stream.set_write_timeout(Some(timeout)).map_err(Exchange::Send)?;
        self.stream.write_all(&frame(payload)).map_err(|error| match error.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Exchange::Timeout { seconds },
            _ => Exchange::Send(error),
        })?;
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 4096];
        loop {
            while let Some(frame) = self.deframer.pop() {
                let ack = decode(&frame)?;
                let answers = ack.segment("MSA").map(|msa| msa.text(2));
                if answers == Some(control_id) {
                    return Ok(read_ack(&ack));
                }
                debug!(expected = control_id, found = ?answers, "passing over an ACK for another message");
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Exchange::Timeout { seconds });
            }
            self.stream.set_read_timeout(Some(left)).map_err(Exchange::Read)?;
            match self.stream.read(&mut buffer) {
                Ok(0) => return Err(Exchange::Closed),
                Ok(read) => self.deframer.push(&buffer[..read]),
                Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Exchange::Timeout { seconds });
                }
                Err(error) => return Err(Exchange::Read(error)),
            }
        }
    }
}

/// The engine's answer to our message: AA (or CA) delivers it; anything
/// else refuses it with MSA-1, MSA-3 and ERR-8 as the reason shown to the
/// user.
fn read_ack(ack: &torikomi_hl7::Message) -> Delivery {
    match AckCode::from_message(ack) {
        Ok(AckCode::Accept) => Delivery::Accepted,
        code => {
            let msa = ack.segment("MSA").expect("checked by the caller");
            let code = match code {
                Ok(code) => code.as_str().to_owned(),
                Err(_) => format!("unknown code {:?}", msa.text(1)),
            };
            let mut reason = format!("{code}: {}", msa.text(3));
            if let Some(detail) = ack.segment("ERR").map(|err| err.text(8)).filter(|detail| !detail.is_empty()) {
                reason.push_str(&format!(" ({detail})"));
            }
            Delivery::Refused { reason }
        }
    }
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

//! Messages waiting for an interface engine's acknowledgement. A message
//! is stored before its first send and keeps its control id (MSH-10) for
//! every resend, so an engine that checks MSH-10 for duplicates takes it in
//! once however often a dropped connection forces a resend.

use rusqlite::{OptionalExtension, Row, params};

use crate::{Store, StoreError};

/// A message to queue for one destination.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Where it goes, e.g. "mllp://10.0.0.5:2575".
    pub destination: &'a str,
    pub document_id: &'a str,
    /// SS-MIX2 data type ("ADT-00"…): one message per type per document.
    pub data_type: &'a str,
    pub control_id: &'a str,
    /// The encoded message, as it will be framed and sent.
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    /// The engine answered AA.
    Delivered,
    /// The engine answered AE or AR: resending would not help.
    Failed,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> OutboxStatus {
        match text {
            "delivered" => OutboxStatus::Delivered,
            "failed" => OutboxStatus::Failed,
            _ => OutboxStatus::Pending,
        }
    }
}

/// How a send ended for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Accepted,
    /// The engine's reason (MSA-3 / ERR), shown to the user.
    Refused { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub destination: String,
    pub document_id: String,
    pub data_type: String,
    pub control_id: String,
    pub payload: Vec<u8>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl OutboxMessage {
    fn from_row(row: &Row) -> rusqlite::Result<OutboxMessage> {
        Ok(OutboxMessage {
            id: row.get("id")?,
            destination: row.get("destination")?,
            document_id: row.get("document_id")?,
            data_type: row.get("data_type")?,
            control_id: row.get("control_id")?,
            payload: row.get("payload")?,
            status: OutboxStatus::parse(&row.get::<_, String>("status")?),
            attempts: row.get("attempts")?,
            last_error: row.get("last_error")?,
        })
    }
}

impl Store {
    /// Queues a message unless this document's message of this type is
    /// already queued for this destination (then the stored one, with its
    /// control id, is what will be sent). Returns whether it was added.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn enqueue(&self, message: &NewMessage) -> Result<bool, StoreError> {
        let added = self
            .connection
            .execute(
                "INSERT INTO outbox (destination, document_id, data_type, control_id, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (destination, document_id, data_type) DO NOTHING",
                params![
                    message.destination,
                    message.document_id,
                    message.data_type,
                    message.control_id,
                    message.payload
                ],
            )
            .map_err(|source| self.error(source))?;
        Ok(added == 1)
    }

    /// Messages still to send to `destination`, oldest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn pending(&self, destination: &str) -> Result<Vec<OutboxMessage>, StoreError> {
        self.select("WHERE destination = ?1 AND status = 'pending' ORDER BY id", params![destination])
    }

    /// Every message for `destination`, whatever its state, oldest first.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn outbox(&self, destination: &str) -> Result<Vec<OutboxMessage>, StoreError> {
        self.select("WHERE destination = ?1 ORDER BY id", params![destination])
    }

    /// One message by id.
    ///
    /// # Errors
    /// The database cannot be read.
    pub fn outbox_message(&self, id: i64) -> Result<Option<OutboxMessage>, StoreError> {
        self.connection
            .query_row("SELECT * FROM outbox WHERE id = ?1", params![id], OutboxMessage::from_row)
            .optional()
            .map_err(|source| self.error(source))
    }

    /// Notes a try that ended without an answer (timeout, dropped
    /// connection, an ACK for another message); the message stays pending.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn record_attempt(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.connection
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1 AND status = 'pending'",
                params![id, error],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    /// Records the engine's final answer.
    ///
    /// # Errors
    /// The database cannot be written.
    pub fn finish(&self, id: i64, delivery: &Delivery) -> Result<(), StoreError> {
        let (status, error) = match delivery {
            Delivery::Accepted => (OutboxStatus::Delivered, None),
            Delivery::Refused { reason } => (OutboxStatus::Failed, Some(reason.as_str())),
        };
        self.connection
            .execute(
                "UPDATE outbox SET status = ?2, attempts = attempts + 1,
                    last_error = coalesce(?3, last_error),
                    done_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1",
                params![id, status.as_str(), error],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn select(&self, filter: &str, parameters: impl rusqlite::Params) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT * FROM outbox {filter}"))
            .map_err(|source| self.error(source))?;
        statement
            .query_map(parameters, OutboxMessage::from_row)
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(data_type: &'a str, control_id: &'a str) -> NewMessage<'a> {
        NewMessage { destination: "mllp://x", document_id: "d1", data_type, control_id, payload: b"MSH|" }
    }

    #[test]
    fn a_message_is_queued_once_and_keeps_its_control_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        assert!(store.enqueue(&message("ADT-00", "T1")).unwrap());
        assert!(!store.enqueue(&message("ADT-00", "T2")).unwrap());
        let pending = store.pending("mllp://x").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].control_id, "T1");
    }

    #[test]
    fn attempts_and_answers_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        store.enqueue(&message("ADT-00", "T1")).unwrap();
        store.enqueue(&message("PPR-01", "T2")).unwrap();
        let [first, second] = store.pending("mllp://x").unwrap().try_into().unwrap();
        store.record_attempt(first.id, "timed out").unwrap();
        store.finish(first.id, &Delivery::Accepted).unwrap();
        store.finish(second.id, &Delivery::Refused { reason: "unknown patient".into() }).unwrap();
        assert!(store.pending("mllp://x").unwrap().is_empty());
        let all = store.outbox("mllp://x").unwrap();
        assert_eq!((all[0].status, all[0].attempts), (OutboxStatus::Delivered, 2));
        assert_eq!(all[1].status, OutboxStatus::Failed);
        assert_eq!(all[1].last_error.as_deref(), Some("unknown patient"));
    }
}

//! [`RedisFanout`]: the bus across processes, over Redis pub/sub.
//!
//! Each topic is a Redis channel (`{prefix}:doc:{id}`, `{prefix}:ws:{id}`,
//! `{prefix}:control`), subscribed while this process has a subscriber for it.
//! Publishing delivers to this process's subscribers at once and sends the
//! event to Redis for the others; events heard back from this process are
//! skipped. One task owns the Redis connections: it publishes (pipelining
//! whatever is queued), changes subscriptions, reads messages, and reconnects
//! with a growing pause when the connection drops.
//!
//! Redis is a fast path: nothing is kept while it is unreachable. Subscribers
//! hear [`Payload::Resync`] whenever events may have been missed — when a
//! subscription is confirmed (events published before it were not heard) and
//! when the connection comes back — and catch up from the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use reynard_bus::{Bus, BusStats, Delivery, Payload, ProcessId, Published, SubscriptionId, Topic};
use reynard_proto::{DocumentId, WorkspaceId};
use tokio::sync::mpsc;

/// The first byte of every message (the encoding's version).
const FORMAT: u8 = 1;
/// Publishes sent to Redis in one pipeline at most.
const MAX_PIPELINE: u64 = 256;
/// The pauses between reconnection attempts grow up to this.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// What the connection task is asked to do.
#[derive(Debug)]
enum Command {
    Publish { channel: String, body: Vec<u8> },
    Subscribe(Topic),
    Unsubscribe(Topic),
}

/// The bus over Redis. Create it inside a Tokio runtime; dropping it stops its
/// connection task.
pub struct RedisFanout {
    shared: Arc<Shared>,
}

struct Shared {
    prefix: String,
    /// Tells this process's messages from the others' (random per fan-out).
    instance: u64,
    subscribers: Mutex<HashMap<Topic, Vec<(SubscriptionId, Delivery)>>>,
    next_id: AtomicU64,
    commands: mpsc::UnboundedSender<Command>,
    connected: AtomicBool,
    reconnects: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    lag_micros_sum: AtomicU64,
    lag_micros_max: AtomicU64,
}

impl std::fmt::Debug for RedisFanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFanout")
            .field("prefix", &self.shared.prefix)
            .field("connected", &self.shared.connected.load(Ordering::Relaxed))
            .finish()
    }
}

impl RedisFanout {
    /// A fan-out over the Redis at `url` (`redis://HOST:PORT/DB`), on the
    /// channels under `prefix` (processes of one deployment share it). Fails
    /// only on a URL that does not parse; an unreachable Redis is retried.
    pub fn connect(url: &str, prefix: &str) -> redis::RedisResult<RedisFanout> {
        let client = redis::Client::open(url)?;
        let (commands, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            prefix: prefix.to_owned(),
            instance: rand::random(),
            subscribers: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            commands,
            connected: AtomicBool::new(false),
            reconnects: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            lag_micros_sum: AtomicU64::new(0),
            lag_micros_max: AtomicU64::new(0),
        });
        tokio::spawn(run(Arc::downgrade(&shared), client, rx));
        Ok(RedisFanout { shared })
    }

    /// Waits (up to `timeout`) until Redis is reached; `false` if it was not.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.shared.connected.load(Ordering::Acquire) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

impl Bus for RedisFanout {
    fn publish(&self, event: Published) {
        self.shared.deliver(&event.topic, &event);
        if !self.shared.connected.load(Ordering::Acquire) {
            return;
        }
        let Some(body) = encode(self.shared.instance, &event) else { return };
        let channel = channel(&self.shared.prefix, &event.topic);
        let _ = self.shared.commands.send(Command::Publish { channel, body });
    }

    fn subscribe(&self, topic: &Topic, deliver: Delivery) -> SubscriptionId {
        let id = SubscriptionId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let mut subscribers = self.shared.lock();
        let list = subscribers.entry(topic.clone()).or_default();
        list.push((id, deliver));
        if list.len() == 1 {
            let _ = self.shared.commands.send(Command::Subscribe(topic.clone()));
        }
        id
    }

    fn unsubscribe(&self, topic: &Topic, id: SubscriptionId) {
        let mut subscribers = self.shared.lock();
        if let Some(list) = subscribers.get_mut(topic) {
            list.retain(|(sub, _)| *sub != id);
            if list.is_empty() {
                subscribers.remove(topic);
                let _ = self.shared.commands.send(Command::Unsubscribe(topic.clone()));
            }
        }
    }

    fn has_peers(&self, _topic: &Topic, _subscribed: SubscriptionId) -> bool {
        // Whether another process listens is not known here: publish while connected.
        self.shared.connected.load(Ordering::Acquire)
    }

    fn distributed(&self) -> bool {
        true
    }

    fn stats(&self) -> BusStats {
        let micros = |v: &AtomicU64| v.load(Ordering::Relaxed) as f64 / 1e6;
        BusStats {
            connected: self.shared.connected.load(Ordering::Relaxed),
            reconnects: self.shared.reconnects.load(Ordering::Relaxed),
            sent: self.shared.sent.load(Ordering::Relaxed),
            received: self.shared.received.load(Ordering::Relaxed),
            lag_seconds_sum: micros(&self.shared.lag_micros_sum),
            lag_seconds_max: micros(&self.shared.lag_micros_max),
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Topic, Vec<(SubscriptionId, Delivery)>>> {
        self.subscribers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Calls this process's subscribers of `topic` (outside the lock: a
    /// delivery may subscribe or unsubscribe).
    fn deliver(&self, topic: &Topic, event: &Published) {
        let deliveries: Vec<Delivery> =
            self.lock().get(topic).map(|subs| subs.iter().map(|(_, d)| d.clone()).collect()).unwrap_or_default();
        for deliver in deliveries {
            deliver(event.clone());
        }
    }

    /// Tells the subscribers of `topics` that events may have been missed.
    fn resync<'t>(&self, topics: impl IntoIterator<Item = &'t Topic>) {
        for topic in topics {
            let event = Published { origin: ProcessId(0), topic: topic.clone(), payload: Payload::Resync };
            self.deliver(topic, &event);
        }
    }

    fn heard(&self, body: &[u8]) {
        let Some((instance, sent_at, event)) = decode(body) else {
            tracing::warn!(bytes = body.len(), "an unreadable message on the fan-out channel");
            return;
        };
        if instance == self.instance {
            return;
        }
        self.received.fetch_add(1, Ordering::Relaxed);
        let lag = now_micros().saturating_sub(sent_at);
        self.lag_micros_sum.fetch_add(lag, Ordering::Relaxed);
        self.lag_micros_max.fetch_max(lag, Ordering::Relaxed);
        self.deliver(&event.topic, &event);
    }
}

/// Why a connection ended.
enum Ended {
    /// The fan-out was dropped.
    Stopped,
    /// Redis went away (or never came).
    Lost(redis::RedisError),
}

/// The connection task: sessions until the fan-out is dropped.
async fn run(shared: Weak<Shared>, client: redis::Client, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut pause = Duration::from_millis(50);
    let mut sessions = 0u64;
    loop {
        let outcome = session(&shared, &client, &mut rx, sessions).await;
        let Some(live) = shared.upgrade() else { return };
        live.connected.store(false, Ordering::Release);
        drop(live);
        match outcome {
            Ended::Stopped => return,
            Ended::Lost(err) => {
                if sessions > 0 || pause >= MAX_PAUSE {
                    tracing::warn!(%err, "the Redis fan-out is unreachable; retrying");
                }
            }
        }
        sessions += 1;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
        if shared.strong_count() == 0 {
            return;
        }
    }
}

/// One connection to Redis: subscribes to every topic this process listens
/// to, then serves commands and messages until the connection drops.
async fn session(
    weak: &Weak<Shared>,
    client: &redis::Client,
    rx: &mut mpsc::UnboundedReceiver<Command>,
    sessions: u64,
) -> Ended {
    let connected = async {
        let publisher = client.get_multiplexed_async_connection().await?;
        let (sink, stream) = client.get_async_pubsub().await?.split();
        Ok::<_, redis::RedisError>((publisher, sink, stream))
    };
    let (mut publisher, mut sink, mut stream) = match connected.await {
        Ok(parts) => parts,
        Err(err) => return Ended::Lost(err),
    };
    // What was asked while disconnected is superseded by the subscriber table.
    while rx.try_recv().is_ok() {}
    let Some(shared) = weak.upgrade() else { return Ended::Stopped };
    let topics: Vec<Topic> = shared.lock().keys().cloned().collect();
    let prefix = shared.prefix.clone();
    drop(shared);
    for topic in &topics {
        if let Err(err) = sink.subscribe(channel(&prefix, topic)).await {
            return Ended::Lost(err);
        }
    }
    let Some(shared) = weak.upgrade() else { return Ended::Stopped };
    shared.connected.store(true, Ordering::Release);
    if sessions > 0 {
        shared.reconnects.fetch_add(1, Ordering::Relaxed);
        tracing::info!(topics = topics.len(), "the Redis fan-out is back; catching up");
    }
    // Whatever was published before these subscriptions took effect was not heard.
    shared.resync(&topics);
    drop(shared);

    loop {
        tokio::select! {
            command = rx.recv() => {
                let Some(command) = command else { return Ended::Stopped };
                let Some(shared) = weak.upgrade() else { return Ended::Stopped };
                let result = match command {
                    Command::Publish { channel, body } => {
                        let mut pipe = redis::pipe();
                        pipe.publish(channel, body).ignore();
                        let mut count: u64 = 1;
                        let mut follow_up = None;
                        while count < MAX_PIPELINE {
                            match rx.try_recv() {
                                Ok(Command::Publish { channel, body }) => {
                                    pipe.publish(channel, body).ignore();
                                    count += 1;
                                }
                                Ok(other) => {
                                    follow_up = Some(other);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        let sent = pipe.query_async::<()>(&mut publisher).await;
                        shared.sent.fetch_add(count, Ordering::Relaxed);
                        match (sent, follow_up) {
                            (Ok(()), Some(other)) => change_subscription(&shared, &mut sink, other).await,
                            (result, _) => result,
                        }
                    }
                    other => change_subscription(&shared, &mut sink, other).await,
                };
                if let Err(err) = result {
                    return Ended::Lost(err);
                }
            }
            message = stream.next() => {
                let Some(message) = message else {
                    return Ended::Lost(redis::RedisError::from((redis::ErrorKind::Io, "the subscription connection closed")));
                };
                let Some(shared) = weak.upgrade() else { return Ended::Stopped };
                shared.heard(message.get_payload_bytes());
            }
        }
    }
}

async fn change_subscription(
    shared: &Shared,
    sink: &mut redis::aio::PubSubSink,
    command: Command,
) -> redis::RedisResult<()> {
    match command {
        Command::Subscribe(topic) => {
            sink.subscribe(channel(&shared.prefix, &topic)).await?;
            shared.resync([&topic]);
            Ok(())
        }
        Command::Unsubscribe(topic) => {
            // Subscribed again meanwhile: keep the channel.
            if shared.lock().contains_key(&topic) {
                return Ok(());
            }
            sink.unsubscribe(channel(&shared.prefix, &topic)).await
        }
        Command::Publish { .. } => Ok(()),
    }
}

/// The Redis channel of a topic.
fn channel(prefix: &str, topic: &Topic) -> String {
    match topic {
        Topic::Document(doc) => format!("{prefix}:doc:{doc}"),
        Topic::Workspace(ws) => format!("{prefix}:ws:{ws}"),
        Topic::Control => format!("{prefix}:control"),
        Topic::Process(process) => format!("{prefix}:proc:{}", process.0),
    }
}

fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// `FORMAT, instance u64, origin u64, sent_at µs u64, topic kind u8, topic id
/// (u16 length + bytes), payload kind u8, payload` (integers big-endian).
fn encode(instance: u64, event: &Published) -> Option<Vec<u8>> {
    let process_id;
    let (topic_kind, topic_id): (u8, &str) = match &event.topic {
        Topic::Document(doc) => (0, doc.as_str()),
        Topic::Workspace(ws) => (1, ws.as_str()),
        Topic::Control => (2, ""),
        Topic::Process(process) => {
            process_id = process.0.to_string();
            (3, process_id.as_str())
        }
    };
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT);
    out.extend_from_slice(&instance.to_be_bytes());
    out.extend_from_slice(&event.origin.0.to_be_bytes());
    out.extend_from_slice(&now_micros().to_be_bytes());
    out.push(topic_kind);
    out.extend_from_slice(&u16::try_from(topic_id.len()).ok()?.to_be_bytes());
    out.extend_from_slice(topic_id.as_bytes());
    match &event.payload {
        Payload::Update { seq, update } => {
            out.push(0);
            out.extend_from_slice(&seq.to_be_bytes());
            out.extend_from_slice(update);
        }
        Payload::Awareness { message } => {
            out.push(1);
            out.extend_from_slice(message);
        }
        Payload::Json(json) => {
            out.push(2);
            out.extend_from_slice(json.as_bytes());
        }
        // Made by transports for their own subscribers, never sent.
        Payload::Resync => return None,
    }
    Some(out)
}

/// The `(instance, sent_at, event)` of a message, if it reads.
fn decode(body: &[u8]) -> Option<(u64, u64, Published)> {
    let mut reader = body;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, rest) = reader.split_at_checked(n)?;
        reader = rest;
        Some(head)
    };
    let u64_of = |bytes: &[u8]| bytes.try_into().ok().map(u64::from_be_bytes);
    if take(1)? != [FORMAT] {
        return None;
    }
    let instance = u64_of(take(8)?)?;
    let origin = ProcessId(u64_of(take(8)?)?);
    let sent_at = u64_of(take(8)?)?;
    let topic_kind = take(1)?[0];
    let id_len = usize::from(u16::from_be_bytes(take(2)?.try_into().ok()?));
    let id = std::str::from_utf8(take(id_len)?).ok()?.to_owned();
    let topic = match topic_kind {
        0 => Topic::Document(DocumentId::new(id)),
        1 => Topic::Workspace(WorkspaceId::new(id)),
        2 => Topic::Control,
        3 => Topic::Process(ProcessId(id.parse().ok()?)),
        _ => return None,
    };
    let payload_kind = take(1)?[0];
    let payload = match payload_kind {
        0 => {
            let seq = i64::from_be_bytes(take(8)?.try_into().ok()?);
            Payload::Update { seq, update: Arc::from(reader) }
        }
        1 => Payload::Awareness { message: Arc::from(reader) },
        2 => Payload::Json(Arc::from(std::str::from_utf8(reader).ok()?)),
        _ => return None,
    };
    Some((instance, sent_at, Published { origin, topic, payload }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let events = [
            Published {
                origin: ProcessId(7),
                topic: Topic::Document(DocumentId::new("d1")),
                payload: Payload::Update { seq: 42, update: Arc::from(&[1u8, 2, 3][..]) },
            },
            Published {
                origin: ProcessId(8),
                topic: Topic::Workspace(WorkspaceId::new("w1")),
                payload: Payload::Json(Arc::from("{\"type\":\"chat\"}")),
            },
            Published {
                origin: ProcessId(9),
                topic: Topic::Control,
                payload: Payload::Awareness { message: Arc::from(&[][..]) },
            },
            Published {
                origin: ProcessId(10),
                topic: Topic::Process(ProcessId(u64::MAX)),
                payload: Payload::Json(Arc::from("{}")),
            },
        ];
        for event in events {
            let body = encode(5, &event).unwrap();
            let (instance, _, decoded) = decode(&body).unwrap();
            assert_eq!((instance, decoded), (5, event.clone()));
            for cut in 0..body.len().min(29) {
                assert!(decode(&body[..cut]).is_none(), "cut at {cut}");
            }
        }
        assert!(
            encode(5, &Published { origin: ProcessId(1), topic: Topic::Control, payload: Payload::Resync }).is_none()
        );
        assert!(decode(&[2, 0, 0]).is_none());
    }

    #[test]
    fn channels_are_per_topic_under_the_prefix() {
        assert_eq!(channel("rnd", &Topic::Document(DocumentId::new("d"))), "rnd:doc:d");
        assert_eq!(channel("rnd", &Topic::Workspace(WorkspaceId::new("w"))), "rnd:ws:w");
        assert_eq!(channel("rnd", &Topic::Control), "rnd:control");
        assert_eq!(channel("rnd", &Topic::Process(ProcessId(12))), "rnd:proc:12");
    }
}

//! One simulated client, speaking the y-websocket protocol directly.
//!
//! It connects, sends sync step 1 (and its awareness state when the scenario
//! wants it), answers the server's step 1 with step 2, and counts as synced
//! when it receives step 2. Then it waits for the scenario to start (reading
//! all along), and until the scenario ends:
//! - a writer inserts `marker + padding` at the end of its own `Y.Text`
//!   "monaco" (a `yrs::Doc` that only holds its own edits: that is enough to
//!   produce valid updates) and sends a sync update, at a fixed rate or
//!   keeping up to N updates in flight (paced on its own echoes);
//! - every client scans the updates it receives for markers (the inserted
//!   string is verbatim in a v1 update, also in a server-merged one) and
//!   records, the first time it sees each, the time since the writer sent it.
//!   Nobody applies updates: the generator must not be the bottleneck.
//! - with `echo`, a client re-sends every awareness entry that is news to it,
//!   like the stock y-websocket client does (its `awareness.on('update')`
//!   handler broadcasts the entries `applyAwarenessUpdate` accepted).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, TextRef, Transact};

use crate::proto::{self, Msg};
use crate::target::{self, Ws};

/// Send times of the updates of one room's writers.
#[derive(Debug)]
pub struct Track {
    pub start: Instant,
    /// `[writer][seq]`: nanoseconds since `start` + 1, 0 while unsent.
    sent: Vec<Vec<AtomicU64>>,
    pub cap: usize,
    /// Updates the writers saw echoed back (the server accepted and broadcast them).
    pub echoes: AtomicUsize,
}

impl Track {
    pub fn new(start: Instant, writers: usize, cap: usize) -> Arc<Track> {
        assert!(writers <= proto::MAX_WRITERS && (cap as u64) <= proto::MAX_SEQ);
        let sent = (0..writers).map(|_| (0..cap).map(|_| AtomicU64::new(0)).collect()).collect();
        Arc::new(Track { start, sent, cap, echoes: AtomicUsize::new(0) })
    }

    pub fn writers(&self) -> usize {
        self.sent.len()
    }

    fn nanos(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_nanos() as u64
    }

    fn record_send(&self, writer: usize, seq: u64, at: Instant) {
        self.sent[writer][seq as usize].store(self.nanos(at) + 1, Ordering::Release);
    }

    fn sent_nanos(&self, writer: usize, seq: u64) -> Option<u64> {
        let v = self.sent.get(writer)?.get(seq as usize)?.load(Ordering::Acquire);
        (v != 0).then(|| v - 1)
    }
}

/// How a writer paces its updates.
#[derive(Debug, Clone, Copy)]
pub enum Pacing {
    /// Updates per second.
    Rate(f64),
    /// Keep up to this many updates sent but not yet echoed back.
    InFlight(usize),
}

/// When the clients of a group run.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Writers stop sending; receipts after this are outside the window.
    pub stop: Instant,
    /// Everyone closes.
    pub end: Instant,
}

/// What the clients of a group share.
#[derive(Debug)]
pub struct Shared {
    pub go: watch::Receiver<Option<Phase>>,
    pub synced: AtomicUsize,
    /// Clients that ended before they synced.
    pub failed: AtomicUsize,
    pub config: WebSocketConfig,
    pub pad: String,
    pub pacing: Pacing,
    /// How long connecting and syncing may take.
    pub sync_timeout: Duration,
}

/// One client of a group.
#[derive(Debug, Clone)]
pub struct Plan {
    pub url: String,
    pub source: Option<Ipv4Addr>,
    pub track: Arc<Track>,
    /// Room-local writer index.
    pub writer: Option<usize>,
    /// Announce an awareness state at start.
    pub awareness: bool,
    /// Re-send awareness entries that are news (stock client behaviour).
    pub echo: bool,
    /// A writer moves its cursor (a new awareness state) with each edit, like y-monaco.
    pub cursor: bool,
    /// Client number, for names and ids.
    pub id: usize,
    /// Room index within the scenario.
    pub room: usize,
}

/// What one client saw.
#[derive(Debug, Default)]
pub struct ClientResult {
    pub synced: bool,
    pub sync_us: u32,
    /// Latencies (µs) of other clients' updates, first receipt of each.
    pub latency_us: Vec<u32>,
    /// Latencies (µs) of this writer's own updates echoed back.
    pub echo_us: Vec<u32>,
    /// Distinct updates received (own echoes included).
    pub receipts: u64,
    /// Of those, received before the phase's stop.
    pub receipts_in_window: u64,
    /// Own echoes received before the phase's stop.
    pub echoes_in_window: u64,
    /// Distinct updates of other writers received.
    pub receipts_others: u64,
    pub duplicates: u64,
    pub sent: u64,
    pub awareness_in: u64,
    pub awareness_out: u64,
    pub frames_in: u64,
    pub bytes_in: u64,
    pub denied: u64,
    /// `code reason` of a close frame from the server.
    pub closed_by_server: Option<String>,
    pub error: Option<String>,
}

struct State {
    plan: Plan,
    doc: Option<(Doc, TextRef)>,
    seq: u64,
    in_flight: usize,
    seen: Vec<Vec<u64>>,
    stop: Option<Instant>,
    /// Awareness: clientID -> clock known.
    known: HashMap<u64, u64>,
    aw_id: u64,
    aw_clock: u64,
    aw_name: String,
    r: ClientResult,
}

impl State {
    fn new(plan: Plan) -> State {
        let doc = plan.writer.map(|_| {
            let doc = Doc::new();
            let text = doc.get_or_insert_text("monaco");
            (doc, text)
        });
        // Yjs clientIDs are random uint32s.
        let aw_id =
            doc.as_ref().map_or_else(|| pseudo_random(plan.id as u64) & 0xffff_ffff, |(d, _)| d.client_id().get());
        let seen = vec![Vec::new(); plan.track.writers()];
        let aw_name = format!("bench-{}", plan.id);
        State {
            plan,
            doc,
            seq: 0,
            in_flight: 0,
            seen,
            stop: None,
            known: HashMap::new(),
            aw_id,
            aw_clock: 0,
            aw_name,
            r: ClientResult::default(),
        }
    }

    fn awareness_state(&self) -> String {
        let cursor = self.doc.as_ref().map_or(0, |(d, t)| t.len(&d.transact()));
        format!(
            r##"{{"user":{{"name":"{}","color":"#30bced"}},"selection":{{"anchor":{cursor},"head":{cursor}}}}}"##,
            self.aw_name
        )
    }

    fn own_awareness(&mut self) -> Vec<u8> {
        self.aw_clock += 1;
        let state = self.awareness_state();
        self.known.insert(self.aw_id, self.aw_clock);
        proto::awareness_message(&[(self.aw_id, self.aw_clock, &state)])
    }

    fn step1(&self) -> Vec<u8> {
        match &self.doc {
            Some((doc, _)) => proto::sync_step1(&doc.transact().state_vector().encode_v1()),
            None => proto::sync_step1(proto::EMPTY_STATE_VECTOR),
        }
    }

    /// The next update of this writer, its send time recorded.
    fn next_update(&mut self, pad: &str) -> Option<Vec<u8>> {
        let writer = self.plan.writer?;
        if self.seq as usize >= self.plan.track.cap {
            return None;
        }
        let (doc, text) = self.doc.as_ref()?;
        let update = {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            let mut s = proto::marker(writer, self.seq);
            s.push_str(pad);
            text.insert(&mut txn, len, &s);
            txn.encode_update_v1()
        };
        self.plan.track.record_send(writer, self.seq, Instant::now());
        self.seq += 1;
        self.in_flight += 1;
        self.r.sent += 1;
        Some(proto::sync_update(&update))
    }

    /// Handles one frame; returns the frames to send back.
    fn handle(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let now = Instant::now();
        self.r.frames_in += 1;
        self.r.bytes_in += frame.len() as u64;
        let mut replies = Vec::new();
        for msg in proto::parse_frame(frame)? {
            match msg {
                Msg::SyncStep1(sv) => {
                    let update = match &self.doc {
                        Some((doc, _)) => {
                            let sv = StateVector::decode_v1(sv).map_err(|e| format!("state vector: {e}"))?;
                            doc.transact().encode_state_as_update_v1(&sv)
                        }
                        None => proto::EMPTY_UPDATE.to_vec(),
                    };
                    replies.push(proto::sync_step2(&update));
                }
                Msg::SyncStep2(_) => {
                    if !self.r.synced {
                        self.r.synced = true;
                    }
                }
                Msg::Update(update) => self.receive_update(update, now),
                Msg::Awareness(payload) => {
                    self.r.awareness_in += 1;
                    if self.plan.echo {
                        let entries = proto::parse_awareness(payload)?;
                        let news: Vec<proto::AwarenessEntry<'_>> = entries
                            .into_iter()
                            .filter(|(client, clock, state)| {
                                let known = self.known.get(client).copied();
                                let fresh = match known {
                                    None => *state != "null",
                                    Some(k) => k < *clock,
                                };
                                if fresh && *client != self.aw_id {
                                    self.known.insert(*client, *clock);
                                    true
                                } else {
                                    false
                                }
                            })
                            .collect();
                        if !news.is_empty() {
                            replies.push(proto::awareness_message(&news));
                            self.r.awareness_out += 1;
                        }
                    }
                }
                Msg::Auth(kind, _reason) => {
                    if kind == 0 {
                        self.r.denied += 1;
                    }
                }
                Msg::QueryAwareness => {
                    if self.plan.awareness {
                        let state = self.awareness_state();
                        replies.push(proto::awareness_message(&[(self.aw_id, self.aw_clock, &state)]));
                    }
                }
            }
        }
        Ok(replies)
    }

    fn receive_update(&mut self, update: &[u8], now: Instant) {
        let track = self.plan.track.clone();
        let now_ns = track.nanos(now);
        let in_window = self.stop.is_none_or(|stop| now <= stop);
        proto::scan_markers(update, |writer, seq| {
            let Some(sent) = track.sent_nanos(writer, seq) else { return };
            let seen = &mut self.seen[writer];
            if seen.is_empty() {
                seen.resize(track.cap.div_ceil(64), 0);
            }
            let (word, bit) = ((seq / 64) as usize, seq % 64);
            if seen[word] & (1 << bit) != 0 {
                self.r.duplicates += 1;
                return;
            }
            seen[word] |= 1 << bit;
            let latency = u32::try_from(now_ns.saturating_sub(sent) / 1000).unwrap_or(u32::MAX);
            self.r.receipts += 1;
            if in_window {
                self.r.receipts_in_window += 1;
            }
            if Some(writer) == self.plan.writer {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.r.echo_us.push(latency);
                track.echoes.fetch_add(1, Ordering::Relaxed);
                if in_window {
                    self.r.echoes_in_window += 1;
                }
            } else {
                self.r.receipts_others += 1;
                self.r.latency_us.push(latency);
            }
        });
    }
}

fn pseudo_random(seed: u64) -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(std::process::id());
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x.max(1)
}

async fn send(ws: &mut Ws, frame: Vec<u8>) -> Result<(), String> {
    ws.send(Message::Binary(frame.into())).await.map_err(|e| format!("send: {e}"))
}

enum Read {
    Frame(Vec<Vec<u8>>),
    Closed,
}

/// Reads one WebSocket message and handles it; records server closes.
async fn read_one(ws: &mut Ws, st: &mut State) -> Result<Read, String> {
    match ws.next().await {
        Some(Ok(Message::Binary(data))) => st.handle(&data).map(Read::Frame),
        Some(Ok(Message::Close(frame))) => {
            st.r.closed_by_server = Some(match frame {
                Some(f) => format!("{} {}", u16::from(f.code), f.reason),
                None => "close without code".to_owned(),
            });
            Ok(Read::Closed)
        }
        Some(Ok(Message::Text(_))) => Err("server sent a text frame".into()),
        Some(Ok(_)) => Ok(Read::Frame(Vec::new())),
        Some(Err(e)) => Err(format!("read: {e}")),
        None => Err("connection closed without a close frame".into()),
    }
}

/// Runs one client until the group's phase ends; never panics on network trouble.
pub async fn run(plan: Plan, shared: Arc<Shared>) -> ClientResult {
    let mut st = State::new(plan);
    let outcome = drive(&mut st, &shared).await;
    if let Err(e) = outcome {
        st.r.error = Some(e);
    }
    if !st.r.synced {
        shared.failed.fetch_add(1, Ordering::Relaxed);
    }
    st.r
}

async fn drive(st: &mut State, shared: &Shared) -> Result<(), String> {
    let t0 = Instant::now();
    let sync_deadline = tokio::time::Instant::from_std(t0 + shared.sync_timeout);
    let mut ws = timeout(shared.sync_timeout, target::connect(&st.plan.url, st.plan.source, shared.config))
        .await
        .map_err(|_| "connect: timed out".to_owned())??;

    // Handshake: step 1 (+ awareness), until step 2 arrives.
    send(&mut ws, st.step1()).await?;
    if st.plan.awareness {
        let aw = st.own_awareness();
        send(&mut ws, aw).await?;
    }
    while !st.r.synced {
        let read = tokio::select! {
            read = read_one(&mut ws, st) => read?,
            _ = sleep_until(sync_deadline) => return Err("sync: no step 2 in time".into()),
        };
        match read {
            Read::Frame(replies) => {
                for frame in replies {
                    send(&mut ws, frame).await?;
                }
            }
            Read::Closed => return Err("closed before sync".into()),
        }
    }
    st.r.sync_us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    shared.synced.fetch_add(1, Ordering::Relaxed);

    // Wait for the start, reading all along.
    let mut go = shared.go.clone();
    let phase = loop {
        if let Some(phase) = *go.borrow_and_update() {
            break phase;
        }
        tokio::select! {
            changed = go.changed() => if changed.is_err() { return Err("group abandoned".into()) },
            read = read_one(&mut ws, st) => match read? {
                Read::Frame(replies) => for frame in replies { send(&mut ws, frame).await? },
                Read::Closed => return Ok(()),
            },
        }
    };
    let mut phase = phase;
    st.stop = Some(phase.stop);
    let mut sending = st.plan.writer.is_some() && Instant::now() < phase.stop;

    let period = match shared.pacing {
        Pacing::Rate(rate) => Duration::from_secs_f64(1.0 / rate.max(0.001)),
        Pacing::InFlight(_) => Duration::from_secs(3600),
    };
    // Writers of a room start spread over one period, not all at once.
    let offset = period.mul_f64(st.plan.writer.unwrap_or(0) as f64 * 0.37 % 1.0);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let rate_paced = matches!(shared.pacing, Pacing::Rate(_));
    let window = match shared.pacing {
        Pacing::InFlight(n) => n,
        Pacing::Rate(_) => 0,
    };

    loop {
        let stop = tokio::time::Instant::from_std(phase.stop);
        let end = tokio::time::Instant::from_std(phase.end);
        if sending && !rate_paced {
            while st.in_flight < window && Instant::now() < phase.stop {
                let Some(frame) = st.next_update(&shared.pad) else {
                    sending = false;
                    break;
                };
                send(&mut ws, frame).await?;
            }
        }
        tokio::select! {
            biased;
            read = read_one(&mut ws, st) => match read? {
                Read::Frame(replies) => for frame in replies { send(&mut ws, frame).await? },
                Read::Closed => return Ok(()),
            },
            _ = tick.tick(), if sending && rate_paced => {
                if Instant::now() >= phase.stop {
                    sending = false;
                } else if let Some(frame) = st.next_update(&shared.pad) {
                    send(&mut ws, frame).await?;
                    if st.plan.cursor {
                        let aw = st.own_awareness();
                        send(&mut ws, aw).await?;
                    }
                } else {
                    sending = false;
                }
            },
            _ = sleep_until(stop), if sending => sending = false,
            _ = sleep_until(end) => break,
            // The group may end early (Pool::finish).
            changed = go.changed() => match *go.borrow_and_update() {
                Some(p) if changed.is_ok() => {
                    phase = p;
                    st.stop = Some(p.stop);
                }
                _ => break,
            },
        }
    }
    let _ = timeout(Duration::from_secs(2), ws.close(None)).await;
    Ok(())
}

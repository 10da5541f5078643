//! A group of clients that connect, sync, run one phase together and end.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::{self, ClientResult, Pacing, Phase, Plan, Shared};
use crate::stats;
use crate::target;

#[derive(Debug)]
pub struct Pool {
    shared: Arc<Shared>,
    go: watch::Sender<Option<Phase>>,
    handles: Vec<(Plan, JoinHandle<ClientResult>)>,
}

/// How adding clients went.
#[derive(Debug, Clone, Copy)]
pub struct Added {
    pub synced: usize,
    pub failed: usize,
    pub seconds: f64,
}

impl Pool {
    pub fn new(pad: String, pacing: Pacing) -> Pool {
        let (go, rx) = watch::channel(None);
        let shared = Arc::new(Shared {
            go: rx,
            synced: Default::default(),
            failed: Default::default(),
            config: target::ws_config(),
            pad,
            pacing,
            sync_timeout: Duration::from_secs(20),
        });
        Pool { shared, go, handles: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    fn settled(&self) -> usize {
        self.shared.synced.load(Ordering::Relaxed) + self.shared.failed.load(Ordering::Relaxed)
    }

    /// Starts the clients, at most `concurrency` connecting at a time, and
    /// waits until each has synced or failed (bounded in time).
    pub async fn add(&mut self, plans: Vec<Plan>, concurrency: usize) -> Added {
        let t0 = Instant::now();
        let synced0 = self.shared.synced.load(Ordering::Relaxed);
        let failed0 = self.shared.failed.load(Ordering::Relaxed);
        let base = self.settled();
        let target = base + plans.len();
        let deadline = t0 + Duration::from_secs(60) + Duration::from_millis(5 * plans.len() as u64);
        for (started, plan) in plans.into_iter().enumerate() {
            while started.saturating_sub(self.settled().saturating_sub(base)) >= concurrency.max(1) {
                if Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let handle = tokio::spawn(client::run(plan.clone(), self.shared.clone()));
            self.handles.push((plan, handle));
        }
        while self.settled() < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Added {
            synced: self.shared.synced.load(Ordering::Relaxed) - synced0,
            failed: self.shared.failed.load(Ordering::Relaxed) - failed0,
            seconds: stats::round3(t0.elapsed().as_secs_f64()),
        }
    }

    /// Starts the phase: writers write for `duration`, everyone reads `drain` longer.
    pub fn start(&self, duration: Duration, drain: Duration) -> Phase {
        let now = Instant::now();
        let phase = Phase { stop: now + duration, end: now + duration + drain };
        let _ = self.go.send(Some(phase));
        phase
    }

    /// Ends the group now (if it still runs) and collects every client's result.
    pub async fn finish(self) -> Vec<(Plan, ClientResult)> {
        let now = Instant::now();
        let phase = match *self.go.borrow() {
            Some(p) => Phase { stop: p.stop.min(now), end: p.end.min(now) },
            None => Phase { stop: now, end: now },
        };
        let _ = self.go.send(Some(phase));
        let mut out = Vec::with_capacity(self.handles.len());
        for (plan, handle) in self.handles {
            let abort = handle.abort_handle();
            match tokio::time::timeout(Duration::from_secs(15), handle).await {
                Ok(Ok(result)) => out.push((plan, result)),
                Ok(Err(e)) => {
                    out.push((plan, ClientResult { error: Some(format!("task: {e}")), ..Default::default() }))
                }
                Err(_) => {
                    abort.abort();
                    out.push((plan, ClientResult { error: Some("did not end in time".into()), ..Default::default() }));
                }
            }
        }
        out
    }
}

/// Counts of distinct messages, for errors and close codes.
fn tally(items: impl Iterator<Item = String>) -> Value {
    let mut map = std::collections::BTreeMap::<String, u64>::new();
    for item in items {
        let key: String = item.chars().take(100).collect();
        *map.entry(key).or_default() += 1;
    }
    json!(map)
}

/// The common figures of a group: clients, failures, deliveries, latencies.
pub fn aggregate(results: &[(Plan, ClientResult)]) -> Value {
    let rooms = results.iter().map(|(p, _)| p.room + 1).max().unwrap_or(0);
    let mut sent_per_room = vec![0u64; rooms];
    let mut clients_per_room = vec![0u64; rooms];
    for (plan, r) in results {
        sent_per_room[plan.room] += r.sent;
        clients_per_room[plan.room] += 1;
    }
    let expected: u64 = sent_per_room.iter().zip(&clients_per_room).map(|(s, c)| s * c.saturating_sub(1)).sum();
    let received: u64 = results.iter().map(|(_, r)| r.receipts_others).sum();
    let mut latency: Vec<u32> = results.iter().flat_map(|(_, r)| r.latency_us.iter().copied()).collect();
    let mut echo: Vec<u32> = results.iter().flat_map(|(_, r)| r.echo_us.iter().copied()).collect();
    let mut sync: Vec<u32> = results.iter().filter(|(_, r)| r.synced).map(|(_, r)| r.sync_us).collect();
    json!({
        "clients": results.len(),
        "synced": results.iter().filter(|(_, r)| r.synced).count(),
        "errors": tally(results.iter().filter_map(|(_, r)| r.error.clone())),
        "closed_by_server": tally(results.iter().filter_map(|(_, r)| r.closed_by_server.clone())),
        "updates_sent": sent_per_room.iter().sum::<u64>(),
        "deliveries_expected": expected,
        "deliveries_received": received,
        "delivered_ratio": if expected == 0 { Value::Null } else { json!(stats::round3(received as f64 / expected as f64)) },
        "duplicates": results.iter().map(|(_, r)| r.duplicates).sum::<u64>(),
        "latency": stats::summary_ms(&mut latency),
        "echo_latency": stats::summary_ms(&mut echo),
        "sync_time": stats::summary_ms(&mut sync),
        "awareness_in": results.iter().map(|(_, r)| r.awareness_in).sum::<u64>(),
        "awareness_out": results.iter().map(|(_, r)| r.awareness_out).sum::<u64>(),
        "frames_in": results.iter().map(|(_, r)| r.frames_in).sum::<u64>(),
        "bytes_in": results.iter().map(|(_, r)| r.bytes_in).sum::<u64>(),
        "auth_denied": results.iter().map(|(_, r)| r.denied).sum::<u64>(),
    })
}

/// Deliveries to the clients `which` picks (e.g. the readers): pairs received
/// / (updates the other clients of their room sent), and the latency of those
/// pairs. `aggregate` counts every receiving client; this splits them (in
/// `latency --reader-url`, readers and writers are on different processes).
pub fn receivers(results: &[(Plan, ClientResult)], which: impl Fn(&Plan) -> bool) -> Value {
    let rooms = results.iter().map(|(p, _)| p.room + 1).max().unwrap_or(0);
    let mut sent_per_room = vec![0u64; rooms];
    for (plan, r) in results {
        sent_per_room[plan.room] += r.sent;
    }
    let picked: Vec<&(Plan, ClientResult)> = results.iter().filter(|(p, _)| which(p)).collect();
    let expected: u64 = picked.iter().map(|(p, r)| sent_per_room[p.room] - r.sent).sum();
    let received: u64 = picked.iter().map(|(_, r)| r.receipts_others).sum();
    let mut latency: Vec<u32> = picked.iter().flat_map(|(_, r)| r.latency_us.iter().copied()).collect();
    json!({
        "clients": picked.len(),
        "synced": picked.iter().filter(|(_, r)| r.synced).count(),
        "deliveries_expected": expected,
        "deliveries_received": received,
        "delivered_ratio": if expected == 0 { Value::Null } else { json!(stats::round3(received as f64 / expected as f64)) },
        "latency": stats::summary_ms(&mut latency),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Track;

    #[test]
    fn receivers_count_only_the_picked_clients() {
        let track = Track::new(Instant::now(), 2, 10);
        let plan = |id: usize, writer: Option<usize>| Plan {
            url: String::new(),
            source: None,
            track: track.clone(),
            writer,
            awareness: false,
            echo: false,
            cursor: false,
            id,
            room: 0,
        };
        let result = |sent: u64, got: &[u32]| ClientResult {
            sent,
            receipts_others: got.len() as u64,
            latency_us: got.to_vec(),
            synced: true,
            ..Default::default()
        };
        // Two writers (3 and 2 updates), two readers; one reader missed one update.
        let results = vec![
            (plan(0, Some(0)), result(3, &[1000, 1000])),
            (plan(1, Some(1)), result(2, &[1000, 1000, 1000])),
            (plan(2, None), result(0, &[2000, 2000, 2000, 2000, 2000])),
            (plan(3, None), result(0, &[3000, 3000, 3000, 3000])),
        ];
        let readers = receivers(&results, |p| p.writer.is_none());
        assert_eq!(readers["deliveries_expected"], 10);
        assert_eq!(readers["deliveries_received"], 9);
        assert_eq!(readers["delivered_ratio"], 0.9);
        assert_eq!(readers["latency"]["p50_ms"], 2.0);
        let writers = receivers(&results, |p| p.writer.is_some());
        assert_eq!(writers["deliveries_expected"], 5);
        assert_eq!(writers["delivered_ratio"], 1.0);
        assert_eq!(aggregate(&results)["deliveries_expected"], 15);
    }
}

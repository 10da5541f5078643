//! The scenarios. Each returns one JSON object of results.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::{GetString, Transact};

use crate::Args;
use crate::client::{Pacing, Plan, Track};
use crate::pool::{self, Pool};
use crate::proto::{self, Msg};
use crate::stats::{self, CpuMark, Server, round3};
use crate::target::{self, Target};

/// Padding after the marker of small inserts (a few typed characters).
const SMALL_PAD: &str = "abcdefghijk";

/// Clients of one room: the first `writers` write.
#[allow(clippy::too_many_arguments)]
fn room_plans(
    url: &str,
    room: usize,
    clients: usize,
    writers: usize,
    track: &Arc<Track>,
    awareness: bool,
    echo: bool,
    cursor: bool,
    first_id: usize,
) -> Vec<Plan> {
    (0..clients)
        .map(|i| Plan {
            url: url.to_owned(),
            source: None,
            track: track.clone(),
            writer: (i < writers).then_some(i),
            awareness,
            echo,
            cursor,
            id: first_id + i,
            room,
        })
        .collect()
}

fn seconds(args: &Args, name: &str, default: f64) -> Duration {
    Duration::from_secs_f64(args.f64(name, default).clamp(0.1, 600.0))
}

/// Capacity of a writer's send table: its rate × duration, with slack.
fn cap_for(rate: f64, duration: Duration) -> usize {
    ((rate * duration.as_secs_f64() * 1.5) as usize + 100).min(proto::MAX_SEQ as usize)
}

/// `latency`: 1 room × 20 clients, 4 writers × 20 updates/s.
///
/// With `--reader-url` (a second Reynard process of the same deployment), the
/// writers connect to `--reynard` and the readers to the second process: an
/// update reaches them through the database and Redis. `readers` and
/// `writers` split the deliveries by receiving client.
pub async fn latency(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let clients = args.usize("clients", 20);
    let writers = args.usize("writers", 4).min(clients);
    let rate = args.f64("rate", 20.0);
    let duration = seconds(args, "duration", 10.0);
    let urls = target.rooms("latency", 1).await?;
    let reader_urls = match args.opt("reader-url") {
        Some(base) => Some(target.on_other_process(&urls, base)?),
        None => None,
    };
    let track = Track::new(Instant::now(), writers, cap_for(rate, duration));
    let mut pool = Pool::new(SMALL_PAD.into(), Pacing::Rate(rate));
    let mut plans = room_plans(&urls[0], 0, clients, writers, &track, false, false, false, 0);
    if let Some(reader_urls) = &reader_urls {
        for plan in plans.iter_mut().filter(|p| p.writer.is_none()) {
            plan.url = reader_urls[0].clone();
        }
    }
    let added = pool.add(plans, 64).await;
    // Two processes: leave the readers' process time to subscribe to the room's channel.
    tokio::time::sleep(Duration::from_millis(if reader_urls.is_some() { 1000 } else { 500 })).await;
    let mark = CpuMark::now(&server);
    let (a0, b0) = (server.pid_cpu_seconds(server.pid), server.pid_cpu_seconds(server.reader_pid));
    let phase = pool.start(duration, Duration::from_secs(2));
    tokio::time::sleep_until(phase.stop.into()).await;
    let cpu = mark.since(&server);
    let (a1, b1) = (server.pid_cpu_seconds(server.pid), server.pid_cpu_seconds(server.reader_pid));
    tokio::time::sleep_until(phase.end.into()).await;
    let results = pool.finish().await;
    // The fan-out counters of each process (the runner passes --metrics-token
    // to its servers): events heard over Redis, catch-ups from the database.
    let mut fanout = serde_json::Map::new();
    if let Some(token) = args.opt("metrics-token") {
        for (name, base) in [("a", target.base()), ("b", args.opt("reader-url"))] {
            if let Some(base) = base {
                fanout.insert(
                    name.into(),
                    target::fanout_metrics(base, token).await.unwrap_or_else(|e| json!({ "error": e })),
                );
            }
        }
    }
    let b = fanout.get("b").cloned().unwrap_or(Value::Null);
    let lag_mean_ms = match (b["reynard_fanout_lag_seconds_sum"].as_f64(), b["reynard_fanout_received_total"].as_f64())
    {
        (Some(sum), Some(n)) if n > 0.0 => Some(round3(sum * 1000.0 / n)),
        _ => None,
    };
    let lag_max_ms = b["reynard_fanout_lag_seconds_max"].as_f64().map(|s| round3(s * 1000.0));
    let topology = if reader_urls.is_some() { "writers on A, readers on B" } else { "all on one process" };
    Ok(json!({
        "params": { "rooms": 1, "clients": clients, "writers": writers, "rate_per_writer": rate, "duration_s": duration.as_secs_f64(),
                    "topology": topology },
        "connect_s": added.seconds,
        "server_cpu_s": cpu["server_cpu_s"],
        "server_a_cpu_s": cpu_delta(a0, a1),
        "server_b_cpu_s": cpu_delta(b0, b1),
        "loadgen_cpu_s": cpu["loadgen_cpu_s"],
        "other_cpu_s": cpu["other_cpu_s"],
        "server_rss_kb": server.rss_kb(),
        "reader_server_rss_kb": server.reader_pid.and_then(|p| stats::status_kb(&p.to_string(), "VmRSS")),
        "group": pool::aggregate(&results),
        "readers": pool::receivers(&results, |p| p.writer.is_none()),
        "writers": pool::receivers(&results, |p| p.writer.is_some()),
        "fanout_metrics": fanout,
        "fanout_lag_mean_ms": lag_mean_ms,
        "fanout_lag_max_ms": lag_max_ms,
    }))
}

/// `fanout`: 1 room × 200 clients with awareness echo, 1 writer × 10 updates/s.
pub async fn fanout(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let clients = args.usize("clients", 200);
    let rate = args.f64("rate", 10.0);
    let duration = seconds(args, "duration", 10.0);
    let echo = !args.flag("no-echo");
    let urls = target.rooms("fanout", 1).await?;
    let track = Track::new(Instant::now(), 1, cap_for(rate, duration));
    let mut pool = Pool::new(SMALL_PAD.into(), Pacing::Rate(rate));
    let cpu_connect0 = server.cpu_seconds();
    let added = pool.add(room_plans(&urls[0], 0, clients, 1, &track, true, echo, echo, 0), 64).await;
    // Let the join-time awareness storm settle before measuring.
    tokio::time::sleep(seconds(args, "settle", 3.0)).await;
    let cpu_start = server.cpu_seconds();
    let mark = CpuMark::now(&server);
    let phase = pool.start(duration, Duration::from_secs(2));
    tokio::time::sleep_until(phase.stop.into()).await;
    let cpu = mark.since(&server);
    tokio::time::sleep_until(phase.end.into()).await;
    let results = pool.finish().await;
    Ok(json!({
        "params": { "rooms": 1, "clients": clients, "writers": 1, "rate": rate, "duration_s": duration.as_secs_f64(),
                    "awareness_echo": echo, "writer_cursor_awareness_per_edit": echo },
        "connect_s": added.seconds,
        "server_cpu_join_and_settle_s": cpu_delta(cpu_connect0, cpu_start),
        "server_cpu_s": cpu["server_cpu_s"],
        "loadgen_cpu_s": cpu["loadgen_cpu_s"],
        "other_cpu_s": cpu["other_cpu_s"],
        "server_rss_kb": server.rss_kb(),
        "group": pool::aggregate(&results),
    }))
}

/// `throughput`: 20 rooms × 5 clients, 2 writers per room, each keeping 16 updates in flight.
pub async fn throughput(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let rooms = args.usize("rooms", 20);
    let clients = args.usize("clients", 5);
    let writers = args.usize("writers", 2).min(clients);
    let in_flight = args.usize("inflight", 16);
    let duration = seconds(args, "duration", 10.0);
    let cap = args.usize("max-updates-per-writer", 200_000);
    let urls = target.rooms("throughput", rooms).await?;
    let start = Instant::now();
    let mut plans = Vec::new();
    for (room, url) in urls.iter().enumerate() {
        let track = Track::new(start, writers, cap);
        plans.extend(room_plans(url, room, clients, writers, &track, false, false, false, room * clients));
    }
    let mut pool = Pool::new(SMALL_PAD.into(), Pacing::InFlight(in_flight));
    let added = pool.add(plans, 64).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mark = CpuMark::now(&server);
    let phase = pool.start(duration, Duration::from_secs(2));
    let t0 = Instant::now();
    tokio::time::sleep_until(phase.stop.into()).await;
    let cpu_all = mark.since(&server);
    let window = t0.elapsed().as_secs_f64();
    tokio::time::sleep_until(phase.end.into()).await;
    let results = pool.finish().await;
    let deliveries: u64 = results.iter().map(|(_, r)| r.receipts_in_window).sum();
    let updates: u64 = results.iter().map(|(_, r)| r.echoes_in_window).sum();
    let cpu = cpu_all["server_cpu_s"].as_f64();
    let per = |count: u64| cpu.filter(|_| count > 0).map(|c| round3(c * 1e6 / count as f64));
    Ok(json!({
        "params": { "rooms": rooms, "clients_per_room": clients, "writers_per_room": writers, "in_flight": in_flight, "duration_s": duration.as_secs_f64() },
        "connect_s": added.seconds,
        "window_s": round3(window),
        "updates_per_s": round3(updates as f64 / window),
        "deliveries_per_s": round3(deliveries as f64 / window),
        "server_cpu_s": cpu,
        "loadgen_cpu_s": cpu_all["loadgen_cpu_s"],
        "other_cpu_s": cpu_all["other_cpu_s"],
        "server_cpu_us_per_delivery": per(deliveries),
        "server_cpu_us_per_update": per(updates),
        "server_rss_kb": server.rss_kb(),
        "group": pool::aggregate(&results),
    }))
}

/// Source address `i` of `n` (127.0.0.2 ...), or none when `n` is 0.
fn source(i: usize, n: usize) -> Option<Ipv4Addr> {
    (n > 0).then(|| Ipv4Addr::new(127, 0, 0, 2 + (i % n) as u8))
}

fn idle_plans(urls: &[String], from: usize, to: usize, track: &Arc<Track>, sources: usize) -> Vec<Plan> {
    (from..to)
        .map(|i| Plan {
            url: urls[i % urls.len()].clone(),
            source: source(i, sources),
            track: track.clone(),
            writer: None,
            awareness: false,
            echo: false,
            cursor: false,
            id: i,
            room: i % urls.len(),
        })
        .collect()
}

/// `idle`: N connections over 100 rooms, held; server memory per connection.
pub async fn idle(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let fd_cap = stats::own_fd_limit().unwrap_or(1024).saturating_sub(200) as usize;
    let wanted = args.usize("connections", 2000);
    let n = wanted.min(fd_cap);
    let rooms = args.usize("rooms", 100).max(1);
    let hold = seconds(args, "hold", 5.0);
    let sources = args.usize("source-ips", if n > 20_000 { 8 } else { 0 }).min(250);
    let urls = target.rooms("idle", rooms).await?;
    let track = Track::new(Instant::now(), 0, 0);
    let mut pool = Pool::new(String::new(), Pacing::Rate(1.0));
    let rss0 = server.rss_kb();
    let added = pool.add(idle_plans(&urls, 0, n, &track, sources), args.usize("concurrency", 128)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss1 = server.rss_kb();
    let cpu0 = server.cpu_seconds();
    tokio::time::sleep(hold).await;
    let cpu1 = server.cpu_seconds();
    let rss2 = server.rss_kb();
    let own_rss = stats::status_kb("self", "VmRSS");
    let results = pool.finish().await;
    let group = pool::aggregate(&results);
    let kb_per_conn = match (rss0, rss1) {
        (Some(a), Some(b)) if added.synced > 0 => Some(round3((b as f64 - a as f64) / added.synced as f64)),
        _ => None,
    };
    Ok(json!({
        "params": { "connections": n, "requested": wanted, "fd_cap": fd_cap, "rooms": rooms, "hold_s": hold.as_secs_f64(), "source_ips": sources },
        "connected": added.synced,
        "failed": added.failed,
        "connect_s": added.seconds,
        "server_rss_kb_before": rss0,
        "server_rss_kb_after": rss1,
        "server_rss_kb_end_of_hold": rss2,
        "server_kb_per_connection": kb_per_conn,
        "server_cpu_idle_pct": cpu_delta(cpu0, cpu1).map(|c| round3(100.0 * c / hold.as_secs_f64())),
        "loadgen_rss_kb": own_rss,
        "errors": group["errors"],
        "closed_by_server": group["closed_by_server"],
    }))
}

/// `join`: a ~500 KB document, then J joins (step 1 -> step 2 -> close), `--at-once` N at a time.
pub async fn join(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let doc_kb = args.usize("doc-kb", 500).max(1);
    let joins = args.usize("joins", 50).max(1);
    let at_once = args.usize("at-once", 1).clamp(1, 1000);
    let urls = target.rooms("join", 1).await?;
    let url = &urls[0];

    // One writer builds the document: doc_kb inserts of 1 KB, 16 in flight.
    let pad = "x".repeat(1024 - proto::MARKER_LEN);
    let track = Track::new(Instant::now(), 1, doc_kb);
    let mut pool = Pool::new(pad, Pacing::InFlight(16));
    let added = pool.add(room_plans(url, 0, 1, 1, &track, false, false, false, 0), 1).await;
    if added.synced != 1 {
        let results = pool.finish().await;
        return Err(format!("the writer did not sync: {}", pool::aggregate(&results)));
    }
    let t_fill = Instant::now();
    pool.start(Duration::from_secs(120), Duration::from_secs(600));
    while track.echoes.load(Ordering::Relaxed) < doc_kb && t_fill.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fill_s = round3(t_fill.elapsed().as_secs_f64());
    let echoed = track.echoes.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Sequential joins while the writer stays connected (the document is hot).
    let cpu0 = server.cpu_seconds();
    let mark = CpuMark::now(&server);
    let rss0 = server.rss_kb();
    let mut latencies = Vec::with_capacity(joins);
    let mut step2_bytes = 0usize;
    let mut text_len = None;
    let mut errors = Vec::new();
    let t_joins = Instant::now();
    let mut done = 0;
    while done < joins {
        // A wave of `at_once` joins in parallel (1: one after the other).
        let wave = at_once.min(joins - done);
        let outcomes = futures_util::future::join_all(
            (0..wave).map(|_| tokio::time::timeout(Duration::from_secs(30), one_join(url))),
        )
        .await;
        for outcome in outcomes {
            match outcome {
                Ok(Ok((us, update))) => {
                    latencies.push(us);
                    step2_bytes = update.len();
                    if text_len.is_none() {
                        text_len = Some(text_length(&update)?);
                    }
                }
                Ok(Err(e)) => errors.push(e),
                Err(_) => errors.push("join timed out".into()),
            }
        }
        done += wave;
    }
    let joins_wall = t_joins.elapsed().as_secs_f64();
    let cpu1 = server.cpu_seconds();
    let cpu = mark.since(&server);
    let rss1 = server.rss_kb();
    let writer = pool.finish().await;
    let ok = latencies.len();
    Ok(json!({
        "params": { "doc_kb": doc_kb, "joins": joins, "at_once": at_once },
        "fill_s": fill_s,
        "fill_updates_echoed": echoed,
        "text_chars": text_len,
        "step2_bytes": step2_bytes,
        "joins_ok": ok,
        "join_errors": errors,
        "joins_wall_s": round3(joins_wall),
        "join": stats::summary_ms(&mut latencies),
        "server_cpu_s": cpu_delta(cpu0, cpu1),
        "other_cpu_s": cpu["other_cpu_s"],
        "server_cpu_ms_per_join": cpu_delta(cpu0, cpu1).filter(|_| ok > 0).map(|c| round3(c * 1000.0 / ok as f64)),
        "server_rss_kb_before_joins": rss0,
        "server_rss_kb_after_joins": rss1,
        "writer": pool::aggregate(&writer),
    }))
}

/// Connect, send step 1 of an empty document, wait for step 2, close. Returns (µs, the update).
async fn one_join(url: &str) -> Result<(u32, Vec<u8>), String> {
    let t0 = Instant::now();
    let mut ws = target::connect(url, None, target::ws_config()).await?;
    ws.send(Message::Binary(proto::sync_step1(proto::EMPTY_STATE_VECTOR).into())).await.map_err(|e| e.to_string())?;
    let update = loop {
        match ws.next().await {
            Some(Ok(Message::Binary(data))) => {
                let found = proto::parse_frame(&data)?.into_iter().find_map(|m| match m {
                    Msg::SyncStep2(u) => Some(u.to_vec()),
                    _ => None,
                });
                if let Some(u) = found {
                    break u;
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("connection ended before step 2".into()),
        }
    };
    let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    Ok((us, update))
}

/// Characters of the "monaco" text an update holds (checks the step 2 is the whole document).
fn text_length(update: &[u8]) -> Result<usize, String> {
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("monaco");
    let update = yrs::Update::decode_v1(update).map_err(|e| format!("step 2 does not decode: {e}"))?;
    doc.transact_mut().apply_update(update).map_err(|e| format!("step 2 does not apply: {e}"))?;
    Ok(text.get_string(&doc.transact()).chars().count())
}

/// `scale`: idle connections in steps, while one room with 2 writers × 10/s measures edit p99.
pub async fn scale(target: &Target, args: &Args, server: Server) -> Result<Value, String> {
    let fd_cap = stats::own_fd_limit().unwrap_or(1024).saturating_sub(300) as usize;
    let max = args.usize("max", 30_000).min(fd_cap);
    let mut steps: Vec<usize> = args
        .str("steps", "2500,5000,10000,15000,20000,30000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Steps past the cap (--max, or this process's open-file limit) become one last step at the cap.
    let capped = steps.iter().any(|&s| s > max);
    steps.retain(|&s| s < max);
    if capped || steps.is_empty() {
        steps.push(max);
    }
    let rooms = args.usize("rooms", 100).max(1);
    let sources = args.usize("source-ips", 8).min(250);
    let step_duration = seconds(args, "step-duration", 5.0);
    let rate = args.f64("rate", 10.0);
    let slo_ms = args.f64("p99-ms", 50.0);
    let deadline = Instant::now() + seconds(args, "max-time", 240.0);
    let urls = target.rooms("scale-idle", rooms).await?;
    let measure_urls = target.rooms("scale-measure", 2 * steps.len()).await?;
    let idle_track = Track::new(Instant::now(), 0, 0);
    let mut idle = Pool::new(String::new(), Pacing::Rate(1.0));
    let rss_start = server.rss_kb();
    let mut results = Vec::new();
    let mut best: Option<usize> = None;
    let mut stopped = "all steps done".to_owned();
    for (k, &n) in steps.iter().enumerate() {
        if Instant::now() > deadline {
            stopped = "time budget used".into();
            break;
        }
        let have = idle.len();
        let added = idle.add(idle_plans(&urls, have, n, &idle_track, sources), args.usize("concurrency", 128)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        // A fresh measuring room per attempt: 2 writers and 2 readers. A failed
        // step is measured once more (one stall of a shared 2-core machine
        // should not end the search); both attempts are reported.
        let mut attempts = Vec::new();
        let mut ok = false;
        for attempt in 0..2 {
            let track = Track::new(Instant::now(), 2, cap_for(rate, step_duration));
            let mut measure = Pool::new(SMALL_PAD.into(), Pacing::Rate(rate));
            let plans = room_plans(
                &measure_urls[2 * k + attempt],
                0,
                4,
                2,
                &track,
                false,
                false,
                false,
                1_000_000 + 10 * (2 * k + attempt),
            );
            let m_added = measure.add(plans, 4).await;
            let mark = CpuMark::now(&server);
            let phase = measure.start(step_duration, Duration::from_secs(1));
            tokio::time::sleep_until(phase.end.into()).await;
            let cpu = mark.since(&server);
            let group = pool::aggregate(&measure.finish().await);
            let p99 = group["latency"]["p99_ms"].as_f64();
            ok = p99.is_some_and(|p| p <= slo_ms)
                && m_added.synced == 4
                && group["delivered_ratio"].as_f64().is_some_and(|r| r >= 0.999)
                && added.failed == 0;
            attempts.push(json!({
                "latency": group["latency"],
                "delivered_ratio": group["delivered_ratio"],
                "server_cpu_s": cpu["server_cpu_s"],
                "loadgen_cpu_s": cpu["loadgen_cpu_s"],
                "other_cpu_s": cpu["other_cpu_s"],
                "measure_errors": group["errors"],
                "measure_closed_by_server": group["closed_by_server"],
                "ok": ok,
            }));
            if ok || added.failed > 0 {
                break;
            }
        }
        let last = attempts.last().cloned().unwrap_or(Value::Null);
        results.push(json!({
            "idle_connections": have + added.synced,
            "target": n,
            "idle_failed": added.failed,
            "connect_s": added.seconds,
            "server_rss_kb": server.rss_kb(),
            "latency": last["latency"],
            "delivered_ratio": last["delivered_ratio"],
            "measure_errors": last["measure_errors"],
            "measure_closed_by_server": last["measure_closed_by_server"],
            "retried": attempts.len() > 1,
            "attempts": attempts,
            "ok": ok,
        }));
        if ok {
            best = Some(have + added.synced);
        } else {
            stopped = format!("step {n} failed (p99 > {slo_ms} ms, lost updates, or connections failed)");
            break;
        }
    }
    let idle_results = idle.finish().await;
    let idle_group = pool::aggregate(&idle_results);
    Ok(json!({
        "params": { "steps": steps, "max": max, "fd_cap": fd_cap, "rooms": rooms, "source_ips": sources,
                    "step_duration_s": step_duration.as_secs_f64(), "rate_per_writer": rate, "p99_slo_ms": slo_ms },
        "max_ok_connections": best,
        "stopped": stopped,
        "server_rss_kb_start": rss_start,
        "steps": results,
        "idle_errors": idle_group["errors"],
        "idle_closed_by_server": idle_group["closed_by_server"],
    }))
}

fn cpu_delta(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(round3(b? - a?))
}

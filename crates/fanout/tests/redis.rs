//! The Redis fan-out against a real Redis (`REYNARD_TEST_REDIS_URL`; CI sets
//! it): events cross between two fan-outs, a process hears its own events
//! once, subscribers are told to resynchronise when a subscription starts and
//! when the connection comes back after Redis dropped it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reynard_bus::{Bus, Payload, ProcessId, Published, Topic};
use reynard_fanout::RedisFanout;
use reynard_proto::DocumentId;

fn redis_url() -> Option<String> {
    let url = std::env::var("REYNARD_TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("\n!!! SKIPPED: REYNARD_TEST_REDIS_URL is not set\n");
    }
    url
}

type Heard = Arc<Mutex<Vec<Published>>>;

fn listen(bus: &RedisFanout, topic: &Topic) -> Heard {
    let heard: Heard = Arc::default();
    let sink = heard.clone();
    bus.subscribe(topic, Arc::new(move |event| sink.lock().unwrap().push(event)));
    heard
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn update(seq: i64) -> Payload {
    Payload::Update { seq, update: Arc::from(&seq.to_be_bytes()[..]) }
}

fn updates(heard: &Heard) -> Vec<i64> {
    heard
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e.payload {
            Payload::Update { seq, .. } => Some(seq),
            _ => None,
        })
        .collect()
}

fn resyncs(heard: &Heard) -> usize {
    heard.lock().unwrap().iter().filter(|e| e.payload == Payload::Resync).count()
}

#[tokio::test]
async fn events_cross_processes_and_a_lost_connection_asks_for_a_resync() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("test-{}", rand_suffix());
    let a = RedisFanout::connect(&url, &prefix).unwrap();
    let b = RedisFanout::connect(&url, &prefix).unwrap();
    assert!(a.wait_connected(Duration::from_secs(10)).await && b.wait_connected(Duration::from_secs(10)).await);
    let topic = Topic::Document(DocumentId::new("d1"));
    let on_a = listen(&a, &topic);
    let on_b = listen(&b, &topic);
    until("the subscriptions", || resyncs(&on_a) == 1 && resyncs(&on_b) == 1).await;

    for seq in 1..=3 {
        a.publish(Published { origin: ProcessId(1), topic: topic.clone(), payload: update(seq) });
    }
    until("b hears a", || updates(&on_b) == [1, 2, 3]).await;
    assert_eq!(updates(&on_a), [1, 2, 3], "a hears its own events once, at once");
    assert_eq!(b.stats().received, 3);

    // Another prefix is another deployment.
    let other = RedisFanout::connect(&url, &format!("{prefix}-other")).unwrap();
    let on_other = listen(&other, &topic);
    until("the other subscription", || resyncs(&on_other) == 1).await;

    // Redis drops b's connections: b comes back, says so, and hears again.
    let mut admin = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let _: redis::Value =
        redis::cmd("CLIENT").arg("KILL").arg("TYPE").arg("pubsub").query_async(&mut admin).await.unwrap();
    until("b's resync after the reconnect", || resyncs(&on_b) >= 2).await;
    until("a's resync after the reconnect", || resyncs(&on_a) >= 2).await;
    assert!(b.stats().reconnects >= 1);
    a.wait_connected(Duration::from_secs(10)).await;
    a.publish(Published { origin: ProcessId(1), topic: topic.clone(), payload: update(4) });
    until("b hears a after the reconnect", || updates(&on_b) == [1, 2, 3, 4]).await;
    assert!(updates(&on_other).is_empty(), "other deployments hear nothing");
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        ^ u64::from(std::process::id())
}

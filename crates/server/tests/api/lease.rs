//! One process per database while the fan-out is in-process: a second server
//! on the same database refuses to start, and the lease of one that stopped
//! (cleanly, or by dying on this host) does not keep the next one out.

use std::time::Duration;

use reynard_server::config::Config;
use tokio::sync::oneshot;

/// Starts `reynard_server::app::serve` on `data`; returns its stop switch and task.
async fn serve(
    data: &std::path::Path,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>, std::net::SocketAddr) {
    let config = Config::for_tests(data.to_path_buf());
    let store = reynard_server::app::open_store(&config).await.expect("open store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = rx.await;
    };
    (tx, tokio::spawn(reynard_server::app::serve(config, store, listener, shutdown)), addr)
}

async fn healthy(addr: std::net::SocketAddr) -> bool {
    let url = format!("http://{addr}/healthz");
    for _ in 0..100 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_second_process_on_one_database_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (stop_first, first, addr) = serve(dir.path()).await;
    assert!(healthy(addr).await);

    let (_stop, second, _) = serve(dir.path()).await;
    let refused = tokio::time::timeout(Duration::from_secs(5), second).await.expect("refuses at once").unwrap();
    let message = refused.expect_err("a second server must not start").to_string();
    assert!(message.contains("another reynard process"), "{message}");

    // Once the first stops, the next one starts at once.
    stop_first.send(()).unwrap();
    first.await.unwrap().unwrap();
    let (stop_third, third, addr) = serve(dir.path()).await;
    assert!(healthy(addr).await, "the released lease lets the next server start");
    stop_third.send(()).unwrap();
    third.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_lease_of_a_process_that_died_here_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_tests(dir.path().to_path_buf());
    let store = reynard_server::app::open_store(&config).await.unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let now = reynard_store::now_millis();
    // A process of this host that is gone (no such pid) left its lease behind.
    let dead = format!("{}:4000000000:1", host.trim());
    assert_eq!(store.acquire_lease(&dead, now, now + 30_000).await.unwrap(), None);
    store.close().await;

    let (stop, server, addr) = serve(dir.path()).await;
    assert!(healthy(addr).await, "a dead local holder does not keep the server out");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    // One on another host holds it until it expires.
    let store = reynard_server::app::open_store(&config).await.unwrap();
    assert_eq!(store.acquire_lease("elsewhere:1:1", now, now + 30_000).await.unwrap(), None);
    store.close().await;
    let (_stop, refused, _) = serve(dir.path()).await;
    assert!(refused.await.unwrap().is_err(), "a live holder elsewhere keeps it");
}

//! Prometheus metrics: HTTP requests by route and status, request latencies,
//! open connections, password hashers and session purges, rendered as the text
//! exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct HttpStats {
    /// (method, route, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency histogram
    latency: BTreeMap<String, Histogram>,
}

/// The server's metrics registry.
#[derive(Debug, Default)]
pub struct Metrics {
    http: Mutex<HttpStats>,
    open_connections: AtomicI64,
    accepted_connections: AtomicU64,
    open_websockets: AtomicI64,
    password_hashes_running: AtomicI64,
    password_hashes_peak: AtomicI64,
    password_hashes_refused: AtomicU64,
    sessions_purged: AtomicU64,
}

impl Metrics {
    /// Records one finished HTTP request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        *http.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let histogram = http.latency.entry(route.to_owned()).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (bucket, bound) in histogram.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// A TCP connection was accepted.
    pub fn connection_opened(&self) {
        self.open_connections.fetch_add(1, Ordering::Relaxed);
        self.accepted_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A TCP connection was closed.
    pub fn connection_closed(&self) {
        self.open_connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// A document WebSocket was opened.
    pub fn websocket_opened(&self) {
        self.open_websockets.fetch_add(1, Ordering::Relaxed);
    }

    /// A document WebSocket was closed.
    pub fn websocket_closed(&self) {
        self.open_websockets.fetch_sub(1, Ordering::Relaxed);
    }

    /// A password hash or verification started on a hasher.
    pub fn password_hash_started(&self) {
        let running = self.password_hashes_running.fetch_add(1, Ordering::SeqCst) + 1;
        self.password_hashes_peak.fetch_max(running, Ordering::SeqCst);
    }

    /// A password hash or verification ended.
    pub fn password_hash_finished(&self) {
        self.password_hashes_running.fetch_sub(1, Ordering::SeqCst);
    }

    /// A request found no free password hasher in time (answered 429 `busy`).
    pub fn password_hash_refused(&self) {
        self.password_hashes_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Expired sessions were deleted.
    pub fn sessions_purged(&self, count: u64) {
        self.sessions_purged.fetch_add(count, Ordering::Relaxed);
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> i64 {
        self.open_connections.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP reynard_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE reynard_http_requests_total counter\n");
        for ((method, route, status), count) in &http.requests {
            let _ = writeln!(
                out,
                "reynard_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        out.push_str("# HELP reynard_http_request_duration_seconds Time to answer HTTP requests, by route.\n");
        out.push_str("# TYPE reynard_http_request_duration_seconds histogram\n");
        for (route, histogram) in &http.latency {
            let route = escape(route);
            for (count, bound) in histogram.buckets.iter().zip(LATENCY_BUCKETS) {
                let _ = writeln!(
                    out,
                    "reynard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "reynard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(out, "reynard_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", histogram.sum);
            let _ =
                writeln!(out, "reynard_http_request_duration_seconds_count{{route=\"{route}\"}} {}", histogram.count);
        }
        drop(http);
        out.push_str("# HELP reynard_open_connections TCP connections currently open.\n");
        out.push_str("# TYPE reynard_open_connections gauge\n");
        let _ = writeln!(out, "reynard_open_connections {}", self.open_connections());
        out.push_str("# HELP reynard_open_websockets Document WebSocket connections currently open.\n");
        out.push_str("# TYPE reynard_open_websockets gauge\n");
        let _ = writeln!(out, "reynard_open_websockets {}", self.open_websockets.load(Ordering::Relaxed));
        out.push_str("# HELP reynard_accepted_connections_total TCP connections accepted.\n");
        out.push_str("# TYPE reynard_accepted_connections_total counter\n");
        let _ =
            writeln!(out, "reynard_accepted_connections_total {}", self.accepted_connections.load(Ordering::Relaxed));
        let gauges = [
            (
                "reynard_password_hashes_running",
                "Password hashes and verifications running now.",
                &self.password_hashes_running,
            ),
            (
                "reynard_password_hashes_peak",
                "Most password hashes and verifications ever running at once.",
                &self.password_hashes_peak,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", value.load(Ordering::SeqCst));
        }
        let counters = [
            (
                "reynard_password_hashes_refused_total",
                "Requests answered 429 busy: no password hasher free in time.",
                &self.password_hashes_refused,
            ),
            ("reynard_sessions_purged_total", "Expired sessions deleted by the periodic purge.", &self.sessions_purged),
        ];
        for (name, help, value) in counters {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware recording every request against its route pattern (not the raw
/// path, so ids do not explode the label set).
pub async fn track_requests(State(metrics): State<std::sync::Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics.record_request(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let metrics = Metrics::default();
        metrics.record_request("GET", "/api/v1/me", 200, 0.002);
        metrics.record_request("GET", "/api/v1/me", 200, 0.2);
        metrics.connection_opened();
        let text = metrics.render();
        assert!(text.contains("reynard_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"} 2"));
        assert!(text.contains("reynard_http_request_duration_seconds_bucket{route=\"/api/v1/me\",le=\"0.0025\"} 1"));
        assert!(text.contains("reynard_http_request_duration_seconds_bucket{route=\"/api/v1/me\",le=\"+Inf\"} 2"));
        assert!(text.contains("reynard_open_connections 1"));
    }
}

//! Where the clients connect: a plain y-websocket server (rooms are names in a
//! URL template) or Reynard (HTTP setup first: a fresh user, a workspace and
//! one document per room; the token goes in the URL). Loopback only.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Ws = WebSocketStream<TcpStream>;

/// Checks that a `ws://` or `http://` URL names a loopback address and returns host:port.
pub fn loopback_addr(url: &str) -> Result<SocketAddrV4, String> {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url}: only ws:// and http:// URLs are supported"))?;
    let hostport = rest.split(['/', '?']).next().unwrap_or_default();
    let hostport = hostport.replace("localhost:", "127.0.0.1:");
    let addr: SocketAddrV4 = hostport.parse().map_err(|_| format!("{url}: expected 127.0.0.x:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{url}: refusing a non-loopback address (this benchmark stays on 127.0.0.0/8)"));
    }
    Ok(addr)
}

/// Opens a WebSocket to `url`, from `source` (127.0.0.x) when given: every
/// source address has its own ephemeral port range.
pub async fn connect(url: &str, source: Option<Ipv4Addr>, config: WebSocketConfig) -> Result<Ws, String> {
    let addr = loopback_addr(url)?;
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    if let Some(ip) = source {
        socket.set_reuseaddr(true).map_err(|e| format!("reuseaddr: {e}"))?;
        socket.bind(SocketAddr::V4(SocketAddrV4::new(ip, 0))).map_err(|e| format!("bind {ip}: {e}"))?;
    }
    let stream = socket.connect(SocketAddr::V4(addr)).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let (ws, _response) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

/// WebSocket settings of the clients: small buffers (tungstenite reserves
/// 128 KiB per connection by default, too much for 20k idle clients), every
/// message written at once.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0).max_message_size(Some(256 << 20))
}

/// The server under test.
#[derive(Debug, Clone)]
pub enum Target {
    /// `ws://127.0.0.1:PORT/{room}`: rooms are names.
    Template { template: String, run: String },
    /// Reynard: documents created through the HTTP API.
    Reynard { base: String, ws_base: String, token: String, workspace: String, http: reqwest::Client },
}

impl Target {
    pub fn template(template: &str) -> Result<Target, String> {
        loopback_addr(template)?;
        if !template.contains("{room}") {
            return Err("--url-template must contain {room}".into());
        }
        let run = format!("{}-{}", std::process::id(), unix_millis());
        Ok(Target::Template { template: template.to_owned(), run })
    }

    /// Signs a fresh user up and creates a workspace on the Reynard at `base`.
    pub async fn reynard(base: &str) -> Result<Target, String> {
        loopback_addr(base)?;
        let base = base.trim_end_matches('/').to_owned();
        let ws_base = base.replacen("http://", "ws://", 1);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let email = format!("bench-{}-{}@bench.test", std::process::id(), unix_millis());
        let signup = post(
            &http,
            &format!("{base}/api/v1/auth/signup"),
            None,
            json!({
                "email": email, "password": "correct horse 1", "name": "Bench"
            }),
        )
        .await?;
        let token = str_field(&signup, "token")?;
        let ws =
            post(&http, &format!("{base}/api/v1/workspaces"), Some(&token), json!({ "name": "Benchmark" })).await?;
        let workspace = str_field(&ws, "id")?;
        Ok(Target::Reynard { base, ws_base, token, workspace, http })
    }

    /// WebSocket URLs of `n` fresh rooms (documents) for `scenario`.
    pub async fn rooms(&self, scenario: &str, n: usize) -> Result<Vec<String>, String> {
        match self {
            Target::Template { template, run } => {
                Ok((0..n).map(|i| template.replace("{room}", &format!("bench-{scenario}-{run}-{i}"))).collect())
            }
            Target::Reynard { base, ws_base, token, workspace, http } => {
                let stamp = unix_millis();
                let mut urls = Vec::with_capacity(n);
                for i in 0..n {
                    let doc = post(
                        http,
                        &format!("{base}/api/v1/workspaces/{workspace}/documents"),
                        Some(token),
                        json!({ "path": format!("bench/{scenario}-{stamp}/room-{i}.md") }),
                    )
                    .await?;
                    let id = str_field(&doc, "id")?;
                    urls.push(format!("{ws_base}/collab/{id}?token={token}"));
                }
                Ok(urls)
            }
        }
    }

    /// The `http://` base of a Reynard target.
    pub fn base(&self) -> Option<&str> {
        match self {
            Target::Reynard { base, .. } => Some(base),
            Target::Template { .. } => None,
        }
    }

    /// The URLs of `urls` (rooms of this Reynard) on another process of the
    /// same deployment (one database): `reader_base` is its `http://` base.
    /// The documents and the token live in the shared database, so they are
    /// valid there too.
    pub fn on_other_process(&self, urls: &[String], reader_base: &str) -> Result<Vec<String>, String> {
        let Target::Reynard { ws_base, .. } = self else {
            return Err("--reader-url needs --reynard (two processes of one Reynard deployment)".into());
        };
        loopback_addr(reader_base)?;
        let reader_ws = reader_base.trim_end_matches('/').replacen("http://", "ws://", 1);
        if reader_ws == *ws_base {
            return Err("--reader-url is the same server as --reynard".into());
        }
        urls.iter()
            .map(|url| {
                url.strip_prefix(ws_base.as_str())
                    .map(|rest| format!("{reader_ws}{rest}"))
                    .ok_or_else(|| format!("{url} is not under {ws_base}"))
            })
            .collect()
    }
}

/// The fan-out figures of a Reynard process (`/metrics` with `--metrics-token`):
/// `reynard_fanout_*` and `reynard_document_catch_ups_total`, by name.
pub async fn fanout_metrics(base: &str, token: &str) -> Result<Value, String> {
    loopback_addr(base)?;
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).no_proxy().build().map_err(|e| e.to_string())?;
    let response = http.get(&url).bearer_auth(token).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status}"));
    }
    let mut figures = serde_json::Map::new();
    for line in
        text.lines().filter(|l| l.starts_with("reynard_fanout_") || l.starts_with("reynard_document_catch_ups_total"))
    {
        if let Some((name, value)) = line.rsplit_once(' ')
            && let Ok(v) = value.parse::<f64>()
        {
            figures.insert(name.to_owned(), json!(v));
        }
    }
    Ok(Value::Object(figures))
}

async fn post(http: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Result<Value, String> {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("POST {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("POST {url}: {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("POST {url}: {e}: {text}"))
}

fn str_field(value: &Value, name: &str) -> Result<String, String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("no {name:?} in {value}"))
}

fn unix_millis() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback() {
        assert!(loopback_addr("ws://127.0.0.1:1234/x").is_ok());
        assert!(loopback_addr("ws://localhost:1234/x?y").is_ok());
        assert!(loopback_addr("http://127.0.0.5:80").is_ok());
        assert!(loopback_addr("ws://10.0.0.1:1234/x").is_err());
        assert!(loopback_addr("ws://example.com:80/x").is_err());
        assert!(loopback_addr("wss://127.0.0.1:80/x").is_err());
    }

    #[test]
    fn rooms_on_the_other_process() {
        let target = Target::Reynard {
            base: "http://127.0.0.1:1000".into(),
            ws_base: "ws://127.0.0.1:1000".into(),
            token: "t".into(),
            workspace: "w".into(),
            http: reqwest::Client::new(),
        };
        let urls = vec!["ws://127.0.0.1:1000/collab/d1?token=t".to_owned()];
        assert_eq!(
            target.on_other_process(&urls, "http://127.0.0.1:2000/").unwrap(),
            vec!["ws://127.0.0.1:2000/collab/d1?token=t".to_owned()]
        );
        assert!(target.on_other_process(&urls, "http://127.0.0.1:1000").is_err());
        assert!(target.on_other_process(&urls, "http://10.0.0.1:2000").is_err());
        assert!(
            Target::template("ws://127.0.0.1:1/{room}")
                .unwrap()
                .on_other_process(&urls, "http://127.0.0.1:2000")
                .is_err()
        );
    }
}

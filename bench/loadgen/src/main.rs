//! `loadgen`: a protocol-level y-websocket load generator for the Reynard benchmark.
//!
//! ```text
//! loadgen <scenario> (--reynard http://127.0.0.1:PORT | --url-template ws://127.0.0.1:PORT/{room})
//!         [--label NAME] [--server-pid PID] [--clk-tck 100] [--timeout 300] [scenario options]
//! loadgen report <results.jsonl> [--out latest.json]
//! ```
//! Scenarios: latency, latency-cross, fanout, throughput, idle, join, scale (see bench/README.md).
//! `latency` / `latency-cross` take `--reader-url http://127.0.0.1:PORT2 [--reader-pid PID2]`:
//! the room's readers connect to that second Reynard process of the same
//! deployment (one database), its writers to `--reynard`.
//! Each prints one JSON line. Only loopback addresses are accepted; every loop
//! is bounded in count and time (`--timeout` bounds the whole scenario).
//!
//! Open files: the process cannot raise its own limit (no libc here); the
//! runner script raises it with `ulimit -n` where the hard limit allows, and
//! `idle` / `scale` cap their connection counts at the limit they find.

mod client;
mod pool;
mod proto;
mod report;
mod scenarios;
mod stats;
mod target;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

/// `--key value` options (and bare `--flag`s).
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    fn parse(raw: &[String]) -> Result<Args, String> {
        let mut args = Args::default();
        let mut i = 0;
        while i < raw.len() {
            let key = raw[i].strip_prefix("--").ok_or_else(|| format!("unexpected argument {:?}", raw[i]))?;
            if let Some((k, v)) = key.split_once('=') {
                args.values.insert(k.to_owned(), v.to_owned());
            } else if raw.get(i + 1).is_some_and(|v| !v.starts_with("--")) {
                args.values.insert(key.to_owned(), raw[i + 1].clone());
                i += 1;
            } else {
                args.flags.push(key.to_owned());
            }
            i += 1;
        }
        Ok(args)
    }

    pub fn str(&self, name: &str, default: &str) -> String {
        self.values.get(name).cloned().unwrap_or_else(|| default.to_owned())
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn f64(&self, name: &str, default: f64) -> f64 {
        self.values.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    pub fn usize(&self, name: &str, default: usize) -> usize {
        self.values.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

const SCENARIOS: &[&str] = &["latency", "latency-cross", "fanout", "throughput", "idle", "join", "scale"];

fn usage() -> ! {
    eprintln!(
        "usage: loadgen <{}> (--reynard http://127.0.0.1:PORT | --url-template 'ws://127.0.0.1:PORT/{{room}}') \
         [--label NAME] [--server-pid PID] [--clk-tck N] [--timeout S] [options]\n       \
         loadgen latency-cross --reynard http://127.0.0.1:PORT_A [--reader-url http://127.0.0.1:PORT_B --reader-pid PID_B] [options]\n       \
         loadgen report RESULTS.jsonl [--out FILE]",
        SCENARIOS.join("|")
    );
    std::process::exit(2);
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some(scenario) = raw.first().cloned() else { usage() };
    if scenario == "report" {
        let Some(path) = raw.get(1) else { usage() };
        let args = Args::parse(&raw[2..]).unwrap_or_else(|e| {
            eprintln!("{e}");
            usage()
        });
        match report::run(path, args.opt("out")) {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("report: {e}");
                std::process::exit(1);
            }
        }
    }
    if !SCENARIOS.contains(&scenario.as_str()) {
        usage();
    }
    let args = Args::parse(&raw[1..]).unwrap_or_else(|e| {
        eprintln!("{e}");
        usage()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.usize("threads", 2))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let label = args.str("label", "server");
    let limit = Duration::from_secs_f64(args.f64("timeout", 300.0).clamp(1.0, 3600.0));
    let outcome = runtime.block_on(async {
        match tokio::time::timeout(limit, run(&scenario, &args)).await {
            Ok(result) => result,
            Err(_) => Err(format!("scenario did not finish within --timeout {}s", limit.as_secs())),
        }
    });
    let line = match outcome {
        Ok(result) => json!({ "scenario": scenario, "server": label, "ok": true, "result": result }),
        Err(error) => json!({ "scenario": scenario, "server": label, "ok": false, "error": error }),
    };
    println!("{line}");
    // Do not wait for lingering connections.
    runtime.shutdown_timeout(Duration::from_millis(100));
    std::process::exit(if line["ok"] == true { 0 } else { 1 });
}

async fn run(scenario: &str, args: &Args) -> Result<serde_json::Value, String> {
    if (args.opt("reader-url").is_some() || args.opt("reader-pid").is_some()) && !scenario.starts_with("latency") {
        return Err("--reader-url and --reader-pid are for latency and latency-cross".into());
    }
    let target = match (args.opt("reynard"), args.opt("url-template")) {
        (Some(base), None) => target::Target::reynard(base).await?,
        (None, Some(template)) => target::Target::template(template)?,
        _ => return Err("give exactly one of --reynard URL and --url-template TEMPLATE".into()),
    };
    let server = stats::Server {
        pid: args.opt("server-pid").and_then(|p| p.parse().ok()),
        reader_pid: args.opt("reader-pid").and_then(|p| p.parse().ok()),
        clk_tck: args.f64("clk-tck", 100.0),
    };
    match scenario {
        // `latency-cross` is `latency` recorded under its own name (the runner
        // compares deployments with it); `--reader-url` puts the readers on a
        // second process.
        "latency" | "latency-cross" => scenarios::latency(&target, args, server).await,
        "fanout" => scenarios::fanout(&target, args, server).await,
        "throughput" => scenarios::throughput(&target, args, server).await,
        "idle" => scenarios::idle(&target, args, server).await,
        "join" => scenarios::join(&target, args, server).await,
        "scale" => scenarios::scale(&target, args, server).await,
        _ => unreachable!(),
    }
}

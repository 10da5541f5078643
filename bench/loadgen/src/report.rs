//! `loadgen report results.jsonl --out latest.json`: the side-by-side table.
//! The last line of each (scenario, server) pair wins.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// (metric name, JSON pointer into `result`, lower is better?) per scenario.
fn metrics(scenario: &str) -> Vec<(&'static str, &'static str)> {
    match scenario {
        "latency" => vec![
            ("p50 ms (insert -> other clients)", "/group/latency/p50_ms"),
            ("p99 ms", "/group/latency/p99_ms"),
            ("max ms", "/group/latency/max_ms"),
            ("echo p99 ms (back to the writer)", "/group/echo_latency/p99_ms"),
            ("delivered ratio", "/group/delivered_ratio"),
            ("server CPU s in window", "/server_cpu_s"),
            ("loadgen CPU s in window", "/loadgen_cpu_s"),
            ("other processes' CPU s in window", "/other_cpu_s"),
        ],
        "fanout" => vec![
            ("p50 ms", "/group/latency/p50_ms"),
            ("p99 ms", "/group/latency/p99_ms"),
            ("max ms", "/group/latency/max_ms"),
            ("per edit, first reader: p50 ms (npm)", "/group/first_reader/p50_ms"),
            ("per edit, last reader: p50 ms (npm)", "/group/last_reader/p50_ms"),
            ("delivered ratio", "/group/delivered_ratio"),
            ("awareness msgs received (all clients)", "/group/awareness_in"),
            ("awareness echoes sent (all clients)", "/group/awareness_out"),
            ("server CPU s, joins + settle", "/server_cpu_join_and_settle_s"),
            ("server CPU s, measured window", "/server_cpu_s"),
            ("loadgen CPU s, measured window", "/loadgen_cpu_s"),
            ("other processes' CPU s, measured window", "/other_cpu_s"),
        ],
        "throughput" => vec![
            ("updates/s (accepted, echoed)", "/updates_per_s"),
            ("deliveries/s (update x client)", "/deliveries_per_s"),
            ("server CPU us per delivery", "/server_cpu_us_per_delivery"),
            ("server CPU us per update", "/server_cpu_us_per_update"),
            ("server CPU s in window", "/server_cpu_s"),
            ("loadgen CPU s in window", "/loadgen_cpu_s"),
            ("other processes' CPU s in window", "/other_cpu_s"),
            ("p50 ms under load", "/group/latency/p50_ms"),
            ("p99 ms under load", "/group/latency/p99_ms"),
            ("server RSS MB after", "/server_rss_kb"),
        ],
        "idle" => vec![
            ("connections held", "/connected"),
            ("server KB per connection", "/server_kb_per_connection"),
            ("server KB per added connection (second half)", "/server_kb_per_added_connection"),
            ("server RSS MB before", "/server_rss_kb_before"),
            ("server RSS MB with connections", "/server_rss_kb_after"),
            ("connect + sync all, s", "/connect_s"),
            ("server CPU % while idle", "/server_cpu_idle_pct"),
        ],
        "join" => vec![
            ("document chars", "/text_chars"),
            ("step 2 bytes", "/step2_bytes"),
            ("join p50 ms", "/join/p50_ms"),
            ("join p99 ms", "/join/p99_ms"),
            ("join max ms", "/join/max_ms"),
            ("server CPU ms per join", "/server_cpu_ms_per_join"),
            ("other processes' CPU s during joins", "/other_cpu_s"),
            ("fill (doc-kb inserts of 1 KB), s", "/fill_s"),
        ],
        "scale" => vec![("largest N with p99 <= 50 ms", "/max_ok_connections")],
        "latency-cross" => vec![
            ("clients", "/params/topology"),
            ("readers: p50 ms (writer's insert -> reader)", "/readers/latency/p50_ms"),
            ("readers: p99 ms", "/readers/latency/p99_ms"),
            ("readers: max ms", "/readers/latency/max_ms"),
            ("readers: delivered ratio", "/readers/delivered_ratio"),
            ("all pairs: p50 ms (the `latency` figure)", "/group/latency/p50_ms"),
            ("all pairs: p99 ms", "/group/latency/p99_ms"),
            ("all pairs: delivered ratio", "/group/delivered_ratio"),
            ("writers -> other writers: p99 ms", "/writers/latency/p99_ms"),
            ("echo p99 ms (back to the writer)", "/group/echo_latency/p99_ms"),
            ("server CPU s in window (all processes)", "/server_cpu_s"),
            ("  of which process A (writers)", "/server_a_cpu_s"),
            ("  of which process B (readers)", "/server_b_cpu_s"),
            ("loadgen CPU s in window", "/loadgen_cpu_s"),
            ("other CPU s in window (PostgreSQL, Redis, rest)", "/other_cpu_s"),
            ("B: events heard over Redis", "/fanout_metrics/b/reynard_fanout_received_total"),
            ("B: mean Redis lag ms (publish -> heard)", "/fanout_lag_mean_ms"),
            ("B: max Redis lag ms", "/fanout_lag_max_ms"),
            ("B: catch-ups from the database", "/fanout_metrics/b/reynard_document_catch_ups_total"),
            ("A: catch-ups from the database", "/fanout_metrics/a/reynard_document_catch_ups_total"),
        ],
        _ => vec![],
    }
}

fn show(v: &Value, pointer: &str) -> String {
    let mb = pointer.contains("rss_kb") && !pointer.contains("per_connection");
    match v.pointer(pointer) {
        None | Some(Value::Null) => "-".into(),
        Some(Value::Number(n)) if mb => format!("{:.1}", n.as_f64().unwrap_or(0.0) / 1024.0),
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(0.0);
            if n.is_u64() || n.is_i64() {
                format!("{n}")
            } else if x.abs() >= 100.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
            }
        }
        Some(other) => other.to_string(),
    }
}

/// Failures worth a row: client errors and server closes, tallied.
fn problems(line: &Value) -> String {
    if line["ok"] != true {
        return format!("FAILED: {}", line["error"].as_str().unwrap_or("?"));
    }
    let r = &line["result"];
    let mut parts = Vec::new();
    for pointer in [
        "/group/errors",
        "/group/closed_by_server",
        "/errors",
        "/closed_by_server",
        "/idle_errors",
        "/idle_closed_by_server",
        "/writer/errors",
        "/writer/closed_by_server",
    ] {
        if let Some(Value::Object(map)) = r.pointer(pointer) {
            for (k, v) in map {
                parts.push(format!("{v}x {k}"));
            }
        }
    }
    if let Some(Value::Array(errors)) = r.pointer("/join_errors")
        && !errors.is_empty()
    {
        parts.push(format!("{} join errors, first: {}", errors.len(), errors[0]));
    }
    if let Some(Value::Array(steps)) = r.pointer("/steps") {
        for s in steps {
            for key in ["measure_errors", "measure_closed_by_server"] {
                if let Some(Value::Object(map)) = s.get(key) {
                    for (k, v) in map {
                        parts.push(format!("step {}: {v}x {k}", s["target"]));
                    }
                }
            }
        }
    }
    if parts.is_empty() { "none".into() } else { parts.join("; ") }
}

/// The servers in column order; each is measured by the Rust generator
/// (`server`) and by the npm clients (`server/npm`).
const SERVERS: [&str; 4] = ["reynard", "baseline", "y-sweet", "hocuspocus"];

/// The table column of a result line: its server, plus `/npm` when the npm
/// `yjs` clients (bench/clients) produced it.
fn column(line: &Value) -> String {
    let server = line["server"].as_str().unwrap_or("?");
    match line["client"].as_str() {
        Some("npm-yjs") => format!("{server}/npm"),
        _ => server.to_owned(),
    }
}

/// Rust-generator columns first, then the npm ones, servers in [`SERVERS`] order.
fn column_rank(column: &str) -> (bool, usize, String) {
    let (server, npm) = column.strip_suffix("/npm").map_or((column, false), |s| (s, true));
    (npm, SERVERS.iter().position(|s| *s == server).unwrap_or(SERVERS.len()), column.to_owned())
}

/// The scenario that compares Reynard deployments (no stock server).
const CROSS: &str = "latency-cross";
/// Its runs, in column order: two processes on PostgreSQL + Redis (writers on
/// one, readers on the other), one process on PostgreSQL, one on SQLite.
const CROSS_LABELS: [&str; 3] = ["pg-redis-cross", "pg-single", "sqlite-single"];

fn print_table(header: &[String], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter().map(|r| r[i].chars().count().min(60)).chain([header[i].chars().count()]).max().unwrap_or(0)
        })
        .collect();
    let fmt = |r: &[String]| {
        r.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join(" | ")
    };
    println!("{}", fmt(header));
    println!("{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-|-"));
    for r in rows {
        println!("{}", fmt(r));
    }
}

pub fn run(path: &str, out: Option<&str>) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut runs: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut meta = Value::Null;
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        if v.get("meta").is_some() {
            meta = v["meta"].clone();
            continue;
        }
        let scenario = v["scenario"].as_str().unwrap_or("?").to_owned();
        if !order.contains(&scenario) {
            order.push(scenario.clone());
        }
        runs.entry(scenario).or_default().insert(column(&v), v);
    }
    // Every server and client against each other (every scenario but latency-cross).
    let mut columns: Vec<String> = Vec::new();
    for (scenario, by_column) in &runs {
        if scenario != CROSS {
            columns.extend(by_column.keys().filter(|c| !columns.contains(c)).cloned().collect::<Vec<_>>());
        }
    }
    columns.sort_by_key(|c| column_rank(c));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for scenario in order.iter().filter(|s| *s != CROSS) {
        let by_column = &runs[scenario];
        let get = |c: &str| by_column.get(c).cloned().unwrap_or(Value::Null);
        for (name, pointer) in metrics(scenario) {
            let mut row = vec![scenario.clone(), name.to_owned()];
            row.extend(columns.iter().map(|c| show(&get(c)["result"], pointer)));
            rows.push(row);
        }
        if scenario == "scale" {
            // p99 at each step the servers reached.
            for (idx, c) in columns.iter().enumerate() {
                if let Some(Value::Array(steps)) = get(c).pointer("/result/steps") {
                    for step in steps {
                        let cell = format!(
                            "{} ms{}{}",
                            show(step, "/latency/p99_ms"),
                            if step["retried"] == true { " (2nd try)" } else { "" },
                            if step["ok"] == true { "" } else { " (fail)" }
                        );
                        let name = format!("p99 ms at {} idle", step["idle_connections"]);
                        if let Some(r) = rows.iter_mut().find(|r| r[0] == "scale" && r[1] == name) {
                            r[idx + 2] = cell;
                        } else {
                            let mut r = vec!["scale".to_owned(), name];
                            r.extend(columns.iter().map(|_| "-".to_owned()));
                            r[idx + 2] = cell;
                            rows.push(r);
                        }
                    }
                }
            }
        }
        let mut row = vec![scenario.clone(), "errors / server closes".into()];
        row.extend(columns.iter().map(|c| if by_column.contains_key(c) { problems(&get(c)) } else { "-".into() }));
        rows.push(row);
    }

    // latency-cross: Reynard deployments side by side, one column per label.
    let mut cross_labels: Vec<String> = CROSS_LABELS.iter().map(|s| (*s).to_owned()).collect();
    let mut cross_rows: Vec<Vec<String>> = Vec::new();
    if let Some(by_server) = runs.get(CROSS) {
        cross_labels.retain(|l| by_server.contains_key(l));
        cross_labels.extend(by_server.keys().filter(|k| !CROSS_LABELS.contains(&k.as_str())).cloned());
        let get = |s: &str| by_server.get(s).cloned().unwrap_or(Value::Null);
        for (name, pointer) in metrics(CROSS) {
            let mut row = vec![name.to_owned()];
            row.extend(cross_labels.iter().map(|s| show(&get(s)["result"], pointer).trim_matches('"').to_owned()));
            cross_rows.push(row);
        }
        let mut row = vec!["errors / server closes".to_owned()];
        row.extend(cross_labels.iter().map(|s| problems(&get(s))));
        cross_rows.push(row);
    }

    if !meta.is_null() {
        println!(
            "reynard at {} ({} uncommitted files) | {} cores | open-file limit {} | machine busy before: {}% (loadavg {})",
            meta["git"].as_str().unwrap_or("?"),
            meta["dirty_files"],
            meta["nproc"],
            meta["open_file_limit"],
            meta["machine_busy_pct_before"],
            meta["loadavg_before"].as_str().unwrap_or("?"),
        );
    }
    if !rows.is_empty() {
        let mut header = vec!["scenario".to_owned(), "metric".to_owned()];
        header.extend(columns.iter().cloned());
        print_table(&header, &rows);
    }
    if !cross_rows.is_empty() {
        if !rows.is_empty() {
            println!();
        }
        let mut header = vec!["latency-cross".to_owned()];
        header.extend(cross_labels.iter().cloned());
        print_table(&header, &cross_rows);
    }
    if let Some(out) = out {
        let generated = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut doc = json!({
            "generated_unix": generated,
            "meta": meta,
            "columns": columns,
            "table": rows
                .iter()
                .map(|r| {
                    let mut o = serde_json::Map::new();
                    o.insert("scenario".into(), json!(r[0]));
                    o.insert("metric".into(), json!(r[1]));
                    for (c, cell) in columns.iter().zip(&r[2..]) {
                        o.insert(c.clone(), json!(cell));
                    }
                    Value::Object(o)
                })
                .collect::<Vec<_>>(),
            "runs": runs,
        });
        if !cross_rows.is_empty() {
            doc["latency_cross_table"] = cross_rows
                .iter()
                .map(|r| {
                    let mut o = serde_json::Map::new();
                    o.insert("metric".into(), json!(r[0]));
                    for (label, cell) in cross_labels.iter().zip(&r[1..]) {
                        o.insert(label.clone(), json!(cell));
                    }
                    Value::Object(o)
                })
                .collect();
        }
        std::fs::write(out, serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n")
            .map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

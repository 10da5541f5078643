//! Percentiles and the server process figures read from /proc.

use serde_json::{Value, json};

/// p50 / p99 / max (and count) of latency samples in microseconds, as milliseconds.
pub fn summary_ms(samples: &mut [u32]) -> Value {
    if samples.is_empty() {
        return json!({ "n": 0, "p50_ms": null, "p99_ms": null, "max_ms": null });
    }
    samples.sort_unstable();
    json!({
        "n": samples.len(),
        "p50_ms": ms(percentile(samples, 50.0)),
        "p99_ms": ms(percentile(samples, 99.0)),
        "max_ms": ms(*samples.last().unwrap()),
    })
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(us: u32) -> f64 {
    round3(f64::from(us) / 1000.0)
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// utime + stime of a process (all its threads), in clock ticks.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 of the rest is field 3 of stat (state); utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A field of /proc/PID/status in kB (VmRSS, VmHWM...).
pub fn status_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Busy time of the whole machine (all cores), in clock ticks, from /proc/stat.
pub fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy = fields.get(..8)?.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    Some(busy)
}

/// CPU use over a window: the server, this generator, and everything else on the machine.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    server: Option<f64>,
    own: Option<f64>,
    machine: Option<f64>,
}

impl CpuMark {
    pub fn now(server: &Server) -> CpuMark {
        CpuMark {
            server: server.cpu_seconds(),
            own: server.own_cpu_seconds(),
            machine: machine_busy_ticks().map(|t| t as f64 / server.clk_tck),
        }
    }

    /// `{server_cpu_s, loadgen_cpu_s, other_cpu_s}` since `self`.
    pub fn since(&self, server: &Server) -> serde_json::Value {
        let end = CpuMark::now(server);
        let d = |a: Option<f64>, b: Option<f64>| Some(round3(b? - a?));
        let srv = d(self.server, end.server);
        let own = d(self.own, end.own);
        let all = d(self.machine, end.machine);
        let other = match (all, srv, own) {
            (Some(a), Some(s), Some(o)) => Some(round3((a - s - o).max(0.0))),
            _ => None,
        };
        json!({ "server_cpu_s": srv, "loadgen_cpu_s": own, "other_cpu_s": other })
    }
}

/// The server process, when the runner passed its PID, and the second process
/// of a two-process deployment (`--reader-pid`, `latency-cross`).
#[derive(Debug, Clone, Copy)]
pub struct Server {
    pub pid: Option<u32>,
    pub reader_pid: Option<u32>,
    pub clk_tck: f64,
}

impl Server {
    /// CPU seconds of the server: both processes when there are two.
    pub fn cpu_seconds(&self) -> Option<f64> {
        match self.reader_pid {
            None => self.pid_cpu_seconds(self.pid),
            Some(_) => Some(self.pid_cpu_seconds(self.pid)? + self.pid_cpu_seconds(self.reader_pid)?),
        }
    }

    /// CPU seconds of one process.
    pub fn pid_cpu_seconds(&self, pid: Option<u32>) -> Option<f64> {
        pid.and_then(|p| cpu_ticks(&p.to_string())).map(|t| t as f64 / self.clk_tck)
    }

    /// CPU seconds of this load generator (to show it is not the bottleneck).
    pub fn own_cpu_seconds(&self) -> Option<f64> {
        cpu_ticks("self").map(|t| t as f64 / self.clk_tck)
    }

    pub fn rss_kb(&self) -> Option<u64> {
        self.pid.and_then(|p| status_kb(&p.to_string(), "VmRSS"))
    }
}

/// The soft limit on open files of this process.
pub fn own_fd_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
    }

    #[test]
    fn reads_own_process() {
        assert!(cpu_ticks(&std::process::id().to_string()).is_some());
        assert!(cpu_ticks("self").is_some());
        assert!(status_kb("self", "VmRSS").unwrap() > 0);
        assert!(own_fd_limit().unwrap() > 0);
        assert!(machine_busy_ticks().unwrap() > 0);
    }
}

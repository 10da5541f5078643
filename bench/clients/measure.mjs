// What the scenarios read off the machine: a server's CPU (utime + stime of
// every thread, /proc/PID/stat) and resident memory (VmRSS), this process's
// own CPU, the machine's busy time (/proc/stat), and percentiles.

import { readFileSync } from 'node:fs'

const CLK_TCK = Number(process.env.CLK_TCK ?? 100)

/** Seconds of CPU the process has used, or null when it is gone. */
export function cpuSeconds (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return null
  }
}

/** Resident memory of the process in KB, or null. */
export function rssKb (pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

/** Busy seconds of the whole machine (all cores). */
export function machineBusySeconds () {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = cpu[3] + cpu[4]
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0)
  return (total - idle) / CLK_TCK
}

/** This process's CPU seconds. */
export function ownCpuSeconds () {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** A CPU snapshot of the server, this generator and the machine. */
export function snapshot (serverPid) {
  return { server: cpuSeconds(serverPid), own: ownCpuSeconds(), machine: machineBusySeconds(), at: performance.now() }
}

/** Differences between two snapshots: server, generator and everything else. */
export function cpuBetween (a, b) {
  const server = a.server === null || b.server === null ? null : round(b.server - a.server, 3)
  const own = round(b.own - a.own, 3)
  const machine = b.machine - a.machine
  return {
    server_cpu_s: server,
    loadgen_cpu_s: own,
    other_cpu_s: server === null ? null : round(Math.max(0, machine - server - own), 3),
    window_s: round((b.at - a.at) / 1000, 3)
  }
}

export function summaryMs (values) {
  const sorted = Float64Array.from(values).sort()
  const pick = (p) => sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))], 3)
  return {
    count: sorted.length,
    p50_ms: pick(0.5),
    p90_ms: pick(0.9),
    p99_ms: pick(0.99),
    max_ms: sorted.length === 0 ? null : round(sorted[sorted.length - 1], 3)
  }
}

export function round (x, digits) {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

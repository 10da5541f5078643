#!/usr/bin/env python3
"""Folds `perf script` output into (1) collapsed stacks, one line per distinct
stack with its sample count (what flamegraph.pl or inferno-flamegraph draw),
and (2) a counter table: every sample charged to the first category, in the
order of CATEGORIES, that any frame of its stack (or its thread) matches.

    perf script -i perf.data | bench/profile/fold.py --folded out.folded --table out.md
"""

import argparse
import re
import sys
from collections import Counter

# (category, pattern on the thread name or any frame), first match wins: the
# specific costs before the general ones (a page fault inside a socket write
# is charged to page faults).
CATEGORIES = [
    ("page faults (memory touched for the first time)", r"exc_page_fault|do_anonymous_page|clear_page"),
    ("password hashing (argon2)", r"argon2"),
    ("SQLite (sessions, roles, the update log)", r"^sqlx-sqlite|sqlx_sqlite|libsqlite3|sqlite3"),
    ("encoding the document (yrs)", r"encode_state_as_update|yrs::.*encode|Encode"),
    ("applying updates (yrs)", r"yrs::"),
    ("WebSocket framing and buffering (tungstenite)", r"tungstenite"),
    ("socket writes (kernel TCP send)", r"tcp_sendmsg|sock_write_iter|__sys_sendto|sock_sendmsg|do_writev"),
    ("socket reads (kernel TCP receive)", r"tcp_recvmsg|sock_read_iter|__sys_recvfrom|sock_recvmsg"),
    ("accepting and closing connections (kernel)", r"__sys_accept|inet_accept|tcp_close|__sys_close|sock_close|tcp_v4_connect"),
    ("HTTP and the upgrade (hyper, axum)", r"hyper::|axum::"),
    ("awareness relay", r"reynard_collab::awareness"),
    ("document rooms (reynard collab)", r"reynard_collab::|reynard_server::collab"),
    ("other Reynard code", r"reynard_"),
    ("malloc and free", r"^malloc$|^_int_malloc|^_int_free|^cfree|^free$|malloc_consolidate|^realloc"),
    ("waiting and waking threads (tokio, futex, epoll)", r"tokio::runtime|futex|epoll|schedule|finish_task_switch|try_to_wake_up"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
OTHER = "other"


def samples(lines):
    """Yields (thread name, [frames leaf first]) per sample of `perf script`."""
    comm, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif comm is None:
            # "comm  pid/tid  time:  count event:" — the thread name may hold spaces.
            m = re.match(r"^(\S.*?)\s+\d+(/\d+)?\s", line)
            comm = m.group(1) if m else line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                symbol = re.sub(r"\+0x[0-9a-f]+$", "", parts[1].split(" (")[0])
                frames.append(symbol)
    if comm is not None:
        yield comm, frames


def category(comm, frames):
    for name, pattern in COMPILED:
        if pattern.search(comm) or any(pattern.search(f) for f in frames):
            return name
    return OTHER


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folded", help="write collapsed stacks here")
    parser.add_argument("--table", help="write the counter table (markdown) here")
    parser.add_argument("--title", default="samples by where they went")
    args = parser.parse_args()
    folded = Counter()
    table = Counter()
    total = 0
    for comm, frames in samples(sys.stdin):
        total += 1
        table[category(comm, frames)] += 1
        folded[";".join([comm] + [f.replace(";", ":") for f in reversed(frames)])] += 1
    if args.folded:
        with open(args.folded, "w") as out:
            for stack, count in folded.most_common():
                out.write(f"{stack} {count}\n")
    rows = [f"| {name} | {count} | {100 * count / max(total, 1):.1f}% |" for name, count in table.most_common()]
    text = "\n".join([f"{args.title}: {total} samples", "", "| where | samples | share |", "|---|---:|---:|", *rows, ""])
    if args.table:
        with open(args.table, "w") as out:
            out.write(text)
    print(text)


if __name__ == "__main__":
    main()

//! The y-websocket wire format, just what a load generator needs: varUint
//! framing, the sync and awareness messages, and the latency markers that
//! writers embed in the text they insert.
//!
//! | type | payload |
//! |---|---|
//! | 0 sync | varUint(sub) + varByteArray: 0 step 1 (state vector), 1 step 2, 2 update (v1 updates) |
//! | 1 awareness | varByteArray(varUint n, n × [varUint clientID, varUint clock, varString JSON]) |
//! | 2 auth | varUint(0 = denied) + varString(reason) |
//! | 3 query awareness | nothing |

/// The state vector of an empty document.
pub const EMPTY_STATE_VECTOR: &[u8] = &[0];
/// A v1 update with no structs and an empty delete set.
pub const EMPTY_UPDATE: &[u8] = &[0, 0];

pub fn write_var_uint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn var_uint(&mut self) -> Result<u64, String> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.buf.get(self.pos).ok_or("truncated varUint")?;
            self.pos += 1;
            if shift > 63 {
                return Err("varUint too long".into());
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn var_bytes(&mut self) -> Result<&'a [u8], String> {
        let len = usize::try_from(self.var_uint()?).map_err(|_| "length overflow")?;
        let end = self.pos.checked_add(len).filter(|&e| e <= self.buf.len()).ok_or("truncated byte array")?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn var_str(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.var_bytes()?).map_err(|_| "invalid UTF-8".to_owned())
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// One message of a frame, borrowing its payload.
#[derive(Debug)]
pub enum Msg<'a> {
    SyncStep1(&'a [u8]),
    SyncStep2(&'a [u8]),
    Update(&'a [u8]),
    Awareness(&'a [u8]),
    Auth(u64, &'a str),
    QueryAwareness,
}

/// Splits a binary frame into its messages (a frame may hold several).
pub fn parse_frame(frame: &[u8]) -> Result<Vec<Msg<'_>>, String> {
    let mut reader = Reader { buf: frame, pos: 0 };
    let mut out = Vec::with_capacity(1);
    while !reader.done() {
        match reader.var_uint()? {
            0 => {
                let sub = reader.var_uint()?;
                let payload = reader.var_bytes()?;
                out.push(match sub {
                    0 => Msg::SyncStep1(payload),
                    1 => Msg::SyncStep2(payload),
                    2 => Msg::Update(payload),
                    other => return Err(format!("unknown sync message {other}")),
                });
            }
            1 => out.push(Msg::Awareness(reader.var_bytes()?)),
            2 => {
                let kind = reader.var_uint()?;
                out.push(Msg::Auth(kind, reader.var_str()?));
            }
            3 => out.push(Msg::QueryAwareness),
            other => return Err(format!("unknown message type {other}")),
        }
    }
    Ok(out)
}

fn sync_message(sub: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_var_uint(&mut out, 0);
    write_var_uint(&mut out, sub);
    write_var_bytes(&mut out, payload);
    out
}

pub fn sync_step1(state_vector: &[u8]) -> Vec<u8> {
    sync_message(0, state_vector)
}

pub fn sync_step2(update: &[u8]) -> Vec<u8> {
    sync_message(1, update)
}

pub fn sync_update(update: &[u8]) -> Vec<u8> {
    sync_message(2, update)
}

/// One awareness entry: (clientID, clock, JSON state; `null` = removed).
pub type AwarenessEntry<'a> = (u64, u64, &'a str);

pub fn awareness_message(entries: &[AwarenessEntry<'_>]) -> Vec<u8> {
    let mut payload = Vec::new();
    write_var_uint(&mut payload, entries.len() as u64);
    for (client, clock, state) in entries {
        write_var_uint(&mut payload, *client);
        write_var_uint(&mut payload, *clock);
        write_var_bytes(&mut payload, state.as_bytes());
    }
    let mut out = Vec::with_capacity(payload.len() + 4);
    write_var_uint(&mut out, 1);
    write_var_bytes(&mut out, &payload);
    out
}

pub fn parse_awareness(payload: &[u8]) -> Result<Vec<AwarenessEntry<'_>>, String> {
    let mut reader = Reader { buf: payload, pos: 0 };
    let n = reader.var_uint()?;
    let mut entries = Vec::with_capacity(n.min(1024) as usize);
    for _ in 0..n {
        let client = reader.var_uint()?;
        let clock = reader.var_uint()?;
        let state = reader.var_str()?;
        entries.push((client, clock, state));
    }
    Ok(entries)
}

// ------------------------------------------------------------------ markers

/// Length of a marker: `[www:sssssss]`.
pub const MARKER_LEN: usize = 13;
/// Most writers per room a marker can name.
pub const MAX_WRITERS: usize = 1000;
/// Most updates per writer a marker can name.
pub const MAX_SEQ: u64 = 10_000_000;

/// The marker of update `seq` of writer `writer` (room-local index):
/// `[003:0000042]`. The inserted string appears verbatim (UTF-8) in a v1
/// update, also when a server merges several updates into one.
pub fn marker(writer: usize, seq: u64) -> String {
    format!("[{writer:03}:{seq:07}]")
}

/// Calls `found(writer, seq)` for every marker in `bytes`.
pub fn scan_markers(bytes: &[u8], mut found: impl FnMut(usize, u64)) {
    let mut i = 0;
    while i + MARKER_LEN <= bytes.len() {
        if bytes[i] != b'[' {
            i += 1;
            continue;
        }
        let m = &bytes[i..i + MARKER_LEN];
        let digits = |r: std::ops::Range<usize>| m[r].iter().all(u8::is_ascii_digit);
        if m[4] == b':' && m[12] == b']' && digits(1..4) && digits(5..12) {
            let num = |r: std::ops::Range<usize>| m[r].iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
            found(num(1..4) as usize, num(5..12));
            i += MARKER_LEN;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_checks_from_the_notes() {
        assert_eq!(sync_step1(EMPTY_STATE_VECTOR), vec![0, 0, 1, 0]);
        let mut v = Vec::new();
        write_var_uint(&mut v, 300);
        assert_eq!(v, vec![0xac, 0x02]);
    }

    #[test]
    fn markers_round_trip_through_a_merged_update() {
        use yrs::updates::decoder::Decode;
        use yrs::{Doc, Text, Transact};
        let doc = Doc::new();
        let text = doc.get_or_insert_text("monaco");
        let mut updates = Vec::new();
        for seq in 0..3 {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, &(marker(7, seq) + "pad"));
            updates.push(txn.encode_update_v1());
        }
        let refs: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
        let merged = yrs::merge_updates_v1(&refs).unwrap();
        let mut found = Vec::new();
        scan_markers(&merged, |w, s| found.push((w, s)));
        assert_eq!(found, vec![(7, 0), (7, 1), (7, 2)]);
        let frame = sync_update(&merged);
        let msgs = parse_frame(&frame).unwrap();
        assert!(matches!(msgs[..], [Msg::Update(u)] if u == merged.as_slice()));
        assert!(yrs::Update::decode_v1(&merged).is_ok());
    }

    #[test]
    fn awareness_round_trip() {
        let msg = awareness_message(&[(5, 2, "{\"a\":1}"), (9, 1, "null")]);
        let msgs = parse_frame(&msg).unwrap();
        let Msg::Awareness(p) = msgs[0] else { panic!() };
        assert_eq!(parse_awareness(p).unwrap(), vec![(5, 2, "{\"a\":1}"), (9, 1, "null")]);
    }
}

//! A pre-check of v1 updates and state vectors, run before yrs decodes them: every element
//! count must fit in the bytes that follow it, `Any` values may only nest so deep, and an
//! update must be complete: everything it refers to is in the document or in the update.
//!
//! yrs 0.28.1 reserves memory for a count as soon as it reads it, and `HashMap::try_reserve`
//! zeroes the control bytes of the table it allocates: five bytes announcing 2^29 state-vector
//! entries cost about a second and half a gigabyte. It also decodes nested `Any` values
//! recursively, so a deep enough nesting overflows the stack, which aborts the process.
//!
//! The walk below mirrors yrs's v1 decoder byte for byte, without allocating for counts. Every
//! element takes at least one byte, so a count larger than the bytes left means yrs would fail
//! anyway: refusing early never refuses an update yrs would accept. Whenever the walk meets
//! something yrs rejects by itself (unknown tags, truncation), it stops and leaves the verdict
//! to yrs.
//!
//! On the way it records the [`UpdateShape`]: which IDs every block occupies and which it
//! refers to (origins, parent), and which ranges the update deletes. A room only hands yrs an
//! update whose references all resolve ([`UpdateShape::is_complete_for`]); others wait in the
//! room until what they need arrives. yrs has its own "pending" mechanism for such updates,
//! but crafted pending updates make yrs 0.28.1 read freed memory (fuzzing found a sequence of
//! eleven-byte updates that does), so the room never lets yrs keep one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use yrs::{ClientID, StateVector};

/// Deepest nesting of `Any` values (arrays and maps) accepted; serde_json's default limit.
pub(crate) const MAX_ANY_DEPTH: usize = 128;

/// Why the walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// yrs will reject the input by itself; let it.
    Defer,
    /// A count cannot fit in the bytes that remain.
    CountTooLarge {
        /// What is counted.
        what: &'static str,
        /// The count announced.
        count: u64,
        /// Bytes left after it.
        available: usize,
    },
    /// `Any` values nest deeper than [`MAX_ANY_DEPTH`].
    TooDeep,
    /// The delete set holds an empty range. yrs accepts it, and splits the item it falls in
    /// (replacing the halves of a surrogate pair with U+FFFD) while reporting no change, so the
    /// update would change the document without being stored. Yjs never writes one.
    EmptyDeletion,
    /// A state vector names a client ID longer than 53 bits, which yrs truncates in release
    /// builds and fails a debug assertion on (see `UpdateShape::has_long_client`).
    LongClient(u64),
    /// The update lists a client twice. yrs then holds two blocks for the same IDs (an item and
    /// a GC block over it, say) and reads freed memory while integrating them. Encoders write
    /// each client once, its blocks in one run.
    RepeatedClient(u64),
}

impl Stop {
    /// The refusal as a message, or `None` if the verdict is left to yrs.
    fn into_refusal(self) -> Option<String> {
        match self {
            Stop::Defer => None,
            Stop::CountTooLarge { what, count, available } => {
                Some(format!("announces {count} {what} with only {available} bytes left"))
            }
            Stop::TooDeep => Some(format!("nests values deeper than {MAX_ANY_DEPTH} levels")),
            Stop::EmptyDeletion => Some("deletes an empty range".to_owned()),
            Stop::RepeatedClient(client) => Some(format!("lists client {client} twice")),
            Stop::LongClient(client) => Some(format!("names client {client}, which is longer than 53 bits")),
        }
    }
}

/// Client IDs are 53-bit numbers (yrs keeps the low 53 bits of what it reads).
const CLIENT_MASK: u64 = (1 << 53) - 1;

/// An ID as yrs sees it: (client, clock).
type BlockId = (u64, u64);

/// The IDs an update occupies and needs, as recorded by the pre-check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UpdateShape {
    /// The blocks in the order yrs decodes them.
    blocks: Vec<BlockShape>,
    /// Deleted ranges: (client, first clock, end clock).
    pub(crate) deletes: Vec<(u64, u64, u64)>,
    /// Where each client's blocks are in the encoded update, in order.
    pub(crate) sections: Vec<Section>,
    /// Whether a block holds something other than text or a deletion (an embed, a format,
    /// a type, `Any` or JSON values...), or names a map key as its parent.
    pub(crate) has_other_content: bool,
    /// Whether a client ID (of blocks, deletions or origins) is longer than 53 bits. yrs keeps
    /// the low 53 bits (or fails a debug assertion), while Yjs reads such a number
    /// imprecisely: the two would disagree on whose blocks they hold. Yjs and yrs only make
    /// IDs of up to 53 bits, so a room refuses such updates from clients; stored ones are
    /// loaded as before (yrs's reading).
    pub(crate) has_long_client: bool,
}

/// One client's run of blocks in an encoded update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The client, as yrs reads it (53 bits).
    pub(crate) client: u64,
    /// The clock of the first block.
    pub(crate) clock: u64,
    /// The clock after the last block.
    pub(crate) end: u64,
    /// How many blocks the section announces (empty items included).
    pub(crate) blocks: u64,
    /// The blocks' bytes, after the section's header.
    pub(crate) bytes: Range<usize>,
}

/// A document's state as the pre-check needs it: the next clock of each client.
pub(crate) trait Clocks {
    /// The next clock of `client` (0 for an unknown client).
    fn clock_of(&self, client: u64) -> u64;
}

impl Clocks for StateVector {
    fn clock_of(&self, client: u64) -> u64 {
        // Clients in a shape are 53-bit numbers, as `ClientID::new` expects.
        u64::from(self.get(&ClientID::new(client)))
    }
}

#[cfg(test)]
impl Clocks for HashMap<u64, u64> {
    fn clock_of(&self, client: u64) -> u64 {
        self.get(&client).copied().unwrap_or(0)
    }
}

/// A document's state once some complete updates are in: what a run of updates is checked
/// against, one after the other.
pub(crate) struct StateAfter<'a, C> {
    base: &'a C,
    ends: HashMap<u64, u64>,
}

impl<'a, C: Clocks> StateAfter<'a, C> {
    pub(crate) fn new(base: &'a C) -> Self {
        Self { base, ends: HashMap::new() }
    }

    /// Adds the blocks of an update that [`is_complete_for`](UpdateShape::is_complete_for)
    /// this state.
    pub(crate) fn add(&mut self, shape: &UpdateShape) {
        for block in shape.blocks.iter().filter(|block| !block.skip) {
            let end = self.clock_of(block.client).max(block.clock + block.len);
            self.ends.insert(block.client, end);
        }
    }
}

impl<C: Clocks> Clocks for StateAfter<'_, C> {
    fn clock_of(&self, client: u64) -> u64 {
        self.ends.get(&client).copied().unwrap_or_else(|| self.base.clock_of(client))
    }
}

/// Most clients an update may touch for the allocation-free completeness check.
const FEW_CLIENTS: usize = 4;

/// Left origin, right origin and parent item of a block, when given.
type Needs = [Option<BlockId>; 3];

/// What the walk learns from one block, before it knows the block's ID.
struct BlockBody {
    len: u64,
    skip: bool,
    needs: Needs,
}

/// One block of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlockShape {
    client: u64,
    clock: u64,
    len: u64,
    /// A skip block holds nothing: yrs passes over it.
    skip: bool,
    /// Left origin, right origin and parent item, when given.
    needs: Needs,
}

impl UpdateShape {
    /// Whether yrs can integrate the whole update into a document whose state is `state`
    /// without keeping anything pending: every block starts where its client's known blocks
    /// end (or before), everything it refers to is known or comes earlier in the update, and
    /// every deleted range is known once the blocks are in.
    pub(crate) fn is_complete_for(&self, state: &impl Clocks) -> bool {
        self.complete_in_order(state).unwrap_or_else(|| self.complete_in_any_order(state))
    }

    /// The usual case, without allocating: every block is ready when reached in decode order
    /// and the update touches few clients. `None` when that does not decide it.
    fn complete_in_order(&self, state: &impl Clocks) -> Option<bool> {
        let mut ends = [(0u64, 0u64); FEW_CLIENTS];
        let mut count = 0;
        let clock_of = |ends: &[(u64, u64)], client: u64| {
            ends.iter().find(|(known, _)| *known == client).map_or_else(|| state.clock_of(client), |(_, end)| *end)
        };
        for block in self.blocks.iter().filter(|block| !block.skip) {
            let next = clock_of(&ends[..count], block.client);
            let ready = block.clock <= next
                && block.needs.iter().flatten().all(|&(client, clock)| clock < clock_of(&ends[..count], client));
            if !ready {
                return None;
            }
            let end = next.max(block.clock + block.len);
            match ends[..count].iter_mut().find(|(known, _)| *known == block.client) {
                Some(slot) => slot.1 = end,
                None if count < FEW_CLIENTS => {
                    ends[count] = (block.client, end);
                    count += 1;
                }
                None => return None,
            }
        }
        Some(self.deletes.iter().all(|&(client, _, end)| end <= clock_of(&ends[..count], client)))
    }

    /// The general case: blocks of different clients may depend on each other in any order.
    fn complete_in_any_order(&self, state: &impl Clocks) -> bool {
        let mut known: HashMap<u64, u64> = HashMap::new();
        let mut queues: HashMap<u64, VecDeque<&BlockShape>> = HashMap::new();
        for block in &self.blocks {
            queues.entry(block.client).or_default().push_back(block);
        }
        let clock_of = |known: &HashMap<u64, u64>, client: u64| {
            known.get(&client).copied().unwrap_or_else(|| state.clock_of(client))
        };
        loop {
            let mut progressed = false;
            for (&client, queue) in &mut queues {
                while let Some(block) = queue.front() {
                    if !block.skip {
                        let next = clock_of(&known, client);
                        let ready = block.clock <= next
                            && block.needs.iter().flatten().all(|&(c, clock)| clock < clock_of(&known, c));
                        if !ready {
                            break;
                        }
                        known.insert(client, next.max(block.clock + block.len));
                    }
                    queue.pop_front();
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        queues.values().all(VecDeque::is_empty)
            && self.deletes.iter().all(|&(client, _, end)| end <= clock_of(&known, client))
    }
}

/// Checks a v1 update. `Err` holds why yrs must not be given it; `Ok(None)` means the walk
/// stopped where yrs will fail too.
pub(crate) fn check_update(update: &[u8]) -> Result<Option<UpdateShape>, String> {
    let mut walker = Walker::new(update);
    match walker.update() {
        Ok(()) => Ok(Some(walker.shape)),
        Err(stop) => stop.into_refusal().map_or(Ok(None), Err),
    }
}

/// Checks a v1 state vector; `Err` holds why yrs must not be given it.
pub(crate) fn check_state_vector(state_vector: &[u8]) -> Result<(), String> {
    match Walker::new(state_vector).state_vector() {
        Ok(()) => Ok(()),
        Err(stop) => stop.into_refusal().map_or(Ok(()), Err),
    }
}

/// Reads the v1 encoding the way yrs 0.28.1 does (`DecoderV1`, `read_var_u32/u64/i64`).
struct Walker<'a> {
    rest: &'a [u8],
    /// Length of the whole input, to tell offsets.
    len: usize,
    shape: UpdateShape,
}

type Walk<T = ()> = Result<T, Stop>;

impl<'a> Walker<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes, len: bytes.len(), shape: UpdateShape::default() }
    }

    /// Offset of the next byte in the input.
    fn offset(&self) -> usize {
        self.len - self.rest.len()
    }

    fn u8(&mut self) -> Walk<u8> {
        let (&byte, rest) = self.rest.split_first().ok_or(Stop::Defer)?;
        self.rest = rest;
        Ok(byte)
    }

    fn skip(&mut self, len: usize) -> Walk {
        self.rest = self.rest.get(len..).ok_or(Stop::Defer)?;
        Ok(())
    }

    /// yrs `read_var_u64`: wrapping shifts, at most 11 bytes.
    fn var_u64(&mut self) -> Walk<u64> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f).wrapping_shl(shift);
            shift += 7;
            if byte < 0x80 {
                return Ok(value);
            }
            if shift > 70 {
                return Err(Stop::Defer);
            }
        }
    }

    /// yrs `read_var_u32`: wrapping shifts, at most 11 bytes.
    fn var_u32(&mut self) -> Walk<u32> {
        let mut value = 0u32;
        let mut shift = 0u32;
        loop {
            let byte = self.u8()?;
            value |= u32::from(byte & 0x7f).wrapping_shl(shift);
            shift += 7;
            if byte < 0x80 {
                return Ok(value);
            }
            if shift > 70 {
                return Err(Stop::Defer);
            }
        }
    }

    /// yrs `read_var_i64`: a sign bit and 6 bits in the first byte, then 7 bits a byte.
    fn var_i64(&mut self) -> Walk {
        let mut byte = self.u8()?;
        let mut shift = 6u32;
        while byte >= 0x80 {
            byte = self.u8()?;
            shift += 7;
            if byte >= 0x80 && shift > 70 {
                return Err(Stop::Defer);
            }
        }
        Ok(())
    }

    /// A varByteArray (also a varString: yrs checks UTF-8 itself).
    fn buf(&mut self) -> Walk {
        let len = self.var_u32()?;
        self.skip(len as usize)
    }

    /// A client ID in an update (of blocks, deletions or origins), as yrs keeps it (53 bits).
    fn client(&mut self) -> Walk<u64> {
        let raw = self.var_u64()?;
        let client = raw & CLIENT_MASK;
        if client != raw {
            self.shape.has_long_client = true;
        }
        Ok(client)
    }

    /// An ID: client (u64) and clock (u32).
    fn id(&mut self) -> Walk<BlockId> {
        let client = self.client()?;
        let clock = self.var_u32()?;
        Ok((client, u64::from(clock)))
    }

    /// Refuses a count of elements of at least `min_bytes` each that cannot fit in what is left.
    fn count(&self, what: &'static str, count: u64, min_bytes: u64) -> Walk<u64> {
        let available = self.rest.len();
        if count.saturating_mul(min_bytes) > available as u64 {
            return Err(Stop::CountTooLarge { what, count, available });
        }
        Ok(count)
    }

    /// `StateVector::decode`: a count, then (client, clock) pairs.
    fn state_vector(&mut self) -> Walk {
        let len = self.var_u32()?;
        let len = self.count("state vector entries", u64::from(len), 2)?;
        for _ in 0..len {
            let client = self.var_u64()?;
            if client & !CLIENT_MASK != 0 {
                return Err(Stop::LongClient(client));
            }
            self.var_u32()?;
        }
        Ok(())
    }

    /// `Update::decode`: blocks grouped by client, then the delete set.
    fn update(&mut self) -> Walk {
        let clients = self.var_u32()?;
        let clients = self.count("clients", u64::from(clients), 3)?;
        // Clients seen so far: the sections' (a scan), or a set once there are many.
        let mut seen: Option<HashSet<u64>> = None;
        for _ in 0..clients {
            let blocks = self.var_u32()?;
            let client = self.client()?;
            let first = u64::from(self.var_u32()?);
            let mut clock = first;
            let repeated = match &mut seen {
                Some(seen) => !seen.insert(client),
                None => {
                    let repeated = self.shape.sections.iter().any(|section| section.client == client);
                    if self.shape.sections.len() >= FEW_CLIENTS {
                        let mut set: HashSet<u64> = self.shape.sections.iter().map(|section| section.client).collect();
                        set.insert(client);
                        seen = Some(set);
                    }
                    repeated
                }
            };
            if repeated {
                return Err(Stop::RepeatedClient(client));
            }
            let blocks = self.count("blocks", u64::from(blocks), 1)?;
            let start = self.offset();
            for _ in 0..blocks {
                // Blocks of no length (an empty string) are dropped by yrs without a clock.
                if let Some(BlockBody { len, skip, needs }) = self.block()? {
                    self.shape.blocks.push(BlockShape { client, clock, len, skip, needs });
                    clock += len;
                    if clock > u64::from(u32::MAX) {
                        // yrs's u32 clock would overflow: it panics or wraps.
                        return Err(Stop::Defer);
                    }
                }
            }
            self.shape.sections.push(Section { client, clock: first, end: clock, blocks, bytes: start..self.offset() });
        }
        self.delete_set()
    }

    /// `IdSet::decode`: per client, a list of (clock, length) ranges.
    fn delete_set(&mut self) -> Walk {
        let clients = self.var_u32()?;
        let clients = self.count("delete set clients", u64::from(clients), 2)?;
        for _ in 0..clients {
            let client = self.client()?;
            let ranges = self.var_u32()?;
            let ranges = self.count("deleted ranges", u64::from(ranges), 2)?;
            for _ in 0..ranges {
                let start = u64::from(self.var_u32()?);
                let len = u64::from(self.var_u32()?);
                let end = start + len;
                if end > u64::from(u32::MAX) {
                    return Err(Stop::Defer);
                }
                if len == 0 {
                    return Err(Stop::EmptyDeletion);
                }
                self.shape.deletes.push((client, start, end));
            }
        }
        Ok(())
    }

    /// `Update::decode_block`: the block's length, whether it is a skip, and the IDs it needs;
    /// `None` for an item yrs drops because its content is empty.
    fn block(&mut self) -> Walk<Option<BlockBody>> {
        const GC: u8 = 0;
        const SKIP: u8 = 10;
        const HAS_ORIGIN: u8 = 0x80;
        const HAS_RIGHT_ORIGIN: u8 = 0x40;
        const HAS_PARENT_SUB: u8 = 0x20;
        let info = self.u8()?;
        if info == GC || info == SKIP {
            let len = self.var_u32()?;
            if len == 0 {
                return Err(Stop::Defer);
            }
            return Ok(Some(BlockBody { len: u64::from(len), skip: info == SKIP, needs: [None; 3] }));
        }
        let mut needs = [None; 3];
        if info & HAS_ORIGIN != 0 {
            needs[0] = Some(self.id()?);
        }
        if info & HAS_RIGHT_ORIGIN != 0 {
            needs[1] = Some(self.id()?);
        }
        if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
            // Parent: 1 = named root type, anything else = the ID of a type item.
            if self.var_u32()? == 1 {
                self.buf()?;
            } else {
                needs[2] = Some(self.id()?);
            }
            if info & HAS_PARENT_SUB != 0 {
                self.shape.has_other_content = true;
                self.buf()?;
            }
        }
        let len = self.content(info)?;
        Ok((len > 0).then_some(BlockBody { len, skip: false, needs }))
    }

    /// `ItemContent::decode`, keyed by the low four bits of the block's info byte; returns the
    /// content's length in clock units (`ItemContent::len_utf16`).
    fn content(&mut self, info: u8) -> Walk<u64> {
        const DELETED: u8 = 1;
        const STRING: u8 = 4;
        let kind = info & 0b1111;
        if kind != DELETED && kind != STRING {
            self.shape.has_other_content = true;
        }
        let len = match kind {
            // Deleted: a length.
            DELETED => u64::from(self.var_u32()?),
            // JSON: yrs reads one string more than the count (and fails on a negative i32).
            2 => {
                let count = self.var_u32()?;
                if i32::try_from(count).is_err() {
                    return Err(Stop::Defer);
                }
                let strings = self.count("JSON strings", u64::from(count) + 1, 1)?;
                for _ in 0..strings {
                    self.buf()?;
                }
                strings
            }
            // String: its length in UTF-16 code units.
            STRING => {
                let len = self.var_u32()?;
                let bytes = self.rest.get(..len as usize).ok_or(Stop::Defer)?;
                let text = std::str::from_utf8(bytes).map_err(|_| Stop::Defer)?;
                self.skip(len as usize)?;
                text.encode_utf16().count() as u64
            }
            // Binary, embed (JSON text).
            3 | 5 => {
                self.buf()?;
                1
            }
            // Format: key and JSON text.
            6 => {
                self.buf()?;
                self.buf()?;
                1
            }
            // Type: a one-byte type ref; an XML element also has a name.
            7 => {
                match self.u8()? {
                    3 => self.buf()?,
                    0..=2 | 4..=6 | 9 | 15 => {}
                    _ => return Err(Stop::Defer),
                }
                1
            }
            // Any: a count, then the values.
            8 => {
                let values = self.var_u32()?;
                let values = self.count("values", u64::from(values), 1)?;
                for _ in 0..values {
                    self.any(1)?;
                }
                values
            }
            // Subdocument: guid, then options as an Any.
            9 => {
                self.buf()?;
                self.any(1)?;
                1
            }
            _ => return Err(Stop::Defer),
        };
        Ok(len)
    }

    /// `Any::decode` (lib0 `readAny`).
    fn any(&mut self, depth: usize) -> Walk {
        if depth > MAX_ANY_DEPTH {
            return Err(Stop::TooDeep);
        }
        match self.u8()? {
            // undefined, null, false, true
            127 | 126 | 121 | 120 => Ok(()),
            // integer
            125 => self.var_i64(),
            // float32
            124 => self.skip(4),
            // float64, bigint
            123 | 122 => self.skip(8),
            // string, buffer
            119 | 116 => self.buf(),
            // map: key and value pairs
            118 => {
                let entries = self.var_u64()?;
                let entries = self.count("map entries", entries, 2)?;
                for _ in 0..entries {
                    self.buf()?;
                    self.any(depth + 1)?;
                }
                Ok(())
            }
            // array
            117 => {
                let items = self.var_u64()?;
                let items = self.count("array items", items, 1)?;
                for _ in 0..items {
                    self.any(depth + 1)?;
                }
                Ok(())
            }
            _ => Err(Stop::Defer),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use yrs::types::Attrs;
    use yrs::updates::decoder::Decode;
    use yrs::{
        Any, Array, Doc, Map, ReadTxn, StateVector, Text, Transact, Update, WriteTxn, XmlElementPrelim, XmlFragment,
    };

    use super::*;
    use crate::protocol::write_var_uint;

    fn walk_update(bytes: &[u8]) -> Result<(), Stop> {
        Walker::new(bytes).update()
    }

    /// An update whose only block holds `any` as Any content of the root text.
    fn any_update(any: &[u8]) -> Vec<u8> {
        let mut update = Vec::new();
        for value in [1, 1, 5, 0] {
            write_var_uint(&mut update, value); // clients, blocks, client, clock
        }
        update.push(8); // Any content, parent follows
        update.extend([1, 1, b'm']); // named parent "m"
        update.push(1); // one value
        update.extend(any);
        update.push(0); // empty delete set
        update
    }

    /// A document exercising every content kind yrs can produce.
    fn rich_update() -> Vec<u8> {
        let doc = Doc::with_client_id(3);
        let text = doc.get_or_insert_text("monaco");
        let map = doc.get_or_insert_map("meta");
        let array = doc.get_or_insert_array("list");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "héllo 😀 world");
        let bold: Attrs = [("bold".into(), Any::Bool(true))].into_iter().collect();
        // Offsets in UTF-8 bytes (the default `OffsetKind`), on char boundaries.
        text.format(&mut txn, 0, 3, bold);
        text.insert_embed(&mut txn, 0, Any::from(vec![Any::from(1.5), Any::Null]));
        text.remove_range(&mut txn, 4, 2);
        map.insert(&mut txn, "count", 42i64);
        map.insert(&mut txn, "big", Any::from(1i64 << 60));
        map.insert(&mut txn, "pi", 3.25f64);
        map.insert(&mut txn, "nested", Any::from(vec![Any::from(vec![Any::from("deep")])]));
        map.insert(&mut txn, "bytes", Any::Buffer([1u8, 2, 3].as_slice().into()));
        array.insert_range(&mut txn, 0, [Any::from(true), Any::Undefined, Any::from("s")]);
        let fragment = txn.get_or_insert_xml_fragment("xml");
        fragment.insert(&mut txn, 0, XmlElementPrelim::empty("p"));
        map.remove(&mut txn, "pi");
        txn.encode_state_as_update_v1(&StateVector::default())
    }

    #[test]
    fn valid_updates_pass() {
        let update = rich_update();
        assert!(Update::decode_v1(&update).is_ok());
        assert_eq!(walk_update(&update), Ok(()));
        assert_eq!(check_update(&[0, 0]), Ok(Some(UpdateShape::default())));
        assert_eq!(check_state_vector(&[0]), Ok(()));
        assert_eq!(check_state_vector(&[2, 1, 5, 2, 7]), Ok(()));
    }

    #[test]
    fn the_walk_consumes_exactly_what_yrs_reads() {
        // Anything appended after the delete set is left over, byte for byte.
        let mut update = rich_update();
        update.extend([0xaa, 0xbb]);
        let mut walker = Walker::new(&update);
        walker.update().unwrap();
        assert_eq!(walker.rest, [0xaa, 0xbb]);
    }

    #[test]
    fn huge_counts_are_refused() {
        let mut state_vector = Vec::new();
        write_var_uint(&mut state_vector, 1 << 29);
        assert!(check_state_vector(&state_vector).is_err());

        let mut clients = Vec::new();
        write_var_uint(&mut clients, 1 << 28);
        assert!(check_update(&clients).is_err());

        let mut map = vec![118];
        write_var_uint(&mut map, 1 << 26);
        assert!(matches!(
            walk_update(&any_update(&map)),
            Err(Stop::CountTooLarge { what: "map entries", count: 67_108_864, .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused_before_it_overflows_the_stack() {
        let mut nested = Vec::new();
        for _ in 0..100_000 {
            nested.extend([117, 1]);
        }
        nested.push(126);
        assert_eq!(walk_update(&any_update(&nested)), Err(Stop::TooDeep));

        let mut shallow = Vec::new();
        for _ in 0..MAX_ANY_DEPTH - 1 {
            shallow.extend([117, 1]);
        }
        shallow.push(126);
        let update = any_update(&shallow);
        assert_eq!(walk_update(&update), Ok(()));
        assert!(Update::decode_v1(&update).is_ok());
    }

    #[test]
    fn truncated_or_unknown_input_is_left_to_yrs() {
        assert_eq!(check_update(&[]), Ok(None));
        assert_eq!(walk_update(&[1, 1, 5, 0, 0x8f]), Err(Stop::Defer));
        assert_eq!(walk_update(&any_update(&[42])), Err(Stop::Defer));
    }

    fn shape(update: &[u8]) -> UpdateShape {
        check_update(update).unwrap().expect("a complete walk")
    }

    fn state_of(doc: &Doc) -> HashMap<u64, u64> {
        doc.transact().state_vector().iter().map(|(client, clock)| (client.get(), u64::from(*clock))).collect()
    }

    #[test]
    fn the_shape_matches_what_yrs_decodes() {
        let update = rich_update();
        let decoded = Update::decode_v1(&update).unwrap();
        let shape = shape(&update);
        let mut ends: HashMap<u64, u64> = HashMap::new();
        for block in &shape.blocks {
            let end = ends.entry(block.client).or_default();
            assert_eq!(block.clock, *end, "blocks of a full state are contiguous");
            *end = block.clock + block.len;
        }
        let expected: HashMap<u64, u64> =
            decoded.state_vector().iter().map(|(client, clock)| (client.get(), u64::from(*clock))).collect();
        assert_eq!(ends, expected);
        assert!(!shape.deletes.is_empty());
        assert!(shape.is_complete_for(&HashMap::<u64, u64>::new()));
    }

    #[test]
    fn an_update_is_complete_only_where_its_dependencies_are() {
        let base = Doc::with_client_id(1);
        let text = base.get_or_insert_text("monaco");
        text.insert(&mut base.transact_mut(), 0, "hello world");
        let base_state = base.transact().encode_state_as_update_v1(&StateVector::default());

        let editor = Doc::with_client_id(2);
        let editor_text = editor.get_or_insert_text("monaco");
        editor.transact_mut().apply_update(Update::decode_v1(&base_state).unwrap()).unwrap();
        let edit = {
            let mut txn = editor.transact_mut();
            editor_text.insert(&mut txn, 5, ",");
            editor_text.remove_range(&mut txn, 0, 1);
            txn.encode_update_v1()
        };
        let edit = shape(&edit);
        assert!(edit.is_complete_for(&state_of(&base)));
        assert!(!edit.is_complete_for(&HashMap::<u64, u64>::new()), "its origins are missing");

        // The editor's next edit builds on its first: it must come after it.
        let next = {
            let mut txn = editor.transact_mut();
            editor_text.insert(&mut txn, 5, "!");
            txn.encode_update_v1()
        };
        assert!(!shape(&next).is_complete_for(&state_of(&base)));
        // Both together, in one update, are complete.
        let both = editor.transact().encode_state_as_update_v1(&base.transact().state_vector());
        assert!(shape(&both).is_complete_for(&state_of(&base)));
    }

    #[test]
    fn self_references_gaps_and_unknown_deletions_are_incomplete() {
        // Client 1's item at clock 1 (length 64, content deleted) whose parent is (1, 8):
        // inside itself. One of the updates with which fuzzing made yrs read freed memory.
        let self_parent = [1, 1, 1, 1, 1, 128, 2, 1, 8, 64, 0];
        assert!(!shape(&self_parent).is_complete_for(&HashMap::<u64, u64>::from([(1, 1)])));
        // A block starting after its client's known clock.
        let gap = [1, 1, 7, 5, 4, 1, 1, b'm', 1, b'x', 0];
        assert!(!shape(&gap).is_complete_for(&HashMap::<u64, u64>::from([(7, 4)])));
        assert!(shape(&gap).is_complete_for(&HashMap::<u64, u64>::from([(7, 5)])));
        // A client listed twice (here: an item, then a GC block over it) is refused outright.
        let twice = [2, 1, 39, 0, 4, 1, 1, b'm', 1, b'x', 1, 39, 0, 0, 1, 0];
        assert_eq!(walk_update(&twice), Err(Stop::RepeatedClient(39)));
        // Also among many clients.
        let many = |clients: &[u8]| {
            let mut update = vec![clients.len() as u8];
            for &client in clients {
                update.extend([1, client, 0, 4, 1, 1, b'm', 1, b'x']);
            }
            update.push(0);
            update
        };
        assert_eq!(walk_update(&many(&[1, 2, 3, 4, 5, 6])), Ok(()));
        assert_eq!(walk_update(&many(&[1, 2, 3, 4, 5, 6, 2])), Err(Stop::RepeatedClient(2)));
        assert_eq!(walk_update(&many(&[1, 2, 3, 1])), Err(Stop::RepeatedClient(1)));
        // Clients longer than 53 bits, in blocks, deletions or origins, are flagged.
        let long = 1u64 << 53;
        let with_client = |prefix: &[u64], suffix: &[u8]| {
            let mut update = Vec::new();
            for &value in prefix {
                write_var_uint(&mut update, value);
            }
            update.extend(suffix);
            update
        };
        let block = with_client(&[1, 1, long, 0], &[4, 1, 1, b'm', 1, b'x', 0]);
        assert!(shape(&block).has_long_client);
        let deletion = with_client(&[0, 1, long], &[1, 0, 1]);
        assert!(shape(&deletion).has_long_client);
        let mut origin = with_client(&[1, 1, 5, 0], &[0x84]);
        write_var_uint(&mut origin, long);
        origin.extend([0, 1, b'x', 0]);
        assert!(shape(&origin).has_long_client);
        let fine = with_client(&[1, 1, long - 1, 0], &[4, 1, 1, b'm', 1, b'x', 0]);
        assert!(!shape(&fine).has_long_client);
        // An empty deleted range is refused outright.
        assert_eq!(walk_update(&[0, 1, 7, 1, 41, 0]), Err(Stop::EmptyDeletion));
        // Deleting what is not known yet.
        let delete = [0, 1, 7, 1, 0, 3];
        assert!(!shape(&delete).is_complete_for(&HashMap::<u64, u64>::from([(7, 2)])));
        assert!(shape(&delete).is_complete_for(&HashMap::<u64, u64>::from([(7, 3)])));
    }

    /// One way of damaging an update.
    fn damage() -> impl Strategy<Value = (usize, u8, bool)> {
        (any::<usize>(), any::<u8>(), any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// The allocation-free check decides like the general one wherever it decides.
        #[test]
        fn the_in_order_check_agrees_with_the_general_one(
            edits in prop::collection::vec((0..3usize, crate::test_edits::edit()), 1..24),
            shuffle in any::<u64>(),
        ) {
            let updates = crate::test_edits::record(3, &edits);
            // Some updates joined: several clients' blocks in one update.
            let mut candidates = updates.clone();
            let parts: Vec<&[u8]> = updates.iter().map(Vec::as_slice).collect();
            candidates.push(yrs::merge_updates_v1(&parts).unwrap());
            candidates.push(yrs::merge_updates_v1(&parts[parts.len() / 2..]).unwrap());
            let doc = Doc::new();
            let mut decided = 0;
            for applied in 0..=updates.len() {
                if applied > 0 {
                    doc.transact_mut().apply_update(Update::decode_v1(&updates[applied - 1]).unwrap()).unwrap();
                }
                let state = doc.transact().state_vector();
                for (i, candidate) in candidates.iter().enumerate() {
                    let shape = shape(candidate);
                    let general = shape.complete_in_any_order(&state);
                    if let Some(fast) = shape.complete_in_order(&state) {
                        prop_assert_eq!(fast, general, "update {} after {} applied ({})", i, applied, shuffle);
                        decided += 1;
                    }
                    prop_assert_eq!(shape.is_complete_for(&state), general);
                }
            }
            prop_assert!(decided > 0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Refusing is sound: whatever the walk refuses, yrs fails to decode as well.
        #[test]
        fn refusals_are_sound(damages in prop::collection::vec(damage(), 1..4)) {
            let mut update = rich_update();
            for (at, byte, insert) in damages {
                let at = at % update.len();
                if insert {
                    update.insert(at, byte);
                } else {
                    update[at] = byte;
                }
            }
            if let Err(Stop::CountTooLarge { count, .. }) = walk_update(&update) {
                // Keep yrs's reservation small enough for a test.
                if count < 1 << 20 {
                    prop_assert!(Update::decode_v1(&update).is_err());
                }
            }
            if walk_update(&update) == Err(Stop::TooDeep) {
                prop_assert!(false, "random damage cannot nest 128 levels");
            }
        }
    }
}

//! The y-websocket wire format: lib0 varUint/varByteArray/varString, message decoding and encoding.
//!
//! A frame is decoded without copying: every [`Message`] borrows its payload from the frame.
//! Stock y-websocket clients read exactly one message per WebSocket frame, so every encoder here
//! returns one complete message, to be sent as a frame of its own.

use crate::error::{ProtocolError, Result};

/// Message type of sync messages (step 1, step 2, update).
const MESSAGE_SYNC: u64 = 0;
/// Message type of awareness updates.
const MESSAGE_AWARENESS: u64 = 1;
/// Message type of auth messages.
const MESSAGE_AUTH: u64 = 2;
/// Message type of a query for the full awareness state.
const MESSAGE_QUERY_AWARENESS: u64 = 3;

/// Sync subtype: the sender's state vector.
const SYNC_STEP1: u64 = 0;
/// Sync subtype: what the receiver of a step 1 lacks, as a v1 update.
const SYNC_STEP2: u64 = 1;
/// Sync subtype: an incremental v1 update.
const SYNC_UPDATE: u64 = 2;

/// Auth subtype: permission denied, followed by a reason.
const AUTH_PERMISSION_DENIED: u64 = 0;
/// Auth subtype: permission granted (yrs extension, no payload).
const AUTH_PERMISSION_GRANTED: u64 = 1;

/// The longest varUint that still fits in a `u64`: 9 × 7 bits + 1 bit.
const MAX_VAR_UINT_BYTES: usize = 10;

/// One decoded y-websocket message, borrowing its payload from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Sync step 1: the sender's encoded state vector.
    SyncStep1(&'a [u8]),
    /// Sync step 2: a v1 update with what the receiver of a step 1 lacks.
    SyncStep2(&'a [u8]),
    /// An incremental v1 document update.
    Update(&'a [u8]),
    /// An awareness update payload (`varUint n` then `n` entries), without the message type.
    Awareness(&'a [u8]),
    /// An auth message.
    Auth(AuthMessage<'a>),
    /// A request for the full awareness state.
    QueryAwareness,
}

/// The auth messages of y-protocols (`auth.js`) and yrs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMessage<'a> {
    /// The peer refuses an operation, with a human-readable reason.
    PermissionDenied {
        /// Why the permission was denied.
        reason: &'a str,
    },
    /// The peer grants access (sent by yrs, never by y-protocols).
    PermissionGranted,
}

/// Reads lib0 primitives from a byte slice, handing out sub-slices of it.
#[derive(Debug, Clone)]
pub struct WireReader<'a> {
    rest: &'a [u8],
}

impl<'a> WireReader<'a> {
    /// Starts reading at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    /// Number of bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads a varUint: 7 bits a byte, least significant group first, top bit = more follow.
    pub fn read_var_uint(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for index in 0..MAX_VAR_UINT_BYTES {
            let (&byte, rest) =
                self.rest.split_first().ok_or(ProtocolError::Truncated { expected: 1, available: 0 })?;
            self.rest = rest;
            // The 10th byte carries bit 63 only: anything else overflows a u64
            // (a continuation bit there would announce an 11th byte).
            if index == MAX_VAR_UINT_BYTES - 1 && byte > 1 {
                return Err(ProtocolError::VarUintOverflow);
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtocolError::VarUintOverflow)
    }

    /// Reads a varByteArray: a varUint length, then that many bytes.
    pub fn read_var_byte_array(&mut self) -> Result<&'a [u8]> {
        let len = self.read_var_uint()?;
        let truncated = ProtocolError::Truncated { expected: len, available: self.rest.len() };
        let len = usize::try_from(len).map_err(|_| truncated.clone())?;
        let (bytes, rest) = self.rest.split_at_checked(len).ok_or(truncated)?;
        self.rest = rest;
        Ok(bytes)
    }

    /// Reads a varString: a varByteArray holding UTF-8.
    pub fn read_var_string(&mut self) -> Result<&'a str> {
        let bytes = self.read_var_byte_array()?;
        std::str::from_utf8(bytes).map_err(|_| ProtocolError::InvalidUtf8)
    }

    /// Reads one message: its varUint type, then the payload of that type.
    pub fn read_message(&mut self) -> Result<Message<'a>> {
        match self.read_var_uint()? {
            MESSAGE_SYNC => {
                let subtype = self.read_var_uint()?;
                // Check the subtype before the payload, so an unknown one is reported as such.
                if !matches!(subtype, SYNC_STEP1 | SYNC_STEP2 | SYNC_UPDATE) {
                    return Err(ProtocolError::UnknownSyncMessageType(subtype));
                }
                let payload = self.read_var_byte_array()?;
                Ok(match subtype {
                    SYNC_STEP1 => Message::SyncStep1(payload),
                    SYNC_STEP2 => Message::SyncStep2(payload),
                    _ => Message::Update(payload),
                })
            }
            MESSAGE_AWARENESS => Ok(Message::Awareness(self.read_var_byte_array()?)),
            MESSAGE_AUTH => match self.read_var_uint()? {
                AUTH_PERMISSION_DENIED => {
                    Ok(Message::Auth(AuthMessage::PermissionDenied { reason: self.read_var_string()? }))
                }
                AUTH_PERMISSION_GRANTED => Ok(Message::Auth(AuthMessage::PermissionGranted)),
                other => Err(ProtocolError::UnknownAuthMessageType(other)),
            },
            MESSAGE_QUERY_AWARENESS => Ok(Message::QueryAwareness),
            other => Err(ProtocolError::UnknownMessageType(other)),
        }
    }
}

/// Decodes every message of a WebSocket frame (messages may follow each other back to back).
///
/// Fails on an empty frame and on any malformed message; nothing is returned partially.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Message<'_>>> {
    if frame.is_empty() {
        return Err(ProtocolError::EmptyFrame);
    }
    let mut reader = WireReader::new(frame);
    let mut messages = Vec::new();
    while !reader.is_empty() {
        messages.push(reader.read_message()?);
    }
    Ok(messages)
}

/// Appends a varUint.
pub fn write_var_uint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // Truncation is the point: the low 7 bits, with the continuation bit set.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a varByteArray (length, then the bytes).
pub fn write_var_byte_array(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a varString (UTF-8 length, then the bytes).
pub fn write_var_string(out: &mut Vec<u8>, text: &str) {
    write_var_byte_array(out, text.as_bytes());
}

/// Encodes a message made of a type, an optional subtype and a varByteArray payload.
fn encode_with_payload(message_type: u64, subtype: Option<u64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 12);
    write_var_uint(&mut out, message_type);
    if let Some(subtype) = subtype {
        write_var_uint(&mut out, subtype);
    }
    write_var_byte_array(&mut out, payload);
    out
}

/// Encodes sync step 1 from an encoded state vector.
pub fn encode_sync_step1(state_vector: &[u8]) -> Vec<u8> {
    encode_with_payload(MESSAGE_SYNC, Some(SYNC_STEP1), state_vector)
}

/// Encodes sync step 2 from a v1 update.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    encode_with_payload(MESSAGE_SYNC, Some(SYNC_STEP2), update)
}

/// Encodes a sync update message from a v1 update.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    encode_with_payload(MESSAGE_SYNC, Some(SYNC_UPDATE), update)
}

/// Encodes an awareness message from an awareness update payload.
pub fn encode_awareness(payload: &[u8]) -> Vec<u8> {
    encode_with_payload(MESSAGE_AWARENESS, None, payload)
}

/// Encodes an auth permission-denied message with a reason.
pub fn encode_auth_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 4);
    write_var_uint(&mut out, MESSAGE_AUTH);
    write_var_uint(&mut out, AUTH_PERMISSION_DENIED);
    write_var_string(&mut out, reason);
    out
}

/// Encodes a query for the full awareness state.
pub fn encode_query_awareness() -> Vec<u8> {
    let mut out = Vec::with_capacity(1);
    write_var_uint(&mut out, MESSAGE_QUERY_AWARENESS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var_uint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_var_uint(&mut out, value);
        out
    }

    #[test]
    fn var_uint_known_encodings() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
            (u64::MAX, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ];
        for &(value, bytes) in cases {
            assert_eq!(var_uint(value), bytes, "encoding {value}");
            let mut reader = WireReader::new(bytes);
            assert_eq!(reader.read_var_uint(), Ok(value), "decoding {bytes:?}");
            assert!(reader.is_empty());
        }
    }

    #[test]
    fn var_uint_round_trips() {
        let mut value = 1u64;
        while value != 0 {
            for candidate in [value - 1, value, value + 1, value.wrapping_mul(3)] {
                let bytes = var_uint(candidate);
                assert_eq!(WireReader::new(&bytes).read_var_uint(), Ok(candidate));
            }
            value = value.wrapping_shl(1);
        }
    }

    #[test]
    fn var_uint_accepts_non_minimal_encodings_like_lib0() {
        // lib0 decodes a zero group with a continuation bit; so do we.
        assert_eq!(WireReader::new(&[0x81, 0x00]).read_var_uint(), Ok(1));
    }

    #[test]
    fn var_uint_overflow_is_refused() {
        // 10th byte with more than bit 63.
        let too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(WireReader::new(&too_big).read_var_uint(), Err(ProtocolError::VarUintOverflow));
        // 11 bytes.
        let too_long = [0x80; 11];
        assert_eq!(WireReader::new(&too_long).read_var_uint(), Err(ProtocolError::VarUintOverflow));
        assert_eq!(decode_frame(&[0xff; 12]), Err(ProtocolError::VarUintOverflow));
    }

    #[test]
    fn var_uint_truncated() {
        assert_eq!(
            WireReader::new(&[0x80, 0x80]).read_var_uint(),
            Err(ProtocolError::Truncated { expected: 1, available: 0 })
        );
    }

    #[test]
    fn strings_and_byte_arrays_round_trip() {
        let mut out = Vec::new();
        write_var_string(&mut out, "héllo 😀");
        write_var_byte_array(&mut out, &[1, 2, 3]);
        write_var_byte_array(&mut out, &[]);
        let mut reader = WireReader::new(&out);
        assert_eq!(reader.read_var_string(), Ok("héllo 😀"));
        assert_eq!(reader.read_var_byte_array(), Ok(&[1u8, 2, 3][..]));
        assert_eq!(reader.read_var_byte_array(), Ok(&[][..]));
        assert!(reader.is_empty());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(WireReader::new(&[2, 0xc3, 0x28]).read_var_string(), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn byte_checks_from_the_protocol_notes() {
        // The state vector of an empty document is a single 0 (no clients).
        assert_eq!(encode_sync_step1(&[0]), [0, 0, 1, 0]);
        assert_eq!(encode_auth_denied("ro"), [2, 0, 2, 114, 111]);
        assert_eq!(encode_query_awareness(), [3]);
        // An empty v1 update is [0, 0].
        assert_eq!(encode_sync_step2(&[0, 0]), [0, 1, 2, 0, 0]);
        assert_eq!(encode_update(&[0, 0]), [0, 2, 2, 0, 0]);
        assert_eq!(encode_awareness(&[0]), [1, 1, 0]);
    }

    #[test]
    fn every_encoder_round_trips() {
        let update = [1u8, 1, 42, 0, 4, 1, 6, 109, 111, 110, 97, 99, 111, 1, 97, 0];
        let long = vec![7u8; 300];
        let cases: Vec<(Vec<u8>, Message<'_>)> = vec![
            (encode_sync_step1(&[1, 42, 3]), Message::SyncStep1(&[1, 42, 3])),
            (encode_sync_step2(&update), Message::SyncStep2(&update)),
            (encode_update(&update), Message::Update(&update)),
            (encode_update(&long), Message::Update(&long)),
            (encode_awareness(&[0]), Message::Awareness(&[0])),
            (encode_auth_denied("read-only"), Message::Auth(AuthMessage::PermissionDenied { reason: "read-only" })),
            (encode_query_awareness(), Message::QueryAwareness),
        ];
        for (bytes, expected) in &cases {
            assert_eq!(decode_frame(bytes), Ok(vec![*expected]), "frame {bytes:?}");
        }
    }

    #[test]
    fn payloads_borrow_from_the_frame() {
        let frame = encode_update(&[5, 6, 7]);
        let messages = decode_frame(&frame).unwrap();
        let Message::Update(payload) = messages[0] else {
            panic!("expected an update, got {messages:?}");
        };
        assert_eq!(payload.as_ptr(), frame[3..].as_ptr());
    }

    #[test]
    fn permission_granted_is_understood() {
        assert_eq!(decode_frame(&[2, 1]), Ok(vec![Message::Auth(AuthMessage::PermissionGranted)]));
    }

    #[test]
    fn a_frame_may_hold_several_messages() {
        let mut frame = encode_sync_step1(&[0]);
        frame.extend(encode_awareness(&[0]));
        frame.extend(encode_query_awareness());
        assert_eq!(
            decode_frame(&frame),
            Ok(vec![Message::SyncStep1(&[0]), Message::Awareness(&[0]), Message::QueryAwareness])
        );
    }

    #[test]
    fn every_error_case() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (&[], ProtocolError::EmptyFrame),
            (&[4], ProtocolError::UnknownMessageType(4)),
            (&[0x80, 0x01], ProtocolError::UnknownMessageType(128)),
            (&[0, 3, 0], ProtocolError::UnknownSyncMessageType(3)),
            (&[2, 5], ProtocolError::UnknownAuthMessageType(5)),
            (&[0], ProtocolError::Truncated { expected: 1, available: 0 }),
            (&[0, 2, 5, 1, 2], ProtocolError::Truncated { expected: 5, available: 2 }),
            (
                &[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                ProtocolError::Truncated { expected: u64::MAX, available: 0 },
            ),
            (&[2, 0, 1, 0xff], ProtocolError::InvalidUtf8),
            (&[0, 0x80], ProtocolError::Truncated { expected: 1, available: 0 }),
            (&[3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], ProtocolError::VarUintOverflow),
        ];
        for (frame, expected) in cases {
            assert_eq!(decode_frame(frame).as_ref(), Err(expected), "frame {frame:?}");
        }
    }

    #[test]
    fn a_bad_message_after_a_good_one_fails_the_frame() {
        let mut frame = encode_query_awareness();
        frame.push(9);
        assert_eq!(decode_frame(&frame), Err(ProtocolError::UnknownMessageType(9)));
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(ProtocolError::UnknownMessageType(7).to_string(), "unknown message type 7");
        assert_eq!(
            ProtocolError::Truncated { expected: 5, available: 2 }.to_string(),
            "truncated message: 5 more bytes needed but only 2 left"
        );
    }
}

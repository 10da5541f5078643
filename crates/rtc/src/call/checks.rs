//! Bounds on what a browser may send on the call socket, checked before
//! anything reaches the SFU: a frame that breaks one is answered with an
//! `error` frame and changes nothing.

use std::collections::HashSet;

use reynard_proto::call::{PublishedTrack, TrackViewport};

/// Most tracks one publish offer may send (camera, microphone, screen and
/// its audio leave plenty of room).
pub const MAX_TRACKS: usize = 16;

/// Longest `mid` accepted. Browsers number their transceivers (`"0"`,
/// `"1"`, …); the mid also becomes part of a track id every participant sees.
pub const MAX_MID_BYTES: usize = 32;

/// Longest trickled ICE candidate line accepted; real ones are about 100–200 bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;

/// Most tracks one viewport report may size.
pub const MAX_VIEWPORT_TRACKS: usize = 64;

/// Largest width or height a viewport report may give; larger ones are
/// clamped (no layer is larger).
pub const MAX_VIEWPORT_SIZE: u32 = 8192;

/// Checks the tracks of a publish offer: at most [`MAX_TRACKS`], every mid
/// a non-empty SDP token (RFC 8843's `identification-tag`) of at most
/// [`MAX_MID_BYTES`], no mid twice.
pub(super) fn offer(tracks: &[PublishedTrack]) -> Result<(), String> {
    if tracks.len() > MAX_TRACKS {
        return Err(format!("an offer may send at most {MAX_TRACKS} tracks, this one sends {}", tracks.len()));
    }
    let mut mids = HashSet::new();
    for track in tracks {
        let mid = track.mid.as_str();
        if mid.is_empty() {
            return Err("every track needs its transceiver's mid".to_owned());
        }
        if mid.len() > MAX_MID_BYTES {
            return Err(format!("a mid may be at most {MAX_MID_BYTES} bytes long"));
        }
        if !mid.bytes().all(is_token_byte) {
            return Err(format!("mid {mid:?} is not an SDP token"));
        }
        if !mids.insert(mid) {
            return Err(format!("mid {mid:?} is listed twice"));
        }
    }
    Ok(())
}

/// Checks a trickled candidate's length.
pub(super) fn candidate(candidate: &str) -> Result<(), String> {
    if candidate.len() > MAX_CANDIDATE_BYTES {
        return Err(format!("a candidate may be at most {MAX_CANDIDATE_BYTES} bytes long"));
    }
    Ok(())
}

/// Checks a viewport report's length and clamps its sizes to [`MAX_VIEWPORT_SIZE`].
pub(super) fn viewport(mut tracks: Vec<TrackViewport>) -> Result<Vec<TrackViewport>, String> {
    if tracks.len() > MAX_VIEWPORT_TRACKS {
        return Err(format!("a viewport report may size at most {MAX_VIEWPORT_TRACKS} tracks"));
    }
    for track in &mut tracks {
        track.width = track.width.min(MAX_VIEWPORT_SIZE);
        track.height = track.height.min(MAX_VIEWPORT_SIZE);
    }
    Ok(tracks)
}

/// A byte of an SDP `token` (RFC 4566): visible ASCII but for separators.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&byte)
}

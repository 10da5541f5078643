//! Active speakers of one room, from the audio-level header extension
//! (RFC 6464) of the audio each participant publishes: the level is in -dBov,
//! 0 loudest, -127 silence. A participant speaks while its smoothed level stays
//! above a threshold; the list is the speakers of the last moments, loudest
//! first, and is what decides whose video goes out at high layers in large
//! rooms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reynard_proto::ParticipantId;

/// Levels above this (in dBov) count as speech.
const SPEECH_DBOV: f32 = -50.0;
/// How long someone counts as a recent speaker after they stopped.
const HOLD: Duration = Duration::from_millis(1500);
/// Weight of a new sample in the smoothed level.
const SMOOTHING: f32 = 0.2;
/// How many speakers the list holds.
const MAX_SPEAKERS: usize = 8;

#[derive(Debug)]
struct Voice {
    level: f32,
    last_speech: Option<Instant>,
}

/// The voices of one room.
#[derive(Debug, Default)]
pub struct Speakers {
    voices: HashMap<ParticipantId, Voice>,
    last: Vec<ParticipantId>,
}

impl Speakers {
    /// One audio packet's level from `who` (`-dBov` as RTP carries it: 0 loud, -127 silent).
    pub fn heard(&mut self, now: Instant, who: &ParticipantId, level: i8) {
        let voice = match self.voices.get_mut(who) {
            Some(voice) => voice,
            None => self.voices.entry(who.clone()).or_insert(Voice { level: -127.0, last_speech: None }),
        };
        voice.level += (f32::from(level) - voice.level) * SMOOTHING;
        if voice.level > SPEECH_DBOV {
            voice.last_speech = Some(now);
        }
    }

    /// Forgets someone who left.
    pub fn forget(&mut self, who: &ParticipantId) {
        self.voices.remove(who);
        self.last.retain(|p| p != who);
    }

    /// The recent speakers, loudest first, if the list changed since the last call.
    pub fn changed(&mut self, now: Instant) -> Option<Vec<ParticipantId>> {
        let current = self.current(now);
        (current != self.last).then(|| {
            self.last = current.clone();
            current
        })
    }

    /// The recent speakers as last reported.
    pub fn recent(&self) -> &[ParticipantId] {
        &self.last
    }

    fn current(&self, now: Instant) -> Vec<ParticipantId> {
        let mut speaking: Vec<(&ParticipantId, f32)> = self
            .voices
            .iter()
            .filter(|(_, v)| v.last_speech.is_some_and(|t| now.saturating_duration_since(t) <= HOLD))
            .map(|(id, v)| (id, v.level))
            .collect();
        speaking.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        speaking.into_iter().take(MAX_SPEAKERS).map(|(id, _)| id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speak(speakers: &mut Speakers, now: Instant, who: &ParticipantId, level: i8, packets: u32) {
        for i in 0..packets {
            speakers.heard(now + Duration::from_millis(u64::from(i) * 20), who, level);
        }
    }

    #[test]
    fn speakers_come_loudest_first_and_fade_after_the_hold() {
        let (ada, bob, cy) = (ParticipantId::new("ada"), ParticipantId::new("bob"), ParticipantId::new("cy"));
        let mut speakers = Speakers::default();
        let t0 = Instant::now();
        speak(&mut speakers, t0, &ada, -30, 20);
        speak(&mut speakers, t0, &bob, -20, 20);
        speak(&mut speakers, t0, &cy, -100, 20);
        let now = t0 + Duration::from_millis(400);
        assert_eq!(speakers.changed(now), Some(vec![bob.clone(), ada.clone()]));
        assert_eq!(speakers.changed(now), None, "unchanged lists are not reported again");
        // Bob falls silent (his level takes a few packets to fall), Ada goes
        // on: once the hold has passed, only Ada is left.
        speak(&mut speakers, now, &bob, -127, 30);
        let later = now + Duration::from_millis(600) + HOLD + Duration::from_millis(100);
        speak(&mut speakers, later, &ada, -30, 5);
        let check = later + Duration::from_millis(100);
        assert_eq!(speakers.changed(check), Some(vec![ada.clone()]));
        // Someone who left is gone from the list at once (signaling tells of the leaving).
        speakers.forget(&ada);
        assert!(speakers.recent().is_empty());
        assert_eq!(speakers.changed(check), None);
    }

    #[test]
    fn a_single_click_is_not_speech() {
        let ada = ParticipantId::new("ada");
        let mut speakers = Speakers::default();
        let t0 = Instant::now();
        speakers.heard(t0, &ada, 0);
        assert_eq!(speakers.changed(t0), None);
    }
}

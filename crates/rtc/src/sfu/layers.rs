//! Which simulcast layer each subscriber gets of each video track it receives.
//!
//! Two limits meet here: how large the subscriber shows the track (its tile:
//! no point sending 640 rows into a 120-row tile) and what its downlink can
//! carry (the SFU's bandwidth estimate towards it). The tile gives each track a
//! ceiling; then the estimate is shared out, starting everyone on the lowest
//! layer and raising the largest tiles first while the budget lasts, so that a
//! weak receiver gets low layers instead of freezing. In large rooms only the
//! most recent speakers may go above the middle layer.

use reynard_proto::call::Layer;

/// What the SFU assumes a layer costs before it has measured it (bits per
/// second): the browser's `maxBitrate` for the three encodings it publishes.
pub fn nominal_bitrate(layer: Layer) -> u64 {
    match layer {
        Layer::Low => 150_000,
        Layer::Medium => 500_000,
        Layer::High => 1_500_000,
    }
}

/// Rooms with more video publishers than this forward high layers of recent
/// speakers only.
pub const LARGE_ROOM: usize = 6;
/// How many recent speakers keep high layers in a large room.
pub const HIGH_LAYER_SPEAKERS: usize = 3;

/// The highest layer a tile `height` pixels tall needs (the layers of a 720p
/// camera are 180, 360 and 720 rows; a 480p one's 120, 240 and 480). `None`:
/// the track is not shown.
pub fn layer_for_tile(height: u32) -> Option<Layer> {
    match height {
        0 => None,
        1..=200 => Some(Layer::Low),
        201..=400 => Some(Layer::Medium),
        _ => Some(Layer::High),
    }
}

/// One video track a subscriber receives, as the allocator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// Tile height in pixels; `None` when the subscriber has not said (a new
    /// tile gets the middle layer until it does), `Some(0)` when hidden.
    pub tile_height: Option<u32>,
    /// Layers the publisher sends now, with their measured bitrate (bps).
    pub available: Vec<(Layer, u64)>,
    /// The publisher is among the room's most recent speakers (or the room is small).
    pub may_go_high: bool,
    /// The most the subscriber accepts for one video stream (bps), if it said.
    pub stream_cap: Option<u64>,
}

/// The layer for each wanted track (same order), `None` for tracks to pause,
/// given the subscriber's estimated downlink `budget` in bits per second.
pub fn allocate(wanted: &[Wanted], budget: u64) -> Vec<Option<Layer>> {
    let ceilings: Vec<Option<Layer>> = wanted
        .iter()
        .map(|w| {
            let by_tile = match w.tile_height {
                None => Some(Layer::Medium),
                Some(height) => layer_for_tile(height),
            };
            let by_room = if w.may_go_high { Layer::High } else { Layer::Medium };
            by_tile.map(|layer| layer.min(by_room))
        })
        .collect();
    let mut chosen: Vec<Option<Layer>> = vec![None; wanted.len()];
    let mut spent = 0u64;
    // Everyone shown gets the lowest layer the publisher sends, budget or not:
    // a picture that moves slowly beats a frozen one.
    for (i, w) in wanted.iter().enumerate() {
        if ceilings[i].is_some()
            && let Some(&(layer, rate)) = w.available.iter().min_by_key(|(layer, _)| *layer)
        {
            chosen[i] = Some(layer);
            spent += rate;
        }
    }
    // Then raise the tallest tiles first, one step at a time, while it fits.
    let mut order: Vec<usize> = (0..wanted.len()).filter(|&i| chosen[i].is_some()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(wanted[i].tile_height.unwrap_or(300)));
    loop {
        let mut raised = false;
        for &i in &order {
            let (Some(current), Some(ceiling)) = (chosen[i], ceilings[i]) else { continue };
            let Some(&(next, next_rate)) = wanted[i]
                .available
                .iter()
                .filter(|(layer, rate)| {
                    *layer > current && *layer <= ceiling && wanted[i].stream_cap.is_none_or(|cap| *rate <= cap)
                })
                .min_by_key(|(layer, _)| *layer)
            else {
                continue;
            };
            let current_rate = rate_of(&wanted[i].available, current);
            let extra = next_rate.saturating_sub(current_rate);
            if spent + extra <= budget {
                chosen[i] = Some(next);
                spent += extra;
                raised = true;
            }
        }
        if !raised {
            return chosen;
        }
    }
}

fn rate_of(available: &[(Layer, u64)], layer: Layer) -> u64 {
    available.iter().find(|(l, _)| *l == layer).map_or_else(|| nominal_bitrate(layer), |(_, rate)| *rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_layers() -> Vec<(Layer, u64)> {
        [Layer::Low, Layer::Medium, Layer::High].into_iter().map(|l| (l, nominal_bitrate(l))).collect()
    }

    fn tile(height: u32) -> Wanted {
        Wanted { tile_height: Some(height), available: all_layers(), may_go_high: true, stream_cap: None }
    }

    #[test]
    fn tiles_set_the_ceiling() {
        assert_eq!(layer_for_tile(0), None);
        assert_eq!(layer_for_tile(120), Some(Layer::Low));
        assert_eq!(layer_for_tile(360), Some(Layer::Medium));
        assert_eq!(layer_for_tile(720), Some(Layer::High));
        let plenty = 100_000_000;
        assert_eq!(
            allocate(&[tile(120), tile(360), tile(720), tile(0)], plenty),
            vec![Some(Layer::Low), Some(Layer::Medium), Some(Layer::High), None]
        );
    }

    #[test]
    fn a_weak_downlink_gets_low_layers_not_nothing() {
        let wanted = [tile(720), tile(720)];
        assert_eq!(allocate(&wanted, 100_000), vec![Some(Layer::Low), Some(Layer::Low)]);
        // Enough for one step up: the first tallest tile gets it.
        assert_eq!(allocate(&wanted, 300_000 + 350_000), vec![Some(Layer::Medium), Some(Layer::Low)]);
        assert_eq!(allocate(&wanted, 10_000_000), vec![Some(Layer::High), Some(Layer::High)]);
    }

    #[test]
    fn taller_tiles_are_raised_first() {
        let wanted = [tile(300), tile(1000)];
        assert_eq!(allocate(&wanted, 150_000 * 2 + 350_000), vec![Some(Layer::Low), Some(Layer::Medium)]);
    }

    #[test]
    fn only_recent_speakers_go_high_in_large_rooms() {
        let quiet = Wanted { may_go_high: false, ..tile(720) };
        assert_eq!(allocate(&[quiet, tile(720)], 100_000_000), vec![Some(Layer::Medium), Some(Layer::High)]);
    }

    #[test]
    fn measured_rates_and_missing_layers_count() {
        // The publisher sends no high layer (its uplink is weak): medium is the best there is.
        let wanted = Wanted {
            tile_height: Some(720),
            available: vec![(Layer::Low, 100_000), (Layer::Medium, 400_000)],
            may_go_high: true,
            stream_cap: None,
        };
        assert_eq!(allocate(std::slice::from_ref(&wanted), 100_000_000), vec![Some(Layer::Medium)]);
        assert_eq!(allocate(std::slice::from_ref(&wanted), 350_000), vec![Some(Layer::Low)]);
        assert_eq!(allocate(std::slice::from_ref(&wanted), 400_000), vec![Some(Layer::Medium)]);
        // Nothing arrives yet: nothing to forward.
        let silent = Wanted { available: vec![], ..wanted };
        assert_eq!(allocate(&[silent], 100_000_000), vec![None]);
    }

    #[test]
    fn an_unsized_tile_starts_in_the_middle() {
        let wanted = Wanted { tile_height: None, available: all_layers(), may_go_high: true, stream_cap: None };
        assert_eq!(allocate(&[wanted], 100_000_000), vec![Some(Layer::Medium)]);
    }

    #[test]
    fn a_declared_stream_cap_keeps_every_stream_under_it() {
        let capped = |cap| Wanted { stream_cap: Some(cap), ..tile(720) };
        assert_eq!(
            allocate(&[capped(200_000), capped(200_000)], 100_000_000),
            vec![Some(Layer::Low), Some(Layer::Low)]
        );
        assert_eq!(allocate(&[capped(600_000)], 100_000_000), vec![Some(Layer::Medium)]);
        // Even the lowest layer over the cap is sent: a slow picture beats none.
        assert_eq!(allocate(&[capped(50_000)], 100_000_000), vec![Some(Layer::Low)]);
    }
}

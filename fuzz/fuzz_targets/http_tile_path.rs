//! The path of `GET /tile/<path>` from arbitrary text: no panic; an accepted path is canonical
//! (the tile it names prints back as the same path) and gets the immutable cache policy
//! exactly when it names a full tile.
#![no_main]

use kyso::http::tlog::{tile_request, FULL_TILE_CACHE, MOVING_CACHE};
use kyso::ledger::tile::{parse_tile_path, TilePath};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((full, cache)) = tile_request(text) else {
        return;
    };
    assert_eq!(full, format!("tile/{text}"));
    let printed = match parse_tile_path(&full) {
        Ok(TilePath::Hashes(t)) => (t.path(), t.is_full()),
        Ok(TilePath::Entries(t)) => match t.entries_path() {
            Ok(p) => (p, t.is_full()),
            Err(e) => panic!("an entry tile has a path: {e}"),
        },
        Err(e) => panic!("an accepted path parses again: {e}"),
    };
    assert_eq!(printed.0, full, "tile paths are canonical");
    let want = if printed.1 { FULL_TILE_CACHE } else { MOVING_CACHE };
    assert_eq!(cache, want);
    assert_eq!(cache == MOVING_CACHE, text.contains(".p/"));
});

//! The saved state of a two-step signature (`kyso external prepare` writes it; `complete`
//! reads it back, possibly edited): no panic on any bytes, bounded by `MAX_STATE_SIZE`, and a
//! state that parses serializes to a state that parses to the same digest to sign.
#![no_main]

use kyso::pades::PreparedDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = PreparedDocument::from_bytes(data) {
        let again = state.to_bytes().expect("a parsed state serializes");
        let reread = PreparedDocument::from_bytes(&again).expect("a serialized state parses");
        assert_eq!(reread.digest_to_sign(), state.digest_to_sign());
    }
});

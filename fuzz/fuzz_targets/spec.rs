//! The rendition/spec string parser shared by the CLI and the Lambda settings: never panics; whatever it
//! accepts is valid and prints back to a string that parses to the same spec.
#![no_main]

use imgkit::{Class, Rendition, Spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<Spec>() {
        Ok(spec) => {
            assert!(spec.validate().is_ok());
            assert_eq!(
                spec.to_string().parse::<Spec>().ok(),
                Some(spec),
                "round trip of {text:?}"
            );
        }
        Err(e) => assert_eq!(e.class(), Class::Config),
    }
    if let Ok(list) = Rendition::parse_list(text) {
        assert!(!list.is_empty());
        assert!(list.iter().all(|r| r.spec.validate().is_ok()));
    }
});

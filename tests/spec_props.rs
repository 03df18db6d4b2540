//! Arbitrary markdown never panics the parser or the merger, and merging a
//! delta twice gives the same text as merging it once.
use openspec::spec::doc::Doc;
use openspec::spec::merge::rebuild;
use openspec::spec::parse::{parse_delta, parse_main_spec, parse_proposal, parse_tasks};
use proptest::prelude::*;

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## Requirements".to_string()),
        Just("## Purpose".to_string()),
        Just("## ADDED Requirements".to_string()),
        Just("## MODIFIED Requirements".to_string()),
        Just("## REMOVED Requirements".to_string()),
        Just("## RENAMED Requirements".to_string()),
        Just("```".to_string()),
        Just("~~~".to_string()),
        Just("- [ ] task".to_string()),
        Just("**ID**: x".to_string()),
        Just("".to_string()),
        "### ?Requirement: [A-C]( [a-c])?".prop_map(|s| s),
        "#### Scenario: [a-c]".prop_map(|s| s),
        "- (FROM|TO): `### Requirement: [A-C]`".prop_map(|s| s),
        "- `### Requirement: [A-C]`".prop_map(|s| s),
        "The system (SHALL|MUST|may) [a-z ]{0,20}".prop_map(|s| s),
        "[#*`~ \\-\u{e9}\u{feff}a-z]{0,12}".prop_map(|s| s),
    ]
}

fn doc() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 0..30), any::<bool>()).prop_map(|(lines, crlf)| {
        let nl = if crlf { "\r\n" } else { "\n" };
        lines.join(nl)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parsing_and_merging_never_panic(main in doc(), delta in doc()) {
        let m = Doc::from_bytes(main.as_bytes()).unwrap();
        let d = Doc::from_bytes(delta.as_bytes()).unwrap();
        let _ = parse_main_spec(&m);
        let _ = parse_proposal(&m);
        let _ = parse_tasks(&m);
        let delta = parse_delta(&d);
        if let Ok(once) = rebuild("cap", "cap", Some(&m), &delta, "x")
            && let Ok(twice) = rebuild("cap", "cap", Some(&Doc::parse(&once.text)), &delta, "x")
        {
            prop_assert_eq!(&twice.text, &once.text);
        }
        let _ = rebuild("cap", "cap", None, &delta, "x");
    }
}

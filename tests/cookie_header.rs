//! Reading the `Cookie` request header: `cookie_pairs` on awkward input, and the request
//! driver finding (or refusing) the session among other cookies. Nothing in a header, however
//! hostile, makes either panic.

mod common;

use common::cookie::{
    NAME, header_from, is_removal, pair, sealed_cookie, sealed_cookie_with, value_of,
};
use common::driver::{Sent, open, request, write};
use proptest::prelude::*;
use sealed_session::web::Driver;
use sealed_session::{
    CookieOptions, CookieReadError, MAX_COOKIE_HEADER_LEN, Malformed, OpenError, Refusal,
    cookie_pairs,
};

const STATE: (&str, u32) = ("alice", 42);
type State = (String, u32);

fn pairs(header: &str) -> Vec<(&str, &str)> {
    cookie_pairs(header).collect()
}

/// A driver of a default sealed cookie named `name`.
fn driver(name: &str) -> Driver {
    Driver::new(sealed_cookie(name))
}

/// The `Set-Cookie` lines of a new session holding `state`, written through `driver`.
fn write_new(driver: &Driver, state: (&str, u32)) -> Vec<String> {
    write(driver, "", (state.0.to_owned(), state.1)).expect("a small session is written")
}

/// A driver of a default sealed cookie and the `session=<value>` pair of a new session in it.
fn session() -> (Driver, String) {
    let driver = driver(NAME);
    let set = write_new(&driver, STATE);
    let pair = pair(&set[0]).to_owned();
    (driver, pair)
}

/// What the handler of a request with the `Cookie` header `header` reads, the cookie opening.
fn opened_state(driver: &Driver, header: &str) -> Option<State> {
    open::<State>(driver, header).expect("the header opens")
}

/// Why the request with the `Cookie` header `header` has no session.
fn refusal(driver: &Driver, header: &str) -> Refusal {
    open::<State>(driver, header).expect_err("the cookie is refused")
}

fn expected() -> Option<State> {
    Some((STATE.0.to_owned(), STATE.1))
}

// ---------------------------------------------------------------------------------------------
// cookie_pairs
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_header_has_no_pairs() {
    assert_eq!(pairs(""), []);
}

#[test]
fn header_of_only_spaces_and_tabs_has_no_pairs() {
    assert_eq!(pairs("     "), []);
    assert_eq!(pairs(" \t \t "), []);
}

#[test]
fn header_of_only_semicolons_has_no_pairs() {
    assert_eq!(pairs(";"), []);
    assert_eq!(pairs(";;;; ; ;"), []);
}

#[test]
fn pieces_without_an_equals_sign_are_skipped() {
    assert_eq!(
        pairs("flag; a=1; other flag ;b=2;last"),
        [("a", "1"), ("b", "2")]
    );
}

#[test]
fn pieces_with_an_empty_name_are_skipped() {
    assert_eq!(pairs("=v; =; \t=x; a=1"), [("a", "1")]);
    assert_eq!(pairs("  = value"), []);
}

#[test]
fn empty_value_is_kept() {
    assert_eq!(pairs("a=; b= ;c=\t"), [("a", ""), ("b", ""), ("c", "")]);
}

#[test]
fn spaces_and_tabs_around_names_and_values_are_dropped() {
    assert_eq!(
        pairs(" \t a \t = \t 1 \t ;b\t=\t2;   c=3   "),
        [("a", "1"), ("b", "2"), ("c", "3")]
    );
}

#[test]
fn whitespace_inside_names_and_values_is_kept() {
    assert_eq!(pairs("a b = c d "), [("a b", "c d")]);
}

#[test]
fn only_space_and_tab_count_as_whitespace() {
    // No-break space, CR and LF are not trimmed.
    assert_eq!(
        pairs("\u{a0}a=1\u{a0}; b=2\r\n"),
        [("\u{a0}a", "1\u{a0}"), ("b", "2\r\n")]
    );
}

#[test]
fn one_pair_of_double_quotes_around_a_value_is_removed() {
    assert_eq!(pairs(r#"a="x""#), [("a", "x")]);
    assert_eq!(pairs(r#"a= "x y" ;b="""#), [("a", "x y"), ("b", "")]);
    assert_eq!(pairs(r#"a=""x"""#), [("a", r#""x""#)]);
}

#[test]
fn unbalanced_double_quotes_are_kept() {
    assert_eq!(
        pairs(r#"a="; b="x; c=x"; d=x"y"#),
        [("a", "\""), ("b", "\"x"), ("c", "x\""), ("d", "x\"y")]
    );
}

#[test]
fn values_may_contain_equals_signs() {
    assert_eq!(
        pairs("a=1=2; b==; c=x=="),
        [("a", "1=2"), ("b", "="), ("c", "x==")]
    );
}

#[test]
fn pairs_come_in_order_with_duplicates() {
    assert_eq!(
        pairs("a=1; b=2; a=3; a=1"),
        [("a", "1"), ("b", "2"), ("a", "3"), ("a", "1")]
    );
}

#[test]
fn leading_and_trailing_semicolons_are_ignored() {
    assert_eq!(pairs(";a=1;"), [("a", "1")]);
}

#[test]
fn names_are_returned_with_their_case() {
    assert_eq!(
        pairs("Session=1; SESSION=2; session=3"),
        [("Session", "1"), ("SESSION", "2"), ("session", "3")]
    );
}

#[test]
fn the_documented_example_holds() {
    assert_eq!(
        pairs(r#"theme=dark;  session = "abc" ; flag; a=1=2"#),
        [("theme", "dark"), ("session", "abc"), ("a", "1=2")]
    );
}

// ---------------------------------------------------------------------------------------------
// Finding the session in the header
// ---------------------------------------------------------------------------------------------

#[test]
fn written_set_cookie_lines_open_as_a_cookie_header() {
    let (driver, _) = session();
    let set = write_new(&driver, STATE);
    assert_eq!(opened_state(&driver, &header_from(&set)), expected());
}

#[test]
fn empty_header_is_no_session() {
    let (driver, _) = session();
    assert_eq!(opened_state(&driver, ""), None);
}

#[test]
fn header_without_the_session_cookie_is_no_session() {
    let (driver, _) = session();
    assert_eq!(opened_state(&driver, "theme=dark; lang=en; flag"), None);
}

#[test]
fn session_among_unrelated_cookies_opens() {
    let (driver, pair) = session();
    let header = format!("theme=dark; a=1=2; flag; ; {pair}; lang=en; x=\"y\"");
    assert_eq!(opened_state(&driver, &header), expected());
}

#[test]
fn session_first_or_last_opens() {
    let (driver, pair) = session();
    assert_eq!(opened_state(&driver, &format!("{pair}; z=1")), expected());
    assert_eq!(opened_state(&driver, &format!("z=1; {pair}")), expected());
    assert_eq!(opened_state(&driver, &format!("z=1;{pair};")), expected());
}

#[test]
fn session_with_whitespace_around_name_and_value_opens() {
    let (driver, pair) = session();
    let value = value_of(&pair);
    let header = format!("a=1;\t session \t=  {value}\t ; b=2");
    assert_eq!(opened_state(&driver, &header), expected());
}

#[test]
fn session_value_in_double_quotes_opens() {
    let (driver, pair) = session();
    let value = value_of(&pair);
    assert_eq!(
        opened_state(&driver, &format!("session=\"{value}\"")),
        expected()
    );
}

#[test]
fn cookie_names_are_case_sensitive() {
    let (driver, pair) = session();
    let value = value_of(&pair);
    for name in ["Session", "SESSION", "sessioN"] {
        assert_eq!(
            opened_state(&driver, &format!("{name}={value}")),
            None,
            "{name}"
        );
    }
}

#[test]
fn names_that_merely_contain_the_session_name_are_other_cookies() {
    let (driver, pair) = session();
    let value = value_of(&pair);
    let header = format!("xsession={value}; session_={value}; session.1={value}; sess={value}");
    assert_eq!(opened_state(&driver, &header), None);
}

#[test]
fn duplicate_session_cookie_is_refused() {
    let (driver, pair) = session();
    let other = pair_of_second_session(&driver);
    assert_eq!(
        refusal(&driver, &format!("{pair}; theme=dark; {other}")),
        Refusal::Cookie(CookieReadError::DuplicateCookie { chunk: 0 })
    );
}

#[test]
fn duplicate_session_cookie_is_refused_even_with_identical_values() {
    let (driver, pair) = session();
    assert_eq!(
        refusal(&driver, &format!("{pair}; {pair}")),
        Refusal::Cookie(CookieReadError::DuplicateCookie { chunk: 0 })
    );
}

#[test]
fn duplicate_session_cookie_with_an_empty_value_is_refused() {
    let (driver, pair) = session();
    assert_eq!(
        refusal(&driver, &format!("session=; {pair}")),
        Refusal::Cookie(CookieReadError::DuplicateCookie { chunk: 0 })
    );
}

#[test]
fn duplicate_session_cookie_is_deleted_at_the_end_of_a_request_that_reads_it() {
    // Neither value is trusted: the response deletes the name, once, and no other cookie.
    let (driver, pair) = session();
    let other = pair_of_second_session(&driver);
    let header = format!("{pair}; theme=dark; {other}");
    let response = request::<State>(&driver, &header, |session| {
        assert_eq!(session.get(), None);
    });
    let set = response.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(
        set[0].starts_with("session=;") && is_removal(&set[0]),
        "{set:?}"
    );
}

fn pair_of_second_session(driver: &Driver) -> String {
    pair(&write_new(driver, ("mallory", 0))[0]).to_owned()
}

#[test]
fn empty_session_value_is_a_malformed_value() {
    let (driver, _) = session();
    assert_eq!(
        refusal(&driver, "session="),
        Refusal::Cookie(CookieReadError::Open(OpenError::Malformed(
            Malformed::TooShort
        )))
    );
}

#[test]
fn garbage_session_value_is_a_malformed_value() {
    let (driver, _) = session();
    assert_eq!(
        refusal(&driver, &format!("session={}", "*".repeat(60))),
        Refusal::Cookie(CookieReadError::Open(OpenError::Malformed(
            Malformed::Encoding
        )))
    );
}

#[test]
fn session_among_5000_unrelated_cookies_opens() {
    let (driver, pair) = session();
    let mut header = (0..2500)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    header.push_str("; ");
    header.push_str(&pair);
    for i in 2500..5000 {
        header.push_str(&format!("; c{i}=v{i}"));
    }
    assert!(header.len() <= MAX_COOKIE_HEADER_LEN, "{}", header.len());
    assert_eq!(pairs(&header).len(), 5001);
    assert_eq!(opened_state(&driver, &header), expected());
}

/// `base` followed by `; pad=xxx...` so that the whole header is exactly `len` bytes.
fn padded_to(base: &str, len: usize) -> String {
    let mut header = format!("{base}; pad=");
    header.push_str(&"x".repeat(len - header.len()));
    assert_eq!(header.len(), len);
    header
}

#[test]
fn header_of_exactly_the_maximum_length_is_read() {
    assert_eq!(MAX_COOKIE_HEADER_LEN, 64 * 1024);
    let (driver, pair) = session();
    let header = padded_to(&pair, MAX_COOKIE_HEADER_LEN);
    assert_eq!(opened_state(&driver, &header), expected());
}

#[test]
fn header_longer_than_the_maximum_is_refused_unread() {
    let (driver, pair) = session();
    let header = padded_to(&pair, MAX_COOKIE_HEADER_LEN + 1);
    assert_eq!(
        refusal(&driver, &header),
        Refusal::Cookie(CookieReadError::HeaderTooLong {
            len: MAX_COOKIE_HEADER_LEN + 1,
            max: MAX_COOKIE_HEADER_LEN
        })
    );
}

#[test]
fn header_too_long_is_refused_even_without_the_session() {
    let (driver, _) = session();
    let header = "x".repeat(MAX_COOKIE_HEADER_LEN + 1);
    assert!(matches!(
        open::<State>(&driver, &header),
        Err(Refusal::Cookie(CookieReadError::HeaderTooLong { .. }))
    ));
}

#[test]
fn very_long_session_value_is_oversized_before_decoding() {
    let (driver, _) = session();
    // 4096 - len("session=") = 4088 characters at most.
    let header = format!("session={}", "A".repeat(10_000));
    assert_eq!(
        refusal(&driver, &header),
        Refusal::Cookie(CookieReadError::Open(OpenError::Oversized {
            len: 10_000,
            max: 4088
        }))
    );
}

#[test]
fn session_value_one_over_the_size_rule_is_oversized() {
    let (driver, _) = session();
    let header = format!("session={}", "*".repeat(4089));
    assert_eq!(
        refusal(&driver, &header),
        Refusal::Cookie(CookieReadError::Open(OpenError::Oversized {
            len: 4089,
            max: 4088
        }))
    );
    // At the limit the value is decoded (and is not base64url).
    let header = format!("session={}", "*".repeat(4088));
    assert_eq!(
        refusal(&driver, &header),
        Refusal::Cookie(CookieReadError::Open(OpenError::Malformed(
            Malformed::Encoding
        )))
    );
}

#[test]
fn long_unrelated_cookie_values_are_not_size_checked() {
    let (driver, pair) = session();
    let header = format!("big={}; {pair}", "x".repeat(20_000));
    assert_eq!(opened_state(&driver, &header), expected());
}

#[test]
fn session_for_another_cookie_name_does_not_open() {
    let (driver, pair) = session();
    let other = self::driver("other");
    // The value is bound to "session"; under the name "other" it fails authentication.
    let header = format!("other={}", value_of(&pair));
    assert_eq!(
        refusal(&other, &header),
        Refusal::Cookie(CookieReadError::Open(OpenError::Authentication))
    );
    assert_eq!(opened_state(&driver, &header), None);
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input never panics
// ---------------------------------------------------------------------------------------------

/// Characters that matter to the parser, and a few that should not.
const COOKIE_ISH: &str = "[a-zA-Z0-9_.=;\" \t\u{a0}é-]{0,200}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cookie_pairs_never_panics_and_yields_trimmed_nonempty_names(header in any::<String>()) {
        for (name, value) in cookie_pairs(&header) {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.contains(';') && !name.contains('='));
            prop_assert!(!value.contains(';'));
            prop_assert_eq!(name, name.trim_matches([' ', '\t']));
        }
    }

    #[test]
    fn a_request_never_panics_on_arbitrary_headers(header in any::<String>()) {
        // Read the session and end the request: a refused cookie is deleted at the end.
        let driver = driver(NAME);
        let _ = request::<State>(&driver, &header, |session| {
            let _ = session.get();
        });
    }

}

proptest! {
    // Structured headers hit the interesting paths more often than arbitrary text; fewer cases.
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn cookie_pairs_never_panics_on_cookie_like_text(header in COOKIE_ISH) {
        let n = cookie_pairs(&header).count();
        prop_assert!(n <= header.matches('=').count());
    }

    #[test]
    fn open_never_panics_on_headers_naming_the_session_and_its_chunks(
        pieces in prop::collection::vec(
            (
                prop::sample::select(vec!["session", "session.1", "session.2", "session.9", "x"]),
                "[0-9A-Za-z_.\"-]{0,80}",
            ),
            0..6,
        ),
        max_chunks in 1usize..=3,
    ) {
        let driver = Driver::new(
            sealed_cookie_with(NAME, CookieOptions::new().max_chunks(max_chunks)),
        );
        let header = pieces
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let result = open::<State>(&driver, &header);
        // No such cookie at all is the only way to get "no session"; anything else is an error
        // (the random values are never genuine).
        let names_session = pieces.iter().any(|(n, _)| *n == "session")
            || (max_chunks > 1 && pieces.iter().any(|(n, _)| n.starts_with("session.")));
        prop_assert_eq!(result.is_ok(), !names_session, "{:?} -> {:?}", header, result);
    }
}

proptest! {
    // Each case seals and opens a real value: fewer cases keep the debug build fast.
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn open_finds_a_real_session_among_arbitrary_other_cookies(
        before in prop::collection::vec(("[a-z]{1,8}", "[ -:<-~]{0,20}"), 0..8),
        after in prop::collection::vec(("[a-z]{1,8}", "[ -:<-~]{0,20}"), 0..8),
    ) {
        prop_assume!(before.iter().chain(&after).all(|(n, _)| n != "session"));
        let (driver, pair) = session();
        let mut parts: Vec<String> = before.iter().map(|(n, v)| format!("{n}={v}")).collect();
        parts.push(pair);
        parts.extend(after.iter().map(|(n, v)| format!("{n}={v}")));
        let header = parts.join("; ");
        prop_assert_eq!(opened_state(&driver, &header), expected());
    }
}

//! `Set-Cookie` rendering: secure defaults, each option, the prefix and attribute rules, removal
//! cookies and renewal, as the request driver writes them. Every string is checked exactly; the
//! clock is fixed at T0 so `Max-Age` and `Expires` are deterministic (dates checked with Python's
//! `email.utils.formatdate`).

mod common;

use std::time::Duration;

use common::cookie::{
    DEFAULT_TAIL, NAME, T0, T0_PLUS_IDLE_HTTP_DATE, builder, bytes, clock, header_from, is_removal,
    key_a, pair, ring, sealed_cookie, sealed_cookie_with, sealer, signer_builder, value_of,
};
use common::driver::{Sent, begin_loaded, open, request, write};
use sealed_session::web::Driver;
use sealed_session::{
    Clock, ConfigError, CookieOptions, CookieReadError, KeyRing, Lifetime, MAX_ATTRIBUTE_LEN,
    MAX_CHUNKS, ManualClock, OpenError, Refusal, SameSite, SealError, Sealer, SessionCookie,
    Stamps, WriteError,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_bytes::ByteBuf;

const STATE: &str = "alice";

/// The `Set-Cookie` that deletes the default cookie `session`.
const REMOVAL: &str = "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax";

/// A driver with the default settings for `cookie`.
fn driver(cookie: SessionCookie) -> Driver {
    Driver::new(cookie)
}

/// The single `Set-Cookie` of a new session holding [`STATE`], for cookie `name` with `options`:
/// what the end of a request without a cookie writes when its handler sets the state.
fn render(name: &str, options: CookieOptions) -> Result<String, ConfigError> {
    let cookie = SessionCookie::sealed(sealer(name), options)?;
    let mut set = write(&driver(cookie), "", STATE.to_owned()).expect("a small session is written");
    assert_eq!(set.len(), 1, "one cookie, no chunking: {set:?}");
    Ok(set.remove(0))
}

/// What `render` must produce: `name=<the sealed value>` and then `attributes` exactly.
fn expect_rendered(name: &str, options: CookieOptions, attributes: &str) {
    let set = render(name, options).expect("valid options");
    let value = value_of(&set);
    assert_eq!(set, format!("{name}={value}{attributes}"));
    // The value really is this session, sealed for this name.
    let opened = sealer(name).open::<String>(value).expect("the value opens");
    assert_eq!(opened.state, STATE);
}

/// `Max-Age` and `Expires` of a default new session at T0.
fn default_expiry() -> String {
    format!("; Max-Age=1800; Expires={T0_PLUS_IDLE_HTTP_DATE}")
}

/// The names the `Set-Cookie` lines `set` write, in order.
fn names(set: &[String]) -> Vec<String> {
    set.iter()
        .map(|c| pair(c).split_once('=').expect("name=value").0.to_owned())
        .collect()
}

/// The `Cookie` header of a new session of `len` bytes written through `driver`, asserting it
/// takes `chunks` cookies.
fn chunked_header(driver: &Driver, len: usize, chunks: usize) -> String {
    let set = write(driver, "", bytes(len)).expect("the session fits its chunks");
    assert_eq!(set.len(), chunks, "{set:?}");
    header_from(&set)
}

// ---------------------------------------------------------------------------------------------
// Defaults and each option
// ---------------------------------------------------------------------------------------------

#[test]
fn default_cookie_has_max_age_expires_root_path_secure_http_only_and_lax() {
    expect_rendered(
        NAME,
        CookieOptions::new(),
        "; Max-Age=1800; Expires=Fri, 15 Jan 2027 08:30:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
    );
}

#[test]
fn default_options_equal_new_options() {
    assert_eq!(CookieOptions::default(), CookieOptions::new());
}

#[test]
fn expires_is_the_sealed_expiry_and_max_age_the_time_left_to_it() {
    let set = write(&driver(sealed_cookie(NAME)), "", STATE.to_owned()).unwrap();
    let opened = sealer(NAME)
        .open::<String>(value_of(&set[0]))
        .expect("the value opens");
    assert_eq!(opened.stamps.created(), T0);
    assert_eq!(opened.stamps.issued(), T0);
    assert_eq!(opened.stamps.expires(), 1_800_001_800);
    assert_eq!(opened.valid_until - opened.opened_at, 1800);
    assert!(
        set[0].contains("; Max-Age=1800; Expires=Fri, 15 Jan 2027 08:30:00 GMT;"),
        "{}",
        set[0]
    );
}

#[test]
fn signed_cookie_renders_format_vector_5_byte_for_byte() {
    // FORMAT.md vector 5: key 00..1f, cookie "prefs", purpose "ui", idle = absolute = 3600 s.
    let signer = signer_builder(&KeyRing::new(key_a()), &clock(), "prefs")
        .purpose("ui")
        .idle_timeout(Duration::from_secs(3600))
        .absolute_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let cookie = SessionCookie::signed(signer, CookieOptions::new()).unwrap();
    assert_eq!(
        write(&driver(cookie), "", "light".to_owned()).unwrap(),
        [
            "prefs=gYeAnEyApKfaBgCQHAVsaWdodO_0QyDOIeOuKMjbndGzGfxiW1ouKFVelGNcAldcqwgb; \
             Max-Age=3600; Expires=Fri, 15 Jan 2027 09:00:00 GMT; Path=/; Secure; HttpOnly; \
             SameSite=Lax"
        ]
    );
}

#[test]
fn path_option_sets_the_path_attribute() {
    expect_rendered(
        NAME,
        CookieOptions::new().path("/app"),
        &format!(
            "{}; Path=/app; Secure; HttpOnly; SameSite=Lax",
            default_expiry()
        ),
    );
}

#[test]
fn domain_option_adds_a_domain_attribute_before_the_path() {
    expect_rendered(
        NAME,
        CookieOptions::new().domain("example.com"),
        &format!(
            "{}; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax",
            default_expiry()
        ),
    );
}

#[test]
fn same_site_strict_is_rendered() {
    expect_rendered(
        NAME,
        CookieOptions::new().same_site(SameSite::Strict),
        &format!(
            "{}; Path=/; Secure; HttpOnly; SameSite=Strict",
            default_expiry()
        ),
    );
}

#[test]
fn same_site_none_with_secure_is_rendered() {
    expect_rendered(
        NAME,
        CookieOptions::new().same_site(SameSite::None),
        &format!(
            "{}; Path=/; Secure; HttpOnly; SameSite=None",
            default_expiry()
        ),
    );
}

#[test]
fn same_site_lax_can_be_set_explicitly() {
    expect_rendered(
        NAME,
        CookieOptions::new()
            .same_site(SameSite::Strict)
            .same_site(SameSite::Lax),
        &format!("{}{DEFAULT_TAIL}", default_expiry()),
    );
}

#[test]
fn http_only_false_drops_http_only() {
    expect_rendered(
        NAME,
        CookieOptions::new().http_only(false),
        &format!("{}; Path=/; Secure; SameSite=Lax", default_expiry()),
    );
}

#[test]
fn dangerous_omit_secure_drops_secure() {
    expect_rendered(
        NAME,
        CookieOptions::new().dangerous_omit_secure(true),
        &format!("{}; Path=/; HttpOnly; SameSite=Lax", default_expiry()),
    );
}

#[test]
fn browser_session_has_neither_max_age_nor_expires() {
    expect_rendered(
        NAME,
        CookieOptions::new().browser_session(true),
        DEFAULT_TAIL,
    );
}

#[test]
fn browser_session_cookie_still_expires_on_open() {
    let clock = clock();
    let sealer = builder(&ring(), &clock, NAME).build().unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new().browser_session(true)).unwrap();
    let driver = driver(cookie);
    let header = header_from(&write(&driver, "", STATE.to_owned()).unwrap());
    clock.set(T0 + 1800 + 60 + 1);
    assert_eq!(
        open::<String>(&driver, &header).unwrap_err(),
        Refusal::Cookie(CookieReadError::Open(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + 1800,
        }))
    );
}

#[test]
fn every_option_together_renders_in_a_fixed_order() {
    expect_rendered(
        NAME,
        CookieOptions::new()
            .domain("example.com")
            .path("/app")
            .same_site(SameSite::Strict)
            .http_only(false)
            .dangerous_omit_secure(true)
            .browser_session(true),
        "; Domain=example.com; Path=/app; SameSite=Strict",
    );
}

#[test]
fn cookie_exposes_its_name_and_options() {
    let options = CookieOptions::new()
        .path("/app")
        .same_site(SameSite::Strict);
    let cookie = SessionCookie::sealed(sealer(NAME), options.clone()).unwrap();
    assert_eq!(cookie.name(), NAME);
    assert_eq!(cookie.options(), &options);
}

// ---------------------------------------------------------------------------------------------
// Prefix rules (RFC 6265bis section 4.1.3)
// ---------------------------------------------------------------------------------------------

#[test]
fn host_prefix_with_defaults_is_accepted() {
    expect_rendered(
        "__Host-session",
        CookieOptions::new(),
        &format!("{}{DEFAULT_TAIL}", default_expiry()),
    );
}

#[test]
fn host_prefix_with_domain_is_refused() {
    assert_eq!(
        render("__Host-session", CookieOptions::new().domain("example.com")).unwrap_err(),
        ConfigError::HostPrefixWithDomain
    );
}

#[test]
fn host_prefix_with_a_path_other_than_root_is_refused() {
    assert_eq!(
        render("__Host-session", CookieOptions::new().path("/app")).unwrap_err(),
        ConfigError::HostPrefixWithPath
    );
}

#[test]
fn host_prefix_without_secure_is_refused() {
    assert_eq!(
        render(
            "__Host-session",
            CookieOptions::new().dangerous_omit_secure(true)
        )
        .unwrap_err(),
        ConfigError::HostPrefixWithoutSecure
    );
}

#[test]
fn secure_prefix_without_secure_is_refused() {
    assert_eq!(
        render(
            "__Secure-session",
            CookieOptions::new().dangerous_omit_secure(true)
        )
        .unwrap_err(),
        ConfigError::SecurePrefixWithoutSecure
    );
}

#[test]
fn secure_prefix_allows_domain_and_path() {
    expect_rendered(
        "__Secure-session",
        CookieOptions::new().domain("example.com").path("/app"),
        &format!(
            "{}; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Lax",
            default_expiry()
        ),
    );
}

#[test]
fn prefixes_match_case_insensitively() {
    let cases = [
        (
            "__host-x",
            CookieOptions::new().domain("example.com"),
            ConfigError::HostPrefixWithDomain,
        ),
        (
            "__HOST-x",
            CookieOptions::new().path("/app"),
            ConfigError::HostPrefixWithPath,
        ),
        (
            "__hOsT-x",
            CookieOptions::new().dangerous_omit_secure(true),
            ConfigError::HostPrefixWithoutSecure,
        ),
        (
            "__secure-x",
            CookieOptions::new().dangerous_omit_secure(true),
            ConfigError::SecurePrefixWithoutSecure,
        ),
        (
            "__SECURE-x",
            CookieOptions::new().dangerous_omit_secure(true),
            ConfigError::SecurePrefixWithoutSecure,
        ),
    ];
    for (name, options, expected) in cases {
        assert_eq!(options.validate(name), Err(expected.clone()), "{name}");
        assert_eq!(render(name, options).unwrap_err(), expected, "{name}");
    }
}

#[test]
fn names_that_only_resemble_a_prefix_have_no_prefix_rules() {
    let relaxed = CookieOptions::new()
        .domain("example.com")
        .path("/app")
        .dangerous_omit_secure(true);
    for name in [
        "_Host-x", "__Host", "__Hostx", "x__Host-", "__Secure", "Secure-x",
    ] {
        assert_eq!(relaxed.validate(name), Ok(()), "{name}");
    }
}

#[test]
fn host_prefix_checks_secure_before_domain_and_path() {
    let options = CookieOptions::new()
        .domain("example.com")
        .path("/app")
        .dangerous_omit_secure(true);
    assert_eq!(
        options.validate("__Host-x"),
        Err(ConfigError::HostPrefixWithoutSecure)
    );
    let options = CookieOptions::new().domain("example.com").path("/app");
    assert_eq!(
        options.validate("__Host-x"),
        Err(ConfigError::HostPrefixWithDomain)
    );
}

#[test]
fn same_site_none_without_secure_is_refused() {
    assert_eq!(
        render(
            NAME,
            CookieOptions::new()
                .same_site(SameSite::None)
                .dangerous_omit_secure(true)
        )
        .unwrap_err(),
        ConfigError::SameSiteNoneWithoutSecure
    );
}

#[test]
fn signed_cookies_obey_the_same_prefix_rules() {
    let signer = signer_builder(&ring(), &clock(), "__Host-prefs")
        .build()
        .unwrap();
    assert_eq!(
        SessionCookie::signed(signer, CookieOptions::new().path("/app")).unwrap_err(),
        ConfigError::HostPrefixWithPath
    );
}

// ---------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------

#[test]
fn path_of_exactly_1024_octets_is_accepted() {
    let path = format!("/{}", "a".repeat(MAX_ATTRIBUTE_LEN - 1));
    assert_eq!(MAX_ATTRIBUTE_LEN, 1024);
    assert_eq!(CookieOptions::new().path(&path).validate(NAME), Ok(()));
}

#[test]
fn path_over_1024_octets_is_too_long() {
    let path = format!("/{}", "a".repeat(MAX_ATTRIBUTE_LEN));
    assert_eq!(
        render(NAME, CookieOptions::new().path(&path)).unwrap_err(),
        ConfigError::AttributeTooLong {
            attribute: "Path",
            len: 1025,
            max: 1024
        }
    );
}

#[test]
fn domain_over_1024_octets_is_too_long() {
    let domain = "a".repeat(MAX_ATTRIBUTE_LEN + 1);
    assert_eq!(
        render(NAME, CookieOptions::new().domain(&domain)).unwrap_err(),
        ConfigError::AttributeTooLong {
            attribute: "Domain",
            len: 1025,
            max: 1024
        }
    );
    let domain = "a".repeat(MAX_ATTRIBUTE_LEN);
    assert_eq!(CookieOptions::new().domain(&domain).validate(NAME), Ok(()));
}

#[test]
fn path_with_a_semicolon_is_invalid() {
    // Otherwise "/; Domain=evil.example" would inject an attribute.
    assert_eq!(
        render(NAME, CookieOptions::new().path("/; Domain=evil.example")).unwrap_err(),
        ConfigError::InvalidAttribute { attribute: "Path" }
    );
}

#[test]
fn domain_with_a_semicolon_is_invalid() {
    assert_eq!(
        render(NAME, CookieOptions::new().domain("example.com; Secure")).unwrap_err(),
        ConfigError::InvalidAttribute {
            attribute: "Domain"
        }
    );
}

#[test]
fn path_with_any_control_character_is_invalid() {
    for b in (0u8..0x20).chain([0x7f]) {
        let path = format!("/a{}b", char::from(b));
        assert_eq!(
            CookieOptions::new().path(&path).validate(NAME),
            Err(ConfigError::InvalidAttribute { attribute: "Path" }),
            "byte {b:#04x}"
        );
    }
}

#[test]
fn domain_with_any_control_character_is_invalid() {
    for b in (0u8..0x20).chain([0x7f]) {
        let domain = format!("exa{}mple.com", char::from(b));
        assert_eq!(
            CookieOptions::new().domain(&domain).validate(NAME),
            Err(ConfigError::InvalidAttribute {
                attribute: "Domain"
            }),
            "byte {b:#04x}"
        );
    }
}

#[test]
fn header_injection_through_crlf_in_the_path_is_refused() {
    assert_eq!(
        render(NAME, CookieOptions::new().path("/\r\nSet-Cookie: admin=1")).unwrap_err(),
        ConfigError::InvalidAttribute { attribute: "Path" }
    );
}

#[test]
fn path_not_starting_with_a_slash_is_invalid() {
    for path in ["app", "", " /", "*"] {
        assert_eq!(
            CookieOptions::new().path(path).validate(NAME),
            Err(ConfigError::InvalidAttribute { attribute: "Path" }),
            "{path:?}"
        );
    }
}

#[test]
fn empty_domain_is_invalid() {
    assert_eq!(
        render(NAME, CookieOptions::new().domain("")).unwrap_err(),
        ConfigError::InvalidAttribute {
            attribute: "Domain"
        }
    );
}

#[test]
fn over_long_attribute_is_reported_before_its_characters() {
    let path = format!("/{};", "a".repeat(MAX_ATTRIBUTE_LEN));
    assert!(matches!(
        CookieOptions::new().path(&path).validate(NAME),
        Err(ConfigError::AttributeTooLong {
            attribute: "Path",
            len: 1026,
            ..
        })
    ));
}

#[test]
fn attribute_values_outside_visible_ascii_are_invalid() {
    for path in ["/caf\u{e9}", "/a\u{85}b", "/\u{2028}"] {
        assert_eq!(
            CookieOptions::new().path(path).validate(NAME),
            Err(ConfigError::InvalidAttribute { attribute: "Path" }),
            "{path:?}"
        );
    }
    assert_eq!(
        CookieOptions::new()
            .domain("b\u{fc}cher.example")
            .validate(NAME),
        Err(ConfigError::InvalidAttribute {
            attribute: "Domain"
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Removal
// ---------------------------------------------------------------------------------------------

/// The `Set-Cookie` lines of a request with the `Cookie` header `header` whose handler logs out.
fn logout<T>(driver: &Driver, header: &str) -> Vec<String>
where
    T: Serialize + DeserializeOwned,
{
    request::<T>(driver, header, |session| session.clear()).set_cookies()
}

/// The `Cookie` header of a new session holding [`STATE`], written through `driver`.
fn session_header(driver: &Driver) -> String {
    header_from(&write(driver, "", STATE.to_owned()).expect("a small session is written"))
}

#[test]
fn removal_cookie_is_empty_with_max_age_zero_and_the_epoch() {
    let driver = driver(sealed_cookie(NAME));
    let header = session_header(&driver);
    assert_eq!(logout::<String>(&driver, &header), [REMOVAL]);
}

#[test]
fn removal_cookie_carries_domain_path_and_flags_over() {
    let options = CookieOptions::new()
        .domain("example.com")
        .path("/app")
        .same_site(SameSite::Strict)
        .http_only(false);
    let driver = driver(SessionCookie::sealed(sealer(NAME), options).unwrap());
    let header = session_header(&driver);
    assert_eq!(
        logout::<String>(&driver, &header),
        [
            "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; SameSite=Strict"
        ]
    );
}

#[test]
fn removal_of_a_browser_session_cookie_still_carries_max_age_zero() {
    let cookie =
        SessionCookie::sealed(sealer(NAME), CookieOptions::new().browser_session(true)).unwrap();
    let driver = driver(cookie);
    let header = session_header(&driver);
    assert_eq!(logout::<String>(&driver, &header), [REMOVAL]);
}

#[test]
fn removal_of_a_three_chunk_session_clears_every_chunk_name() {
    let driver = driver(sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3)));
    let header = chunked_header(&driver, 7000, 3);
    assert_eq!(
        logout::<ByteBuf>(&driver, &header),
        [
            REMOVAL,
            "session.1=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
            "session.2=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
        ]
    );
}

#[test]
fn removal_clears_only_the_chunk_names_the_request_carried() {
    // Chunking allows three cookies, but the session is one: no chunk name to delete.
    let driver = driver(sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3)));
    let header = session_header(&driver);
    assert_eq!(logout::<String>(&driver, &header), [REMOVAL]);
}

#[test]
fn removal_with_max_chunks_keeps_the_prefix_in_every_name() {
    let driver = driver(sealed_cookie_with(
        "__Host-s",
        CookieOptions::new().max_chunks(2),
    ));
    let header = chunked_header(&driver, 4000, 2);
    let set = logout::<ByteBuf>(&driver, &header);
    assert!(set.iter().all(|c| is_removal(c)), "{set:?}");
    assert_eq!(names(&set), ["__Host-s", "__Host-s.1"]);
}

#[test]
fn small_new_session_with_chunking_enabled_is_one_cookie_and_no_removals() {
    // A request without cookies carried no chunk names: there is nothing to delete.
    let driver = driver(sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3)));
    let set = write(&driver, "", STATE.to_owned()).unwrap();
    let value = value_of(&set[0]);
    assert_eq!(
        set,
        [format!("session={value}{}{DEFAULT_TAIL}", default_expiry())]
    );
    assert!(!value.contains('.'), "an unchunked value has no k. marker");
}

#[test]
fn small_session_is_one_cookie_and_removals_of_the_chunk_names_the_request_carried() {
    // A stray last chunk of an earlier, larger session: the request's cookie is refused (chunk
    // 0 missing), and the new session deletes that chunk, and no chunk name it did not send.
    let driver = driver(sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3)));
    let set = write(&driver, "theme=dark; session.2=stale", STATE.to_owned()).unwrap();
    let value = value_of(&set[0]);
    assert_eq!(
        set,
        [
            format!("session={value}{}{DEFAULT_TAIL}", default_expiry()),
            format!("session.2=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{DEFAULT_TAIL}"),
        ]
    );
    assert!(!value.contains('.'), "an unchunked value has no k. marker");
}

#[test]
fn max_chunks_must_be_between_1_and_8() {
    assert_eq!(MAX_CHUNKS, 8);
    for k in [0, 9] {
        let options = CookieOptions::new().max_chunks(k);
        assert_eq!(
            options.validate(NAME),
            Err(ConfigError::InvalidChunkCount { max: k })
        );
        assert_eq!(
            SessionCookie::sealed(sealer(NAME), options).unwrap_err(),
            ConfigError::InvalidChunkCount { max: k }
        );
    }
    for k in 1..=MAX_CHUNKS {
        let options = CookieOptions::new().max_chunks(k);
        assert_eq!(options.validate(NAME), Ok(()), "{k}");
        let cookie = SessionCookie::sealed(sealer(NAME), options);
        assert!(cookie.is_ok(), "{k}: {cookie:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Renewal
// ---------------------------------------------------------------------------------------------

/// A driver of a default sealed cookie on `clock`, its sealer (to read the stamps of the values
/// it writes), and the `Cookie` header of a new session holding [`STATE`] from it.
fn session_on(clock: &ManualClock) -> (Driver, Sealer, String) {
    let sealer = builder(&ring(), clock, NAME).build().unwrap();
    let driver = driver(SessionCookie::sealed(sealer.clone(), CookieOptions::new()).unwrap());
    let header = session_header(&driver);
    (driver, sealer, header)
}

/// The stamps of the value a `Set-Cookie` line writes.
fn stamps_of(sealer: &Sealer, set_cookie: &str) -> Stamps {
    sealer
        .open::<String>(value_of(set_cookie))
        .expect("the value opens")
        .stamps
}

#[test]
fn renewal_keeps_created_and_restarts_the_idle_timeout() {
    let clock = clock();
    let (driver, sealer, header) = session_on(&clock);
    clock.set(T0 + 600);
    // The request carries the session; its handler sets the state again.
    let set = write(&driver, &header, STATE.to_owned()).unwrap();
    let value = value_of(&set[0]);
    // T0 + 600 + 1800 = 1_800_002_400.
    assert_eq!(
        set,
        [format!(
            "session={value}; Max-Age=1800; Expires=Fri, 15 Jan 2027 08:40:00 GMT{DEFAULT_TAIL}"
        )]
    );
    let stamps = stamps_of(&sealer, &set[0]);
    assert_eq!(stamps.created(), T0);
    assert_eq!(stamps.issued(), T0 + 600);
    assert_eq!(stamps.expires(), T0 + 2400);
}

/// Renews the session every 1500 s (within its 1800 s idle timeout) until `until`, as an active
/// user's requests would, and returns the `Cookie` header they leave.
fn keep_alive(driver: &Driver, clock: &ManualClock, mut header: String, until: u64) -> String {
    while clock.now_unix() + 1500 <= until {
        clock.advance(Duration::from_secs(1500));
        header = header_from(&write(driver, &header, STATE.to_owned()).unwrap());
    }
    clock.set(until);
    header
}

#[test]
fn renewal_near_the_absolute_end_caps_max_age_and_expires_at_it() {
    let clock = clock();
    let (driver, _, header) = session_on(&clock);
    // Default absolute lifetime: 8 h, ending at T0 + 28_800 = Fri, 15 Jan 2027 16:00:00 GMT.
    let header = keep_alive(&driver, &clock, header, T0 + 28_800 - 600);
    let set = write(&driver, &header, STATE.to_owned()).unwrap();
    let value = value_of(&set[0]);
    assert_eq!(
        set,
        [format!(
            "session={value}; Max-Age=600; Expires=Fri, 15 Jan 2027 16:00:00 GMT{DEFAULT_TAIL}"
        )]
    );
}

#[test]
fn renewal_at_the_absolute_end_is_refused() {
    let clock = clock();
    let (driver, _, header) = session_on(&clock);
    let header = keep_alive(&driver, &clock, header, T0 + 28_800);
    // Within its leeway the cookie still opens, but it cannot be renewed past its end.
    assert_eq!(
        write(&driver, &header, STATE.to_owned()).unwrap_err(),
        WriteError::Seal(SealError::Expired {
            expired_at: T0 + 28_800
        })
    );
}

#[test]
fn renewal_after_the_idle_timeout_is_refused() {
    let clock = clock();
    let (driver, _, header) = session_on(&clock);
    // The request opens the session just before its idle timeout (1800 s) ends...
    clock.set(T0 + 1799);
    let session = begin_loaded::<String>(&driver, &header);
    assert_eq!(session.get().as_deref(), Some(STATE));
    // ...and its handler sets the state once the timeout and its 60 s of leeway have passed.
    clock.set(T0 + 1861);
    assert_eq!(
        session.replace(STATE.to_owned()).unwrap_err(),
        WriteError::Seal(SealError::Expired {
            expired_at: T0 + 1800
        })
    );
}

#[test]
fn state_set_after_the_idle_timeout_starts_a_new_session() {
    let clock = clock();
    let (driver, sealer, header) = session_on(&clock);
    // Idle timeout 1800 s plus 60 s of leeway: the request's cookie no longer opens.
    clock.set(T0 + 1861);
    let set = write(&driver, &header, STATE.to_owned()).unwrap();
    assert_eq!(set.len(), 1, "{set:?}");
    let stamps = stamps_of(&sealer, &set[0]);
    assert_eq!(stamps.created(), T0 + 1861, "not the expired session's T0");
    assert_eq!(stamps.issued(), T0 + 1861);
}

/// Renders a new session for a sealer whose idle and absolute lifetimes are both `lifetime`,
/// reporting a panic as `Err`.
fn render_with_lifetime(
    lifetime: Duration,
) -> std::thread::Result<Result<Vec<String>, WriteError>> {
    let sealer = builder(&ring(), &clock(), NAME)
        .idle_timeout(lifetime)
        .absolute_lifetime(lifetime)
        .build()
        .expect("the builder accepts this lifetime");
    let driver = driver(SessionCookie::sealed(sealer, CookieOptions::new()).unwrap());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write(&driver, "", STATE.to_owned())
    }))
}

#[test]
fn max_age_and_expires_are_capped_at_400_days_as_browsers_do() {
    // RFC 6265bis section 5.5: browsers keep a cookie at most 400 days; the sealed expiry
    // inside the value is still what opening enforces.
    let set = render_with_lifetime(Duration::from_secs(10 * 365 * 24 * 3600))
        .expect("no panic")
        .unwrap();
    assert!(
        set[0].contains("; Max-Age=34560000; Expires=Sat, 19 Feb 2028 08:00:00 GMT;"),
        "{}",
        set[0]
    );
}

#[test]
fn lifetime_ending_after_year_9999_renders_without_panicking() {
    let rendered = render_with_lifetime(Duration::from_secs(253_402_300_800 - T0));
    assert!(rendered.is_ok(), "writing the cookie panicked");
}

#[test]
fn unbounded_lifetime_renders_without_panicking() {
    let rendered = render_with_lifetime(Duration::from_secs(u64::MAX));
    let set = rendered.expect("no panic").unwrap();
    assert!(set[0].contains("; Max-Age=34560000;"), "{}", set[0]);
}

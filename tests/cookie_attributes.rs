//! `Set-Cookie` rendering: secure defaults, each option, the prefix and attribute rules, removal
//! cookies and renewal. Every string is checked exactly; the clock is fixed at T0 so `Max-Age` and
//! `Expires` are deterministic (dates checked with Python's `email.utils.formatdate`).

mod common;

use std::time::Duration;

use common::cookie::{
    DEFAULT_TAIL, NAME, T0, T0_PLUS_IDLE_HTTP_DATE, builder, clock, header_from, key_a, ring,
    sealed_cookie, sealed_cookie_with, sealer, signer_builder, value_of,
};
use sealed_session::{
    Clock, ConfigError, CookieOptions, CookieReadError, CookieWriteError, KeyRing,
    MAX_ATTRIBUTE_LEN, MAX_CHUNKS, ManualClock, SameSite, SealError, SessionCookie,
};

const STATE: &str = "alice";

/// The single `Set-Cookie` of a new session holding [`STATE`], for cookie `name` with `options`.
fn render(name: &str, options: CookieOptions) -> Result<String, ConfigError> {
    let cookie = SessionCookie::sealed(sealer(name), options)?;
    let mut set = cookie
        .set_cookies(STATE)
        .expect("a small session is written");
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
    let cookie = sealed_cookie(NAME);
    let set = cookie.set_cookies(STATE).unwrap();
    let opened = cookie
        .open::<String>(&header_from(&set))
        .unwrap()
        .expect("the session");
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
        cookie.set_cookies("light").unwrap(),
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
    let header = header_from(&cookie.set_cookies(STATE).unwrap());
    clock.set(T0 + 1800 + 60 + 1);
    assert_eq!(
        cookie.open::<String>(&header).unwrap_err(),
        CookieReadError::Open(sealed_session::OpenError::Expired {
            lifetime: sealed_session::Lifetime::Idle,
            expired_at: T0 + 1800,
        })
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

#[test]
fn removal_cookie_is_empty_with_max_age_zero_and_the_epoch() {
    assert_eq!(
        sealed_cookie(NAME).removal_cookies(),
        [
            "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
        ]
    );
}

#[test]
fn removal_cookie_carries_domain_path_and_flags_over() {
    let options = CookieOptions::new()
        .domain("example.com")
        .path("/app")
        .same_site(SameSite::Strict)
        .http_only(false);
    let cookie = SessionCookie::sealed(sealer(NAME), options).unwrap();
    assert_eq!(
        cookie.removal_cookies(),
        [
            "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; SameSite=Strict"
        ]
    );
}

#[test]
fn removal_of_a_browser_session_cookie_still_carries_max_age_zero() {
    let cookie =
        SessionCookie::sealed(sealer(NAME), CookieOptions::new().browser_session(true)).unwrap();
    assert_eq!(
        cookie.removal_cookies(),
        [
            "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
        ]
    );
}

#[test]
fn removal_with_three_chunks_clears_every_chunk_name() {
    let cookie = sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3));
    assert_eq!(
        cookie.removal_cookies(),
        [
            "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
            "session.1=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
            "session.2=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
        ]
    );
}

#[test]
fn removal_with_max_chunks_keeps_the_prefix_in_every_name() {
    let cookie = sealed_cookie_with("__Host-s", CookieOptions::new().max_chunks(2));
    let names: Vec<_> = cookie
        .removal_cookies()
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["__Host-s", "__Host-s.1"]);
}

#[test]
fn small_session_with_chunking_enabled_is_one_cookie_and_removals_of_the_others() {
    let cookie = sealed_cookie_with(NAME, CookieOptions::new().max_chunks(3));
    let set = cookie.set_cookies(STATE).unwrap();
    let value = value_of(&set[0]);
    assert_eq!(
        set,
        [
            format!("session={value}{}{DEFAULT_TAIL}", default_expiry()),
            format!("session.1=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{DEFAULT_TAIL}"),
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
        assert_eq!(
            sealed_cookie_with(NAME, CookieOptions::new().max_chunks(k))
                .removal_cookies()
                .len(),
            k
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Renewal
// ---------------------------------------------------------------------------------------------

/// A default sealed cookie on `clock`, and a fresh session's stamps from it.
fn session_on(clock: &ManualClock) -> (SessionCookie, sealed_session::Envelope) {
    let sealer = builder(&ring(), clock, NAME).build().unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    let set = cookie.set_cookies(STATE).unwrap();
    let opened = cookie
        .open::<String>(&header_from(&set))
        .unwrap()
        .expect("the session");
    (cookie, opened.envelope())
}

#[test]
fn renew_cookies_keeps_created_and_restarts_the_idle_timeout() {
    let clock = clock();
    let (cookie, stamps) = session_on(&clock);
    clock.set(T0 + 600);
    let set = cookie.renew_cookies(STATE, &stamps).unwrap();
    let value = value_of(&set[0]);
    // T0 + 600 + 1800 = 1_800_002_400.
    assert_eq!(
        set,
        [format!(
            "session={value}; Max-Age=1800; Expires=Fri, 15 Jan 2027 08:40:00 GMT{DEFAULT_TAIL}"
        )]
    );
    let opened = cookie
        .open::<String>(&header_from(&set))
        .unwrap()
        .expect("the session");
    assert_eq!(opened.stamps.created(), T0);
    assert_eq!(opened.stamps.issued(), T0 + 600);
    assert_eq!(opened.stamps.expires(), T0 + 2400);
}

/// Renews the session every 1500 s (within its 1800 s idle timeout) until `until`, as an active
/// user's requests would, and returns the last stamps.
fn keep_alive(
    cookie: &SessionCookie,
    clock: &ManualClock,
    mut stamps: sealed_session::Envelope,
    until: u64,
) -> sealed_session::Envelope {
    while clock.now_unix() + 1500 <= until {
        clock.advance(Duration::from_secs(1500));
        let set = cookie.renew_cookies(STATE, &stamps).unwrap();
        stamps = cookie
            .open::<String>(&header_from(&set))
            .unwrap()
            .expect("the session")
            .envelope();
    }
    clock.set(until);
    stamps
}

#[test]
fn renewal_near_the_absolute_end_caps_max_age_and_expires_at_it() {
    let clock = clock();
    let (cookie, stamps) = session_on(&clock);
    // Default absolute lifetime: 8 h, ending at T0 + 28_800 = Fri, 15 Jan 2027 16:00:00 GMT.
    let stamps = keep_alive(&cookie, &clock, stamps, T0 + 28_800 - 600);
    let set = cookie.renew_cookies(STATE, &stamps).unwrap();
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
    let (cookie, stamps) = session_on(&clock);
    let stamps = keep_alive(&cookie, &clock, stamps, T0 + 28_800);
    assert_eq!(
        cookie.renew_cookies(STATE, &stamps).unwrap_err(),
        CookieWriteError::Seal(SealError::Expired {
            expired_at: T0 + 28_800
        })
    );
}

#[test]
fn renewal_after_the_idle_timeout_is_refused() {
    let clock = clock();
    let (cookie, stamps) = session_on(&clock);
    // Idle timeout 1800 s plus 60 s of leeway.
    clock.set(T0 + 1861);
    assert_eq!(
        cookie.renew_cookies(STATE, &stamps).unwrap_err(),
        CookieWriteError::Seal(SealError::Expired {
            expired_at: T0 + 1800
        })
    );
}

/// Renders a new session for a sealer whose idle and absolute lifetimes are both `lifetime`,
/// reporting a panic as `Err`.
fn render_with_lifetime(
    lifetime: Duration,
) -> std::thread::Result<Result<Vec<String>, CookieWriteError>> {
    let sealer = builder(&ring(), &clock(), NAME)
        .idle_timeout(lifetime)
        .absolute_lifetime(lifetime)
        .build()
        .expect("the builder accepts this lifetime");
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cookie.set_cookies(STATE)))
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
    assert!(rendered.is_ok(), "set_cookies panicked");
}

#[test]
fn unbounded_lifetime_renders_without_panicking() {
    let rendered = render_with_lifetime(Duration::from_secs(u64::MAX));
    let set = rendered.expect("no panic").unwrap();
    assert!(set[0].contains("; Max-Age=34560000;"), "{}", set[0]);
}

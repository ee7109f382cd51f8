//! The builder refuses a configuration that could not work, and its defaults are the documented
//! constants.

mod common;

use std::time::Duration;

use common::sealer::{NAME, T0, secs};
use sealed_session::{
    BROWSER_COOKIE_LIMIT, ConfigError, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LEEWAY, DEFAULT_PURPOSE, Key, KeyRing, Lifetime, MAX_PURPOSE_LEN, ManualClock,
    OpenError, RenewalReason, SealError, Sealer, SealerBuilder,
};

fn builder(name: &str) -> SealerBuilder {
    Sealer::builder(KeyRing::new(Key::generate().unwrap()), name)
}

#[test]
fn the_default_constants_are_as_documented() {
    assert_eq!(DEFAULT_IDLE_TIMEOUT, Duration::from_secs(30 * 60));
    assert_eq!(DEFAULT_ABSOLUTE_LIFETIME, Duration::from_secs(8 * 3600));
    assert_eq!(DEFAULT_LEEWAY, Duration::from_secs(60));
    assert_eq!(DEFAULT_PURPOSE, "session");
    assert_eq!(BROWSER_COOKIE_LIMIT, 4096);
    assert_eq!(MAX_PURPOSE_LEN, 255);
}

#[test]
fn a_ring_built_in_code_bounds_no_lifetime() {
    let ring = KeyRing::new(Key::generate().unwrap());
    assert_eq!(ring.max_session_lifetime(), None);
    let ten_years = Duration::from_secs(3650 * 86_400);
    Sealer::builder(ring, NAME)
        .idle_timeout(ten_years)
        .absolute_lifetime(ten_years)
        .build()
        .unwrap();
}

#[test]
fn an_empty_cookie_name_is_refused() {
    assert_eq!(
        builder("").build().unwrap_err(),
        ConfigError::InvalidCookieName
    );
}

#[test]
fn cookie_names_with_separators_are_refused() {
    for c in [
        ' ', '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}',
    ] {
        for name in [
            format!("a{c}b"),
            format!("{c}session"),
            format!("session{c}"),
        ] {
            assert_eq!(
                builder(&name).build().unwrap_err(),
                ConfigError::InvalidCookieName,
                "{name:?}"
            );
        }
    }
}

#[test]
fn cookie_names_with_control_characters_are_refused() {
    for b in (0u8..0x20).chain([0x7f]) {
        let name = format!("a{}b", b as char);
        assert_eq!(
            builder(&name).build().unwrap_err(),
            ConfigError::InvalidCookieName,
            "byte {b:#04x}"
        );
    }
}

#[test]
fn non_ascii_cookie_names_are_refused() {
    for name in [
        "séssion",
        "セッション",
        "session\u{a0}",
        "\u{feff}session",
        "🍪",
    ] {
        assert_eq!(
            builder(name).build().unwrap_err(),
            ConfigError::InvalidCookieName,
            "{name:?}"
        );
    }
}

#[test]
fn every_rfc_6265_token_character_is_accepted_in_a_cookie_name() {
    let token_chars =
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let sealer = builder(token_chars).build().unwrap();
    assert_eq!(sealer.cookie_name(), token_chars);
    for name in ["a", "__Host-session", "__Secure-id", "SID", "x.y-z_1"] {
        assert_eq!(builder(name).build().unwrap().cookie_name(), name);
    }
}

#[test]
fn a_purpose_longer_than_255_bytes_is_refused() {
    for len in [256, 300, 10_000] {
        assert_eq!(
            builder(NAME).purpose(&"p".repeat(len)).build().unwrap_err(),
            ConfigError::PurposeTooLong { len, max: 255 }
        );
    }
}

#[test]
fn the_purpose_limit_counts_bytes_not_characters() {
    let purpose = "é".repeat(128); // 128 characters, 256 bytes
    assert_eq!(
        builder(NAME).purpose(&purpose).build().unwrap_err(),
        ConfigError::PurposeTooLong { len: 256, max: 255 }
    );
}

#[test]
fn a_purpose_of_255_bytes_or_empty_is_accepted() {
    let long = "p".repeat(255);
    assert_eq!(
        builder(NAME).purpose(&long).build().unwrap().purpose(),
        long
    );
    assert_eq!(builder(NAME).purpose("").build().unwrap().purpose(), "");
}

#[test]
fn a_zero_idle_timeout_is_refused() {
    assert_eq!(
        builder(NAME)
            .idle_timeout(Duration::ZERO)
            .build()
            .unwrap_err(),
        ConfigError::InvalidLifetimes
    );
}

#[test]
fn a_zero_absolute_lifetime_is_refused() {
    assert_eq!(
        builder(NAME)
            .idle_timeout(Duration::ZERO)
            .absolute_lifetime(Duration::ZERO)
            .build()
            .unwrap_err(),
        ConfigError::InvalidLifetimes
    );
    assert_eq!(
        builder(NAME)
            .absolute_lifetime(Duration::ZERO)
            .build()
            .unwrap_err(),
        ConfigError::InvalidLifetimes
    );
}

#[test]
fn durations_that_are_not_whole_seconds_are_refused_by_name() {
    // Stamps count whole seconds: truncating 999 ms to zero (or 300.5 s to 300) would change the
    // setting silently, so the builder names the setting instead.
    assert_eq!(
        builder(NAME)
            .idle_timeout(Duration::from_millis(999))
            .build()
            .unwrap_err(),
        ConfigError::NotWholeSeconds {
            setting: "idle_timeout",
            duration: Duration::from_millis(999)
        }
    );
    let leeway = Duration::from_millis(300_500);
    let err = builder(NAME).leeway(leeway).build().unwrap_err();
    assert_eq!(
        err,
        ConfigError::NotWholeSeconds {
            setting: "leeway",
            duration: leeway
        }
    );
    assert_eq!(
        err.to_string(),
        "leeway of 300.5s is not a whole number of seconds"
    );
    for (setting, b) in [
        (
            "absolute_lifetime",
            builder(NAME).absolute_lifetime(Duration::from_millis(28_800_001)),
        ),
        (
            "renew_after",
            builder(NAME).renew_after(Duration::from_nanos(1)),
        ),
    ] {
        assert!(
            matches!(b.build(), Err(ConfigError::NotWholeSeconds { setting: s, .. }) if s == setting),
            "{setting}"
        );
    }
}

#[test]
fn an_idle_timeout_longer_than_the_absolute_lifetime_is_refused() {
    assert_eq!(
        builder(NAME)
            .idle_timeout(secs(3601))
            .absolute_lifetime(secs(3600))
            .build()
            .unwrap_err(),
        ConfigError::InvalidLifetimes
    );
    // The default absolute lifetime is 8 hours: a 9-hour idle timeout alone is refused.
    assert_eq!(
        builder(NAME)
            .idle_timeout(secs(9 * 3600))
            .build()
            .unwrap_err(),
        ConfigError::InvalidLifetimes
    );
}

#[test]
fn an_idle_timeout_equal_to_the_absolute_lifetime_is_accepted() {
    assert!(
        builder(NAME)
            .idle_timeout(secs(3600))
            .absolute_lifetime(secs(3600))
            .build()
            .is_ok()
    );
}

#[test]
fn a_default_sealer_reports_its_settings() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let sealer = Sealer::builder(ring.clone(), NAME).build().unwrap();
    assert_eq!(sealer.cookie_name(), NAME);
    assert_eq!(sealer.purpose(), DEFAULT_PURPOSE);
    assert_eq!(sealer.size_limit(), BROWSER_COOKIE_LIMIT);
    assert_eq!(
        sealer.max_value_len(),
        BROWSER_COOKIE_LIMIT - NAME.len() - 1
    );
    assert_eq!(sealer.key_ring().primary_id(), ring.primary_id());
}

#[test]
fn a_default_sealer_reads_the_system_clock() {
    let sealer = builder(NAME).build().unwrap();
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(sealer.now().abs_diff(system) <= 5);
    let sealed = sealer.seal(&1u8).unwrap();
    assert!(sealed.stamps().issued().abs_diff(system) <= 5);
}

#[test]
fn the_default_idle_timeout_and_leeway_apply() {
    let f = common::sealer::fixture();
    let sealed = f.sealer.seal(&1u8).unwrap();
    assert_eq!(sealed.max_age(), DEFAULT_IDLE_TIMEOUT);
    let idle = DEFAULT_IDLE_TIMEOUT.as_secs();
    let leeway = DEFAULT_LEEWAY.as_secs();
    f.clock.set(T0 + idle + leeway);
    assert!(f.sealer.open::<u8>(sealed.value()).is_ok());
    f.clock.set(T0 + idle + leeway + 1);
    assert_eq!(
        f.sealer.open::<u8>(sealed.value()).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + idle
        }
    );
}

#[test]
fn the_default_absolute_lifetime_applies() {
    let f = common::sealer::fixture();
    let sealed = f.sealer.seal(&1u8).unwrap();
    let absolute = DEFAULT_ABSOLUTE_LIFETIME.as_secs();
    let step = DEFAULT_IDLE_TIMEOUT.as_secs() / 2;
    let last =
        common::sealer::renewed_at(&f.sealer, &f.clock, &1u8, &sealed, step, T0 + absolute - 1);
    assert_eq!(last.stamps().expires(), T0 + absolute);
    f.clock.set(T0 + absolute);
    assert_eq!(
        f.sealer.renew(&1u8, last.envelope()).unwrap_err(),
        SealError::Expired {
            expired_at: T0 + absolute
        }
    );
}

#[test]
fn the_default_renewal_is_due_after_a_tenth_of_the_idle_timeout() {
    let f = common::sealer::fixture();
    let sealed = f.sealer.seal(&1u8).unwrap();
    let tenth = DEFAULT_IDLE_TIMEOUT.as_secs() / 10;
    f.clock.set(T0 + tenth - 1);
    assert_eq!(f.sealer.open::<u8>(sealed.value()).unwrap().renewal, None);
    f.clock.set(T0 + tenth);
    assert_eq!(
        f.sealer.open::<u8>(sealed.value()).unwrap().renewal,
        Some(RenewalReason::Due)
    );
}

#[test]
fn a_sealer_and_its_clones_share_the_clock() {
    let clock = ManualClock::new(T0);
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .clock(clock.clone())
        .build()
        .unwrap();
    let clone = sealer.clone();
    clock.advance(secs(42));
    assert_eq!(sealer.now(), T0 + 42);
    assert_eq!(clone.now(), T0 + 42);
}

#[test]
fn debug_of_a_builder_and_a_sealer_names_the_cookie_and_purpose() {
    let b = builder(NAME).purpose("login");
    let shown = format!("{b:?}");
    assert!(shown.contains(NAME) && shown.contains("login"), "{shown}");
    let sealer = b.build().unwrap();
    let shown = format!("{sealer:?}");
    assert!(shown.contains(NAME) && shown.contains("login"), "{shown}");
}

#[test]
fn the_least_size_limit_holds_an_empty_payload_with_the_longest_stamps() {
    // FORMAT.md, "Size rule": floor(3 (limit - 8) / 4) >= 33 + 5 + 3 + 2 for cookie "session",
    // the default lifetimes and a clock in 2027: limit 66. Vector 1's chunk_limit (48) is below.
    for limit in [48, 65] {
        assert_eq!(
            builder(NAME).size_limit(limit).build().unwrap_err(),
            ConfigError::InvalidSizeLimit { limit },
            "{limit}"
        );
    }
    let sealer = builder(NAME).size_limit(66).build().unwrap();
    assert_eq!(sealer.max_payload_len(), 0);
    let sealed = sealer.seal(&()).unwrap();
    assert!(NAME.len() + 1 + sealed.value().len() <= 66);
}

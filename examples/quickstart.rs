//! Quickstart: a session cookie from login to expiry. Set it, read it back, rotate keys, and watch
//! a tampered, an expired and an oversized session be refused. Run with
//! `cargo run --example quickstart`.

use std::time::Duration;

use sealed_session::{
    CookieOptions, CookieReadError, CookieWriteError, Key, KeyRing, ManualClock, OpenError,
    SealError, Sealer, SessionCookie, Subject,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Session {
    user_id: u64,
    name: String,
    roles: Vec<String>,
}

/// The `Cookie` request header a browser sends back for these `Set-Cookie` lines.
fn cookie_header(set_cookie: &[String]) -> String {
    let pairs: Vec<&str> = set_cookie
        .iter()
        .filter(|line| !line.contains("Max-Age=0"))
        .filter_map(|line| line.split(';').next())
        .collect();
    pairs.join("; ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A clock we can move, so the example can show expiry without waiting 30 minutes.
    // In production leave the default system clock.
    let clock = ManualClock::new(1_800_000_000);

    // 1. Keys. In production: Key::from_base64(&secret_from_your_vault).
    let first = Key::generate()?;
    let ring = KeyRing::new(first.clone());
    println!("key ring: primary {}", ring.primary_id());

    // 2. A sealer for one cookie and one purpose, and the cookie around it.
    let sealer = Sealer::builder(ring.clone(), "__Host-session")
        .purpose("login")
        .idle_timeout(Duration::from_secs(30 * 60))
        .absolute_lifetime(Duration::from_secs(8 * 3600))
        .session_ids(true)
        .clock(clock.clone())
        .build()?;
    println!(
        "largest payload that fits one cookie: {} bytes",
        sealer.max_payload_len()
    );
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new())?;

    // 3. Login: a new session for this user.
    let session = Session {
        user_id: 42,
        name: "Alice".into(),
        roles: vec!["admin".into(), "billing".into()],
    };
    let alice = Subject::new("user-42")?;
    let set_cookie = cookie.set_cookies_for(&alice, &session)?;
    for line in &set_cookie {
        println!("Set-Cookie: {line}");
    }
    let request = cookie_header(&set_cookie);
    println!("cookie size: {} octets (limit 4096)", request.len());

    // 4. The next request: open it.
    let opened = cookie
        .open::<Session>(&request)?
        .ok_or("the session cookie is there")?;
    assert_eq!(opened.state, session);
    println!(
        "opened: user {} ({}), subject {:?}, session id {}, needs renewal: {}",
        opened.state.user_id,
        opened.state.name,
        opened.subject.and_then(|s| s.as_str().map(str::to_owned)),
        opened.session_id.ok_or("a session id")?,
        opened.needs_renewal()
    );

    // 5. Rotate: a new primary seals, the old key still opens old cookies.
    ring.rotate(Key::generate()?)?;
    let old = cookie
        .open::<Session>(&request)?
        .ok_or("the session cookie is there")?;
    println!(
        "after rotation to {}: old cookie still opens, renewal: {:?}",
        ring.primary_id(),
        old.renewal
    );
    let renewed = cookie.renew_cookies(&old.state, &old.envelope())?;
    let renewed_request = cookie_header(&renewed);
    let fresh = cookie
        .open::<Session>(&renewed_request)?
        .ok_or("the renewed cookie is there")?;
    assert!(!fresh.needs_renewal());
    assert_eq!(
        fresh.session_id, old.session_id,
        "renewal keeps the session id"
    );
    ring.retire(first.id())?;
    match cookie.open::<Session>(&request) {
        Err(e @ CookieReadError::Open(OpenError::UnknownKey(_))) => {
            println!("after retiring the old key: refused: {e}")
        }
        other => return Err(format!("old key should be gone, got {other:?}").into()),
    }

    // 6. A tampered cookie is refused.
    let mut tampered = renewed_request.clone().into_bytes();
    let last = tampered.len() - 10;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    match cookie.open::<Session>(&tampered) {
        Err(e @ CookieReadError::Open(OpenError::Authentication)) => {
            println!("tampered cookie: refused: {e}")
        }
        other => return Err(format!("tampering should be caught, got {other:?}").into()),
    }

    // 7. An idle session expires, even though the browser still sends the cookie.
    clock.advance(Duration::from_secs(31 * 60 + 61));
    match cookie.open::<Session>(&renewed_request) {
        Err(e @ CookieReadError::Open(OpenError::Expired { .. })) => {
            println!("31 minutes idle: refused: {e}")
        }
        other => return Err(format!("idle session should expire, got {other:?}").into()),
    }

    // 8. A session too large for a cookie is refused before any cookie is emitted.
    let huge = Session {
        roles: vec!["x".repeat(5000)],
        ..session
    };
    match cookie.set_cookies(&huge) {
        Err(e @ CookieWriteError::Seal(SealError::TooLarge { .. })) => {
            println!("5 KB session: refused: {e}")
        }
        other => return Err(format!("a 5 KB session cannot fit a cookie, got {other:?}").into()),
    }

    // 9. Logout: the removal cookie.
    println!("logout: Set-Cookie: {}", cookie.removal_cookies()[0]);
    println!("quickstart: all checks passed");
    Ok(())
}

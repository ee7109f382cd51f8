//! Quickstart: a session cookie from login to logout, through the request driver as a web
//! framework's adapter runs it. Log in, read the session back, rotate keys (the next request renews
//! the cookie by itself), and watch a copied-before-rotation, a tampered, an expired and an
//! oversized session be refused. Run with `cargo run --example quickstart`.

use std::collections::BTreeMap;
use std::time::Duration;

use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{
    CookieOptions, CookieReadError, Key, KeyRing, ManualClock, OpenError, Refusal, SealError,
    Sealer, Session, SessionCookie, Subject, WriteError,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Account {
    user_id: u64,
    name: String,
    roles: Vec<String>,
}

/// A browser's cookie jar: it keeps what the responses set, deletes what they delete, and sends
/// the rest back in its `Cookie` header.
#[derive(Default, Clone)]
struct Browser(BTreeMap<String, String>);

impl Browser {
    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.join("; ")
    }

    fn keep(&mut self, response: &Lines) {
        for line in response.header(Field::SetCookie) {
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if line.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

/// One request from `browser`, as a framework adapter makes it: the driver begins the session
/// from the request's cookies, the handler runs, and the driver ends the request on the
/// handler's response. The browser keeps the response's cookies. There is no store here, so
/// nothing waits; a framework would run these futures on its own executor.
fn request<R>(
    driver: &Driver,
    browser: &mut Browser,
    handler: impl FnOnce(&Session<Account>) -> R,
) -> (R, Lines) {
    let session = driver.begin::<Account, _>([browser.header()]);
    pollster::block_on(Driver::load(&session)).expect("without a store, loading cannot fail");
    let out = handler(&session);
    let mut response = Lines::new(200);
    pollster::block_on(driver.end(&session, &mut response));
    browser.keep(&response);
    (out, response)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A clock we can move, so the example can show expiry without waiting 30 minutes.
    // In production leave the default system clock.
    let clock = ManualClock::new(1_800_000_000);

    // 1. Keys. In production: Key::from_base64(&secret_from_your_vault), or a key-ring file.
    let first = Key::generate()?;
    let ring = KeyRing::new(first.clone());
    println!("key ring: primary {}", ring.primary_id());

    // 2. A sealer for one cookie and one purpose, the cookie's attributes, and the driver that
    //    runs every request's session (an axum or actix-web layer wraps one).
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
    let driver = Driver::new(SessionCookie::sealed(sealer, CookieOptions::new())?);

    // 3. Login: a handler starts a session for this user.
    let account = Account {
        user_id: 42,
        name: "Alice".into(),
        roles: vec!["admin".into(), "billing".into()],
    };
    let alice = Subject::new("user-42")?;
    let mut browser = Browser::default();
    let (login, response) = request(&driver, &mut browser, |s| s.login(&alice, account.clone()));
    login?;
    for line in response.header(Field::SetCookie) {
        println!("Set-Cookie: {line}");
    }
    println!(
        "cookie size: {} octets (limit 4096); Vary: {:?}, Cache-Control: {:?}",
        browser.header().len(),
        response.header(Field::Vary),
        response.header(Field::CacheControl)
    );

    // 4. The next request: its handler reads the session; a read writes no cookie.
    let ((state, subject, id), response) = request(&driver, &mut browser, |s| {
        (s.get(), s.subject(), s.session_id())
    });
    assert_eq!(state.as_ref(), Some(&account));
    assert!(response.header(Field::SetCookie).is_empty());
    let id = id.ok_or("a session id")?;
    println!(
        "read: user {} ({}), subject {:?}, session id {id}; no Set-Cookie",
        account.user_id,
        account.name,
        subject.and_then(|s| s.as_str().map(str::to_owned)),
    );

    // 5. Rotate: a new primary seals, the old key still opens old cookies, and the next request
    //    that reads the session renews its cookie under the new key, keeping the session.
    let before_rotation = browser.clone();
    ring.rotate(Key::generate()?)?;
    let (same, response) = request(&driver, &mut browser, |s| s.session_id());
    assert_eq!(same, Some(id), "renewal keeps the session id");
    assert_eq!(response.header(Field::SetCookie).len(), 1);
    println!(
        "after rotation to {}: the cookie was renewed under it, same session",
        ring.primary_id()
    );
    ring.retire(first.id())?;
    let (still, _) = request(&driver, &mut browser, |s| s.get());
    assert_eq!(still, Some(account.clone()));
    let mut copy = before_rotation;
    let (refused, response) = request(&driver, &mut copy, |s| s.refused());
    match refused {
        Some(e @ Refusal::Cookie(CookieReadError::Open(OpenError::UnknownKey(_)))) => println!(
            "after retiring the old key: the renewed cookie opens, a copy from before is refused \
             ({e}) and deleted: Set-Cookie: {}",
            response.header(Field::SetCookie)[0]
        ),
        other => return Err(format!("the old key should be gone, got {other:?}").into()),
    }

    // 6. A tampered cookie is no session (never an error page), and the response deletes it.
    let mut tampered = browser.clone();
    for value in tampered.0.values_mut() {
        let i = value.len() - 10;
        let flipped = if value.as_bytes()[i] == b'A' {
            "B"
        } else {
            "A"
        };
        value.replace_range(i..=i, flipped);
    }
    let ((state, refused), _) = request(&driver, &mut tampered, |s| (s.get(), s.refused()));
    match refused {
        Some(e @ Refusal::Cookie(CookieReadError::Open(OpenError::Authentication))) => {
            assert_eq!(state, None);
            println!("tampered cookie: no session ({e}); the browser no longer has it");
        }
        other => return Err(format!("tampering should be caught, got {other:?}").into()),
    }
    assert!(tampered.0.is_empty());

    // 7. An idle session expires, even though the browser still sends the cookie.
    let mut idle = browser.clone();
    clock.advance(Duration::from_secs(31 * 60 + 61));
    let (refused, _) = request(&driver, &mut idle, |s| s.refused());
    match refused {
        Some(e @ Refusal::Cookie(CookieReadError::Open(OpenError::Expired { .. }))) => {
            println!("31 minutes idle: no session ({e})")
        }
        other => return Err(format!("an idle session should expire, got {other:?}").into()),
    }

    // 8. A session too large for a cookie is an error the handler sees, before any cookie is
    //    written: the response keeps none of it.
    let huge = Account {
        roles: vec!["x".repeat(5000)],
        ..account.clone()
    };
    let mut fresh = Browser::default();
    let (written, response) = request(&driver, &mut fresh, |s| s.replace(huge));
    match written {
        Err(e @ WriteError::Seal(SealError::TooLarge { .. })) => {
            assert!(response.header(Field::SetCookie).is_empty());
            println!("5 KB session: refused ({e}); no Set-Cookie")
        }
        other => return Err(format!("a 5 KB session cannot fit a cookie, got {other:?}").into()),
    }

    // 9. Logout: the response deletes the cookie. (A copy stays valid until it expires; the
    //    driver's revocations end copies too: see SECURITY.md.)
    let mut browser = Browser::default();
    request(&driver, &mut browser, |s| s.login(&alice, account)).0?;
    let (_, response) = request(&driver, &mut browser, |s| s.clear());
    println!(
        "logout: Set-Cookie: {}",
        response.header(Field::SetCookie)[0]
    );
    assert!(browser.0.is_empty());
    println!("quickstart: all checks passed");
    Ok(())
}

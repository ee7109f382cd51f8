//! Quickstart: seal a session, open it, rotate keys, and watch an expired and a tampered value be
//! refused. Run with `cargo run --example quickstart`.

use std::time::Duration;

use sealed_session::{Key, KeyRing, ManualClock, OpenError, Sealer};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Session {
    user_id: u64,
    name: String,
    roles: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A clock we can move, so the example can show expiry without waiting 30 minutes.
    // In production leave the default system clock.
    let clock = ManualClock::new(1_800_000_000);

    // 1. Keys. In production: Key::from_base64(&secret_from_your_vault).
    let first = Key::generate()?;
    let ring = KeyRing::new(first.clone());
    println!("key ring: primary {}", ring.primary_id());

    // 2. A sealer for one cookie and one purpose.
    let sealer = Sealer::builder(ring.clone(), "__Host-session")
        .purpose("login")
        .idle_timeout(Duration::from_secs(30 * 60))
        .absolute_lifetime(Duration::from_secs(8 * 3600))
        .clock(clock.clone())
        .build()?;
    println!(
        "largest payload that fits one cookie: {} bytes",
        sealer.max_payload_len()
    );

    // 3. Seal a real session.
    let session = Session {
        user_id: 42,
        name: "Alice".into(),
        roles: vec!["admin".into(), "billing".into()],
    };
    let sealed = sealer.seal(&session)?;
    println!(
        "Set-Cookie: {}={}; Max-Age={}; Path=/; Secure; HttpOnly; SameSite=Lax",
        sealer.cookie_name(),
        sealed.value(),
        sealed.max_age().as_secs()
    );
    println!(
        "cookie size: {} octets (limit {})",
        sealer.cookie_name().len() + 1 + sealed.value().len(),
        sealer.size_limit()
    );

    // 4. Open it on the next request.
    let opened = sealer.open::<Session>(sealed.value())?;
    assert_eq!(opened.state, session);
    println!(
        "opened: user {} ({}), needs re-seal: {}",
        opened.state.user_id,
        opened.state.name,
        opened.needs_reseal()
    );

    // 5. Rotate: a new primary seals, the old key still opens old cookies.
    let second = Key::generate()?;
    ring.rotate(second)?;
    let old = sealer.open::<Session>(sealed.value())?;
    println!(
        "after rotation to {}: old cookie still opens, re-seal hint: {:?}",
        ring.primary_id(),
        old.reseal
    );
    let resealed = sealer.renew(&old.state, &old.stamps)?;
    let fresh = sealer.open::<Session>(resealed.value())?;
    assert!(!fresh.needs_reseal());
    ring.retire(first.id())?;
    match sealer.open::<Session>(sealed.value()) {
        Err(e @ OpenError::UnknownKey(_)) => println!("after retiring the old key: refused: {e}"),
        other => return Err(format!("old key should be gone, got {other:?}").into()),
    }

    // 6. A tampered value is refused.
    let mut tampered = resealed.value().to_owned().into_bytes();
    let last = tampered.len() - 10;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    match sealer.open::<Session>(&tampered) {
        Err(e @ OpenError::Authentication) => println!("tampered cookie: refused: {e}"),
        other => return Err(format!("tampering should be caught, got {other:?}").into()),
    }

    // 7. An idle session expires, even though the browser still sends the cookie.
    clock.advance(Duration::from_secs(31 * 60 + 61));
    match sealer.open::<Session>(resealed.value()) {
        Err(e @ OpenError::Expired { .. }) => println!("31 minutes idle: refused: {e}"),
        other => return Err(format!("idle session should expire, got {other:?}").into()),
    }

    // 8. A session too large for a cookie is refused before any cookie is emitted.
    let huge = Session {
        roles: vec!["x".repeat(5000)],
        ..session
    };
    match sealer.seal(&huge) {
        Err(e) => println!("5 KB session: refused: {e}"),
        Ok(_) => return Err("a 5 KB session cannot fit a cookie".into()),
    }
    println!("quickstart: all checks passed");
    Ok(())
}

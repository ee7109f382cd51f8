//! What the axum adapter logs about a refused cookie: its own test binary, so that no other
//! test hits the same log call sites from another thread while this one captures them.
//! Run with `cargo test --features axum`.

mod common_axum;

use std::sync::Arc;

use axum::Router;
use axum::http::header::{COOKIE, SET_COOKIE};
use common_axum::{app_with, cookie_on, now};
use sealed_session::ManualClock;

/// A log sink for one test: everything the adapter logs, as text.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_refused_cookie_is_logged_with_its_reason_debug_for_expiry_warn_for_tampering() {
    use tower_service::Service as _;

    // A tampered cookie, then an expired one, on one app whose clock the test moves.
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let clock = ManualClock::new(now());
            let mut app = app_with(cookie_on(clock.clone()));
            let call = |app: &mut Router, path: &str, header: &str| {
                let request = axum::http::Request::get(path)
                    .header(COOKIE, header)
                    .body(axum::body::Body::empty())
                    .unwrap();
                app.call(request)
            };
            let response = call(&mut app, "/login?user=alice", "").await.unwrap();
            let header = response
                .headers()
                .get(SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let tampered = format!("sid={}", "!".repeat(60));
            call(&mut app, "/ro", &tampered).await.unwrap();
            clock.advance(std::time::Duration::from_secs(31 * 60 + 61));
            call(&mut app, "/ro", &header).await.unwrap();
        });
    });
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("WARN") && lines[0].contains("base64url"),
        "{text}"
    );
    assert!(
        lines[1].contains("DEBUG") && lines[1].contains("expired"),
        "{text}"
    );
}

//! What only the actix adapter has: the session reached from `HttpRequest`, moved to another
//! thread (`Session` is `Send`, unlike actix-session's), and handler errors and inner middleware
//! errors. The behaviour both adapters share is in tests/web.rs. Run with
//! `cargo test -p sealed-session-app`.

mod common;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpRequest, HttpResponse, error, web};
use common::web::{State, actix_app, cookie};
use sealed_session::Session;
use sealed_session::web::MissingSession;
use sealed_session::web::actix::{SessionExt, SessionMiddleware};

fn set_cookies<B>(response: &ServiceResponse<B>) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `Cookie` header that carries back what `response` set.
fn carried<B>(response: &ServiceResponse<B>) -> String {
    set_cookies(response)
        .iter()
        .map(|l| l.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The test app with extra routes for this file.
macro_rules! app {
    ($($route:literal => $handler:expr),* $(,)?) => {
        init_service(
            App::new()
                .wrap(SessionMiddleware::<State>::new(cookie()))
                $(.route($route, web::get().to($handler)))*
                .configure(actix_app::configure),
        )
        .await
    };
}

#[actix_web::test]
async fn the_session_can_move_to_another_thread() {
    let app = app!("/blocking" => |session: Session<State>| async move {
        // `web::block` runs the closure on actix's thread pool: the session must be `Send`.
        let counted = web::block(move || session.modify(|s| { s.counter += 1; s.counter }))
            .await
            .unwrap()
            .unwrap();
        HttpResponse::Ok().body(format!("{counted:?}"))
    });
    let login = call_service(
        &app,
        TestRequest::get().uri("/login?user=alice").to_request(),
    )
    .await;
    let request = TestRequest::get()
        .uri("/blocking")
        .insert_header((COOKIE, carried(&login)))
        .to_request();
    let response = call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The change made on the other thread is in this response's cookie.
    assert_eq!(set_cookies(&response).len(), 1);
    let body = actix_web::test::read_body(response).await;
    assert_eq!(body, "Some(1)");
}

#[actix_web::test]
async fn a_handler_reaches_the_session_through_its_http_request() {
    let app = app!("/via-request" => |request: HttpRequest| async move {
        let session = request.session::<State>().unwrap();
        HttpResponse::Ok().body(session.read(|s| s.map_or("none".to_owned(), |s| s.user.clone())))
    });
    let login = call_service(
        &app,
        TestRequest::get().uri("/login?user=alice").to_request(),
    )
    .await;
    let request = TestRequest::get()
        .uri("/via-request")
        .insert_header((COOKIE, carried(&login)))
        .to_request();
    let response = call_service(&app, request).await;
    assert_eq!(actix_web::test::read_body(response).await, "alice");
}

#[actix_web::test]
async fn without_the_middleware_the_session_is_a_typed_error_not_a_panic() {
    let request = TestRequest::default().to_http_request();
    assert!(matches!(
        request.session::<State>(),
        Err(MissingSession { .. })
    ));
}

#[actix_web::test]
async fn a_handler_error_response_follows_the_same_rules_as_any_response() {
    // A logout that then fails with a 4xx: the browser still loses the cookie.
    let app = app!("/logout-then-refuse" => |session: Session<State>| async move {
        session.clear();
        Err::<HttpResponse, _>(error::ErrorForbidden("no"))
    });
    let login = call_service(
        &app,
        TestRequest::get().uri("/login?user=alice").to_request(),
    )
    .await;
    let request = TestRequest::get()
        .uri("/logout-then-refuse")
        .insert_header((COOKIE, carried(&login)))
        .to_request();
    let response = call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let lines = set_cookies(&response);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("sid=; Max-Age=0"), "{lines:?}");
}

#[actix_web::test]
async fn an_error_from_an_inner_middleware_passes_through_without_set_cookie() {
    // A middleware inside the session's that fails instead of answering: there is no response to
    // put a cookie on, and the error reaches actix-web unchanged.
    let app = init_service(
        App::new()
            .wrap_fn(|request, _service| {
                request.session::<State>().unwrap().clear();
                async { Err::<ServiceResponse, _>(error::ErrorServiceUnavailable("down")) }
            })
            .wrap(SessionMiddleware::<State>::new(cookie()))
            .configure(actix_app::configure),
    )
    .await;
    let request = TestRequest::get().uri("/ro").to_request();
    let error = app.call(request).await.unwrap_err();
    assert_eq!(
        error.as_response_error().status_code(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

//! The app on axum: the routes, each calling its page in app/src/pages.rs, under the site's
//! session layer. app/examples/axum_app.rs serves it; the tests serve the same router.

use std::sync::Arc;

use ::axum::Router;
use ::axum::extract::Form;
use ::axum::http::StatusCode;
use ::axum::response::{Html, IntoResponse, Redirect, Response};
use ::axum::routing::{get, post};
use sealed_session::Session;

use crate::pages::{self, Account, LoginForm, Reply};
use crate::site::Site;

/// The app's routes under `site`'s sessions.
pub fn router(site: &Site) -> Router {
    let about: Arc<str> = site.about().into();
    let about_too = Arc::clone(&about);
    // Each page that only needs the session, as a handler of `method`.
    let page = |f: fn(&Session<Account>) -> Reply| {
        move |session: Session<Account>| async move { respond(f(&session)) }
    };
    Router::new()
        .route(
            pages::HOME,
            get(move |session: Session<Account>| async move {
                respond(pages::home(&session, &about))
            }),
        )
        .route(
            pages::LOGGED_OUT,
            get(move |session: Session<Account>| async move {
                respond(pages::logged_out(&session, &about_too))
            }),
        )
        .route(
            "/login",
            post(
                |session: Session<Account>, Form(form): Form<LoginForm>| async move {
                    respond(pages::login(&session, &form))
                },
            ),
        )
        .route("/logout", post(page(pages::logout)))
        .route("/logout-everywhere", post(page(pages::logout_everywhere)))
        .route("/logout-others", post(page(pages::logout_others)))
        .route("/notes/add", post(page(pages::add_notes)))
        .route("/notes/clear", post(page(pages::clear_notes)))
        .layer(site.layer())
}

fn respond(reply: Reply) -> Response {
    match reply {
        Reply::Html(status, body) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Html(body)).into_response()
        }
        // 303: the browser follows with a GET, whatever the method of the form.
        Reply::SeeOther(path) => Redirect::to(path).into_response(),
    }
}

//! The app on actix-web: the routes, each calling its page in app/src/pages.rs, under the site's
//! session middleware. app/examples/actix_app.rs serves it; the tests serve the same app.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{App, Error, HttpResponse, web};
use sealed_session::Session;

use crate::pages::{self, Account, LoginForm, Reply};
use crate::site::Site;

/// What the app says it runs on, for the home page.
struct About(String);

/// The app's routes under `site`'s sessions: one per worker (`HttpServer::new(move ||
/// app(&site))`); the workers share the site's sessions, keys and store.
// `use<>`: the app borrows nothing from `site`, so a worker's closure can return it.
pub fn app(
    site: &Site,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = Error,
        InitError = (),
    > + use<>,
> {
    // Each page that only needs the session, posted to `path`. A resource of its own, so that
    // another method gets 405 Method Not Allowed, as on axum (`App::route` would answer 404).
    let post = |path: &str, f: fn(&Session<Account>) -> Reply| {
        web::resource(path).route(
            web::post().to(move |session: Session<Account>| async move { respond(f(&session)) }),
        )
    };
    App::new()
        .wrap(site.middleware())
        .app_data(web::Data::new(About(site.about())))
        .service(web::resource(pages::HOME).route(web::get().to(
            |session: Session<Account>, about: web::Data<About>| async move {
                respond(pages::home(&session, &about.0))
            },
        )))
        .service(web::resource(pages::LOGGED_OUT).route(web::get().to(
            |session: Session<Account>, about: web::Data<About>| async move {
                respond(pages::logged_out(&session, &about.0))
            },
        )))
        .service(web::resource("/login").route(web::post().to(
            |session: Session<Account>, form: web::Form<LoginForm>| async move {
                respond(pages::login(&session, &form))
            },
        )))
        .service(post("/logout", pages::logout))
        .service(post("/logout-everywhere", pages::logout_everywhere))
        .service(post("/logout-others", pages::logout_others))
        .service(post("/notes/add", pages::add_notes))
        .service(post("/notes/clear", pages::clear_notes))
}

fn respond(reply: Reply) -> HttpResponse {
    match reply {
        Reply::Html(status, body) => HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type("text/html; charset=utf-8")
        .body(body),
        // 303: the browser follows with a GET, whatever the method of the form.
        Reply::SeeOther(path) => HttpResponse::SeeOther()
            .insert_header((LOCATION, path))
            .finish(),
    }
}

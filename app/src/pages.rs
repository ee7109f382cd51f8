//! The pages, once for every server (axum, actix-web, plain hyper): each handler takes the
//! request's [`Session`] (and the form it posted) and answers a [`Reply`], which app/src/axum.rs,
//! app/src/actix.rs and app/src/hyper.rs turn into their server's response.
//!
//! Everything that changes the session is a form posted with POST, answered with a redirect
//! (post, redirect, get): a link, a prefetch or a crawler, which only GET, can never log anyone
//! in or out, and reloading or going Back never posts a form again. The cookie's
//! `SameSite=Lax` (its default) keeps other sites' forms from posting with it; an app that
//! relaxes it needs CSRF tokens in its forms.

use sealed_session::{Session, Subject};
use serde::{Deserialize, Serialize};

/// What the app keeps about a logged-in user: in the cookie, or server-side in the store.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Account {
    /// The name the user logged in with; also the session's [`Subject`].
    pub user: String,
    /// Notes the user adds 3000 bytes at a time: a cookie session grows over several cookies
    /// (chunking) until it no longer fits, a server-side one stays one small cookie.
    #[serde(with = "serde_bytes")]
    pub notes: Vec<u8>,
}

/// How much "Add notes" adds.
pub const NOTES_STEP: usize = 3000;

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    /// The user name.
    pub user: String,
}

/// What a handler answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// An HTML page with this status.
    Html(u16, String),
    /// `303 See Other` to this path, after a form's POST: [`HOME`] or [`LOGGED_OUT`].
    SeeOther(&'static str),
}

/// The home page: who is logged in, and the forms.
pub const HOME: &str = "/";

/// Where a logout leads: a page that says so. Not the home page, so that Back after a logout
/// returns to another address than the one the logout loaded: the logged-in page's, which the
/// browser must then not show from a copy (tests/browser.rs).
pub const LOGGED_OUT: &str = "/logged-out";

/// [`HOME`]: who is logged in, and the forms. `about` says what the app runs on.
pub fn home(session: &Session<Account>, about: &str) -> Reply {
    Reply::Html(200, page(&who(session), about))
}

/// [`LOGGED_OUT`]: the home page, saying the user logged out (unless someone is logged in
/// again by now).
pub fn logged_out(session: &Session<Account>, about: &str) -> Reply {
    let notice = if session.read(|account| account.is_none()) {
        "<p id=notice>You are logged out.</p>\n"
    } else {
        ""
    };
    Reply::Html(200, page(&format!("{notice}{}", who(session)), about))
}

/// Who is logged in and what they can do, or the login form.
fn who(session: &Session<Account>) -> String {
    session.read(|account| match account {
        Some(account) => logged_in(account),
        None => LOGIN_FORM.to_owned(),
    })
}

/// `POST /login`: logs the user in, with a new session id. A real app checks a password (or
/// another proof) here; this one takes the name.
pub fn login(session: &Session<Account>, form: &LoginForm) -> Reply {
    // The subject is what "log out everywhere" ends the sessions of.
    let subject = match Subject::new(&form.user) {
        Ok(subject) if !form.user.trim().is_empty() => subject,
        Ok(_) => return problem(400, "A user name is needed to log in."),
        Err(e) => return problem(400, &format!("That user name cannot log in: {e}.")),
    };
    let account = Account {
        user: form.user.clone(),
        notes: Vec::new(),
    };
    match session.login(&subject, account) {
        Ok(()) => Reply::SeeOther(HOME),
        Err(e) => problem(500, &format!("The session could not be written: {e}.")),
    }
}

/// `POST /logout`: this session ends. With a store, a copy of its cookie is refused from now on
/// (revoked, or its server-side record removed); without one, only this browser forgets it.
pub fn logout(session: &Session<Account>) -> Reply {
    session.clear();
    Reply::SeeOther(LOGGED_OUT)
}

/// `POST /logout-everywhere`: every session of this user ends, this one too.
pub fn logout_everywhere(session: &Session<Account>) -> Reply {
    logout_many(session.logout_everywhere(), LOGGED_OUT)
}

/// `POST /logout-others`: every other session of this user ends; this one stays.
pub fn logout_others(session: &Session<Account>) -> Reply {
    logout_many(session.logout_others(), HOME)
}

/// The answer to a logout of many sessions: on to `then`, or why not.
fn logout_many(done: Result<(), sealed_session::LogoutError>, then: &'static str) -> Reply {
    match done {
        // Done; or there was no logged-in session, so nothing to end: the page shows that.
        Ok(()) | Err(sealed_session::LogoutError::NoSubject) => Reply::SeeOther(then),
        // Cookie sessions without a store: nothing can end a copy of a cookie on another
        // device, and the app says so rather than log out this browser alone.
        Err(e) => problem(409, &format!("Not logged out: {e}.")),
    }
}

/// `POST /notes/add`: the session grows by [`NOTES_STEP`] bytes.
pub fn add_notes(session: &Session<Account>) -> Reply {
    let grown = session.modify(|a| a.notes.extend((0..NOTES_STEP).map(|i| (i % 251) as u8)));
    match grown {
        Ok(_) => Reply::SeeOther(HOME),
        // The handler learns here that the state would not fit (a cookie session past its
        // chunks, a server-side one past the store's bound); the session is left as it was.
        Err(e) => problem(413, &format!("The notes were not added: {e}.")),
    }
}

/// `POST /notes/clear`: the notes go; a cookie session's extra chunk cookies are deleted.
pub fn clear_notes(session: &Session<Account>) -> Reply {
    match session.modify(|a| a.notes.clear()) {
        Ok(_) => Reply::SeeOther(HOME),
        Err(e) => problem(500, &format!("The notes were not cleared: {e}.")),
    }
}

const LOGIN_FORM: &str = "<p id=who>Not logged in.</p>\n\
<form method=post action=/login>\n\
<label>User name <input id=user name=user required autocomplete=username></label>\n\
<button id=login>Log in</button>\n\
</form>";

/// On a logged-in page. `no-store` keeps the page out of HTTP caches, the browser's included,
/// but the back/forward cache is no HTTP cache: it keeps the page alive in memory, and
/// Chromium restores even a `no-store` page from it after a logout deleted the cookie (on
/// `http://localhost` at least; tests/browser.rs shows it). So a logged-in page restored from
/// it asks the server again, which shows who is logged in now.
const RELOAD_WHEN_RESTORED: &str = "<script>\
addEventListener('pageshow', (e) => { if (e.persisted) location.reload(); });\
</script>";

fn logged_in(account: &Account) -> String {
    format!(
        "{RELOAD_WHEN_RESTORED}\n\
         <p id=who>Logged in as <b>{user}</b>, with {notes} bytes of notes.</p>\n\
         <form method=post action=/logout><button id=logout>Log out</button></form>\n\
         <form method=post action=/logout-others>\
         <button id=logout-others>Log out my other sessions</button></form>\n\
         <form method=post action=/logout-everywhere>\
         <button id=logout-everywhere>Log out everywhere</button></form>\n\
         <form method=post action=/notes/add>\
         <button id=add-notes>Add {NOTES_STEP} bytes of notes</button></form>\n\
         <form method=post action=/notes/clear>\
         <button id=clear-notes>Clear the notes</button></form>",
        user = escape(&account.user),
        notes = account.notes.len(),
    )
}

/// A page saying what went wrong, with the way back.
fn problem(status: u16, message: &str) -> Reply {
    let body = format!(
        "<p id=problem>{}</p>\n<p><a href=/>Back to the start</a></p>",
        escape(message)
    );
    Reply::Html(status, page(&body, ""))
}

fn page(body: &str, about: &str) -> String {
    let about = match about {
        "" => String::new(),
        about => format!("<pre id=about>{}</pre>\n", escape(about)),
    };
    format!(
        "<!doctype html>\n<html lang=en>\n<meta charset=utf-8>\n\
         <title>sealed-session example</title>\n\
         <h1>sealed-session example</h1>\n{body}\n{about}"
    )
}

/// `text` as HTML text: a user name is whatever the user typed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_name_is_shown_as_text_never_as_markup() {
        let account = Account {
            user: "<script>alert('x')</script> & co".into(),
            notes: Vec::new(),
        };
        let html = logged_in(&account);
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(!html.contains("<script>alert"));
    }
}

//! Log in, register, log out: plain HTML forms that work with JavaScript off.

use poem::{
    IntoResponse, Response, handler,
    session::Session,
    web::{Data, Form, Query, Redirect},
};
use serde::Deserialize;

use super::{render, views, with_retry_after};
use crate::{
    AppState,
    auth::{self, CurrentUser},
    error::{AppError, AppResult},
    i18n::{self, Lang},
    peer::ClientAddr,
};

#[derive(Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// Where to go after logging in (a local path only).
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    /// Set after logging out, to say so.
    signed_out: Option<String>,
}

/// A refused login or registration, shown next to the field it is about.
fn form_error(lang: Lang, err: &AppError) -> views::FormError {
    let at = match err {
        AppError::Invalid(v) if v.field == "password" => "password",
        AppError::Invalid(_) | AppError::Conflict(_) => "username",
        AppError::BadCredentials => "both",
        _ => "form",
    };
    views::FormError {
        text: i18n::error_text(lang, err),
        at,
    }
}

/// Where a login goes next: the page asked for, if it is a path on this site.
fn next_page(next: &str) -> &str {
    super::local_path(next).unwrap_or("/rooms")
}

/// `/`: your rooms if you are logged in, the login page if not.
#[handler]
pub fn home(user: Option<CurrentUser>) -> Redirect {
    match user {
        Some(_) => Redirect::see_other("/rooms"),
        None => Redirect::see_other("/login"),
    }
}

#[handler]
pub fn login_page(
    lang: Lang,
    user: Option<CurrentUser>,
    Query(query): Query<LoginQuery>,
) -> AppResult<Response> {
    if user.is_some() {
        return Ok(Redirect::see_other(next_page(&query.next)).into_response());
    }
    Ok(render(&views::LoginPage {
        t: lang.text(),
        username: "",
        next: super::local_path(&query.next).unwrap_or(""),
        signed_out: query.signed_out.is_some(),
        error: None,
    })?
    .into_response())
}

#[handler]
pub async fn log_in(
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    client: ClientAddr,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    match auth::log_in(state.accounts(), client, &form.username, &form.password).await {
        Ok(user) => {
            auth::start_session(session, &user);
            Ok(Redirect::see_other(next_page(&form.next)).into_response())
        }
        Err(err @ (AppError::BadCredentials | AppError::TooManyRequests { .. })) => {
            let page = render(&views::LoginPage {
                t: lang.text(),
                username: &form.username,
                next: super::local_path(&form.next).unwrap_or(""),
                signed_out: false,
                error: Some(form_error(lang, &err)),
            })?;
            Ok(with_retry_after((err.status(), page).into_response(), &err))
        }
        Err(err) => Err(err),
    }
}

#[handler]
pub fn register_page(lang: Lang, user: Option<CurrentUser>) -> AppResult<Response> {
    if user.is_some() {
        return Ok(Redirect::see_other("/rooms").into_response());
    }
    Ok(render(&views::RegisterPage {
        t: lang.text(),
        username: "",
        error: None,
    })?
    .into_response())
}

#[handler]
pub async fn register(
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    client: ClientAddr,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    match auth::register(state.accounts(), client, &form.username, &form.password).await {
        Ok(user) => {
            auth::start_session(session, &user);
            Ok(Redirect::see_other("/rooms").into_response())
        }
        Err(
            err @ (AppError::Invalid(_)
            | AppError::Conflict(_)
            | AppError::Forbidden(_)
            | AppError::TooManyRequests { .. }),
        ) => {
            let page = render(&views::RegisterPage {
                t: lang.text(),
                username: &form.username,
                error: Some(form_error(lang, &err)),
            })?;
            Ok(with_retry_after((err.status(), page).into_response(), &err))
        }
        Err(err) => Err(err),
    }
}

/// Ends the session on the server and closes its sockets.
#[handler]
pub fn log_out(state: Data<&AppState>, session: &Session) -> Redirect {
    if let Some((user_id, login)) = auth::end_session(session) {
        state.hub.revoke(user_id, login);
    }
    Redirect::see_other("/login?signed_out=1")
}

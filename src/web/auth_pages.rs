//! Log in, register, log out: plain HTML forms that work with JavaScript off.

use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Form, Path, Query, Redirect},
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
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    client: ClientAddr,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    match auth::log_in(state.accounts(), client, &form.username, &form.password).await {
        Ok(user) => {
            auth::start_session(session, &user, req);
            Ok(Redirect::see_other(next_page(&form.next)).into_response())
        }
        Err(
            err @ (AppError::BadCredentials
            | AppError::Forbidden(_)
            | AppError::TooManyRequests { .. }),
        ) => {
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
    register_form(lang, "/register", "", None, StatusCode::OK)
}

/// `/join/{code}`: the register form, for an invitation that can still be used (else
/// a page that says why).
#[handler]
pub async fn join_page(
    lang: Lang,
    state: Data<&AppState>,
    user: Option<CurrentUser>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    if user.is_some() {
        return Ok(Redirect::see_other("/rooms").into_response());
    }
    auth::invites::check(&state.db, &code).await?;
    register_form(lang, &join_path(&code), "", None, StatusCode::OK)
}

fn join_path(code: &str) -> String {
    format!("/join/{}", crate::render::encode_segment(code))
}

fn register_form(
    lang: Lang,
    action: &str,
    username: &str,
    error: Option<&AppError>,
    status: StatusCode,
) -> AppResult<Response> {
    let page = render(&views::RegisterPage {
        t: lang.text(),
        action,
        username,
        error: error.map(|err| form_error(lang, err)),
    })?;
    let response = (status, page).into_response();
    Ok(match error {
        Some(err) => with_retry_after(response, err),
        None => response,
    })
}

#[handler]
pub async fn register(
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    client: ClientAddr,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    register_with(req, lang, &state, session, client, form, None).await
}

#[handler]
pub async fn join(
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    client: ClientAddr,
    Path(code): Path<String>,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    register_with(req, lang, &state, session, client, form, Some(&code)).await
}

async fn register_with(
    req: &Request,
    lang: Lang,
    state: &AppState,
    session: &Session,
    client: ClientAddr,
    form: CredentialsForm,
    invite: Option<&str>,
) -> AppResult<Response> {
    let accounts = state.accounts();
    match auth::register(accounts, client, &form.username, &form.password, invite).await {
        Ok(user) => {
            auth::start_session(session, &user, req);
            Ok(Redirect::see_other("/rooms").into_response())
        }
        Err(
            err @ (AppError::Invalid(_)
            | AppError::Conflict(_)
            | AppError::Forbidden(_)
            | AppError::TooManyRequests { .. }),
        ) => {
            let action = invite.map_or_else(|| "/register".to_owned(), join_path);
            register_form(lang, &action, &form.username, Some(&err), err.status())
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

/// `/reset/{token}`: set a new password with a link an admin made (else a page that
/// says why the link no longer works).
#[handler]
pub async fn reset_page(
    lang: Lang,
    state: Data<&AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let username = auth::check_reset_link(&state.db, &token).await?;
    reset_form(lang, &token, &username, None)
}

fn reset_form(
    lang: Lang,
    token: &str,
    username: &str,
    error: Option<&AppError>,
) -> AppResult<Response> {
    let page = render(&views::ResetPage {
        t: lang.text(),
        action: &format!("/reset/{}", crate::render::encode_segment(token)),
        username,
        error: error.map(|err| form_error(lang, err)),
    })?;
    let status = error.map_or(StatusCode::OK, AppError::status);
    Ok((status, page).into_response())
}

#[handler]
pub async fn reset_password(
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    match auth::reset_password(state.accounts(), &token, &form.password).await {
        Ok(user) => {
            auth::start_session(session, &user, req);
            Ok(Redirect::see_other("/rooms").into_response())
        }
        Err(err @ AppError::Invalid(_)) => {
            let username = auth::check_reset_link(&state.db, &token).await?;
            reset_form(lang, &token, &username, Some(&err))
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

//! The account page: change your password, see and end your sessions, delete your
//! account. Plain forms that work with JavaScript off.

use poem::{
    IntoResponse, Response, handler,
    session::Session,
    web::{Data, Form, Html, Query, Redirect},
};
use serde::Deserialize;

use super::{render, views};
use crate::{
    AppState,
    auth::{self, CurrentUser},
    error::{AppError, AppResult},
    i18n::{self, Lang},
    rooms,
    store::rooms::Scope,
};

#[derive(Deserialize)]
pub struct AccountQuery {
    /// Set after an action, to say it was done: `password` or `session`.
    done: Option<String>,
}

#[handler]
pub async fn account_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(query): Query<AccountQuery>,
) -> AppResult<Html<String>> {
    account(lang, &state, &user, query.done.as_deref(), None).await
}

/// The page, saying what was just done, or what was refused and where.
async fn account(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    done: Option<&str>,
    error: Option<(&'static str, &AppError)>,
) -> AppResult<Html<String>> {
    let t = lang.text();
    let rooms = rooms::list(&state.db, user, Scope::Joined).await?;
    let sessions = auth::sessions(&state.db, user).await?;
    let sessions: Vec<views::SessionView> = sessions
        .into_iter()
        .map(|s| views::SessionView::new(s, &user.login))
        .collect();
    let notice = match done {
        Some("password") => Some(t.password_changed),
        Some("session") => Some(t.session_ended),
        _ => None,
    };
    render(&views::AccountPage {
        t,
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: 0,
        sessions: &sessions,
        notice,
        error: error.map(|(form, err)| views::FormError {
            text: i18n::error_text(lang, err),
            at: match err.field() {
                Some(field) => field,
                None => form,
            },
        }),
    })
}

/// A refusal shown on the page (see `is_refusal`), or any other error as such.
async fn refused(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    form: &'static str,
    err: AppError,
) -> AppResult<Response> {
    if !super::is_refusal(&err) {
        return Err(err);
    }
    let page = account(lang, state, user, None, Some((form, &err))).await?;
    Ok((err.status(), page).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /account/password`: every other session ends.
#[handler]
pub async fn change_password(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let changed = auth::change_password(
        state.accounts(),
        &user,
        &form.current_password,
        &form.new_password,
    );
    match changed.await {
        Ok(()) => Ok(Redirect::see_other("/account?done=password").into_response()),
        Err(err) => refused(lang, &state, &user, "password-form", err).await,
    }
}

#[derive(Deserialize)]
pub struct EndSessionForm {
    #[serde(default)]
    session: String,
}

/// `POST /account/sessions/end`: logs one of your sessions out (its sockets close).
/// Ending this one is logging out.
#[handler]
pub async fn end_session(
    state: Data<&AppState>,
    session: &Session,
    user: CurrentUser,
    Form(form): Form<EndSessionForm>,
) -> AppResult<Redirect> {
    auth::log_out_session(state.accounts(), &user, &form.session).await?;
    if form.session == user.login {
        // This one: logged out, its cookie too.
        session.purge();
        return Ok(Redirect::see_other("/login?signed_out=1"));
    }
    Ok(Redirect::see_other("/account?done=session"))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    password: String,
}

/// `POST /account/delete`: the account goes (its messages stay, by "deleted user").
#[handler]
pub async fn delete_account(
    lang: Lang,
    state: Data<&AppState>,
    session: &Session,
    user: CurrentUser,
    Form(form): Form<DeleteForm>,
) -> AppResult<Response> {
    match state.delete_account(&user, &form.password).await {
        Ok(()) => {
            session.purge();
            Ok(Redirect::see_other("/login?signed_out=1").into_response())
        }
        Err(err) => refused(lang, &state, &user, "delete-form", err).await,
    }
}

//! A message's actions on the page: the menu (React, Edit, Delete), editing in place,
//! the delete confirmation, and reaction buttons. With htmx each answers a fragment;
//! without JavaScript the same URLs are plain pages and forms. The change itself goes
//! through `messages`, and reaches every open page as an event on the room's socket.

use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Html, Path, Redirect},
};
use serde::Deserialize;

use super::{is_htmx, render, views};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult},
    i18n::{self, Lang},
    messages,
    render::{html::MessageView, room_path},
    rooms,
    store::{messages::MessageRow, rooms::Scope},
};

/// `GET /messages/{id}/menu`: the actions menu (htmx), in the reader's language, with
/// Edit and Delete only on their own messages.
#[handler]
pub async fn menu(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let message = messages::find_visible(&state.db, &user, id).await?;
    render(&views::MessageMenu {
        t: lang.text(),
        id,
        mine: message.sender_id == user.id,
        can_delete: messages::may_delete(&state.db, &user, &message).await?,
        common: &views::COMMON_REACTIONS,
        permalink: permalink(&message),
    })
}

/// The page a message's "⋯" link opens without JavaScript.
#[handler]
pub async fn actions_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let message = messages::find_visible(&state.db, &user, id).await?;
    actions(lang, &state, &user, &message, Shown::default()).await
}

/// What the actions page shows besides the message.
#[derive(Default)]
struct Shown<'a> {
    error: Option<String>,
    /// What the edit box holds (the message's text unless a refused edit is shown).
    edit_text: Option<&'a str>,
    confirm_delete: bool,
}

async fn actions(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    message: &MessageRow,
    shown: Shown<'_>,
) -> AppResult<Html<String>> {
    let rooms = rooms::list(&state.db, user, Scope::Joined).await?;
    let Shown {
        error,
        edit_text,
        confirm_delete,
    } = shown;
    let edit_text = edit_text.unwrap_or(&message.text);
    render(&views::MessageActionsPage {
        t: lang.text(),
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: message.room_id,
        room_name: &message.room,
        message: MessageView::new(message),
        mine: message.sender_id == user.id,
        can_delete: messages::may_delete(&state.db, user, message).await?,
        common: &views::COMMON_REACTIONS,
        permalink: permalink(message),
        edit_text,
        error,
        confirm_delete,
    })
}

/// `GET /messages/{id}/edit`: the edit form in place of the text (htmx), or the
/// actions page with its edit form.
#[handler]
pub async fn edit_form(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    // Only the author edits: an admin's wider reach is for deleting, not reading.
    let message = messages::find_own(&state.db, &user, id).await?;
    if !is_htmx(req) {
        return actions(lang, &state, &user, &message, Shown::default()).await;
    }
    render(&views::EditForm {
        t: lang.text(),
        id,
        text: &message.text,
        error: None,
    })
}

/// `GET /messages/{id}/content`: the text as it is (Cancel in the edit form).
#[handler]
pub async fn content(
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let message = messages::find_visible(&state.db, &user, id).await?;
    render(&views::Content {
        m: MessageView::new(&message),
    })
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    text: String,
}

/// `POST /messages/{id}/edit`.
#[handler]
pub async fn save_edit(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> AppResult<Response> {
    match messages::edit(state.outbox(), &user, id, &form.text).await {
        Ok(message) if is_htmx(req) => Ok(render(&views::Content {
            m: MessageView::new(&message),
        })?
        .into_response()),
        Ok(message) => Ok(Redirect::see_other(room_path(&message.room)).into_response()),
        Err(err @ (AppError::Invalid(_) | AppError::TooManyRequests { .. })) => {
            let error = i18n::error_text(lang, &err);
            let page = if is_htmx(req) {
                render(&views::EditForm {
                    t: lang.text(),
                    id,
                    text: &form.text,
                    error: Some(error),
                })?
            } else {
                let message = messages::find_own(&state.db, &user, id).await?;
                let shown = Shown {
                    error: Some(error),
                    edit_text: Some(&form.text),
                    confirm_delete: false,
                };
                actions(lang, &state, &user, &message, shown).await?
            };
            Ok((err.status(), page).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `GET /messages/{id}/delete`: the confirmation, as a dialog (htmx) or a page.
#[handler]
pub async fn delete_dialog(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    // An admin's menu offers Delete on anyone's message: the dialog follows it.
    let (message, _) = messages::find_deletable(&state.db, &user, id).await?;
    if !is_htmx(req) {
        return actions(
            lang,
            &state,
            &user,
            &message,
            Shown {
                confirm_delete: true,
                ..Shown::default()
            },
        )
        .await;
    }
    render(&views::DeleteDialog { t: lang.text(), id })
}

/// `POST /messages/{id}/delete`: htmx gets an empty answer (the dialog closes; the
/// message leaves every page through the socket), a plain form goes back to the room.
#[handler]
pub async fn delete(
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let message = messages::delete(state.outbox(), &user, id).await?;
    if is_htmx(req) {
        return Ok(Html(String::new()).into_response());
    }
    Ok(Redirect::see_other(room_path(&message.room)).into_response())
}

/// `GET /dialogs/react/{id}`: "Other reaction…", a text box for any emoji.
#[handler]
pub async fn react_dialog(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let message = messages::find_visible(&state.db, &user, id).await?;
    if !is_htmx(req) {
        return actions(lang, &state, &user, &message, Shown::default()).await;
    }
    render(&views::ReactDialog {
        t: lang.text(),
        id,
        emoji: "",
        error: None,
    })
}

#[derive(Deserialize)]
pub struct EmojiForm {
    #[serde(default)]
    emoji: String,
}

/// `POST /messages/{id}/reactions`: a reaction button, pressed (adds the reader's
/// reaction, or takes it back).
#[handler]
pub async fn toggle_reaction(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<EmojiForm>,
) -> AppResult<Response> {
    match messages::toggle_reaction(state.outbox(), &user, id, &form.emoji).await {
        // An empty answer also closes the "Other reaction" dialog.
        Ok(_) if is_htmx(req) => Ok(Html(String::new()).into_response()),
        Ok(message) => Ok(Redirect::see_other(room_path(&message.room)).into_response()),
        Err(err @ AppError::Invalid(_)) => {
            let error = i18n::error_text(lang, &err);
            let page = if is_htmx(req) {
                render(&views::ReactDialog {
                    t: lang.text(),
                    id,
                    emoji: &form.emoji,
                    error: Some(error),
                })?
            } else {
                let message = messages::find_visible(&state.db, &user, id).await?;
                let shown = Shown {
                    error: Some(error),
                    ..Shown::default()
                };
                actions(lang, &state, &user, &message, shown).await?
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `/rooms/{room}/messages/{id}`.
fn permalink(message: &MessageRow) -> String {
    format!("{}/messages/{}", room_path(&message.room), message.id)
}

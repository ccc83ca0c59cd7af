//! The rooms pages: the sidebar, the create and join dialogs, a room's history and its
//! composer. Handlers parse, call `rooms`/`messages`, and pick a template.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Form, Html, Path, Query, Redirect},
};
use serde::Deserialize;

use super::{
    i18n::{self, Lang},
    render, views,
};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult},
    messages::{self, HistoryQuery},
    rooms::{self, Room},
    store::rooms::Scope,
};

/// A page shows this many messages, and "Load earlier" fetches this many more.
const PAGE: i64 = 50;

fn is_htmx(req: &Request) -> bool {
    req.headers().contains_key("HX-Request")
}

/// `/rooms/<name>` with the name percent-encoded, for redirects.
fn room_path(name: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("/rooms/{encoded}")
}

#[handler]
pub async fn rooms_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
) -> AppResult<Html<String>> {
    let rooms = rooms::list(&state.db, &user, Scope::Joined).await?;
    render(&views::RoomsPage {
        t: lang.text(),
        username: &user.username,
        rooms: &rooms,
        current_room_id: 0,
    })
}

/// Each viewer's own messages look like theirs: one rule naming their user id, so the
/// message HTML itself is the same for every recipient and is rendered once.
#[handler]
pub fn my_stylesheet(lang: Lang, user: CurrentUser) -> Response {
    // A CSS string: the catalogue's text, with quotes and backslashes escaped.
    let you = lang.text().you.replace('\\', "\\\\").replace('"', "\\\"");
    let css = format!(
        ".msg[data-uid=\"{id}\"] {{ --msg-bg: var(--mine-bg); --msg-border: var(--mine-border); }}\n\
         .msg[data-uid=\"{id}\"] .sender::after {{ content: \" {you}\"; font-weight: normal; color: var(--muted); }}\n",
        id = user.id
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "private, max-age=3600")
        .header(header::VARY, "Cookie")
        .body(css)
}

#[handler]
pub fn create_dialog(lang: Lang, _user: CurrentUser) -> AppResult<Html<String>> {
    render(&views::CreateDialog {
        t: lang.text(),
        name: "",
        error: None,
    })
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

#[handler]
pub async fn create_room(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<NameForm>,
) -> AppResult<Response> {
    match rooms::create(&state.db, &state.hub, &user, &form.name).await {
        Ok(room) => Ok(room_added(lang, req, &room)?),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let dialog = render(&views::CreateDialog {
                t: lang.text(),
                name: &form.name,
                error: Some(i18n::error_text(lang, &err)),
            })?;
            Ok((err.status(), dialog).into_response())
        }
        Err(err) => Err(err),
    }
}

#[handler]
pub async fn join_dialog(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
) -> AppResult<Html<String>> {
    let rooms = rooms::list(&state.db, &user, Scope::Available).await?;
    render(&views::JoinDialog {
        t: lang.text(),
        rooms: &rooms,
        error: None,
    })
}

#[handler]
pub async fn join_room(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> AppResult<Response> {
    match rooms::join(&state.db, &state.hub, &user, &name).await {
        Ok(room) => Ok(room_added(lang, req, &room)?),
        Err(err @ (AppError::NotFound(_) | AppError::Conflict(_))) => {
            let rooms = rooms::list(&state.db, &user, Scope::Available).await?;
            let dialog = render(&views::JoinDialog {
                t: lang.text(),
                rooms: &rooms,
                error: Some(i18n::error_text(lang, &err)),
            })?;
            Ok((err.status(), dialog).into_response())
        }
        Err(err) => Err(err),
    }
}

/// After creating or joining: htmx closes the dialog and adds the room to the
/// sidebar; without JavaScript, go to the room.
fn room_added(lang: Lang, req: &Request, room: &Room) -> AppResult<Response> {
    if !is_htmx(req) {
        return Ok(Redirect::see_other(room_path(&room.name)).into_response());
    }
    let fragment = render(&views::RoomAdded {
        t: lang.text(),
        room_id: room.id,
        room_name: &room.name,
    })?;
    Ok((StatusCode::OK, fragment).into_response())
}

#[handler]
pub async fn room_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> AppResult<Html<String>> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    let (history, earlier_before) = page_before(&state, &room, None).await?;
    let last_id = history.last().map_or(0, |m| m.id);
    let mut rooms = rooms::list(&state.db, &user, Scope::Joined).await?;
    let mut members = 1;
    if let Some(this_room) = rooms.iter_mut().find(|r| r.id == room.id) {
        members = this_room.members;
        // Opening the room reads it. Only write when there was something unread: most
        // page views then take no write lock at all.
        if this_room.unread > 0 {
            rooms::mark_read(&state.db, user.id, &room, last_id).await?;
            this_room.unread = 0;
        }
    }
    let composer = render(&views::Composer::empty(lang.text(), &room.name, true))?.0;
    render(&views::RoomPage {
        t: lang.text(),
        username: &user.username,
        rooms: &rooms,
        current_room_id: room.id,
        room_name: &room.name,
        members,
        online: state.hub.online(room.id),
        messages: history.iter().map(views::MessageView::new).collect(),
        earlier_before,
        last_id,
        composer,
    })
}

#[derive(Deserialize)]
pub struct Before {
    before: Option<i64>,
}

/// "Load earlier": the page before `before`, with its own "Load earlier" if there is more.
#[handler]
pub async fn earlier_messages(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(query): Query<Before>,
) -> AppResult<Html<String>> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    let (history, earlier_before) = page_before(&state, &room, query.before).await?;
    render(&views::HistoryFragment {
        t: lang.text(),
        room_name: &room.name,
        messages: history.iter().map(views::MessageView::new).collect(),
        earlier_before,
    })
}

/// Up to `PAGE` messages before `before`, oldest first, and where an earlier page
/// would start if there is one.
async fn page_before(
    state: &AppState,
    room: &Room,
    before: Option<i64>,
) -> AppResult<(Vec<crate::store::messages::MessageRow>, Option<i64>)> {
    let query = HistoryQuery {
        after: None,
        before,
        limit: Some(PAGE + 1),
    };
    let mut history = messages::history(&state.db, room, query).await?;
    let more = history.len() as i64 > PAGE;
    if more {
        history.remove(0);
    }
    let earlier_before = more.then(|| history.first().map(|m| m.id)).flatten();
    Ok((history, earlier_before))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    text: String,
    client_id: Option<String>,
}

/// The composer posts here. The message itself reaches this page (and every other)
/// through the room's socket; the answer is a fresh, empty composer.
#[handler]
pub async fn post_message(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Form(form): Form<MessageForm>,
) -> AppResult<Response> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    let client_id = form.client_id.as_deref().filter(|c| !c.is_empty());
    match messages::send(
        &state.writer,
        &state.limiter,
        &room,
        &user,
        &form.text,
        client_id,
    )
    .await
    {
        Ok(_) if !is_htmx(req) => Ok(Redirect::see_other(room_path(&room.name)).into_response()),
        Ok(_) => {
            Ok(render(&views::Composer::empty(lang.text(), &room.name, true))?.into_response())
        }
        Err(err @ (AppError::Invalid(_) | AppError::TooManyRequests { .. })) => {
            let composer = render(&views::Composer {
                t: lang.text(),
                room_name: &room.name,
                text: &form.text,
                client_id: client_id.map_or_else(String::new, str::to_owned),
                error: Some(i18n::error_text(lang, &err)),
                focus: true,
            })?;
            Ok((err.status(), composer).into_response())
        }
        Err(err) => Err(err),
    }
}

//! The rooms pages' actions: the sidebar's room list and dialogs (create, join), the
//! per-reader stylesheet, and the composer. Handlers parse, call `rooms`/`messages`,
//! and pick a template. (A room's page itself is `room_view`.)

use poem::{
    Body, FromRequest, IntoResponse, Request, RequestBody, Response, handler,
    http::header,
    web::{Data, Form, Html, Path, Redirect},
};
use serde::Deserialize;

use super::{is_htmx, render, views};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, AppResult, Code},
    files::UploadForm,
    i18n::{self, Lang},
    messages,
    render::room_path,
    rooms::{self, Room, Target},
    store::rooms::Scope,
};

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
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: 0,
    })
}

/// Each viewer's own messages and reactions look like theirs: rules naming their user
/// id, so the message HTML itself is the same for every recipient and is rendered once.
#[handler]
pub fn my_stylesheet(lang: Lang, user: CurrentUser) -> Response {
    // A CSS string: the catalogue's text, with quotes and backslashes escaped.
    let you = lang.text().you.replace('\\', "\\\\").replace('"', "\\\"");
    let css = format!(
        ".msg[data-uid=\"{id}\"] {{ --msg-bg: var(--mine-bg); --msg-border: var(--mine-border); }}\n\
         .msg[data-uid=\"{id}\"] .sender::after {{ content: \" {you}\"; font-weight: normal; color: var(--muted); }}\n\
         .reaction[data-uids~=\"{id}\"] {{ --reaction-bg: var(--mine-bg); --reaction-border: var(--accent); }}\n\
         .msg:has(.content[data-mentions~=\"{id}\"]) {{ --msg-bg: var(--mention-bg); --msg-border: var(--mention-border); }}\n",
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
    let created = rooms::create(&state.db, &*state.hub, &state.room_limit, &user, &form.name);
    match created.await {
        Ok(room) => Ok(room_added(req, &room)),
        Err(
            err @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::TooManyRequests { .. }),
        ) => {
            let dialog = render(&views::CreateDialog {
                t: lang.text(),
                name: &form.name,
                error: Some(i18n::error_text(lang, &err)),
            })?;
            Ok(super::with_retry_after(
                (err.status(), dialog).into_response(),
                &err,
            ))
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
    match rooms::join(&state.db, &*state.hub, &user, &name).await {
        Ok(room) => Ok(room_added(req, &room)),
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

/// After creating or joining: go into the room.
fn room_added(req: &Request, room: &Room) -> Response {
    super::go_to(req, &room_path(&room.name))
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
    body: Body,
) -> AppResult<Response> {
    let room = rooms::open_to_post(&state.db, &user, &name).await?;
    let mut form = UploadForm::default();
    let sent = send_form(&state, req, &user, &room, body, &mut form).await;
    let client_id = form.client_id.as_deref().filter(|c| !c.is_empty());
    match sent {
        Ok(()) if !is_htmx(req) => Ok(Redirect::see_other(room_path(&room.name)).into_response()),
        Ok(()) => {
            Ok(render(&views::Composer::empty(lang.text(), &room.name, true))?.into_response())
        }
        // Refused: the composer again, with the words and what was typed.
        Err(
            err @ (AppError::Invalid(_) | AppError::TooManyRequests { .. } | AppError::TooLarge),
        ) => {
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

/// Reads the composer's form into `form` and sends it: a multipart form (it may carry
/// a file), or a plain one (an unsent message retried).
async fn send_form(
    state: &AppState,
    req: &Request,
    user: &CurrentUser,
    room: &Target,
    body: Body,
    form: &mut UploadForm,
) -> AppResult<()> {
    if crate::server::is_multipart(req) {
        let multipart = super::multipart(req, body).await?;
        state.files.read_form(user.id, multipart, form).await?;
    } else {
        let Form(plain) = Form::<MessageForm>::from_request(req, &mut RequestBody::new(body))
            .await
            .map_err(|_| AppError::invalid("text", Code::BadUpload))?;
        form.text = plain.text;
        form.client_id = plain.client_id;
    }
    let client_id = form.client_id.as_deref().filter(|c| !c.is_empty());
    let outbox = state.outbox();
    match form.file.take() {
        Some(file) => messages::send_file(outbox, room, user, &form.text, client_id, file).await,
        None => messages::send(outbox, room, user, &form.text, client_id).await,
    }
    .map(drop)
}

//! People on the pages: the "New message" dialog (picking people by username, with
//! suggestions) that opens a direct room, `@` suggestions under the composer, a room's
//! notification level and "Leave room", and the settings page (sharing "typing",
//! one's avatar).
//! Handlers parse, call `rooms`/`people`, and pick a template.

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Form, Html, Path, Query, Redirect},
};
use serde::Deserialize;

use super::{go_to, is_htmx, render, views};
use crate::{
    AppState,
    auth::{self, CurrentUser},
    domain::{Notify, fold_case, room_title},
    error::{AppError, AppResult},
    i18n::{self, Lang},
    live::UserEvent,
    people,
    render::room_path,
    rooms,
    store::rooms::Scope,
};

/// The names in a "To" field: separated by commas (or spaces), `@` optional.
fn names_in(field: &str) -> Vec<String> {
    field
        .split([',', ' ', '，', '、'])
        .map(|n| n.trim().trim_start_matches('@'))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The name being typed: whatever follows the last separator.
fn last_name_in(field: &str) -> &str {
    let tail = field.rsplit([',', ' ', '，', '、']).next().unwrap_or("");
    tail.trim().trim_start_matches('@')
}

#[handler]
pub fn direct_dialog(lang: Lang, _user: CurrentUser) -> AppResult<Html<String>> {
    render(&views::DirectDialog {
        t: lang.text(),
        users: "",
        names: Vec::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    users: String,
}

/// `GET /people?users=ann,bo`: who the last name being typed could be.
#[handler]
pub async fn people_list(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(query): Query<PeopleQuery>,
) -> AppResult<Html<String>> {
    let typed = last_name_in(&query.users);
    let already = names_in(&query.users);
    let mut names = people::named_like(&state.db, &user, typed).await?;
    // Someone already picked is not offered again (the one being typed is).
    let typed_key = fold_case(typed);
    let already: Vec<String> = already.iter().map(|a| fold_case(a)).collect();
    names.retain(|n| {
        let key = fold_case(n);
        key == typed_key || !already.contains(&key)
    });
    render(&views::PeopleList {
        t: lang.text(),
        names,
    })
}

#[derive(Deserialize)]
pub struct DirectForm {
    #[serde(default)]
    users: String,
}

/// `POST /direct`: opens the direct room of the reader and the people named, and goes
/// there; a refusal shows the dialog again, saying why.
#[handler]
pub async fn open_direct(
    lang: Lang,
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<DirectForm>,
) -> AppResult<Response> {
    match rooms::direct(
        &state.db,
        &*state.hub,
        &state.room_limit,
        &user,
        &names_in(&form.users),
    )
    .await
    {
        Ok((room, _)) => Ok(go_to(req, &room_path(&room.name))),
        Err(err @ (AppError::Invalid(_) | AppError::NotFound(_))) => {
            let dialog = render(&views::DirectDialog {
                t: lang.text(),
                users: &form.users,
                names: Vec::new(),
                error: Some(i18n::error_text(lang, &err)),
            })?;
            Ok((err.status(), dialog).into_response())
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize)]
pub struct MentionQuery {
    #[serde(default)]
    q: String,
}

/// `GET /rooms/{name}/mentionable?q=an`: members whose names start with `q`.
#[handler]
pub async fn mention_list(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(query): Query<MentionQuery>,
) -> AppResult<Html<String>> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    let members = people::mentionable(&state.db, &user, &room, &query.q).await?;
    render(&views::MentionList {
        t: lang.text(),
        members,
    })
}

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    notify: String,
}

/// `POST /rooms/{name}/notify`: the room header's level select.
#[handler]
pub async fn set_notify(
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Form(form): Form<NotifyForm>,
) -> AppResult<Response> {
    let notify = Notify::parse(&form.notify)?;
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    rooms::set_notify(&state.db, &*state.hub, &user, &room.name, Some(notify)).await?;
    if is_htmx(req) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Redirect::see_other(room_path(&room.name)).into_response())
}

/// `GET /dialogs/leave/{name}`: "Leave {room}?".
#[handler]
pub async fn leave_dialog(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> AppResult<Html<String>> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    render(&views::LeaveDialog {
        t: lang.text(),
        room_name: &room.name,
        title: &room_title(&room.name, &user.username),
    })
}

/// `POST /rooms/{name}/leave`: out of the room, and back to the reader's rooms.
#[handler]
pub async fn leave(
    req: &Request,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> AppResult<Response> {
    rooms::leave(&state.db, &*state.hub, &user, &name).await?;
    Ok(go_to(req, "/rooms"))
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    saved: Option<String>,
    avatar: Option<String>,
}

/// `GET /settings`.
#[handler]
pub async fn settings_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(query): Query<SettingsQuery>,
) -> AppResult<Html<String>> {
    settings(
        lang,
        &state,
        &user,
        query.saved.is_some(),
        query.avatar.is_some(),
        None,
    )
    .await
}

async fn settings(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    saved: bool,
    avatar_saved: bool,
    avatar_error: Option<String>,
) -> AppResult<Html<String>> {
    let rooms = rooms::list(&state.db, user, Scope::Joined).await?;
    render(&views::SettingsPage {
        t: lang.text(),
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: 0,
        shares_typing: people::shares_typing(&state.db, user.id).await?,
        is_admin: auth::is_admin(&state.db, user.id).await?,
        saved,
        avatar_saved,
        avatar_error,
    })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// A checkbox: present when ticked.
    shares_typing: Option<String>,
}

/// `POST /settings`: saved, then the page again, saying so.
#[handler]
pub async fn save_settings(
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<SettingsForm>,
) -> AppResult<Redirect> {
    let shares = form.shares_typing.is_some();
    people::set_shares_typing(&state.db, &user, shares).await?;
    // Their sockets open now, on every node, follow at once.
    state
        .hub
        .tell_user(user.id, UserEvent::SharesTyping { shares });
    Ok(Redirect::see_other("/settings?saved=1"))
}

/// `POST /settings/avatar`: a new picture (a multipart form with `file`), then the
/// page again, saying so; or the page with why not (422, 413, 429).
#[handler]
pub async fn upload_avatar(
    lang: Lang,
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    user: CurrentUser,
    body: Body,
) -> AppResult<Response> {
    let changed = async {
        let form = super::multipart(req, body).await?;
        let mut form = state.files.read_upload(user.id, form).await?;
        let file = form.take_file()?;
        state.set_avatar(session, &user, Some(file)).await
    };
    match changed.await {
        Ok(_) => Ok(Redirect::see_other("/settings?avatar=1").into_response()),
        Err(
            err @ (AppError::Invalid(_) | AppError::TooLarge | AppError::TooManyRequests { .. }),
        ) => {
            let message = i18n::error_text(lang, &err);
            let page = settings(lang, &state, &user, false, false, Some(message)).await?;
            Ok((err.status(), page).into_response())
        }
        Err(err) => Err(err),
    }
}

/// `POST /settings/avatar/remove`: back to initials.
#[handler]
pub async fn remove_avatar(
    session: &Session,
    state: Data<&AppState>,
    user: CurrentUser,
) -> AppResult<Redirect> {
    state.set_avatar(session, &user, None).await?;
    Ok(Redirect::see_other("/settings?avatar=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_to_field_holds_names_separated_by_commas_or_spaces() {
        assert_eq!(names_in("ann, @bob,,张伟 "), ["ann", "bob", "张伟"]);
        assert_eq!(names_in("ann，bob、cyd"), ["ann", "bob", "cyd"]);
        assert_eq!(last_name_in("ann, @bo"), "bo");
        assert_eq!(last_name_in("ann, "), "");
        assert_eq!(last_name_in("an"), "an");
    }
}

//! A room's page: the newest messages, or the window around one message (a
//! permalink, or the first unread one), with "Load earlier" above and "Load later"
//! below where there is more; the "New" divider before what the reader has not read;
//! and, for a room they are not in, its name and a Join button.

use std::sync::Arc;

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Html, Path, Query},
};
use serde::Deserialize;

use super::{render, views};
use crate::{
    AppState,
    auth::CurrentUser,
    domain::{Notify, room_title},
    error::{AppError, AppResult, Code},
    i18n::Lang,
    messages::{self, RecentPage},
    render::html::{MessageView, Unread},
    rooms::{self, Room},
    store::{
        self,
        messages::MessageRow,
        rooms::{RoomSummary, Scope},
    },
};

/// A page shows this many messages, and "Load earlier" or "Load later" fetches this
/// many more.
const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct RoomQuery {
    /// Show the newest messages even when some are unread.
    latest: Option<String>,
}

/// `/rooms/{name}`.
#[handler]
pub async fn room_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(query): Query<RoomQuery>,
) -> AppResult<Response> {
    let view = if query.latest.is_some() {
        View::Latest
    } else {
        View::FromUnread
    };
    show(lang, &state, &user, &name, view).await
}

/// `/rooms/{name}/messages/{id}`: the room around one message, highlighted.
#[handler]
pub async fn permalink_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path((name, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    show(lang, &state, &user, &name, View::Around(id)).await
}

/// Which part of the room a page opens on.
enum View {
    Latest,
    /// The newest messages, unless the first unread one is older than they reach:
    /// then the window that starts there.
    FromUnread,
    Around(i64),
}

async fn show(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    view: View,
) -> AppResult<Response> {
    // The reader's rooms (the sidebar) first: their own room is among them.
    let rooms = rooms::list(&state.db, user, Scope::Joined).await?;
    let room = match rooms::find_among(&rooms, name) {
        Some(room) => room,
        None => match rooms::open_as_member(&state.db, user, name).await {
            Ok(room) => room,
            // Any room may be joined: show it, with a way in.
            Err(AppError::Forbidden(Code::NotAMember)) => {
                return preview(lang, state, user, name, &rooms).await;
            }
            Err(err) => return Err(err),
        },
    };
    let this_room = rooms.iter().find(|r| r.id == room.id);
    let (members, unread, last_read) =
        this_room.map_or((1, 0, 0), |r| (r.members, r.unread, r.last_read_id));
    let notify = this_room.map_or(Notify::default_for(room.direct), |r| Unread::of(r).notify);
    // Asked for the newest: no divider to scroll to instead.
    let show_new = unread > 0 && !matches!(view, View::Latest);
    let window = match view {
        View::Around(id) => around(state, &room, id).await?,
        View::FromUnread if unread > 0 => {
            let newest = newest(state, &room).await?;
            // The newest page reaches back to the read marker (or to the first message):
            // the first unread one is on it.
            let reaches_marker = newest.earlier_before.is_none()
                || newest.messages().first().is_some_and(|m| m.id <= last_read);
            if reaches_marker {
                newest
            } else {
                // Else open where the unread messages start: the first after the
                // marker, with half a page up to it.
                let window =
                    store::messages::window(&state.db, room.id, last_read, PAGE / 2 - 1, PAGE)
                        .await?;
                match window.rows.iter().find(|m| m.id > last_read) {
                    Some(first) => {
                        let target = first.id;
                        Window::read(window, room.last_seq, target)
                    }
                    None => newest,
                }
            }
        }
        View::Latest | View::FromUnread => newest(state, &room).await?,
    };
    let new_from = show_new
        .then(|| first_unread(window.messages(), user.id, last_read))
        .flatten();
    let composer = render(&views::Composer::empty(lang.text(), &room.name, true))?.0;
    render(&views::RoomPage {
        t: lang.text(),
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: &rooms,
        current_room_id: room.id,
        room_name: &room.name,
        title: &room_title(&room.name, &user.username),
        notify: notify.as_str(),
        members,
        online: state.hub.online(room.id),
        messages: window.messages().iter().map(MessageView::new).collect(),
        earlier_before: window.earlier_before,
        later_after: window.later_after,
        target: window.target,
        new_from,
        new_count: unread,
        room_seq: window.room_seq,
        composer,
        user_id: user.id,
    })
    .map(IntoResponse::into_response)
}

/// A room the reader is not in: 403, with its name, its size and a Join button.
async fn preview(
    lang: Lang,
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    mine: &[RoomSummary],
) -> AppResult<Response> {
    let room = rooms::find(&state.db, name).await?;
    // A direct room is joined only by being one of its people.
    if room.direct {
        return Err(AppError::Forbidden(Code::NotAMember));
    }
    let page = render(&views::RoomPreview {
        t: lang.text(),
        username: &user.username,
        avatar: user.avatar.as_deref(),
        rooms: mine,
        current_room_id: 0,
        room_name: &room.name,
        members: room.member_count,
    })?;
    Ok((StatusCode::FORBIDDEN, page).into_response())
}

/// The messages a page opens with.
struct Window {
    /// Shared with the recent-page cache: `from` skips the row that only says whether
    /// an earlier page exists.
    page: Arc<RecentPage>,
    from: usize,
    earlier_before: Option<i64>,
    /// Set when newer messages exist than the window shows: "Load later" reads after it.
    later_after: Option<i64>,
    /// The message a permalink points at.
    target: Option<i64>,
    /// The room's seq the window shows everything up to: the socket resumes after it.
    room_seq: i64,
}

impl Window {
    /// A window read around `target`, with the room's seq read before it: replaying
    /// from that seq repeats nothing the page lacks (the page drops repeats) and
    /// misses nothing.
    fn read(window: store::messages::Window, room_seq: i64, target: i64) -> Window {
        let (first, last) = (window.rows.first(), window.rows.last());
        let earlier_before = window.earlier.then(|| first.map(|m| m.id)).flatten();
        let later_after = window.later.then(|| last.map(|m| m.id)).flatten();
        Window {
            page: Arc::new(RecentPage::new(window.rows, room_seq)),
            from: 0,
            earlier_before,
            later_after,
            target: Some(target),
            room_seq,
        }
    }

    fn messages(&self) -> &[MessageRow] {
        &self.page.rows[self.from..]
    }
}

async fn newest(state: &AppState, room: &Room) -> AppResult<Window> {
    // The messages and the room's seq in one read: the page's socket resumes exactly
    // after what the page shows.
    let page = state.recent.newest(&state.db, room, PAGE + 1).await?;
    let from = usize::from(page.rows.len() as i64 > PAGE);
    let earlier_before = (from > 0).then(|| page.rows.get(1).map(|m| m.id)).flatten();
    let room_seq = page.room_seq;
    Ok(Window {
        page,
        from,
        earlier_before,
        later_after: None,
        target: None,
        room_seq,
    })
}

async fn around(state: &AppState, room: &Room, id: i64) -> AppResult<Window> {
    let window = messages::around(&state.db, room, id, PAGE).await?;
    Ok(Window::read(window, room.last_seq, id))
}

/// The first message after the reader's marker that someone else wrote.
fn first_unread(messages: &[MessageRow], me: i64, last_read: i64) -> Option<i64> {
    messages
        .iter()
        .find(|m| m.id > last_read && m.sender_id != me && !m.deleted)
        .map(|m| m.id)
}

#[derive(Deserialize)]
pub struct Paging {
    before: Option<i64>,
    after: Option<i64>,
}

/// "Load earlier" (`?before=`) and "Load later" (`?after=`): the next page that way,
/// with its own button if there is more.
#[handler]
pub async fn more_messages(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    Query(paging): Query<Paging>,
) -> AppResult<Html<String>> {
    let room = rooms::open_as_member(&state.db, &user, &name).await?;
    if let Some(after) = paging.after {
        let mut messages =
            store::messages::page(&state.db, room.id, Some(after), None, PAGE + 1).await?;
        let more = messages.len() as i64 > PAGE;
        messages.truncate(PAGE as usize);
        return render(&views::LaterFragment {
            t: lang.text(),
            room_name: &room.name,
            later_after: more.then(|| messages.last().map(|m| m.id)).flatten(),
            messages: messages.iter().map(MessageView::new).collect(),
        });
    }
    let (mut messages, _) =
        store::messages::newest_with_seq(&state.db, room.id, paging.before, PAGE + 1).await?;
    let earlier_before = earlier_page(&mut messages);
    render(&views::HistoryFragment {
        t: lang.text(),
        room_name: &room.name,
        messages: messages.iter().map(MessageView::new).collect(),
        earlier_before,
    })
}

/// Given up to `PAGE + 1` messages, oldest first: keeps the newest `PAGE` and says
/// where an earlier page would start, if there is one.
fn earlier_page(history: &mut Vec<MessageRow>) -> Option<i64> {
    if history.len() as i64 <= PAGE {
        return None;
    }
    history.remove(0);
    history.first().map(|m| m.id)
}

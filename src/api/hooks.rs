//! Incoming webhooks: `POST /hooks/{bot}?room=NAME` with the bot's bearer token posts
//! as the bot. The body is Slack-compatible JSON (`{"text": …}`, and the room may be
//! given as `room` or `channel` there instead), or plain text.

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Json, Path, Query},
};
use serde::Deserialize;

use crate::{
    AppState,
    auth::bots::Bearer,
    domain::Username,
    error::{AppError, AppResult, Code, ValidationError},
    messages,
    render::json::MessageOut,
    rooms,
    store::messages::Stored,
};

#[derive(Deserialize)]
pub struct HookQuery {
    room: Option<String>,
}

/// A Slack-style body.
#[derive(Deserialize)]
struct HookBody {
    text: Option<serde_json::Value>,
    room: Option<String>,
    channel: Option<String>,
}

fn bad_body(field: &'static str) -> AppError {
    ValidationError::new(field, Code::BadHookBody).into()
}

/// What a hook's body says: the text, and the room if it names one.
async fn read_body(req: &Request, body: Body) -> AppResult<(String, Option<String>)> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bytes = body.into_bytes().await.map_err(|_| bad_body("text"))?;
    if !json {
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| bad_body("text"))?;
        return Ok((text, None));
    }
    let parsed: HookBody = serde_json::from_slice(&bytes).map_err(|_| bad_body("text"))?;
    let text = match parsed.text {
        Some(serde_json::Value::String(text)) => text,
        _ => return Err(bad_body("text")),
    };
    let room = parsed
        .room
        .or(parsed.channel.map(|c| c.trim_start_matches('#').to_owned()));
    Ok((text, room))
}

#[handler]
pub async fn incoming(
    req: &Request,
    state: Data<&AppState>,
    Path(name): Path<String>,
    Query(query): Query<HookQuery>,
    body: Body,
) -> AppResult<Response> {
    // Only a bot's token, and only this bot's: never a browser's cookie.
    let Some(Bearer(bot)) = req.extensions().get::<Bearer>().cloned() else {
        return Err(AppError::BadToken);
    };
    let named = Username::existing(&name).map(|n| n.key()).ok();
    if named != Username::existing(&bot.username).map(|n| n.key()).ok() {
        return Err(AppError::BadToken);
    }
    let (text, room) = read_body(req, body).await?;
    let room = room.or(query.room).ok_or_else(|| bad_body("room"))?;
    let room = rooms::open_to_post(&state.db, &bot, &room).await?;
    let stored = messages::send(state.outbox(), &room, &bot, &text, None).await?;
    let row = match stored {
        Stored::New(row) | Stored::Duplicate(row) => row,
    };
    Ok((StatusCode::CREATED, Json(MessageOut::from(&row))).into_response())
}

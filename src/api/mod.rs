//! The JSON API under `/api/v1`, described by the code itself: poem-openapi turns these
//! handlers into `/api/v1/openapi.json` and the docs page at `/api/docs`. It uses the
//! same session cookie as the pages and the same domain and store functions.

mod account;
mod admin;
mod docs;
mod files;
mod hooks;
mod messages;
mod people;
mod problem;
mod push;
mod rooms;
mod search;
mod socket;
mod strict;
mod users;

use poem::{EndpointExt, Route, get};
use poem_openapi::OpenApiService;

pub use problem::{ApiError, ApiResult, names_a_reaction, problem_response};

/// The incoming webhooks, to be nested at `/hooks`.
pub fn hook_routes() -> Route {
    Route::new().at("/:name", poem::post(hooks::incoming))
}

/// Every API route, to be nested at `/api`.
pub fn routes() -> Route {
    let service = OpenApiService::new((
            users::UsersApi,
            account::AccountApi,
            admin::AdminApi,
            rooms::RoomsApi,
            messages::MessagesApi,
            search::SearchApi,
            people::PeopleApi,
            files::FilesApi,
            push::PushApi,
        ), "Hearth", env!("CARGO_PKG_VERSION"))
        .description("Hearth's JSON API. Log in with `POST /api/v1/session`; the session cookie it sets authenticates every other call. Messages are Markdown (`text`), rendered to safe HTML (`html`). Direct rooms (`POST /api/v1/direct`) are named `@` and their people's usernames: URL-encode the name in paths. A room's events (messages created, edited, deleted, reactions changed) stream over `GET /api/v1/rooms/{name}/ws?after_seq=S` (a WebSocket, described in the README) and replay from `GET /api/v1/rooms/{name}/events`.")
        .server("/api/v1");
    let spec = service.spec_endpoint();
    let docs = service.swagger_ui();
    Route::new()
        .at("/v1/rooms/:name/ws", get(socket::room_socket))
        .at("/v1/openapi.json", spec)
        .nest("/docs", docs.with(docs::DocsPolicy))
        .nest("/v1", service)
}

//! The ceiling for Hearth's room page: the same askama template (`web::views::RoomPage`)
//! with the same 50 messages and sidebar, rendered from memory on the same poem stack,
//! with no database, no session and no middleware. `hearth-load page --ceiling-url`
//! loads it right after Hearth's own page, in the same run, and prints the ratio.
//!
//!     page-ceiling --addr 127.0.0.1:8200

use std::sync::Arc;

use askama::Template;
use clap::Parser;
use hearth::{
    i18n::Lang,
    render::{html::MessageView, markdown},
    store::{mentions::Mentions, messages::MessageRow, reactions::Reactions, rooms::RoomSummary},
    web::views,
};
use poem::{
    EndpointExt, Route, Server, get, handler,
    listener::TcpListener,
    web::{Data, Html},
};

#[derive(Parser)]
struct Cli {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8200")]
    addr: String,
    /// Messages on the page (Hearth's page shows 50).
    #[arg(long, default_value_t = 50)]
    messages: usize,
}

/// What the page shows, made once.
struct Data50 {
    messages: Vec<MessageRow>,
    rooms: Vec<RoomSummary>,
}

fn data(count: usize) -> Data50 {
    let text =
        |n: usize| format!("Seed message {n} of the page scenario, about as long as a chat line.");
    let messages = (0..count)
        .map(|n| {
            let body = text(n);
            MessageRow {
                id: n as i64 + 1,
                room_id: 1,
                seq: n as i64 + 1,
                room: "ceiling".into(),
                sender_id: (n % 64) as i64 + 1,
                sender: format!("user{}", n % 64),
                html: markdown::render(&body).html,
                text: body,
                client_id: None,
                sent_at: 1_764_151_503_123 + n as i64 * 1000,
                edited_at: None,
                deleted: false,
                reactions: Reactions::default(),
                mentions: Mentions::default(),
                attachment: Default::default(),
                avatar: None,
            }
        })
        .collect();
    let rooms = ["ceiling", "general", "random"]
        .iter()
        .enumerate()
        .map(|(i, name)| RoomSummary {
            id: i as i64 + 1,
            name: (*name).into(),
            name_key: (*name).into(),
            kind: "room".into(),
            created_at: 0,
            last_seq: 50,
            members: 64,
            unread: 0,
            mentioned: 0,
            last_read_id: 50,
            notify: None,
        })
        .collect();
    Data50 { messages, rooms }
}

#[handler]
fn room_page(data: Data<&Arc<Data50>>) -> Html<String> {
    let t = Lang::En.text();
    let composer = views::Composer::empty(t, "ceiling", true)
        .render()
        .expect("the composer renders");
    let page = views::RoomPage {
        t,
        username: "user1",
        avatar: None,
        rooms: &data.rooms,
        current_room_id: 1,
        room_name: "ceiling",
        title: "ceiling",
        notify: "mentions",
        members: 64,
        online: 1,
        messages: data.messages.iter().map(MessageView::new).collect(),
        earlier_before: None,
        later_after: None,
        target: None,
        new_from: None,
        new_count: 0,
        room_seq: 50,
        composer,
        user_id: 1,
    };
    Html(page.render().expect("the page renders"))
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let data = Arc::new(data(cli.messages));
    let app = Route::new()
        .at("/rooms/:name", get(room_page))
        .at("/healthz", get(healthz))
        .data(data);
    eprintln!("page-ceiling listening on http://{}", cli.addr);
    Server::new(TcpListener::bind(cli.addr)).run(app).await
}

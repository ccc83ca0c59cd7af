//! The admin page: who may register and invitations, people (roles, deactivation,
//! reset links), bots (tokens, webhooks), and rooms (rename, delete, remove a member).
//! Plain forms that work with JavaScript off. A link, token or secret is shown once,
//! in the page that answers the form that made it, and never in a URL.

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::header,
    session::Session,
    web::{Data, Form, Query, Redirect},
};
use serde::Deserialize;

use super::{render, views};
use crate::{
    AppState,
    auth::{self, Admin, CurrentUser, Registration, invites},
    error::{AppError, AppResult, Code, ValidationError},
    i18n::{self, Lang},
    rooms,
    store::rooms::Scope,
};

/// What the page says at its top, once.
pub enum Said {
    Nothing,
    /// What was just done (a catalogue text).
    Done(&'static str),
    /// A link, token or secret to copy now: what it is, and it.
    Secret(String, String),
    /// What was refused, and in which form.
    Refused(&'static str, AppError),
}

#[derive(Deserialize)]
pub struct AdminQuery {
    done: Option<String>,
}

#[handler]
pub async fn admin_page(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(query): Query<AdminQuery>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let said = match query.done.as_deref() {
        Some("saved") => Said::Done(lang.text().settings_saved),
        _ => Said::Nothing,
    };
    here.page(said).await
}

/// An admin at the admin page: checked once, when the request comes in (anyone else
/// gets the 403 page), and what every answer needs.
struct Here<'a> {
    lang: Lang,
    state: &'a AppState,
    user: &'a CurrentUser,
    admin: Admin,
}

impl<'a> Here<'a> {
    async fn new(lang: Lang, state: &'a AppState, user: &'a CurrentUser) -> AppResult<Self> {
        let admin = Admin::check(&state.db, user).await?;
        Ok(Self {
            lang,
            state,
            user,
            admin,
        })
    }

    async fn page(&self, said: Said) -> AppResult<Response> {
        let (lang, user, admin) = (self.lang, self.user, &self.admin);
        let db = &self.state.db;
        let rooms = rooms::list(db, user, Scope::Joined).await?;
        let all_rooms = rooms::list(db, user, Scope::All).await?;
        let ok = poem::http::StatusCode::OK;
        let (notice, secret, error, status) = match said {
            Said::Nothing => (None, None, None, ok),
            Said::Done(text) => (Some(text), None, None, ok),
            Said::Secret(what, value) => (None, Some((what, value)), None, ok),
            Said::Refused(form, err) => {
                let error = views::FormError {
                    text: i18n::error_text(lang, &err),
                    at: form,
                };
                (None, None, Some(error), err.status())
            }
        };
        let html = render(&views::AdminPage {
            t: lang.text(),
            username: &user.username,
            avatar: user.avatar.as_deref(),
            rooms: &rooms,
            current_room_id: 0,
            registration: auth::registration(db).await?.as_str(),
            invites: &invites::open(db, admin).await?,
            accounts: &auth::accounts(db, admin).await?,
            bots: &auth::bots::list(db, admin).await?,
            group_rooms: &all_rooms,
            notice,
            secret,
            error,
        })?;
        Ok((status, html).into_response())
    }

    /// The page after an action: "saved", or the refusal shown by the form it is
    /// about (see `is_refusal`), or any other error as such.
    async fn after(&self, form: &'static str, outcome: AppResult<()>) -> AppResult<Response> {
        match outcome {
            Ok(()) => Ok(Redirect::see_other("/admin?done=saved").into_response()),
            Err(err) => self.refused(form, err).await,
        }
    }

    /// The page showing what an action made (what it is, and it), once; or its
    /// refusal.
    async fn shown(
        &self,
        form: &'static str,
        made: AppResult<(String, String)>,
    ) -> AppResult<Response> {
        match made {
            Ok((what, value)) => self.page(Said::Secret(what, value)).await,
            Err(err) => self.refused(form, err).await,
        }
    }

    async fn refused(&self, form: &'static str, err: AppError) -> AppResult<Response> {
        if !super::is_refusal(&err) {
            return Err(err);
        }
        self.page(Said::Refused(form, err)).await
    }
}

/// A link on this server, as people outside reach it.
fn absolute(req: &Request, state: &AppState, path: &str) -> String {
    if let Some(base) = &state.public_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.secure { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

#[derive(Deserialize)]
pub struct RegistrationForm {
    #[serde(default)]
    mode: String,
}

#[handler]
pub async fn set_registration(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<RegistrationForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = match Registration::parse(&form.mode) {
        Some(mode) => auth::set_registration(&state.db, &here.admin, mode).await,
        None => Err(ValidationError::new("mode", Code::BadRegistration).into()),
    };
    here.after("registration-form", outcome).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    hours: Option<String>,
    uses: Option<String>,
}

/// A number field; anything else is out of range.
fn number(field: Option<&str>, default: i64) -> i64 {
    match field.map(str::trim).filter(|f| !f.is_empty()) {
        None => default,
        Some(text) => text.parse().unwrap_or(-1),
    }
}

#[handler]
pub async fn create_invite(
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let hours = number(form.hours.as_deref(), invites::DEFAULT_INVITE_HOURS);
    let uses = number(form.uses.as_deref(), invites::DEFAULT_INVITE_USES);
    let made = invites::create(&state.db, &here.admin, hours, uses).await;
    let made = made.map(|(code, _)| {
        let link = absolute(req, &state, &format!("/join/{code}"));
        (lang.text().invite_link.to_owned(), link)
    });
    here.shown("invite-form", made).await
}

#[derive(Deserialize)]
pub struct IdForm {
    #[serde(default)]
    id: String,
}

#[handler]
pub async fn revoke_invite(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<IdForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = match form.id.parse() {
        Ok(id) => invites::revoke(&state.db, &here.admin, id).await,
        Err(_) => Err(AppError::NotFound(Code::NoSuchInvite)),
    };
    here.after("invites", outcome).await
}

#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    username: String,
    /// For roles: `admin` or `member`. For activity: `on` or `off`.
    #[serde(default)]
    to: String,
}

#[handler]
pub async fn set_role(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<PersonForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = auth::set_role(&state.db, &here.admin, &form.username, &form.to).await;
    here.after("people", outcome.map(drop)).await
}

#[handler]
pub async fn set_active(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<PersonForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let active = form.to == "on";
    let outcome = auth::set_active(state.accounts(), &here.admin, &form.username, active).await;
    here.after("people", outcome).await
}

#[handler]
pub async fn reset_link(
    req: &Request,
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<PersonForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let made = auth::reset_link(&state.db, &here.admin, &form.username).await;
    let made = made.map(|(token, _)| {
        let link = absolute(req, &state, &format!("/reset/{token}"));
        let what = i18n::fill(lang.text().reset_link_for, &form.username);
        (what, link)
    });
    here.shown("people", made).await
}

#[derive(Deserialize)]
pub struct BotForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[handler]
pub async fn create_bot(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<BotForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let made = auth::bots::create(&state.db, &here.admin, &form.name).await;
    let made = made.map(|(bot, token)| (i18n::fill(lang.text().token_for, &bot.username), token));
    here.shown("bot-form", made).await
}

#[handler]
pub async fn rotate_token(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<BotForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let made = auth::bots::rotate_token(state.accounts(), &here.admin, &form.name).await;
    let made = made.map(|token| (i18n::fill(lang.text().token_for, &form.name), token));
    here.shown("bots", made).await
}

#[handler]
pub async fn revoke_token(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<BotForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = auth::bots::revoke_token(state.accounts(), &here.admin, &form.name).await;
    here.after("bots", outcome).await
}

#[handler]
pub async fn set_webhook(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<BotForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    match auth::bots::set_webhook(&state.db, &here.admin, &form.name, Some(&form.url)).await {
        Ok(Some(secret)) => {
            state.hooked.set();
            let what = i18n::fill(lang.text().webhook_secret_for, &form.name);
            here.page(Said::Secret(what, secret)).await
        }
        Ok(None) => here.after("bots", Ok(())).await,
        Err(err) => here.refused("bots", err).await,
    }
}

#[derive(Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    room: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
}

#[handler]
pub async fn rename_room(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = state.rename_room(&here.admin, &form.room, &form.name).await;
    here.after("rooms", outcome.map(drop)).await
}

#[handler]
pub async fn delete_room(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let outcome = rooms::delete(&state.db, &*state.hub, &here.admin, &form.room).await;
    here.after("rooms", outcome.map(drop)).await
}

#[handler]
pub async fn remove_member(
    lang: Lang,
    state: Data<&AppState>,
    user: CurrentUser,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let (room, username) = (&form.room, &form.username);
    let removed = rooms::remove_member(&state.db, &*state.hub, &here.admin, room, username).await;
    here.after("rooms", removed.map(drop)).await
}

#[derive(Deserialize)]
pub struct BotQuery {
    #[serde(default)]
    name: String,
}

/// `POST /admin/bots/avatar?name=…`: a picture for a bot (a multipart form with
/// `file`), as for one's own.
#[handler]
pub async fn bot_avatar(
    req: &Request,
    lang: Lang,
    session: &Session,
    state: Data<&AppState>,
    user: CurrentUser,
    Query(query): Query<BotQuery>,
    body: Body,
) -> AppResult<Response> {
    let here = Here::new(lang, &state, &user).await?;
    let changed = async {
        let bot = auth::bots::as_user(&state.db, &here.admin, &query.name).await?;
        let form = super::multipart(req, body).await?;
        let mut form = state.files.read_upload(user.id, form).await?;
        let file = form.take_file()?;
        state.set_avatar(session, &bot, Some(file)).await.map(drop)
    };
    here.after("bots", changed.await).await
}

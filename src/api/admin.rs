//! What admins do over JSON: accounts (roles, deactivation, reset links), who may
//! register, and invitations. Every route answers 403 `not_an_admin` to anyone else.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{ApiResult, strict};
use crate::{
    AppState,
    auth::{self, Admin, CurrentUser, Registration, invites},
    error::{AppError, Code, ValidationError},
    render,
    store::{bots::BotRow, invites::InviteRow, users::AccountRow},
};

#[derive(Debug, Object)]
pub struct AccountOut {
    pub username: String,
    /// `admin`, `member` or `bot`.
    pub role: String,
    /// Cannot log in until reactivated.
    pub deactivated: bool,
    pub created_at: String,
}

impl From<AccountRow> for AccountOut {
    fn from(row: AccountRow) -> Self {
        Self {
            username: row.username,
            role: row.role,
            deactivated: row.deactivated,
            created_at: render::rfc3339(row.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct RoleIn {
    /// `admin` or `member`.
    #[oai(deserialize_with = "strict::role")]
    pub role: String,
}

#[derive(Debug, Object)]
pub struct ActiveIn {
    /// false deactivates the account: its sessions end, its sockets close on every
    /// node, and it cannot log in. true reactivates it.
    #[oai(deserialize_with = "strict::active")]
    pub active: bool,
}

#[derive(Debug, Object)]
pub struct ResetLinkOut {
    /// `/reset/{token}`, on this server: give it to its owner privately. It works
    /// once.
    pub url: String,
    pub expires_at: String,
}

#[derive(Debug, Object)]
pub struct RegistrationIo {
    /// `open`, `invite` or `closed`.
    #[oai(deserialize_with = "strict::mode")]
    pub mode: String,
}

#[derive(Debug, Object)]
pub struct NewInvite {
    /// How long it lasts: 1 to 720 hours (default 168, a week).
    #[oai(deserialize_with = "strict::hours")]
    pub hours: Option<i64>,
    /// How many people may register with it: 1 to 1000 (default 1).
    #[oai(deserialize_with = "strict::uses")]
    pub uses: Option<i64>,
}

#[derive(Debug, Object)]
pub struct InviteOut {
    pub id: i64,
    /// Who made it (null: the command line).
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub max_uses: i64,
    pub uses: i64,
}

impl From<InviteRow> for InviteOut {
    fn from(row: InviteRow) -> Self {
        Self {
            id: row.id,
            created_by: row.created_by,
            created_at: render::rfc3339(row.created_at),
            expires_at: render::rfc3339(row.expires_at),
            max_uses: row.max_uses,
            uses: row.uses,
        }
    }
}

#[derive(Debug, Object)]
pub struct InviteCreated {
    /// `/join/{code}`, on this server. Shown this once: only a hash is kept.
    pub url: String,
    pub code: String,
    pub invite: InviteOut,
}

#[derive(Debug, Object)]
pub struct NewBot {
    /// A username's rules: 3–32 letters, digits, `_`, `.` or `-`.
    #[oai(deserialize_with = "strict::name")]
    pub name: String,
}

#[derive(Debug, Object)]
pub struct BotOut {
    pub username: String,
    /// Whether it has a token (none: revoked).
    pub has_token: bool,
    pub webhook_url: Option<String>,
    /// When its webhook was last called, and how that went: the HTTP status,
    /// `timeout` or `unreachable` (and whether its reply was refused).
    pub last_delivery_at: Option<String>,
    pub last_delivery_status: Option<String>,
    pub deactivated: bool,
}

impl From<BotRow> for BotOut {
    fn from(row: BotRow) -> Self {
        Self {
            username: row.username,
            has_token: row.token_id.is_some(),
            webhook_url: row.webhook_url,
            last_delivery_at: row.last_delivery_at.map(render::rfc3339),
            last_delivery_status: row.last_delivery_status,
            deactivated: row.deactivated,
        }
    }
}

#[derive(Debug, Object)]
pub struct TokenOut {
    pub username: String,
    /// `Authorization: Bearer <token>`. Shown this once: only a hash is kept.
    pub token: String,
}

#[derive(Debug, Object)]
pub struct WebhookIn {
    /// An `http:` or `https:` URL, or null to take the webhook away.
    #[oai(deserialize_with = "strict::url")]
    pub url: Option<String>,
}

#[derive(Debug, Object)]
pub struct WebhookOut {
    pub url: Option<String>,
    /// The key each call's `X-Hearth-Signature` (`sha256=` HMAC of the body) is made
    /// with. Shown this once.
    pub secret: Option<String>,
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Made<T: poem_openapi::types::ToJSON> {
    #[oai(status = 201)]
    Created(Json<T>),
}

pub struct AdminApi;

#[OpenApi(prefix_path = "/admin")]
impl AdminApi {
    /// Every account, by name.
    #[oai(path = "/users", method = "get")]
    async fn accounts(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
    ) -> ApiResult<Json<Vec<AccountOut>>> {
        let admin = Admin::check(&state.db, &user).await?;
        let accounts = auth::accounts(&state.db, &admin).await?;
        Ok(Json(accounts.into_iter().map(AccountOut::from).collect()))
    }

    /// Make someone an admin or a member (422 `bad_role`; 409 `last_admin` for the
    /// last active admin).
    #[oai(path = "/users/:username/role", method = "put")]
    async fn set_role(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        username: Path<String>,
        body: Json<RoleIn>,
    ) -> ApiResult<Done> {
        let admin = Admin::check(&state.db, &user).await?;
        auth::set_role(&state.db, &admin, &username, &body.role).await?;
        Ok(Done::NoContent)
    }

    /// Deactivate or reactivate an account (409 `last_admin` for the last active
    /// admin).
    #[oai(path = "/users/:username/active", method = "put")]
    async fn set_active(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        username: Path<String>,
        body: Json<ActiveIn>,
    ) -> ApiResult<Done> {
        let admin = Admin::check(&state.db, &user).await?;
        auth::set_active(state.accounts(), &admin, &username, body.active).await?;
        Ok(Done::NoContent)
    }

    /// A one-time link, valid 24 hours, with which someone who forgot their password
    /// sets a new one (every session of theirs then ends).
    #[oai(path = "/users/:username/reset-link", method = "post")]
    async fn reset_link(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        username: Path<String>,
    ) -> ApiResult<Made<ResetLinkOut>> {
        let admin = Admin::check(&state.db, &user).await?;
        let (token, expires_at) = auth::reset_link(&state.db, &admin, &username).await?;
        Ok(Made::Created(Json(ResetLinkOut {
            url: format!("/reset/{token}"),
            expires_at: render::rfc3339(expires_at),
        })))
    }

    /// Who may register now.
    #[oai(path = "/registration", method = "get")]
    async fn registration(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
    ) -> ApiResult<Json<RegistrationIo>> {
        Admin::check(&state.db, &user).await?;
        let mode = auth::registration(&state.db).await?;
        Ok(Json(RegistrationIo {
            mode: mode.as_str().to_owned(),
        }))
    }

    /// Set who may register, for every node (422 `bad_registration`).
    #[oai(path = "/registration", method = "put")]
    async fn set_registration(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<RegistrationIo>,
    ) -> ApiResult<Json<RegistrationIo>> {
        let admin = Admin::check(&state.db, &user).await?;
        let mode = Registration::parse(&body.mode)
            .ok_or_else(|| AppError::from(ValidationError::new("mode", Code::BadRegistration)))?;
        auth::set_registration(&state.db, &admin, mode).await?;
        Ok(Json(RegistrationIo {
            mode: mode.as_str().to_owned(),
        }))
    }

    /// Invitations that can still be used, newest first.
    #[oai(path = "/invites", method = "get")]
    async fn invites(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
    ) -> ApiResult<Json<Vec<InviteOut>>> {
        let admin = Admin::check(&state.db, &user).await?;
        let open = invites::open(&state.db, &admin).await?;
        Ok(Json(open.into_iter().map(InviteOut::from).collect()))
    }

    /// Make an invitation (422 `bad_invite` outside 1–720 hours or 1–1000 uses).
    #[oai(path = "/invites", method = "post")]
    async fn invite(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<NewInvite>,
    ) -> ApiResult<Made<InviteCreated>> {
        let admin = Admin::check(&state.db, &user).await?;
        let hours = body.hours.unwrap_or(invites::DEFAULT_INVITE_HOURS);
        let uses = body.uses.unwrap_or(invites::DEFAULT_INVITE_USES);
        let (code, invite) = invites::create(&state.db, &admin, hours, uses).await?;
        Ok(Made::Created(Json(InviteCreated {
            url: format!("/join/{code}"),
            code,
            invite: invite.into(),
        })))
    }

    /// Revoke an invitation (404 `no_such_invite`).
    #[oai(path = "/invites/:id", method = "delete")]
    async fn revoke_invite(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<i64>,
    ) -> ApiResult<Done> {
        let admin = Admin::check(&state.db, &user).await?;
        invites::revoke(&state.db, &admin, *id).await?;
        Ok(Done::NoContent)
    }

    /// Every bot, by name, with how its webhook's last call went.
    #[oai(path = "/bots", method = "get")]
    async fn bots(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
    ) -> ApiResult<Json<Vec<BotOut>>> {
        let admin = Admin::check(&state.db, &user).await?;
        let bots = auth::bots::list(&state.db, &admin).await?;
        Ok(Json(bots.into_iter().map(BotOut::from).collect()))
    }

    /// Make a bot (409 `username_taken`). Its token is in the answer, once.
    #[oai(path = "/bots", method = "post")]
    async fn create_bot(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<NewBot>,
    ) -> ApiResult<Made<TokenOut>> {
        let admin = Admin::check(&state.db, &user).await?;
        let (bot, token) = auth::bots::create(&state.db, &admin, &body.name).await?;
        Ok(Made::Created(Json(TokenOut {
            username: bot.username,
            token,
        })))
    }

    /// Give a bot a new token (in the answer, once); the old one stops working and
    /// its sockets close (404 `no_such_bot`).
    #[oai(path = "/bots/:name/token", method = "post")]
    async fn rotate_token(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
    ) -> ApiResult<Made<TokenOut>> {
        let admin = Admin::check(&state.db, &user).await?;
        let token = auth::bots::rotate_token(state.accounts(), &admin, &name).await?;
        Ok(Made::Created(Json(TokenOut {
            username: name.0,
            token,
        })))
    }

    /// Revoke a bot's token: it cannot act until given a new one; its sockets close.
    #[oai(path = "/bots/:name/token", method = "delete")]
    async fn revoke_token(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
    ) -> ApiResult<Done> {
        let admin = Admin::check(&state.db, &user).await?;
        auth::bots::revoke_token(state.accounts(), &admin, &name).await?;
        Ok(Done::NoContent)
    }

    /// Set (or, with a null `url`, take away) a bot's outgoing webhook (422
    /// `bad_webhook_url`). A new signing secret is in the answer, once.
    #[oai(path = "/bots/:name/webhook", method = "put")]
    async fn set_webhook(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        body: Json<WebhookIn>,
    ) -> ApiResult<Json<WebhookOut>> {
        let url = body.url.as_deref();
        let admin = Admin::check(&state.db, &user).await?;
        let secret = auth::bots::set_webhook(&state.db, &admin, &name, url).await?;
        if secret.is_some() {
            state.hooked.set();
        }
        Ok(Json(WebhookOut {
            url: secret.as_ref().and(body.0.url),
            secret,
        }))
    }
}

//! Accounts and sessions over JSON.

use poem::{Request, session::Session, web::Data};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{ApiResult, strict};
use crate::{
    AppState,
    auth::{self, CurrentUser},
    error::AppError,
    peer::ClientAddr,
    store,
};

#[derive(Debug, Object)]
pub struct Credentials {
    /// 3–32 letters, digits, `_`, `.` or `-`. Any script: `张伟` is fine.
    #[oai(deserialize_with = "strict::username")]
    pub username: String,
    /// At most 1024 bytes; a new one is 8 characters or more and may not be on the list of common passwords.
    #[oai(write_only, deserialize_with = "strict::password")]
    pub password: String,
}

#[derive(Debug, Object)]
pub struct NewAccount {
    /// 3–32 letters, digits, `_`, `.` or `-`. Any script: `张伟` is fine.
    #[oai(deserialize_with = "strict::username")]
    pub username: String,
    /// 8 characters or more, at most 1024 bytes, not on the list of common passwords.
    #[oai(write_only, deserialize_with = "strict::password")]
    pub password: String,
    /// An invitation's code (the last part of its `/join/{code}` link): needed while
    /// registration is `invite`, and used up by one whenever given.
    #[oai(deserialize_with = "strict::invite")]
    pub invite: Option<String>,
}

#[derive(Debug, Object)]
pub struct Me {
    pub username: String,
    /// `admin`, `member` or `bot`. The first account ever created is an admin.
    pub role: String,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account exists and this session is logged in to it.
    #[oai(status = 201)]
    Created(Json<Me>),
}

#[derive(ApiResponse)]
pub enum LoggedIn {
    #[oai(status = 200)]
    Ok(Json<Me>),
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The session is deleted on the server; its cookie no longer works.
    #[oai(status = 204)]
    NoContent,
}

pub struct UsersApi;

#[OpenApi]
impl UsersApi {
    /// Create an account, and log in to it. The registration mode decides who may
    /// (403 `registration_closed`); an invitation that cannot be used says why (404
    /// `no_such_invite`, 403 `invite_expired`, `invite_used_up`, `invite_revoked`).
    /// One address may register ten accounts in three minutes (429 after that).
    #[oai(path = "/users", method = "post")]
    async fn register(
        &self,
        req: &Request,
        state: Data<&AppState>,
        session: &Session,
        client: ClientAddr,
        body: Json<NewAccount>,
    ) -> ApiResult<Registered> {
        let invite = body.invite.as_deref();
        let user = auth::register(
            state.accounts(),
            client,
            &body.username,
            &body.password,
            invite,
        )
        .await?;
        auth::start_session(session, &user, req);
        Ok(Registered::Created(Json(Me {
            username: user.username,
            role: user.role,
        })))
    }

    /// Log in (429 when throttled; 403 `account_deactivated` for a deactivated
    /// account, said only once the password is right). One address may try ten times in three minutes. Ten
    /// attempts at one username in fifteen minutes lock it to every address that
    /// failed on it; an address that has not failed may still log in.
    #[oai(path = "/session", method = "post")]
    async fn log_in(
        &self,
        req: &Request,
        state: Data<&AppState>,
        session: &Session,
        client: ClientAddr,
        body: Json<Credentials>,
    ) -> ApiResult<LoggedIn> {
        let user = auth::log_in(state.accounts(), client, &body.username, &body.password).await?;
        auth::start_session(session, &user, req);
        Ok(LoggedIn::Ok(Json(Me {
            username: user.username,
            role: user.role,
        })))
    }

    /// Who this session is logged in as.
    #[oai(path = "/session", method = "get")]
    async fn whoami(&self, state: Data<&AppState>, user: CurrentUser) -> ApiResult<LoggedIn> {
        let role = store::users::role(&state.db, user.id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(LoggedIn::Ok(Json(Me {
            username: user.username,
            role,
        })))
    }

    /// Log out: the session ends on the server and its sockets close.
    #[oai(path = "/session", method = "delete")]
    async fn log_out(&self, state: Data<&AppState>, session: &Session) -> ApiResult<LoggedOut> {
        if let Some((user_id, login)) = auth::end_session(session) {
            state.hub.revoke(user_id, login);
        }
        Ok(LoggedOut::NoContent)
    }
}

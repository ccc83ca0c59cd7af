//! Your own account over JSON: the password, your sessions, deleting the account, and
//! setting a password through a reset link.

use poem::{Request, session::Session, web::Data};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{ApiResult, strict, users::Me};
use crate::{
    AppState,
    auth::{self, CurrentUser},
    render,
};

#[derive(Debug, Object)]
pub struct PasswordChange {
    #[oai(write_only, deserialize_with = "strict::current_password")]
    pub current_password: String,
    /// 8 characters or more, at most 1024 bytes, not on the list of common passwords.
    #[oai(write_only, deserialize_with = "strict::new_password")]
    pub new_password: String,
}

#[derive(Debug, Object)]
pub struct PasswordConfirmation {
    #[oai(write_only, deserialize_with = "strict::password")]
    pub password: String,
}

#[derive(Debug, Object)]
pub struct PasswordReset {
    /// The last part of the reset link, `/reset/{token}`.
    #[oai(write_only, deserialize_with = "strict::token")]
    pub token: String,
    /// 8 characters or more, at most 1024 bytes, not on the list of common passwords.
    #[oai(write_only, deserialize_with = "strict::password")]
    pub password: String,
}

#[derive(Debug, Object)]
pub struct SessionOut {
    /// Names the session, to log it out.
    pub id: String,
    /// The browser or client that logged in, as it called itself (`User-Agent`).
    pub user_agent: Option<String>,
    pub created_at: Option<String>,
    /// When it was last used, to within five minutes.
    pub last_seen_at: Option<String>,
    /// The session making this request.
    pub current: bool,
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum LoggedIn {
    /// The password is set, every earlier session ended, and this one is logged in.
    #[oai(status = 200)]
    Ok(Json<Me>),
}

pub struct AccountApi;

#[OpenApi]
impl AccountApi {
    /// Change your password (422 `wrong_password` on `current_password`, or the new
    /// one's rule on `new_password`). Every other session of yours ends, and its
    /// sockets close.
    #[oai(path = "/account/password", method = "put")]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        body: Json<PasswordChange>,
    ) -> ApiResult<Done> {
        auth::change_password(
            state.accounts(),
            &user,
            &body.current_password,
            &body.new_password,
        )
        .await?;
        Ok(Done::NoContent)
    }

    /// Your sessions, the most recently used first.
    #[oai(path = "/account/sessions", method = "get")]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
    ) -> ApiResult<Json<Vec<SessionOut>>> {
        let sessions = auth::sessions(&state.db, &user).await?;
        Ok(Json(
            sessions
                .into_iter()
                .map(|s| SessionOut {
                    current: s.login == user.login,
                    id: s.login,
                    user_agent: s.user_agent,
                    created_at: s.created_at.map(render::rfc3339),
                    last_seen_at: s.last_seen_at.map(render::rfc3339),
                })
                .collect(),
        ))
    }

    /// Log one of your sessions out (404 `no_such_session`); its sockets close.
    #[oai(path = "/account/sessions/:id", method = "delete")]
    async fn end_session(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        id: Path<String>,
    ) -> ApiResult<Done> {
        auth::log_out_session(state.accounts(), &user, &id).await?;
        Ok(Done::NoContent)
    }

    /// Delete your account, confirmed by your password (422 `wrong_password`). Your
    /// messages stay, their sender shown as "deleted user"; your name is free again,
    /// and your picture, sessions, push subscriptions and memberships go. The last
    /// active admin cannot leave (409 `last_admin`).
    #[oai(path = "/account", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        session: &Session,
        user: CurrentUser,
        body: Json<PasswordConfirmation>,
    ) -> ApiResult<Done> {
        state.delete_account(&user, &body.password).await?;
        session.purge();
        Ok(Done::NoContent)
    }

    /// Set a new password through a reset link an admin made (404
    /// `no_such_reset_link`, 403 `reset_link_used` or `reset_link_expired`). Every
    /// session of the account ends, and this one logs in to it.
    #[oai(path = "/password-resets", method = "post")]
    async fn reset(
        &self,
        req: &Request,
        state: Data<&AppState>,
        session: &Session,
        body: Json<PasswordReset>,
    ) -> ApiResult<LoggedIn> {
        let user = auth::reset_password(state.accounts(), &body.token, &body.password).await?;
        auth::start_session(session, &user, req);
        Ok(LoggedIn::Ok(Json(Me {
            username: user.username,
            role: user.role,
        })))
    }
}

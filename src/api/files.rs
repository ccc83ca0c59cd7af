//! Files over JSON: a message with a file, and one's avatar. Both take a multipart
//! form that is read as it streams in (`files::Files::read_form`): poem-openapi's own
//! multipart payload would spool a whole upload before any limit could stop it, so
//! `Upload` below reads the form itself and borrows only the documented schema.

use poem::{
    Request, RequestBody,
    web::{Data, Multipart},
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    param::Path,
    payload::{Json, ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry},
    types::multipart::Upload as UploadSchema,
};

use super::{ApiResult, rooms::MessagePosted};
use crate::{
    AppState,
    auth::CurrentUser,
    error::{AppError, Code},
    messages, rooms,
    store::messages::Stored,
};

/// A message with a file: the form's documented shape.
#[derive(Debug, poem_openapi::Multipart)]
#[allow(dead_code)]
struct FileForm {
    /// The file (at most `--max-upload-bytes`, 25 MiB by default). Its type is
    /// decided from its first bytes.
    file: UploadSchema,
    /// Text to go with it (Markdown, up to 4,000 characters), or none.
    text: Option<String>,
    /// Your own id for the message (1–64 characters): a retry with the same one is
    /// stored once.
    client_id: Option<String>,
}

/// An avatar: the form's documented shape.
#[derive(Debug, poem_openapi::Multipart)]
#[allow(dead_code)]
struct AvatarForm {
    /// A PNG, JPEG, GIF or WebP image; it is cropped square to 256 px.
    file: UploadSchema,
}

/// A multipart form, read as it streams in. `T` is only its documented shape.
pub struct Streamed<T> {
    form: Multipart,
    _shape: std::marker::PhantomData<T>,
}

impl<T: Payload> Payload for Streamed<T> {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type.starts_with(Self::CONTENT_TYPE)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// Taken as the request's payload (so the spec shows `T`'s form), like poem-openapi's
/// own payloads are.
impl<'a, T: Payload> ApiExtractor<'a> for Streamed<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _options: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let multipart = request
            .content_type()
            .is_some_and(<Self as Payload>::check_content_type);
        if !multipart {
            return Err(AppError::invalid("file", Code::BadUpload).into());
        }
        <Self as ParsePayload>::from_request(request, body).await
    }
}

impl<T: Payload> ParsePayload for Streamed<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let form = <Multipart as poem::FromRequest>::from_request(request, body)
            .await
            .map_err(|_| AppError::invalid("file", Code::BadUpload))?;
        Ok(Self {
            form,
            _shape: std::marker::PhantomData,
        })
    }
}

#[derive(Debug, Object)]
pub struct AvatarOut {
    /// Where the picture is (`/avatars/{key}.jpg`): a new address for every picture.
    pub avatar_url: String,
}

#[derive(ApiResponse)]
pub enum AvatarSet {
    #[oai(status = 200)]
    Ok(Json<AvatarOut>),
}

#[derive(ApiResponse)]
pub enum AvatarRemoved {
    /// Gone: your initials show instead.
    #[oai(status = 204)]
    NoContent,
}

pub struct FilesApi;

#[OpenApi]
impl FilesApi {
    /// Send a file, with optional text, as one message: 201 with the message (its
    /// `attachment` set), or 200 with the original for a retried `client_id`. 413 past
    /// the size limit, 422 for an empty file or a name over 255 bytes, 429 past the
    /// upload rate.
    #[oai(path = "/rooms/:name/files", method = "post")]
    async fn upload(
        &self,
        state: Data<&AppState>,
        user: CurrentUser,
        name: Path<String>,
        form: Streamed<FileForm>,
    ) -> ApiResult<MessagePosted> {
        let room = rooms::open_to_post(&state.db, &user, &name).await?;
        let mut form = state.files.read_upload(user.id, form.form).await?;
        let file = form.take_file()?;
        let client_id = form.client_id.as_deref();
        let outbox = state.outbox();
        let stored = messages::send_file(outbox, &room, &user, &form.text, client_id, file).await?;
        Ok(match stored {
            Stored::New(row) => MessagePosted::Created(Json((&row).into())),
            Stored::Duplicate(row) => MessagePosted::Retried(Json((&row).into())),
        })
    }

    /// Set your avatar (a PNG, JPEG, GIF or WebP image, cropped square to 256 px).
    #[oai(path = "/users/me/avatar", method = "put")]
    async fn set_avatar(
        &self,
        state: Data<&AppState>,
        session: &poem::session::Session,
        user: CurrentUser,
        form: Streamed<AvatarForm>,
    ) -> ApiResult<AvatarSet> {
        let mut form = state.files.read_upload(user.id, form.form).await?;
        let file = form.take_file()?;
        let key = state.set_avatar(session, &user, Some(file)).await?;
        let avatar_url = crate::render::avatar_url(key.as_deref().unwrap_or_default());
        Ok(AvatarSet::Ok(Json(AvatarOut { avatar_url })))
    }

    /// Remove your avatar: your initials show instead.
    #[oai(path = "/users/me/avatar", method = "delete")]
    async fn remove_avatar(
        &self,
        state: Data<&AppState>,
        session: &poem::session::Session,
        user: CurrentUser,
    ) -> ApiResult<AvatarRemoved> {
        state.set_avatar(session, &user, None).await?;
        Ok(AvatarRemoved::NoContent)
    }
}

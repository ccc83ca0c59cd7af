//! Files: taking an upload, keeping it, reading it back, letting it go.
//!
//! An upload streams to a spool file on local disk while its bytes are counted (it
//! stops at the limit, and is never held in memory), its first bytes decide its type
//! (`domain::sniff`), an image gets a thumbnail in the blocking pool (a bounded number
//! at once), and only then does it go to the file store: a directory (`--files-dir`)
//! or any S3-compatible store (`--s3-url`), through `object_store`. The spool file is
//! removed however the upload ends, so a failed one leaves nothing behind.

mod preview;

use std::{ops::Range, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path as StorePath,
};
use poem::web::{Field, Multipart};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::Semaphore,
};

pub use preview::thumbnail_size;

use crate::{
    domain::{Code, FileName, SNIFF_BYTES, Shown, Sniffed, sniff},
    error::{AppError, AppResult},
    limit::KeyedLimit,
    store::files::Attachment,
};

/// Where files are kept.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A directory on this machine.
    Directory(PathBuf),
    /// An S3-compatible store: its endpoint URL and bucket; credentials and region
    /// come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, …).
    S3 { url: String, bucket: String },
}

/// How files are taken and kept.
#[derive(Debug, Clone)]
pub struct FilesConfig {
    pub backend: Backend,
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// Uploads one person may make per minute.
    pub uploads_per_minute: u32,
}

/// Thumbnails and avatars being made at once, at most (each in the blocking pool).
const PREVIEW_JOBS: usize = 2;
/// Files up to this size go to the store in one request; larger ones in parts of it.
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts of one file in flight to the store at once.
const PARTS_IN_FLIGHT: usize = 2;
/// The most a text field of an upload form may hold (a message is at most 4,000
/// characters; a client id 64).
const MAX_FIELD_BYTES: usize = 64 * 1024;
const READ_CHUNK: usize = 64 * 1024;

/// The file store and the rules for what goes in it.
pub struct Files {
    store: Arc<dyn ObjectStore>,
    spool: PathBuf,
    max_bytes: u64,
    previews: Semaphore,
    uploads: KeyedLimit<i64>,
    /// Where it is, for messages about it.
    place: String,
}

/// An upload received and spooled, its type sniffed; not yet in the store.
pub struct Received {
    spool: tempfile::TempPath,
    name: FileName,
    size: u64,
    sniffed: Sniffed,
}

/// An upload form: the file (if one came), and the text and client id beside it.
#[derive(Default)]
pub struct UploadForm {
    pub text: String,
    pub client_id: Option<String>,
    pub file: Option<Received>,
}

impl UploadForm {
    /// Takes the file, which a form that must carry one is refused without (422).
    pub fn take_file(&mut self) -> AppResult<Received> {
        self.file
            .take()
            .ok_or(AppError::invalid("file", Code::FileMissing))
    }
}

/// A file read back from the store: the bytes asked for, and how many there are in all.
pub struct Download {
    pub body: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
    pub range: Range<u64>,
    pub total: u64,
}

fn store_error(err: object_store::Error) -> AppError {
    AppError::internal(anyhow::Error::new(err).context("the file store failed"))
}

impl Files {
    /// Opens the store and proves it can be written, read and deleted from: `hearth`
    /// refuses to start otherwise.
    pub async fn open(config: &FilesConfig) -> anyhow::Result<Self> {
        let (store, spool, place): (Arc<dyn ObjectStore>, PathBuf, String) = match &config.backend {
            Backend::Directory(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the files directory {}", dir.display()))?;
                let spool = dir.join(".uploads");
                std::fs::create_dir_all(&spool)
                    .with_context(|| format!("creating {}", spool.display()))?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| format!("opening the files directory {}", dir.display()))?;
                (Arc::new(store), spool, dir.display().to_string())
            }
            Backend::S3 { url, bucket } => {
                let store = AmazonS3Builder::from_env()
                    .with_endpoint(url)
                    .with_bucket_name(bucket)
                    .with_allow_http(url.starts_with("http://"))
                    .with_region(std::env::var("AWS_REGION").unwrap_or("us-east-1".into()))
                    // A store that is down fails an upload in seconds, not minutes.
                    .with_retry(RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(10),
                        ..RetryConfig::default()
                    })
                    .build()
                    .with_context(|| format!("configuring the S3 store at {url}"))?;
                (
                    Arc::new(store),
                    std::env::temp_dir(),
                    format!("{url} (bucket {bucket})"),
                )
            }
        };
        let files = Self {
            store,
            spool,
            max_bytes: config.max_bytes,
            previews: Semaphore::new(PREVIEW_JOBS),
            uploads: KeyedLimit::new(config.uploads_per_minute.max(1), Duration::from_secs(60)),
            place,
        };
        files.probe().await?;
        Ok(files)
    }

    /// Writes, reads back and deletes a small object.
    async fn probe(&self) -> anyhow::Result<()> {
        let path = StorePath::from(format!("probe-{}", new_key()));
        let fail = || {
            format!(
                "the file store at {} is unreachable or unwritable",
                self.place
            )
        };
        let written = Bytes::from_static(b"hearth");
        let probe = async {
            self.store.put(&path, written.clone().into()).await?;
            let read = self.store.get(&path).await?.bytes().await?;
            self.store.delete(&path).await?;
            Ok::<_, object_store::Error>(read)
        };
        let read = tokio::time::timeout(Duration::from_secs(10), probe)
            .await
            .map_err(|_| anyhow::anyhow!("it did not answer in 10 seconds"))
            .with_context(fail)?
            .with_context(fail)?;
        anyhow::ensure!(read == written, "{}: it read back other bytes", fail());
        Ok(())
    }

    /// Reads a whole upload form (see `read_form`).
    pub async fn read_upload(&self, user_id: i64, form: Multipart) -> AppResult<UploadForm> {
        let mut read = UploadForm::default();
        self.read_form(user_id, form, &mut read).await?;
        Ok(read)
    }

    /// Reads an upload form (`file`, `text`, `client_id`) as it streams in, into `out`
    /// (which keeps what was read before a refusal: the composer shows the text again).
    /// A file counts against `user_id`'s upload rate (429) before a byte of it is read;
    /// a form whose file input was left empty (the composer sending text) does not.
    pub async fn read_form(
        &self,
        user_id: i64,
        mut form: Multipart,
        out: &mut UploadForm,
    ) -> AppResult<()> {
        while let Some(field) = form.next_field().await.map_err(bad_upload)? {
            match field.name() {
                Some("file") if out.file.is_none() => {
                    // A form's empty file input sends a part with no name and no bytes.
                    let unnamed = field.file_name().is_none_or(str::is_empty);
                    if !unnamed {
                        self.uploads.check(user_id)?;
                    }
                    let received = self.receive(field).await?;
                    if received.size > 0 || !unnamed {
                        out.file = Some(received);
                    }
                }
                Some("text") => out.text = small_field(field).await?,
                Some("client_id") => out.client_id = Some(small_field(field).await?),
                _ => {}
            }
        }
        Ok(())
    }

    /// Streams one file field to a spool file, counting its bytes: 413 past the limit,
    /// at whatever byte it is reached.
    async fn receive(&self, field: Field) -> AppResult<Received> {
        let name = FileName::parse(field.file_name())?;
        let spool = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(&self.spool)
            .map_err(AppError::internal)?
            .into_temp_path();
        let mut file = tokio::fs::File::create(&spool)
            .await
            .map_err(AppError::internal)?;
        let mut reader = std::pin::pin!(field.into_async_read());
        let mut buf = vec![0u8; READ_CHUNK];
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut size = 0u64;
        loop {
            let n = reader.read(&mut buf).await.map_err(bad_upload)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > self.max_bytes {
                return Err(AppError::TooLarge);
            }
            if head.len() < SNIFF_BYTES {
                let take = n.min(SNIFF_BYTES - head.len());
                head.extend_from_slice(&buf[..take]);
            }
            file.write_all(&buf[..n])
                .await
                .map_err(AppError::internal)?;
        }
        file.flush().await.map_err(AppError::internal)?;
        Ok(Received {
            spool,
            name,
            size,
            sniffed: sniff(&head),
        })
    }

    /// Puts a received file (and its thumbnail, for an image) in the store.
    pub async fn keep(&self, received: Received) -> AppResult<Attachment> {
        if received.size == 0 {
            return Err(AppError::invalid("file", Code::FileEmpty));
        }
        let id = new_key();
        let preview = match received.sniffed.shown {
            Shown::Image => {
                let (path, content_type) =
                    (received.spool.to_path_buf(), received.sniffed.content_type);
                self.in_blocking_pool(move || preview::thumbnail(&path, content_type))
                    .await?
            }
            _ => None,
        };
        self.put_file(&file_path(&id), &received).await?;
        let (width, height) = (
            preview.as_ref().map(|p| p.width),
            preview.as_ref().map(|p| p.height),
        );
        let thumbnail = preview.is_some();
        if let Some(preview) = preview {
            let jpeg = PutPayload::from(preview.jpeg);
            if let Err(err) = self.store.put(&thumbnail_path(&id), jpeg).await {
                self.forget(&file_path(&id)).await;
                return Err(store_error(err));
            }
        }
        Ok(Attachment {
            id,
            name: received.name.into_string(),
            size: received.size as i64,
            content_type: received.sniffed.content_type.to_owned(),
            width,
            height,
            thumbnail,
        })
    }

    /// Makes an avatar of a received image: cropped square, 256 px, as JPEG. Returns
    /// its key. 422 when it is not an image that can be read.
    pub async fn keep_avatar(&self, received: Received) -> AppResult<String> {
        if received.size == 0 {
            return Err(AppError::invalid("file", Code::FileEmpty));
        }
        if received.sniffed.shown != Shown::Image {
            return Err(AppError::invalid("file", Code::NotAnImage));
        }
        let (path, content_type) = (received.spool.to_path_buf(), received.sniffed.content_type);
        let jpeg = self
            .in_blocking_pool(move || preview::avatar(&path, content_type))
            .await?
            .ok_or(AppError::invalid("file", Code::NotAnImage))?;
        let key = new_key();
        self.store
            .put(&avatar_path(&key), Bytes::from(jpeg).into())
            .await
            .map_err(store_error)?;
        Ok(key)
    }

    /// Runs an image job in the blocking pool, no more than `PREVIEW_JOBS` at once.
    async fn in_blocking_pool<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _turn = self.previews.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(AppError::internal)
    }

    /// Copies the spool file to the store: in one request when small, else in parts
    /// (a few in flight, so memory stays at a few parts whatever the size). A failed
    /// upload is aborted, leaving nothing.
    async fn put_file(&self, path: &StorePath, received: &Received) -> AppResult<()> {
        let mut file = tokio::fs::File::open(&received.spool)
            .await
            .map_err(AppError::internal)?;
        if received.size as usize <= PART_BYTES {
            let mut bytes = Vec::with_capacity(received.size as usize);
            file.read_to_end(&mut bytes)
                .await
                .map_err(AppError::internal)?;
            self.store
                .put(path, PutPayload::from(bytes))
                .await
                .map_err(store_error)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(path).await.map_err(store_error)?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; READ_CHUNK * 4];
        let copied = async {
            loop {
                let n = file.read(&mut buf).await.map_err(AppError::internal)?;
                if n == 0 {
                    return Ok(());
                }
                parts
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(store_error)?;
                parts.write(&buf[..n]);
            }
        }
        .await;
        match copied {
            Ok(()) => parts.finish().await.map(drop).map_err(store_error),
            Err(err) => {
                if let Err(abort) = parts.abort().await {
                    tracing::warn!(%abort, "aborting a failed upload failed");
                }
                Err(err)
            }
        }
    }

    /// Reads a stored file, or the part of it `range` asks for.
    pub async fn read(&self, id: &str, range: Option<Range<u64>>) -> AppResult<Download> {
        self.read_path(&file_path(id), range).await
    }

    /// Reads a file's thumbnail.
    pub async fn read_thumbnail(&self, id: &str) -> AppResult<Download> {
        self.read_path(&thumbnail_path(id), None).await
    }

    /// Reads an avatar.
    pub async fn read_avatar(&self, key: &str) -> AppResult<Download> {
        self.read_path(&avatar_path(key), None).await
    }

    async fn read_path(&self, path: &StorePath, range: Option<Range<u64>>) -> AppResult<Download> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self
            .store
            .get_opts(path, options)
            .await
            .map_err(|err| match err {
                object_store::Error::NotFound { .. } => AppError::NotFound(Code::NoSuchFile),
                other => store_error(other),
            })?;
        let range = got.range.clone();
        let total = got.meta.size;
        let body = got
            .into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed();
        Ok(Download { body, range, total })
    }

    /// Deletes a file and its thumbnail from the store.
    pub async fn remove(&self, attachment: &Attachment) {
        self.forget(&file_path(&attachment.id)).await;
        if attachment.thumbnail {
            self.forget(&thumbnail_path(&attachment.id)).await;
        }
    }

    /// Deletes an avatar from the store.
    pub async fn remove_avatar(&self, key: &str) {
        self.forget(&avatar_path(key)).await;
    }

    async fn forget(&self, path: &StorePath) {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => tracing::warn!(%err, %path, "deleting from the file store failed"),
        }
    }
}

/// A new random key for something in the store (128 bits, hex): unguessable, and
/// never reused.
fn new_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn file_path(id: &str) -> StorePath {
    StorePath::from(format!("files/{id}"))
}

fn thumbnail_path(id: &str) -> StorePath {
    StorePath::from(format!("thumbnails/{id}.jpg"))
}

fn avatar_path(key: &str) -> StorePath {
    StorePath::from(format!("avatars/{key}.jpg"))
}

/// A form that could not be read (broken off, or not multipart at all).
fn bad_upload(err: impl std::fmt::Display) -> AppError {
    tracing::debug!(%err, "an upload form could not be read");
    AppError::invalid("file", Code::BadUpload)
}

/// A text field of an upload form, read up to `MAX_FIELD_BYTES` (413 past it).
async fn small_field(field: Field) -> AppResult<String> {
    let mut bytes = Vec::new();
    let limit = MAX_FIELD_BYTES as u64 + 1;
    std::pin::pin!(field.into_async_read().take(limit))
        .read_to_end(&mut bytes)
        .await
        .map_err(bad_upload)?;
    if bytes.len() > MAX_FIELD_BYTES {
        return Err(AppError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| AppError::invalid("text", Code::BadUpload))
}

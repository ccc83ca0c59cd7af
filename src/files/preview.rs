//! Thumbnails and avatars, made with `image` in the blocking pool. A decoder is held to
//! width, height and memory limits, so a decompression bomb fails to decode (and is
//! kept as a plain file) instead of taking the node's memory. Re-encoding drops every
//! bit of metadata; EXIF orientation is applied first.

use std::{io::Cursor, path::Path};

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder,
    imageops::FilterType,
};

/// A thumbnail fits this box.
pub const THUMBNAIL_WIDTH: u32 = 800;
pub const THUMBNAIL_HEIGHT: u32 = 600;
/// Avatars are this square.
pub const AVATAR_SIDE: u32 = 256;
/// No image wider or taller than this is decoded.
pub const MAX_SIDE: u32 = 12_000;
/// Nor one whose decoding would allocate more than this.
pub const MAX_DECODE_BYTES: u64 = 192 * 1024 * 1024;

const JPEG_QUALITY: u8 = 85;

/// A thumbnail, and the size of the image it shows (after orientation).
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Decodes the image at `path` (of the sniffed `content_type`) within the limits and
/// turns it upright; `None` when it cannot be, whatever the reason.
fn decode(path: &Path, content_type: &str) -> Option<DynamicImage> {
    let format = ImageFormat::from_mime_type(content_type)?;
    let mut reader = ImageReader::open(path).ok()?;
    reader.set_format(format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(err) => {
            tracing::info!(%err, "an image was not decoded");
            return None;
        }
    };
    // `max_alloc` is only a hint to the decoders (PNG's ignores it), and only
    // `ImageReader::decode` weighs the pixels against it, which this path (for the
    // orientation) does not take: the pixels are weighed here.
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        tracing::info!(
            bytes = decoder.total_bytes(),
            "an image was too large to decode"
        );
        return None;
    }
    let orientation = decoder.orientation().ok();
    let mut image = match DynamicImage::from_decoder(decoder) {
        Ok(image) => image,
        Err(err) => {
            tracing::info!(%err, "an image was not decoded");
            return None;
        }
    };
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Some(image)
}

fn jpeg(image: &DynamicImage) -> Option<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let rgb = image.to_rgb8();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .ok()?;
    Some(out.into_inner())
}

/// The size of the thumbnail of a `width`×`height` image: fitted into 800×600, keeping
/// its shape, never enlarged. Pages ask it too, to hold the thumbnail's place.
pub fn thumbnail_size(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (width.max(1) as f64, height.max(1) as f64);
    let scale = (THUMBNAIL_WIDTH as f64 / w)
        .min(THUMBNAIL_HEIGHT as f64 / h)
        .min(1.0);
    let side = |v: f64| ((v * scale).round() as u32).max(1);
    (side(w), side(h))
}

/// A JPEG of `thumbnail_size`, or `None` when the image cannot be read.
pub fn thumbnail(path: &Path, content_type: &str) -> Option<Preview> {
    let image = decode(path, content_type)?;
    let (width, height) = (image.width(), image.height());
    let small = match thumbnail_size(width, height) {
        same if same == (width, height) => image,
        (w, h) => image.thumbnail_exact(w, h),
    };
    Some(Preview {
        width,
        height,
        jpeg: jpeg(&small)?,
    })
}

/// The image cropped square from its middle and scaled to 256 px, as JPEG.
pub fn avatar(path: &Path, content_type: &str) -> Option<Vec<u8>> {
    let image = decode(path, content_type)?;
    jpeg(&image.resize_to_fill(AVATAR_SIDE, AVATAR_SIDE, FilterType::Lanczos3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn write(image: &DynamicImage, format: ImageFormat) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        image.save_with_format(file.path(), format).unwrap();
        file
    }

    #[test]
    fn a_large_image_fits_the_box_and_a_small_one_keeps_its_size() {
        let big = DynamicImage::new_rgb8(1600, 400);
        let file = write(&big, ImageFormat::Png);
        let preview = thumbnail(file.path(), "image/png").unwrap();
        assert_eq!((preview.width, preview.height), (1600, 400));
        let small = image::load_from_memory(&preview.jpeg).unwrap();
        assert_eq!((small.width(), small.height()), (800, 200));

        let tiny = write(&DynamicImage::new_rgb8(40, 30), ImageFormat::Png);
        let preview = thumbnail(tiny.path(), "image/png").unwrap();
        let same = image::load_from_memory(&preview.jpeg).unwrap();
        assert_eq!((same.width(), same.height()), (40, 30));
    }

    #[test]
    fn an_avatar_is_a_square_from_the_middle() {
        // Red left half, blue right half: the middle square shows both.
        let image = ImageBuffer::from_fn(600, 300, |x, _| {
            if x < 300 {
                Rgb([255u8, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let file = write(&DynamicImage::ImageRgb8(image), ImageFormat::Png);
        let out = image::load_from_memory(&avatar(file.path(), "image/png").unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(out.dimensions(), (AVATAR_SIDE, AVATAR_SIDE));
        assert!(out.get_pixel(10, 128)[0] > 200, "left is red");
        assert!(out.get_pixel(245, 128)[2] > 200, "right is blue");
    }

    #[test]
    fn something_that_is_not_an_image_has_no_preview() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(thumbnail(file.path(), "image/png").is_none());
        assert!(thumbnail(file.path(), "application/pdf").is_none());
    }
}

# Hearth in a container: built in a full Rust image, run from a small Debian one as an
# unprivileged user, with the SQLite database and the uploaded files on a volume.
#
#   docker build -t hearth .
#   docker run -p 8000:8000 -v hearth-data:/data hearth
#
# (CI builds neither this image nor compose.yaml: there is no Docker there.)

FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin hearth \
 && cp target/release/hearth /usr/local/bin/hearth

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hearth \
 && mkdir -p /data \
 && chown hearth:hearth /data
COPY --from=build /usr/local/bin/hearth /usr/local/bin/hearth
USER hearth
WORKDIR /data
VOLUME ["/data"]
ENV HEARTH_ADDR=0.0.0.0:8000 \
    DATABASE_URL=sqlite:/data/hearth.db \
    HEARTH_FILES_DIR=/data/files
EXPOSE 8000
# SIGTERM stops Hearth cleanly: sockets close with 1012, acknowledged messages are
# stored, and it exits within five seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hearth"]

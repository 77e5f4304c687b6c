# lethe as a container: a release build on Debian bookworm, run as an
# unprivileged user. Used by docker-compose.yml; `docker build -t lethe .`
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin lethe

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/lethe --create-home lethe \
 && mkdir /estate && chown lethe /estate
COPY --from=build /src/target/release/lethe /usr/local/bin/lethe
USER lethe
WORKDIR /var/lib/lethe
EXPOSE 8080
ENTRYPOINT ["lethe"]
CMD ["serve"]

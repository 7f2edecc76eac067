# syntax=docker/dockerfile:1
# Build: docker build -t ccsub .
# Run:   docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e CCSUB_SECRET_KEY=... ccsub
# The image has no PostgreSQL of its own: give it DATABASE_URL.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Generated templ code is committed, so no generation step is needed here.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ccsub ./cmd/ccsub \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ccgw-sim ./cmd/ccgw-sim \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ccsub /usr/local/bin/ccsub
COPY --from=build /out/ccgw-sim /usr/local/bin/ccgw-sim
# The data dir holds the journal of gateway answers the database could not
# take yet (a granted serverId among them): give it a volume per replica.
COPY --from=build --chown=65532:65532 /out/data /var/lib/ccsub
VOLUME /var/lib/ccsub
ENV LISTEN_ADDR=0.0.0.0:8080 \
    CCSUB_DATA_DIR=/var/lib/ccsub \
    CCSUB_REQUIRE_SECRET_KEY=true
USER nonroot:nonroot
EXPOSE 8080
# No shell or curl in a distroless image: the probe is ccsub itself. It GETs
# /readyz on loopback at LISTEN_ADDR's port (https, pinned to CCSUB_TLS_CERT,
# when that is set), opens no database and loads no keys; see docs/deploy.md.
# If you change the port with `serve --listen` rather than LISTEN_ADDR, give
# the probe --url too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/ccsub", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ccsub"]
CMD ["serve"]

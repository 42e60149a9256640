# wsusfleet: a static binary on distroless, running as non-root, SQLite in a volume.
#   docker build -t wsusfleet .
#   docker run -d -p 8080:8080 -v wsusfleet:/data wsusfleet
#   docker run --rm -v wsusfleet:/data wsusfleet token create --name admin --scope admin
# .ci/run executes the RUN line that builds the binary exactly as written here.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/wsusfleet ./cmd/wsusfleet
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wsusfleet /wsusfleet
# The data directory belongs to the nonroot user (65532) so SQLite can write it.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
# Listening beyond loopback turns read auth on: the dashboard and GET API
# then need a read token (sign in with one in the browser).
ENV WSUSFLEET_ADDR=:8080 \
    WSUSFLEET_DB=sqlite:/data/wsusfleet.db \
    WSUSFLEET_LOG_FORMAT=json
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/wsusfleet", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/wsusfleet"]
CMD ["serve"]

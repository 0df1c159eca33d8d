# The EaaPL worker image: `eaapl worker` by default; any eaapl command can be given instead
# (`docker run eaapl run "..."`). Configured only through environment variables (see the README).
#
# Build: docker build -t eaapl .   (docker-compose.temporal.yml builds it for its workers)

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change to the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static, so that it runs on an image without a C library; timetzdata embeds the time zones that
# EAAPL_TIMEZONE names.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -tags timetzdata -o /out/eaapl ./cmd/eaapl

# distroless/static: CA certificates (for TLS to Temporal Cloud and Kafka) and a non-root user, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/eaapl /usr/local/bin/eaapl
COPY examples /app/examples
WORKDIR /app
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/eaapl"]
CMD ["worker"]

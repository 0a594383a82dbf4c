# syntax=docker/dockerfile:1
# Dockerfile: one axr service, or the nginx gateway, as a small Debian 12 image.
#
#   docker build --build-arg SERVICE=account -t registry.example.com/axr/axr-account:0.1.0 .
#   docker build --target gateway -t registry.example.com/axr/axr-gateway:0.1.0 .
#
# The last stage (the default target) is a service: --build-arg SERVICE is required.
# Service images hold /usr/local/bin/axr-$SERVICE and the shared libraries it links, nothing
# else: no shell scripts, no compiler, no package lists. They run as uid/gid 10001, listen on
# 8080 on every address, and read every setting from the environment (axr-$SERVICE --help).
#
# Base images are pinned by tag here. Releases pin the digest as well, by passing the
# tag@digest they verified (docs/kubernetes.md, "Images"), e.g.
#   --build-arg DEBIAN=debian:12.11@sha256:<digest> --build-arg DEBIAN_SLIM=debian:12.11-slim@sha256:<digest>
ARG DEBIAN=debian:12.11
ARG DEBIAN_SLIM=debian:12.11-slim

# ---- gateway: nginx from Debian 12 (the version `nginx -t` checks in make test) -----------
# First, so that `--target gateway` needs no SERVICE even with the legacy builder.
FROM ${DEBIAN_SLIM} AS gateway
ARG DEBIAN_SLIM
# The prefix /var/lib/axr-gateway/ holds logs/access.log -> stdout and tmp/ (an emptyDir in
# Kubernetes: the root file system stays read-only); the configuration is mounted at
# /etc/axr-gateway/ (k8s/base/gateway.yaml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && groupadd --system --gid 10001 axr \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin axr \
 && mkdir -p /var/lib/axr-gateway/logs /var/lib/axr-gateway/tmp /etc/axr-gateway/gateway \
 && ln -sf /dev/stdout /var/lib/axr-gateway/logs/access.log \
 && chown 10001:10001 /var/lib/axr-gateway/tmp
LABEL org.opencontainers.image.title="axr-gateway" \
      org.opencontainers.image.description="axr nginx gateway" \
      org.opencontainers.image.base.name="${DEBIAN_SLIM}"
EXPOSE 8080
USER 10001:10001
# SIGQUIT: graceful (requests in flight finish); SIGTERM would be nginx's fast shutdown.
STOPSIGNAL SIGQUIT
ENTRYPOINT ["nginx", "-p", "/var/lib/axr-gateway/", "-c", "/etc/axr-gateway/nginx.conf", "-e", "stderr"]
CMD ["-g", "daemon off; pid /var/lib/axr-gateway/tmp/nginx.pid; worker_shutdown_timeout 30s;"]

# ---- build: the -dev packages of scripts/deps.sh a service needs, then make -------------
FROM ${DEBIAN} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config ca-certificates \
      libevent-dev libjson-c-dev libjwt-dev libhiredis-dev libpq-dev \
      libprotobuf-c-dev protobuf-c-compiler libfyaml-dev \
      libsodium-dev libpcre2-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# After the package layer, so that one layer serves every service.
ARG SERVICE
RUN if [ -z "${SERVICE}" ]; then echo "Dockerfile: --build-arg SERVICE=<name> is required" >&2; exit 1; fi \
 && if [ ! -d "services/${SERVICE}" ]; then echo "Dockerfile: no service '${SERVICE}' (services/${SERVICE} is missing)" >&2; exit 1; fi \
 && make -j"$(nproc)" "build/bin/axr-${SERVICE}" \
 && install -D -m 0755 "build/bin/axr-${SERVICE}" "/out/axr-${SERVICE}" \
 && strip --strip-unneeded "/out/axr-${SERVICE}"

# ---- service: the runtime libraries and the one binary -----------------------------------
FROM ${DEBIAN_SLIM} AS service
ARG DEBIAN_SLIM
# The runtime side of the build stage's -dev packages (what the Makefile links); the ldd
# below fails the build if the binary needs anything else.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libevent-2.1-7 libevent-pthreads-2.1-7 libjson-c5 libjwt0 libhiredis0.14 libpq5 \
      libprotobuf-c1 libsodium23 libpcre2-8-0 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 axr \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin axr
ARG SERVICE
COPY --from=build /out/axr-${SERVICE} /usr/local/bin/axr-${SERVICE}
RUN if ldd "/usr/local/bin/axr-${SERVICE}" | grep 'not found'; then \
      echo "Dockerfile: axr-${SERVICE} needs a library the runtime stage does not install" >&2; exit 1; \
    fi \
 && ln -s "axr-${SERVICE}" /usr/local/bin/axr-service
LABEL org.opencontainers.image.title="axr-${SERVICE}" \
      org.opencontainers.image.description="axr ${SERVICE} service" \
      org.opencontainers.image.base.name="${DEBIAN_SLIM}"
ENV AXR_HOST=0.0.0.0 \
    AXR_PORT=8080
EXPOSE 8080
USER 10001:10001
# SIGTERM drains (readiness 503, in-flight requests finish) and exits 0; the binary is PID 1.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/axr-service"]


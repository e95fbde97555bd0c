# eddy's container image: the one binary, on Debian 12 with the shared libraries it links (and
# libcurl, libmicrohttpd and libarchive, which it loads when first used: src/base/dl.h), and the
# programs it runs: gpg (through gpgme) and ssh-keygen, which sign commits.
#   docker build -t ghcr.io/eddy-gitops/eddy:v$(cat VERSION) .
# The Deployment that `eddy install` and `eddy bootstrap` apply runs `eddy controller` from it,
# as user 65534 with a read-only root file system (/data and /tmp are emptyDir volumes).

FROM debian:12 AS build
# libgit2 1.8 (push options) comes from bookworm-backports, as in scripts/setup.
RUN echo 'deb http://deb.debian.org/debian bookworm-backports main' \
        >/etc/apt/sources.list.d/backports.list \
    && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config git ca-certificates \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -t bookworm-backports libgit2-dev \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libyaml-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libpcre2-dev libmicrohttpd-dev \
        libarchive-dev zlib1g-dev libgpgme-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make build/eddy

FROM debian:12-slim
RUN echo 'deb http://deb.debian.org/debian bookworm-backports main' \
        >/etc/apt/sources.list.d/backports.list \
    && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -t bookworm-backports libgit2-1.8 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libyaml-0-2 libjson-c5 libcurl4 libssl3 libpcre2-8-0 libmicrohttpd12 libarchive13 \
        zlib1g libgpgme11 gpg openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/eddy /usr/local/bin/eddy
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/eddy"]
CMD ["controller"]

#!/usr/bin/env bash
# build-image.sh builds the mangaalert container image without pulling any
# image: the static binary is compiled here, then Dockerfile.prebuilt only
# copies files into FROM scratch. CI and the image test use this path; the
# multi-stage Dockerfile runs the --rootfs half of it in its build stage, so
# both paths lay out the same files.
#
# Usage:
#   examples/mangaalert/build-image.sh [TAG]        build the image (default mangaalert:dev) and print its size
#   examples/mangaalert/build-image.sh --rootfs DIR only lay out the image's files in DIR
#
# Needs Go, and the CA bundle at /etc/ssl/certs/ca-certificates.crt (Debian's
# ca-certificates package; CA_BUNDLE names another); the image build also
# needs docker.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
certs=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

# rootfs DIR writes the image's files: DIR/mangaalert, DIR/etc (CA bundle,
# passwd, group) and the empty DIR/data that the image hands to uid 65532.
rootfs() {
	local dir=$1
	if [ ! -s "$certs" ]; then
		echo "build-image: $certs is missing: install the ca-certificates package, or set CA_BUNDLE to a PEM bundle" >&2
		exit 1
	fi
	mkdir -p "$dir/etc/ssl/certs" "$dir/data"
	# Static (no cgo) and stripped; time zone data is in the binary
	# (time/tzdata), so the image needs no zoneinfo. Linux whatever the
	# host; GOARCH is the engine's (set below) or this machine's.
	(cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o "$dir/mangaalert" ./examples/mangaalert)
	cp "$certs" "$dir/etc/ssl/certs/ca-certificates.crt"
	# Names for the numeric user, so that ps and $HOME make sense; the
	# image runs as 65532:65532 with or without them.
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/data:/sbin/nologin\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
}

if [ "${1:-}" = "--rootfs" ]; then
	if [ -z "${2:-}" ]; then
		echo "build-image: --rootfs needs a directory" >&2
		exit 2
	fi
	rootfs "$2"
	exit 0
fi

tag=${1:-mangaalert:dev}
# The engine's architecture, so that a Mac on arm64 builds an arm64 image.
GOARCH=${GOARCH:-$(docker version -f '{{.Server.Arch}}')}
export GOARCH
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
rootfs "$ctx/rootfs"
cp "$here/Dockerfile.prebuilt" "$ctx/Dockerfile"

git=(git -C "$root")
revision=$("${git[@]}" rev-parse HEAD 2>/dev/null || echo unknown)
version=$("${git[@]}" describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit's time, not now: the same commit gives the same labels.
created=$("${git[@]}" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)

docker build --quiet -t "$tag" \
	--build-arg VERSION="$version" \
	--build-arg REVISION="$revision" \
	--build-arg CREATED="$created" \
	"$ctx" >/dev/null
size=$(docker image inspect -f '{{.Size}}' "$tag")
echo "$tag $size bytes"

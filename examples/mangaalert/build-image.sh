#!/usr/bin/env bash
# build-image.sh builds the mangaalert container image without pulling any
# image: the static binary is compiled here, then Dockerfile.prebuilt only
# copies files into FROM scratch. CI and the image test use this path; the
# multi-stage Dockerfile runs the --rootfs half of it in its build stage, so
# both paths lay out the same files.
#
# Usage:
#   examples/mangaalert/build-image.sh [--push] [TAG]  build TAG-arm64 and TAG-amd64 (default
#                                                      mangaalert:dev) and print their sizes;
#                                                      --push pushes both and joins them in one
#                                                      manifest list TAG (needs a registry)
#   examples/mangaalert/build-image.sh --rootfs DIR    only lay out the image's files in DIR
#                                                      (GOARCH picks the architecture)
#
# Both architectures are cross-compiled here (GOARCH) into FROM scratch
# images: nothing is pulled, no emulator runs. The host is t4g (arm64) by
# default; the deploy tool's image_arch lists what was built, and refuses
# an instance of another architecture.
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
	# Static (no cgo), stripped (-s -w: no symbol table, no DWARF) and
	# without local paths (-trimpath); Europe/Rome's zone data is in the
	# binary (internal/tzrome), so the image needs no zoneinfo. Linux
	# whatever the host; GOARCH is the caller's (the loop below sets it) or
	# this machine's. No compression (UPX and the like): the image's layers
	# are compressed in the registry anyway, and a packed binary is
	# unpacked into memory at every start. What the binary holds, and why
	# it is under 15 MB: see the image test (integration/image_test.go).
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

# set_arch TAG ARCH writes ARCH into the image's configuration. The
# classic builder labels every image with the engine's architecture, and
# its --platform refuses FROM scratch; the files are right (GOARCH), so
# only the label is rewritten: save, edit the config, load.
set_arch() {
	local tag=$1 arch=$2 dir config id
	[ "$(docker image inspect -f '{{.Architecture}}' "$tag")" = "$arch" ] && return 0
	dir=$(mktemp -d)
	docker save "$tag" | tar -x -C "$dir"
	config=$(sed -n 's/.*"Config":"\([^"]*\)".*/\1/p' "$dir/manifest.json")
	sed -i 's/"architecture":"[a-z0-9]*"/"architecture":"'"$arch"'"/' "$dir/$config"
	id=$(sha256sum "$dir/$config" | cut -d' ' -f1)
	mv "$dir/$config" "$dir/$id.json"
	sed -i "s/$config/$id.json/" "$dir/manifest.json"
	docker image rm "$tag" >/dev/null
	tar -c -C "$dir" . | docker load --quiet >/dev/null
	rm -rf "$dir"
}

push=false
if [ "${1:-}" = "--push" ]; then
	push=true
	shift
fi
tag=${1:-mangaalert:dev}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

git=(git -C "$root")
revision=$("${git[@]}" rev-parse HEAD 2>/dev/null || echo unknown)
version=$("${git[@]}" describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit's time, not now: the same commit gives the same labels.
created=$("${git[@]}" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)

# One image per architecture, TAG-ARCH; --platform only labels the image
# (FROM scratch, COPY only: no instruction runs, so no emulation).
for arch in ${ARCHS:-arm64 amd64}; do
	rm -rf "$ctx/rootfs"
	GOARCH=$arch rootfs "$ctx/rootfs"
	cp "$here/Dockerfile.prebuilt" "$ctx/Dockerfile"
	docker build --quiet -t "$tag-$arch" \
		--build-arg VERSION="$version" \
		--build-arg REVISION="$revision" \
		--build-arg CREATED="$created" \
		"$ctx" >/dev/null
	set_arch "$tag-$arch" "$arch"
	size=$(docker image inspect -f '{{.Size}}' "$tag-$arch")
	echo "$tag-$arch $size bytes"
	if $push; then
		docker push --quiet "$tag-$arch" >/dev/null
	fi
done

# TAG itself: the engine's architecture, for docker run here (with --push
# the manifest list below takes its place in the registry).
engine=$(docker version -f '{{.Server.Arch}}')
if docker image inspect "$tag-$engine" >/dev/null 2>&1; then
	docker tag "$tag-$engine" "$tag"
fi

# The manifest list: one TAG that pulls the host's architecture.
if $push; then
	manifest=(docker manifest create --amend "$tag")
	for arch in ${ARCHS:-arm64 amd64}; do
		manifest+=("$tag-$arch")
	done
	"${manifest[@]}" >/dev/null
	docker manifest push --purge "$tag" >/dev/null
	echo "$tag: manifest list of ${ARCHS:-arm64 amd64}"
fi

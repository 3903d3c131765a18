#!/usr/bin/env bash
# docker-moto-image.sh builds the moto image the harness runs with
# MANGAALERT_EMULATOR=docker-moto, without pulling anything: FROM scratch,
# holding this machine's python3 (the interpreter, its standard library),
# moto with its server extras and their dependencies (read from the
# installed packages' metadata), and the shared libraries all of it links
# (found with ldd). CI builds it in .ci/run; no registry is needed.
#
# Usage:
#   integration/docker-moto-image.sh [TAG]   default mangaalert-moto:<moto version>-serial; prints the tag and size
#
# Needs docker, python3 with moto[server] installed
# (pip install 'moto[server]==5.2.1'), ldd and tar.
set -euo pipefail

py=$(python3 -c 'import sys; print(sys.executable)')
py=$(readlink -f "$py")
version=$(python3 -c 'import moto; print(moto.__version__)')
tag=${1:-mangaalert-moto:$version-serial}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/tmp"
chmod 1777 "$root/tmp"

# The files: the interpreter, the standard library without its tests, GUI
# and installer parts, and every file of moto's distribution and of what it
# needs with the "server" extra, transitively.
python3 - "$py" >"$ctx/files" <<'EOF'
import importlib.metadata as md, os, re, sys, sysconfig

print(sys.argv[1])
stdlib = sysconfig.get_paths()["stdlib"]
site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
skip = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data"}
for d, dirs, files in os.walk(stdlib):
    if d == stdlib:
        dirs[:] = [x for x in dirs if x not in skip and x != "site-packages" and not x.startswith("config-")]
    for f in files:
        print(os.path.join(d, f))

def name(req):
    return re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-")

# cfn-lint (with sympy and networkx, half the size) serves only moto's
# CloudFormation, which this project does not use; pip runs nothing here.
seen, todo = {"cfn-lint", "pip"}, [("moto", "server")]
while todo:
    dist, extra = todo.pop()
    if dist in seen:
        continue
    try:
        d = md.distribution(dist)
    except md.PackageNotFoundError:
        continue  # an optional dependency for another platform or Python
    seen.add(dist)
    for f in d.files or []:
        p = os.path.realpath(d.locate_file(f))
        if os.path.isfile(p):
            print(p)
    for req in d.requires or []:
        m = re.search(r'extra\s*==\s*"([^"]+)"', req)
        if m is None or m.group(1) == extra:
            todo.append((name(req), ""))
print("moto: %d distributions" % (len(seen) - 2), file=sys.stderr)
EOF

# The shared libraries the interpreter and the extension modules link, and
# the dynamic loader: each under its name with its directory resolved, and
# the file it points to. The top-level links of a merged /usr (lib ->
# usr/lib) are made again in the image, so that every name ldd printed
# resolves there too.
grep -E '(\.so(\.[0-9.]+)?|/python3(\.[0-9]+)?)$' "$ctx/files" | while read -r f; do
	ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/.*ld-linux/{print $1}'
done | sort -u | while read -r lib; do
	echo "$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"
	readlink -f "$lib"
done >"$ctx/libs"
for d in lib lib32 lib64 libx32; do
	if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done

sort -u "$ctx/files" "$ctx/libs" | sed "s|^/||" | tar -C / --no-recursion -cf - -T - | tar -C "$root" -xf -
# The interpreter under the name the image runs, and the harness's
# launcher, which takes moto's requests one at a time (see the file).
ln -s "$py" "$root/python3"
cp "$(dirname "$0")/moto_serial.py" "$root/moto_serial.py"

# One layer imported from a tar stream: no build context to copy twice,
# which the legacy builder does (minutes for a few hundred MB on a busy
# machine).
tar -C "$root" -cf - . | docker import \
	--change 'ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TMPDIR=/tmp' \
	--change 'EXPOSE 5000' \
	--change 'ENTRYPOINT ["/python3", "/moto_serial.py", "0.0.0.0", "5000"]' \
	--change "LABEL org.opencontainers.image.title=\"moto $version for mangaalert's tests\"" \
	--change 'LABEL org.opencontainers.image.description="moto server built from the local python3 installation by integration/docker-moto-image.sh"' \
	- "$tag" >/dev/null
size=$(docker image inspect -f '{{.Size}}' "$tag")
echo "$tag $size bytes"

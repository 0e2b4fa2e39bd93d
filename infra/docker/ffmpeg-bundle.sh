#!/bin/sh
# Bundles an installed ffmpeg and ffprobe with every shared library they load and the dynamic loader into OUT,
# so that they run on another Linux (the Lambda base image, Amazon Linux) as they run here: OUT/ffmpeg and
# OUT/ffprobe start the programs through the bundled loader with the bundled libraries only.
#
#   sh infra/docker/ffmpeg-bundle.sh OUT [FFMPEG] [FFPROBE]         (default /usr/bin/ffmpeg, /usr/bin/ffprobe)
#
# The image build runs it on Debian 12's ffmpeg package (infra/docker/Dockerfile); on a Debian 12 machine it
# makes the offline bundle: `tar -C OUT -cf infra/docker/ffmpeg/ffmpeg-bundle.tar .`, with its sha256 given as
# the build's FFMPEG_BUNDLE_SHA256.
set -eu
out=$1
ffmpeg=${2:-/usr/bin/ffmpeg}
ffprobe=${3:-/usr/bin/ffprobe}
mkdir -p "$out/bin" "$out/lib"
cp -L "$ffmpeg" "$out/bin/ffmpeg"
cp -L "$ffprobe" "$out/bin/ffprobe"
for prog in "$ffmpeg" "$ffprobe"; do
  ldd "$prog" | while read -r name arrow path rest; do
    case "$name" in
      /*ld-linux*) cp -L "$name" "$out/lib/ld.so" ;;
    esac
    if [ "$arrow" = "=>" ] && [ "$path" = "not" ]; then echo "ffmpeg-bundle: $prog needs $name, which is not found" >&2; exit 1; fi
    if [ "$arrow" = "=>" ] && [ -e "$path" ] && [ ! -e "$out/lib/$name" ]; then cp -L "$path" "$out/lib/$name"; fi
  done
done
[ -e "$out/lib/ld.so" ] || { echo "ffmpeg-bundle: no dynamic loader found for $ffmpeg" >&2; exit 1; }
for p in ffmpeg ffprobe; do
  cat > "$out/$p" <<WRAP
#!/bin/sh
here=\$(dirname "\$0")
exec "\$here/lib/ld.so" --library-path "\$here/lib" "\$here/bin/$p" "\$@"
WRAP
  chmod 755 "$out/$p"
done

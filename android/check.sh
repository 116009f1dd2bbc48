#!/usr/bin/env bash
# Type-checks the whole crate for aarch64-linux-android on a machine WITHOUT the Android NDK or SDK.
#
# THIS CHECKS COMPILATION, NOTHING MORE. It produces no APK, no .so that could run, and it proves
# nothing about behaviour on a device. For a real build, see android/README.md.
#
# What it stands in for, and why each stand-in is enough for `cargo check`:
# - The NDK's clang: bundled SQLite and ring compile C for the target in their build scripts. A
#   wrapper runs the system clang with `--target=aarch64-linux-android24` against Debian's
#   arm64 glibc headers (libc6-dev-arm64-cross). The objects are never linked into anything.
# - The SDK's android.jar and d8.jar, and javac/java: Slint's Android backend compiles one Java
#   helper to classes.dex in its build script and embeds the file with include_bytes!. The
#   stand-in javac does nothing; the stand-in `java` (which would run d8) writes an empty
#   classes.dex. The Rust code that embeds it type-checks the same.
# - Skia (Slint's Android renderer): its build script would download prebuilt binaries or build
#   Skia with the NDK. With DOCS_RS=1 it instead copies the pre-generated Rust bindings that ship
#   in the skia-bindings crate (made for docs.rs, which has no network either). Nothing is linked,
#   so the missing libskia does not matter to a check. (Of the crates here, only skia-bindings
#   and android-activity's unused GameActivity glue read DOCS_RS.)
#
# Needs: rustup target aarch64-linux-android, clang, llvm-ar, libc6-dev-arm64-cross.
# Fails (non-zero) as soon as any Android-only Rust code stops compiling.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-linux-android
api=24
stand=${CARGO_TARGET_DIR:-target}/android-check-standins
# Absolute, so the stand-ins are found whether CARGO_TARGET_DIR is relative or absolute.
case "$stand" in /*) ;; *) stand="$PWD/$stand" ;; esac
mkdir -p "$stand/bin" "$stand/jdk/bin"

rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target"
command -v clang >/dev/null || { echo "android/check.sh: clang is missing (apt-get install clang)" >&2; exit 1; }
[ -d /usr/aarch64-linux-gnu/include ] || {
  echo "android/check.sh: arm64 libc headers missing (apt-get install libc6-dev-arm64-cross)" >&2
  exit 1
}

cat >"$stand/bin/$target$api-clang" <<EOF
#!/bin/sh
# Stand-in for the NDK compiler: compiles for the target, never links (cargo check only).
exec clang --target=$target$api -isystem /usr/aarch64-linux-gnu/include "\$@"
EOF

cat >"$stand/jdk/bin/javac" <<'EOF'
#!/bin/sh
# Stand-in javac: reports a version and compiles nothing (there is no android.jar to compile against).
case "$1" in -version|--version) echo "javac 17.0.0"; exit 0 ;; esac
exit 0
EOF

cat >"$stand/jdk/bin/java" <<'EOF'
#!/bin/sh
# Stand-in for `java -cp d8.jar ... --output DIR`: writes an empty classes.dex into DIR.
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; shift; fi
  shift
done
[ -n "$out" ] && : >"$out/classes.dex"
exit 0
EOF
chmod +x "$stand/bin/$target$api-clang" "$stand/jdk/bin/javac" "$stand/jdk/bin/java"
: >"$stand/android.jar"
: >"$stand/d8.jar"

export CC_aarch64_linux_android="$stand/bin/$target$api-clang"
export AR_aarch64_linux_android=llvm-ar
export JAVA_HOME="$stand/jdk"
export ANDROID_JAR="$stand/android.jar"
export ANDROID_D8_JAR="$stand/d8.jar"
export DOCS_RS=1

# clippy is `cargo check` plus lints: Android-only code is held to the same standard.
# The handheld build has no default features (no desktop camera, no back-office writers).
exec cargo clippy --locked --target "$target" --lib --bins --no-default-features "$@" -- -D warnings

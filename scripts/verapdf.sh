#!/usr/bin/env bash
# veraPDF for the 四性检测 PDF/A check (KY-03): its greenfield validator from
# Maven Central (org.verapdf:validation-model-jakarta, pinned in
# preservation/verapdf/pom.xml) and dangan's small runner, compiled into
#   ${DANGAN_VERAPDF:-$HOME/.cache/dangan/verapdf}/{classpath.txt,classes/}
# Needs Java 17+ and Maven; idempotent (a second run does nothing).
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${DANGAN_VERAPDF:-$HOME/.cache/dangan/verapdf}"
SRC="$HERE/preservation/verapdf"
STAMP="$DEST/.built-$(cat "$SRC/pom.xml" "$SRC/VeraCheck.java" | sha256sum | cut -c1-16)"

[ -f "$STAMP" ] && exit 0
command -v mvn >/dev/null || { echo "veraPDF needs Maven (mvn): apt-get install maven" >&2; exit 1; }
command -v javac >/dev/null || { echo "veraPDF needs a JDK (javac) 17 or newer" >&2; exit 1; }
mkdir -p "$DEST"
echo "== veraPDF: resolving from Maven Central into $DEST" >&2
mvn -q -f "$SRC/pom.xml" dependency:build-classpath -Dmdep.outputFile="$DEST/classpath.txt" >&2
rm -rf "$DEST/classes"
javac -nowarn -cp "$(cat "$DEST/classpath.txt")" -d "$DEST/classes" "$SRC/VeraCheck.java"
rm -f "$DEST"/.built-*
touch "$STAMP"

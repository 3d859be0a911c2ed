#!/usr/bin/env bash
# Resolve the pinned Flume agent (logs/collector/pom.xml) from Maven Central into the
# git-ignored caches:
#   local Maven repository  $BAYRES_STACK_M2        (default <repo>/.cache/m2, shared with stack/)
#   agent classpath         $BAYRES_COLLECTOR_LIB   (default <repo>/.cache/collector/lib)
# A no-op when the classpath matches the current pom.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SRC/../.." && pwd)"
LIB="$(realpath -m -- "${BAYRES_COLLECTOR_LIB:-$REPO/.cache/collector/lib}")"
M2="$(realpath -m -- "${BAYRES_STACK_M2:-$REPO/.cache/m2}")"
sha="$(sha256sum "$SRC/pom.xml" | cut -c1-16)"
if [[ -f "$LIB/.resolved" && "$(cat "$LIB/.resolved")" == "$sha" ]]; then
  echo "[collector] Flume classpath up to date in $LIB" >&2
  exit 0
fi
command -v mvn >/dev/null || { echo "[collector] ERROR: mvn missing (apt-get install maven)" >&2; exit 1; }
t0=$(date +%s)
rm -rf "$LIB"
mkdir -p "$LIB" "$M2"
echo "[collector] resolving logs/collector/pom.xml with Maven into $LIB (local repository $M2)" >&2
mvn -B -q -f "$SRC/pom.xml" -Dmaven.repo.local="$M2" -Dcollector.cache="$(dirname "$LIB")" dependency:copy-dependencies >&2
ls "$LIB"/flume-ng-node-*.jar >/dev/null 2>&1 || { echo "[collector] ERROR: nothing resolved into $LIB" >&2; exit 1; }
echo "$sha" >"$LIB/.resolved"
echo "[collector] resolved in $(( $(date +%s) - t0 ))s: $(du -sh "$LIB" | cut -f1)" >&2

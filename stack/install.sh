#!/usr/bin/env bash
# Resolve the pinned stack (stack/pom.xml) from Maven Central into the git-ignored caches:
#   local Maven repository  $BAYRES_STACK_M2   (default <repo>/.cache/m2)
#   server classpaths       $BAYRES_STACK_CACHE (default <repo>/.cache/stack/<family>/lib)
# A no-op when the classpaths match the current poms. Prints size and seconds.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SRC/.." && pwd)"
CACHE="$(realpath -m -- "${BAYRES_STACK_CACHE:-$REPO/.cache/stack}")"
M2="$(realpath -m -- "${BAYRES_STACK_M2:-$REPO/.cache/m2}")"
sha="$(cat "$SRC"/pom.xml "$SRC"/*/pom.xml $(find "$SRC/phoenix-qs/src" -type f | sort) | sha256sum | cut -c1-16)"
ok=1
for f in hadoop hbase phoenix-qs; do [[ -f "$CACHE/$f/.resolved" ]] || ok=0; done
if ((ok)) && [[ "$(cat "$CACHE/.pom-sha" 2>/dev/null)" == "$sha" ]]; then
  echo "[stack] classpaths up to date in $CACHE" >&2
  exit 0
fi
command -v mvn >/dev/null || { echo "[stack] ERROR: mvn missing (apt-get install maven)" >&2; exit 1; }
t0=$(date +%s.%N)
rm -rf "$CACHE"
mkdir -p "$CACHE" "$M2"
echo "[stack] resolving stack/pom.xml with Maven into $CACHE (local repository $M2)" >&2
mvn -B -q -f "$SRC/pom.xml" -Dmaven.repo.local="$M2" -Dstack.cache="$CACHE" dependency:copy-dependencies >&2
for f in hadoop hbase phoenix-qs; do
  [[ -n "$(ls "$CACHE/$f/lib" 2>/dev/null)" ]] || { echo "[stack] ERROR: nothing resolved for $f" >&2; exit 1; }
  touch "$CACHE/$f/.resolved"
done
# the Query Server's bind-address hook (PQS 6.0.0 has no property for it: stack/README.md),
# compiled against the classpath just resolved, onto that classpath
ext="$(mktemp -d)"
javac -nowarn -d "$ext" -cp "$(find "$CACHE/phoenix-qs/lib" -name '*.jar' | tr '\n' ':')" \
  "$SRC"/phoenix-qs/src/org/bayres/stack/*.java >&2
cp -r "$SRC/phoenix-qs/src/META-INF" "$ext/"
jar cf "$CACHE/phoenix-qs/lib/bayres-pqs-bindhost.jar" -C "$ext" .
rm -rf "$ext"
echo "$sha" >"$CACHE/.pom-sha"
t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "[stack] resolved in ${t}s: $(du -sh "$CACHE" | cut -f1) of classpaths, local repository $(du -sh "$M2" | cut -f1)" >&2

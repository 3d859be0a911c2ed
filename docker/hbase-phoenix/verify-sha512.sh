#!/bin/sh
# verify-sha512.sh FILE SUMFILE [PINNED_SHA512]
#
# Check FILE against the SHA-512 published beside it (SUMFILE, the release's .sha512) and,
# when given, against a pinned value. Apache projects publish .sha512 files in three layouts;
# all are read:
#   coreutils   "<hex>  <name>"                                  (sha512sum)
#   BSD         "SHA512 (<name>) = <hex>"
#   gpg         "<name>: <HEX HEX …>" wrapped over several lines (gpg --print-md SHA512; HBase)
# The published file comes from the same server as FILE: it catches corrupt or truncated
# downloads. A pinned value (build arg) also guards against a tampered mirror.
set -eu

file="$1"
sumfile="$2"
pinned="${3:-}"

if grep -q '=' "$sumfile"; then
  expected=$(tr -d '\r\n' < "$sumfile" | sed 's/^.*=//')
elif grep -q ':' "$sumfile"; then
  expected=$(tr -d '\r\n' < "$sumfile" | sed 's/^[^:]*://')
else
  expected=$(awk 'NR == 1 { print $1 }' "$sumfile")
fi
expected=$(printf '%s' "$expected" | tr -d ' \t' | tr 'A-F' 'a-f')

case "$expected" in
  *[!0-9a-f]*|"") echo "verify-sha512: cannot read a SHA-512 from $sumfile" >&2; exit 2 ;;
esac
if [ "${#expected}" -ne 128 ]; then
  echo "verify-sha512: $sumfile does not hold a 128-digit SHA-512" >&2
  exit 2
fi

actual=$(sha512sum "$file" | awk '{ print $1 }')
if [ "$actual" != "$expected" ]; then
  echo "verify-sha512: $file does not match $sumfile" >&2
  exit 1
fi
if [ -n "$pinned" ]; then
  pinned=$(printf '%s' "$pinned" | tr 'A-F' 'a-f')
  if [ "$actual" != "$pinned" ]; then
    echo "verify-sha512: $file does not match the pinned SHA-512" >&2
    exit 1
  fi
fi
echo "verify-sha512: $(basename "$file") OK"

#!/usr/bin/env bash
# Install Debian packages, only those that are missing (checked with dpkg-query first): a
# prepared machine does nothing and needs no network; otherwise `apt-get update` once, then
# `apt-get install -y` of the missing ones.
#   tests/servers/install-debs.sh            # what the test servers need (list below)
#   tests/servers/install-debs.sh pkg ...    # exactly these packages instead
set -euo pipefail

PKGS=(
  zookeeper                   # ZooKeeper server jars (+ default-jre, libzookeeper-java, slf4j)
  mariadb-server              # mariadbd, mariadb-install-db, mariadb client
  default-jre-headless        # java for ZooKeeper, the Hive metastore and the Thrift server
  libkrb5-dev                 # headers for pure-sasl/kerberos bits of PyHive's extras
  default-libmysqlclient-dev  # mysqlclient headers (if the venv builds mysqlclient)
  pkg-config
  gcc                         # builds the bind-to-loopback shim of the Hive metastore
  procps                      # ps/pgrep for status.sh
  chromium                    # headless browser of the portal's catalogue-page test (playwright drives it)
  maven                       # resolves the Hadoop/HBase/Phoenix stack (stack/install.sh)
)
if (($# > 0)); then PKGS=("$@"); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[servers] Debian packages already installed: ${PKGS[*]}"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi

echo "[servers] installing Debian packages: ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
# policy-rc.d: keep the package scripts from starting the system mariadb/zookeeper services
# (no systemd here; our servers run on their own ports with their own state)
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "[servers] installed: ${missing[*]}"

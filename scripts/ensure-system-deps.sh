#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers, when missing:
#   sip-tester (SIPp), baresip, chromium, tcpdump (captures), sox (tones), espeak-ng (demo voices), iproute2.
set -euo pipefail
need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# The store tests run on SQLite and on PostgreSQL at 127.0.0.1:5432 (trust auth, database `test`).
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
pg_up || need_pg=1

if [ ${#need[@]} -eq 0 ] && [ -z "${need_pg:-}" ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "earshot: not root; install the test peers with: sudo apt-get install -y ${need[*]} postgresql" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#need[@]} -gt 0 ]; then
  echo "earshot: installing Debian packages for the test peers: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -n "${need_pg:-}" ]; then
  echo "earshot: nothing answers on 127.0.0.1:5432; installing and starting PostgreSQL for the store tests"
  command -v pg_ctlcluster >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq postgresql >/dev/null; }
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  grep -q '^host all all 127.0.0.1/32 trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
  su postgres -c "psql -h 127.0.0.1 -tAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
    || su postgres -c "createdb -h 127.0.0.1 test"
fi

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
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "earshot: installing Debian packages for the test peers: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "earshot: not root; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

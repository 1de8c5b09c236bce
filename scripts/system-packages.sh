#!/usr/bin/env bash
# Install the Debian packages Schulhof needs, only if some are missing (fast when all are there).
# Usage: scripts/system-packages.sh run|test
set -euo pipefail

profile="${1:-run}"
# fonts-dejavu-core: credential letters and consent forms (PDF) need Unicode fonts.
packages=(python3 python3-venv gettext ca-certificates fonts-dejavu-core)
# Mail: Schulhof runs private Dovecot and Postfix instances (configs in the data folder).
packages+=(openssl dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-sqlite dovecot-pgsql postfix)
if [ "$profile" = "test" ]; then
  packages+=(postgresql chromium poppler-utils)
  # WebDAV end-to-end tests drive real clients: litmus (protocol suite), rclone, cadaver;
  # davfs2 for trying the mount by hand (it needs a kernel module, CI does not mount).
  packages+=(litmus rclone cadaver davfs2)
  # Mail clients for the mail tests: mbsync (isync) and swaks.
  packages+=(isync swaks)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Please install as root: apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix: no system-wide configuration; Schulhof writes its own instance's config.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
$sudo apt-get update -qq
# Services must not start on their own from package scripts; we start what we need ourselves
# (a policy-rc.d that says "no" while installing, removed again afterwards).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  own_policy=1
fi
trap 'if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi' EXIT
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

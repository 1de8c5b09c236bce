#!/usr/bin/env bash
# Install the Debian packages Schulhof needs, only if some are missing (fast when all are there).
# Usage: scripts/system-packages.sh run|test
set -euo pipefail

profile="${1:-run}"
# fonts-dejavu-core: credential letters and consent forms (PDF) need Unicode fonts.
packages=(python3 python3-venv gettext ca-certificates fonts-dejavu-core)
if [ "$profile" = "test" ]; then
  packages+=(postgresql chromium poppler-utils)
  # WebDAV end-to-end tests drive real clients: litmus (protocol suite), rclone, cadaver;
  # davfs2 for trying the mount by hand (it needs a kernel module, CI does not mount).
  packages+=(litmus rclone cadaver davfs2)
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
$sudo apt-get update -qq
# Services must not start on their own from package scripts; we start what we need ourselves.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

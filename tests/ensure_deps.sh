#!/usr/bin/env bash
# Installs what the test suite needs beyond Deno, from Debian, where missing:
# redis-server (the tests start their own on free ports), chromium (the
# browser tests drive it with playwright-core), bubblewrap (the OS sandbox
# the sandbox tests require), prometheus (for promtool, which checks the
# metrics), tmux (services under `process_manager = "tmux:…"`) and python3
# (an HTTP server the service tests supervise). Never starts a service.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "ensure_deps: missing ${missing[*]} and not root: install them with apt-get" >&2
    exit 1
  fi
fi
echo "ensure_deps: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

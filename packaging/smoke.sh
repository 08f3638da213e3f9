#!/usr/bin/env bash
# Smoke test of a built bundle: runs it offscreen with a temporary data dir (never the user's data) and checks exit
# codes and output of the CLI, a vCard import and the window's start-up. Needs no Python, so it also checks a bare
# machine's system libraries (packaging/README.md).
#
# Usage: packaging/smoke.sh [BUNDLE_DIR]     BUNDLE_DIR defaults to dist/crmdesk, the folder build.sh makes.
#        CRMDESK_EXPECT_VERSION=0.1.0 packaging/smoke.sh    also checks what --version says.
set -euo pipefail

bundle=${1:-$(cd "$(dirname "$0")/.." && pwd)/dist/crmdesk}
bin=$bundle/crmdesk
if [[ ! -x $bin ]]; then
  echo "smoke.sh: error: no bundle at $bin (run packaging/build.sh first)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
export QT_QPA_PLATFORM=offscreen
unset PYTHONPATH PYTHONHOME # the bundle must not lean on a Python that happens to be installed here

fail() {
  echo "smoke.sh: FAILED: $*" >&2
  exit 1
}

# expect CODE NAME ARG...: runs the bundle with ARG..., keeps its output in $tmp/NAME.{out,err}, and fails unless it
# exits with CODE and wrote no Python traceback. 60 s is ample (a cold start takes ~2 s) but stops a hang.
expect() {
  local want=$1 name=$2 code=0
  shift 2
  echo "  smoke: crmdesk $*" >&2
  timeout "${limit:-60}" "$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || code=$?
  if [[ $code != "$want" ]] || grep -q '^Traceback' "$tmp/$name.err"; then
    sed 's/^/    stdout: /' "$tmp/$name.out" >&2
    sed 's/^/    stderr: /' "$tmp/$name.err" >&2
    fail "crmdesk $* exited with $code (expected $want)$([[ $code == 124 ]] && echo ', timed out')"
  fi
}

# The files the bundle must carry beside the frozen code (crmdesk.spec `datas`); a missing icon fails silently in Qt.
for f in crmdesk/resources/crmdesk.svg crmdesk/resources/crmdesk-256.png crmdesk/store/migrations/env.py \
  certifi/cacert.pem; do
  [[ -f $bundle/_internal/$f ]] || fail "the bundle lacks _internal/$f"
done
compgen -G "$bundle/_internal/crmdesk/store/migrations/versions/0001_*.py" >/dev/null ||
  fail "the bundle lacks the migration scripts (_internal/crmdesk/store/migrations/versions/)"
compgen -G "$bundle/_internal/crmdesk/resources/icons/*.svg" >/dev/null || fail "the bundle lacks the icons"
for meta in crmdesk keyring; do # importlib.metadata: crmdesk's version, keyring's backends (entry points)
  compgen -G "$bundle/_internal/$meta-*.dist-info/METADATA" >/dev/null || fail "the bundle lacks $meta's metadata"
done

expect 0 version --version
grep -Eq '^crmdesk [0-9]' "$tmp/version.out" || fail "--version printed: $(cat "$tmp/version.out")"
if [[ -n ${CRMDESK_EXPECT_VERSION:-} ]]; then
  grep -qxF "crmdesk $CRMDESK_EXPECT_VERSION" "$tmp/version.out" ||
    fail "--version printed '$(cat "$tmp/version.out")', expected 'crmdesk $CRMDESK_EXPECT_VERSION'"
fi

# The first command creates the database: Alembic runs every migration from the bundled scripts.
expect 0 add --data-dir "$data" people add --first-name Ada --last-name Lovelace
expect 0 list --data-dir "$data" people list --json
if ! grep -q '"Ada"' "$tmp/list.out" || ! grep -q '"Lovelace"' "$tmp/list.out"; then
  fail "people list --json does not name Ada Lovelace: $(cat "$tmp/list.out")"
fi

# vobject parses the card, phonenumbers (its per-region data is loaded by name) normalizes the number.
cat >"$tmp/hopper.vcf" <<'EOF'
BEGIN:VCARD
VERSION:3.0
N:Hopper;Grace;;;
FN:Grace Hopper
EMAIL;TYPE=WORK:grace@example.com
TEL;TYPE=WORK:+49 7531 12345
END:VCARD
EOF
expect 0 import --data-dir "$data" import "$tmp/hopper.vcf"
expect 0 search --data-dir "$data" people list --search 07531 --json
grep -q '"Grace"' "$tmp/search.out" || fail "the imported card is not found by its number: $(cat "$tmp/search.out")"

# The window: Qt's offscreen platform plugin, icons, styles. --benchmark-startup (app.py) paints the first frame,
# prints "shown <time>" and quits, so this needs no timeout as its pass condition.
expect 0 window --data-dir "$data" --benchmark-startup
grep -q '^shown ' "$tmp/window.out" || fail "the window did not report being shown: $(cat "$tmp/window.out")"
if grep -Ei 'cannot load library|could not load the qt platform plugin|could not find the qt platform' \
  "$tmp/window.err" >&2; then
  fail "Qt could not load a plugin (above)"
fi
# Without fontconfig's configuration (Debian: libfontconfig1, which brings fontconfig-config and a font) the window
# opens with no text at all; the bundle carries the library but not the system's /etc/fonts.
if grep -Ei 'fontconfig error|cannot find font directory' "$tmp/window.err" >&2; then
  fail "no fonts for the window (above): install libfontconfig1 (packaging/README.md)"
fi
# A .vcf double-clicked in a file manager: the desktop file's `Exec=crmdesk %F` passes its path (app.py opens the
# import preview for it; here the window quits right after the first frame).
expect 0 window-vcf --data-dir "$data" --benchmark-startup "$tmp/hopper.vcf"
if grep -rl 'Traceback' "$data/logs" >&2; then
  fail "crmdesk logged a traceback (files above)"
fi

# Every connector, imported by name when its first account syncs (connectors/registry.py), is in the bundle: an
# account of each kind on a closed port fails with "cannot reach the server", not with a missing module. (Its
# retries make this the slowest check, ~45 s.)
expect 0 store --data-dir "$data" account secret-store file
export CRMDESK_SMOKE_SECRET=not-a-real-secret
for kind in kanbert cobra deskera imbox appcrm carddav; do
  options=()
  case $kind in
  cobra) options=(--option tenant=t --option user=api@example.com) ;;
  imbox) options=(--option user_id=5) ;;
  carddav) options=(--option user=ines) ;;
  esac
  expect 0 "add-$kind" --data-dir "$data" account add "$kind smoke" \
    --kind "$kind" --url "http://127.0.0.1:9/api" "${options[@]}" --secret-env CRMDESK_SMOKE_SECRET
done
limit=240 expect 1 sync --data-dir "$data" sync
for kind in kanbert cobra deskera imbox appcrm carddav; do
  grep -q "^$kind smoke: cannot reach the server" "$tmp/sync.err" ||
    fail "the $kind connector did not run: $(grep "^$kind smoke" "$tmp/sync.err" || cat "$tmp/sync.err")"
done

echo "  smoke: all checks passed ($bin)" >&2

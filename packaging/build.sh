#!/usr/bin/env bash
# Build crmdesk for distribution and check it: sdist + wheel into dist/, then the PyInstaller one-folder bundle
# dist/crmdesk/ made from that wheel in a clean venv, then packaging/smoke.sh on the bundle. The desktop file and
# the AppStream metainfo are validated first (when desktop-file-validate / appstreamcli are installed) and
# packaging/linux/install.sh is tried into a temporary prefix. .ci/run calls this only with CRMDESK_BUILD_BUNDLE=1.
#
# Usage: packaging/build.sh            from any folder; takes a few minutes and needs PyPI (build, hatchling,
#                                      PyInstaller and crmdesk's dependencies go into the build venv).
# Env:   PYTHON=python3.12             the Python the bundle is built with (default: python3; it must have its
#                                      shared libpython, as distribution and pyenv builds have)
# Output: dist/crmdesk-VERSION.tar.gz, dist/crmdesk-VERSION-py3-none-any.whl, dist/crmdesk/ (the bundle);
#         build/bundle/ holds the build venv and PyInstaller's work files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
packaging=$root/packaging
work=$root/build/bundle
venv=$work/venv
python=${PYTHON:-python3}
started=$SECONDS

say() { printf '\n==> %s\n' "$*" >&2; }
die() {
  printf 'build.sh: error: %s\n' "$*" >&2
  exit 1
}
elapsed() { printf '%dm%02ds' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }

cd "$root"
unset PYTHONPATH # the build venv must see the installed wheel only, never the source tree
command -v "$python" >/dev/null || die "no $python: set PYTHON to a Python 3.11+ interpreter"

say "Desktop integration files"
desktop=$packaging/linux/io.github.crmdesk.Crmdesk.desktop
metainfo=$packaging/linux/io.github.crmdesk.Crmdesk.metainfo.xml
if command -v desktop-file-validate >/dev/null; then
  # It prints hints and errors alike but fails only on errors.
  desktop-file-validate "$desktop" || die "desktop-file-validate found errors in $desktop"
  echo "desktop-file-validate: $desktop is valid"
else
  echo "desktop-file-validate not installed (apt-get install desktop-file-utils): not validated"
fi
if command -v appstreamcli >/dev/null; then
  # --no-net: the screenshot and homepage URLs are not fetched. Exit code 0 with only pedantic notes or infos.
  appstreamcli validate --no-net --explain "$metainfo" || die "appstreamcli found errors in $metainfo"
else
  echo "appstreamcli not installed (apt-get install appstream): not validated"
fi
prefix=$(mktemp -d)
"$packaging/linux/install.sh" "$prefix" >/dev/null
for f in applications/io.github.crmdesk.Crmdesk.desktop metainfo/io.github.crmdesk.Crmdesk.metainfo.xml \
  icons/hicolor/scalable/apps/io.github.crmdesk.Crmdesk.svg icons/hicolor/256x256/apps/io.github.crmdesk.Crmdesk.png; do
  [[ -f $prefix/share/$f ]] || die "install.sh did not install share/$f"
done
rm -rf "$prefix"
echo "install.sh: installs into a prefix"

say "sdist and wheel → dist/"
rm -rf "$venv"
mkdir -p "$work" dist
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q build
rm -f dist/crmdesk-*.tar.gz dist/crmdesk-*.whl # so the one wheel below is this build's
"$venv/bin/python" -m build --outdir dist "$root" >"$work/build.log" 2>&1 ||
  {
    tail -30 "$work/build.log" >&2
    die "python -m build failed (whole log: $work/build.log)"
  }
wheels=(dist/crmdesk-*-py3-none-any.whl)
[[ ${#wheels[@]} == 1 && -f ${wheels[0]} ]] || die "expected one wheel in dist/, found: ${wheels[*]}"
wheel=${wheels[0]}
version=$(basename "$wheel" | cut -d- -f2)
ls -l dist/crmdesk-"$version".tar.gz "$wheel"

say "Build venv: the wheel (not editable) and PyInstaller"
"$venv/bin/python" -m pip install -q "$wheel" 'pyinstaller>=6.10,<7'
"$venv/bin/python" -m pip list --format=freeze 2>/dev/null | grep -Ei '^(crmdesk|pyinstaller|pyside6|shiboken6)' || true

say "PyInstaller: dist/crmdesk/ (a few minutes)"
# Run from the work folder, so neither the current folder nor the spec's folder puts the source tree on the path.
cd "$work"
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$root/dist" --workpath "$work/pyinstaller" "$packaging/crmdesk.spec"
cd "$root"

say "Libraries the bundle takes from the system"
# PyInstaller copies every library the Qt plugins link to from the build machine, except the ones it deliberately
# leaves to the system (GL/EGL, libxcb, libdrm, Wayland, libc). A library missing *here* is silently missing from
# the bundle too: with no libxcb-cursor0 on the build machine, the bundle could not open a window on X11 anywhere.
internal=$root/dist/crmdesk/_internal
lib_path=$internal:$internal/PySide6/Qt/lib:$internal/PySide6
plugins=$internal/PySide6/Qt/plugins
missing=$(LD_LIBRARY_PATH=$lib_path ldd "$plugins"/platforms/lib{qxcb,qoffscreen}.so "$plugins"/xcbglintegrations/*.so \
  "$plugins"/imageformats/libqsvg.so "$plugins"/iconengines/libqsvgicon.so | awk '/not found/ {print $1}' | sort -u |
  paste -sd ' ')
[[ -z $missing ]] || die "the bundle's Qt plugins need libraries this machine lacks: $missing
  install them (packaging/README.md, \"The build machine needs…\") and build again"
find "$root/dist/crmdesk" -type f -name '*.so*' -print0 | xargs -0 env LD_LIBRARY_PATH="$lib_path" ldd 2>/dev/null |
  awk -v b="$root/dist/crmdesk" '$2 == "=>" && index($3, b) != 1 {print $1 ($3 == "not" ? " (not here)" : "")}' |
  { grep -Ev '^(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^ ]*)\.so' || true; } | sort -u | sed 's/^/  /'

say "Smoke test"
CRMDESK_EXPECT_VERSION=$version "$packaging/smoke.sh" "$root/dist/crmdesk"

say "Done in $(elapsed)"
echo "bundle:  dist/crmdesk/ $(du -sh dist/crmdesk | cut -f1) ($(find dist/crmdesk -type f | wc -l) files)," \
  "$(tar -C dist -czf - crmdesk | wc -c | awk '{printf "%.0f MB", $1 / 1e6}') as .tar.gz"
echo "wheel:   $wheel"
echo "sdist:   dist/crmdesk-$version.tar.gz"

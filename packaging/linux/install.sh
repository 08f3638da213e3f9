#!/usr/bin/env bash
# Install crmdesk's desktop integration into PREFIX: the desktop file (application menu, and .vcf files open in
# crmdesk), the AppStream metainfo and the icon (SVG + PNG sizes) under PREFIX/share. With --bundle DIR it also
# copies a PyInstaller bundle (dist/crmdesk) to PREFIX/lib/crmdesk, links PREFIX/bin/crmdesk to it and points the
# desktop file's Exec at that link.
#
# Usage: packaging/linux/install.sh [--bundle DIR] PREFIX
#   packaging/linux/install.sh ~/.local                           crmdesk from pipx (or pip) is on PATH already
#   packaging/linux/install.sh --bundle dist/crmdesk ~/.local     the bundle, for this user only
#   sudo packaging/linux/install.sh --bundle dist/crmdesk /usr/local
# DESTDIR is honoured (staged installs, distribution packages): files go to $DESTDIR$PREFIX, paths inside them
# name $PREFIX, and the desktop and icon caches are left to the package manager.
set -euo pipefail

usage() {
  echo "usage: $0 [--bundle DIR] PREFIX" >&2
  exit 2
}

app_id=io.github.crmdesk.Crmdesk
here=$(cd "$(dirname "$0")" && pwd)
resources=$(cd "$here/../../resources" && pwd)
bundle=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --bundle)
      [[ $# -ge 2 ]] || usage
      bundle=$2
      shift 2
      ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[[ $# == 1 ]] || usage
prefix=$1
[[ $prefix == /* ]] || prefix=$(pwd)/$prefix # Exec= and the bin link need an absolute path
destdir=${DESTDIR:-}
share=$destdir$prefix/share

if [[ -n $bundle ]]; then
  [[ -x $bundle/crmdesk ]] || {
    echo "install.sh: error: $bundle is not a crmdesk bundle (no $bundle/crmdesk); run packaging/build.sh" >&2
    exit 1
  }
  # Replace, never merge: files of an older bundle must not linger. The data lives elsewhere (~/.local/share/crmdesk)
  # and is upgraded by crmdesk's migrations on the next start.
  rm -rf "$destdir$prefix/lib/crmdesk"
  mkdir -p "$destdir$prefix/lib" "$destdir$prefix/bin"
  cp -a "$bundle" "$destdir$prefix/lib/crmdesk"
  ln -sfn "$prefix/lib/crmdesk/crmdesk" "$destdir$prefix/bin/crmdesk"
  echo "installed the bundle: $prefix/lib/crmdesk, $prefix/bin/crmdesk"
fi

install -Dm644 "$here/$app_id.metainfo.xml" "$share/metainfo/$app_id.metainfo.xml"
install -Dm644 "$resources/crmdesk.svg" "$share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 32 48 64 128 256; do
  install -Dm644 "$resources/crmdesk-$size.png" "$share/icons/hicolor/${size}x$size/apps/$app_id.png"
done
desktop=$share/applications/$app_id.desktop
install -Dm644 "$here/$app_id.desktop" "$desktop"
if [[ -n $bundle ]]; then
  # An absolute Exec: a desktop session's PATH often lacks ~/.local/bin.
  sed -i -e "s|^Exec=crmdesk |Exec=$prefix/bin/crmdesk |" -e "s|^TryExec=crmdesk$|TryExec=$prefix/bin/crmdesk|" \
    "$desktop"
fi
echo "installed the desktop file, metainfo and icons under $share"

if [[ -z $destdir ]]; then
  # The MIME cache makes file managers offer crmdesk for .vcf files; the icon cache makes the menu find the icon.
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$share/applications" || echo "install.sh: warning: update-desktop-database failed" >&2
  fi
  if command -v gtk-update-icon-cache >/dev/null && [[ -f $share/icons/hicolor/index.theme ]]; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" || echo "install.sh: warning: gtk-update-icon-cache failed" >&2
  fi
fi

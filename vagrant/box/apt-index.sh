#!/bin/sh
# Makes a folder of .deb files an apt repository ("flat": `deb [trusted=yes] file:DIR ./`), with
# dpkg-deb only: each package's control fields plus where the file is, its size and checksum.
# apt-ftparchive does the same; this needs nothing beyond dpkg.
#
#   sh vagrant/box/apt-index.sh DIR      writes DIR/Packages
set -eu
dir="${1:?usage: apt-index.sh DIR}"
cd "$dir"
: > Packages.new
for deb in *.deb; do
  [ -f "$deb" ] || { echo "apt-index: no .deb files in $dir" >&2; exit 1; }
  {
    dpkg-deb -f "$deb"
    printf 'Filename: ./%s\n' "$deb"
    printf 'Size: %s\n' "$(wc -c < "$deb" | tr -d ' ')"
    printf 'SHA256: %s\n\n' "$(sha256sum "$deb" | cut -d ' ' -f 1)"
  } >> Packages.new
done
mv Packages.new Packages

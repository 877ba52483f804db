# shellcheck shell=sh
# Fetching an Apache release: from the cache folder if it is there, else from the Apache
# archive; always checked against the release's published SHA-512 before it is used.

APACHE_ARCHIVE="${KL_APACHE_ARCHIVE:-https://archive.apache.org/dist}"
KL_CACHE_DIR="${KL_CACHE_DIR:-/vagrant/.cache}"
# Offline mode (KL_OFFLINE=1): releases only from the cache folder, never downloaded. The
# debian flavor is offline unless told otherwise.
if [ "${KL_FLAVOR:-apache}" = debian ]; then
  KL_OFFLINE="${KL_OFFLINE:-1}"
fi
KL_OFFLINE="${KL_OFFLINE:-0}"

# The hex digest in a .sha512 file. Apache projects write two formats: sha512sum's
# "HEX  FILE", and gpg's "FILE: HEX HEX ..." over several lines in upper case.
sha512_of_checksum_file() {
  case "$(cat "$1")" in
    *:*) sed 's/.*://' "$1" | tr -d ' \n\r' | tr 'A-F' 'a-f' ;;
    *) cut -d ' ' -f 1 "$1" | tr -d '\n' | tr 'A-F' 'a-f' ;;
  esac
}

# fetch_release PATH_IN_ARCHIVE FILE: prints the path of a checked copy of FILE, or fails.
fetch_release() {
  dir_in_archive="$1"
  file="$2"
  mkdir -p "$KL_CACHE_DIR"
  for name in "$file" "$file.sha512"; do
    if [ ! -s "$KL_CACHE_DIR/$name" ]; then
      if [ "$KL_OFFLINE" = 1 ]; then
        return 1
      fi
      note "downloading $APACHE_ARCHIVE/$dir_in_archive/$name"
      curl -fsSL --retry 3 -o "$KL_CACHE_DIR/$name.part" "$APACHE_ARCHIVE/$dir_in_archive/$name" || return 1
      mv "$KL_CACHE_DIR/$name.part" "$KL_CACHE_DIR/$name"
    fi
  done
  expected="$(sha512_of_checksum_file "$KL_CACHE_DIR/$file.sha512")"
  actual="$(sha512sum "$KL_CACHE_DIR/$file" | cut -d ' ' -f 1)"
  if [ "$expected" != "$actual" ]; then
    rm -f "$KL_CACHE_DIR/$file"
    die "$file does not match its published SHA-512: deleted it; run again to download it afresh"
  fi
  note "checked the SHA-512 of $file"
  printf '%s\n' "$KL_CACHE_DIR/$file"
}

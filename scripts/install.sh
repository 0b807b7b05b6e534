#!/bin/sh
# install.sh — `make install` and `make uninstall`: copies the built daemon, its man pages, the example
# configuration, the systemd unit, the sysusers.d entry and the operators' kit (OpenAPI document, Grafana dashboard,
# Prometheus rules, README) into place. Paths are decided here, at install time, so PREFIX needs no reconfigure:
#   PREFIX      /usr/local        binary in PREFIX/bin, man pages in PREFIX/share/man, docs in PREFIX/share/doc
#   SYSCONFDIR  /etc when PREFIX is /usr, else PREFIX/etc (the example goes to SYSCONFDIR/comicbatch/)
#   SYSTEMDUNITDIR  PREFIX/lib/systemd/system (both /usr/lib/… and /usr/local/lib/… are on systemd's unit path)
#   DESTDIR     staging root prepended to every path (packaging, tests)
#   BUILD       the build directory (default build)
# Usage: scripts/install.sh install|uninstall|list. Uninstall removes exactly what install writes; an operator's
# SYSCONFDIR/comicbatch/comicbatch.ini is never touched.
set -eu
cd "$(dirname "$0")/.."
action=${1:-install}
PREFIX=${PREFIX:-/usr/local}
PREFIX=${PREFIX%/}
if [ -z "${SYSCONFDIR:-}" ]; then
    if [ "$PREFIX" = /usr ]; then SYSCONFDIR=/etc; else SYSCONFDIR=$PREFIX/etc; fi
fi
BINDIR=$PREFIX/bin
MANDIR=$PREFIX/share/man
DOCDIR=$PREFIX/share/doc/comicbatch
UNITDIR=${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}
SYSUSERSDIR=$PREFIX/lib/sysusers.d
BUILD=${BUILD:-build}
DESTDIR=${DESTDIR:-}

# One line per installed file: MODE SOURCE DESTINATION (destination without DESTDIR). SOURCE ending in .in or
# listed under `subst` gets @BINDIR@/@SYSCONFDIR@ filled in.
manifest() {
    cat <<LIST
0755 $BUILD/comicbatch $BINDIR/comicbatch
0644 $BUILD/docs/comicbatch.1 $MANDIR/man1/comicbatch.1
0644 $BUILD/docs/comicbatch.ini.5 $MANDIR/man5/comicbatch.ini.5
0644 $BUILD/docs/comicbatch.ini.example $SYSCONFDIR/comicbatch/comicbatch.ini.example
0644 deploy/comicbatch.service.in $UNITDIR/comicbatch.service
0644 deploy/comicbatch.sysusers $SYSUSERSDIR/comicbatch.conf
0644 README.md $DOCDIR/README.md
0644 docs/openapi.json $DOCDIR/openapi.json
0644 deploy/grafana-dashboard.json $DOCDIR/grafana-dashboard.json
0644 deploy/prometheus-alerts.yml $DOCDIR/prometheus-alerts.yml
0644 deploy/prometheus-scrape.yml $DOCDIR/prometheus-scrape.yml
LIST
}

install_one() { # MODE SRC DEST
    [ -f "$2" ] || { echo "install: $2 is missing (build first: make build)" >&2; exit 1; }
    mkdir -p "$DESTDIR$(dirname "$3")"
    case "$2" in
    *.in | */docs/comicbatch.1 | */docs/comicbatch.ini.5 | */comicbatch.ini.example)
        sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" "$2" > "$DESTDIR$3.tmp"
        chmod "$1" "$DESTDIR$3.tmp"
        mv -f "$DESTDIR$3.tmp" "$DESTDIR$3" ;;
    *) install -m "$1" "$2" "$DESTDIR$3" ;;
    esac
    echo "  $DESTDIR$3"
}

case "$action" in
install)
    echo "install: PREFIX=$PREFIX SYSCONFDIR=$SYSCONFDIR${DESTDIR:+ DESTDIR=$DESTDIR}"
    manifest | while read -r mode src dest; do install_one "$mode" "$src" "$dest"; done
    echo "install: next: systemd-sysusers; cp $SYSCONFDIR/comicbatch/comicbatch.ini.example" \
         "$SYSCONFDIR/comicbatch/comicbatch.ini (edit, chgrp comicbatch, chmod 640); systemctl daemon-reload;" \
         "systemctl enable --now comicbatch" ;;
uninstall)
    manifest | while read -r mode src dest; do
        if [ -e "$DESTDIR$dest" ]; then rm -f "$DESTDIR$dest" && echo "  removed $DESTDIR$dest"; fi
    done
    for d in "$DOCDIR" "$SYSCONFDIR/comicbatch"; do rmdir "$DESTDIR$d" 2>/dev/null || true; done ;;
list)
    manifest | while read -r mode src dest; do echo "$DESTDIR$dest"; done ;;
*)
    echo "usage: scripts/install.sh install|uninstall|list" >&2
    exit 2 ;;
esac

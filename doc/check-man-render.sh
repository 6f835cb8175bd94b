#!/bin/sh
# Usage: check-man-render.sh MAN PAGE...
#
# Renders each page as `man -l` does for a reader, 80 columns wide, with
# groff's warnings on, and fails if any page renders with a warning (man
# exits 0 on warnings, so stderr is what tells).
set -u
man=$1
shift
status=0
for page in "$@"; do
    if ! err=$(MANWIDTH=80 "$man" --warnings -l "$page" 2>&1 >/dev/null); then
        echo "$page: man failed: $err"
        status=1
    elif [ -n "$err" ]; then
        echo "$page: warnings:"
        printf '%s\n' "$err"
        status=1
    else
        echo "$page: renders without warnings"
    fi
done
exit $status

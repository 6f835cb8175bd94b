#!/bin/sh
# Usage: check-man-options.sh TOOL PAGE [TOOL PAGE ...]
#
# Fails when a tool's --help lists a long option that its man page does not
# document, or the page documents one that --help does not list: the two
# option lists are written by hand in two places (usage() in tools/*.c and
# doc/man/*.1), and this is what keeps them in step.
#
# The tool's options are the "--name" words of its --help output, plus
# --help itself (which the call just proved it accepts). The page's are the
# "\-\-name" words on the tag line after each .TP of its OPTIONS section;
# descriptions may mention other options (aliases, related flags) freely.
set -u
status=0
while [ $# -ge 2 ]; do
    tool=$1 page=$2
    shift 2
    name=$(basename "$page" .1)
    if ! help=$("$tool" --help 2>&1); then
        echo "$name: '$tool --help' failed"
        status=1
        continue
    fi
    tool_opts=$({ printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*'; echo --help; } |
                sort -u)
    page_opts=$(awk '
        /^\.SH/ { in_opts = ($0 ~ /^\.SH +"?OPTIONS"?$/); next }
        !in_opts { next }
        /^\.TP/ { tag = 1; next }
        tag {
            tag = 0
            line = $0
            gsub(/\\-/, "-", line)
            while (match(line, /--[a-z][a-z0-9-]*/)) {
                print substr(line, RSTART, RLENGTH)
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$page" | sort -u)
    if [ -z "$page_opts" ]; then
        echo "$name: no options found in the OPTIONS section of $page"
        status=1
        continue
    fi
    missing=$(printf '%s\n' "$tool_opts" | grep -vxF -e "$page_opts")
    extra=$(printf '%s\n' "$page_opts" | grep -vxF -e "$tool_opts")
    if [ -n "$missing" ]; then
        echo "$name: accepted (in --help) but not documented in $page:" $missing
        status=1
    fi
    if [ -n "$extra" ]; then
        echo "$name: documented in $page but not in --help:" $extra
        status=1
    fi
    [ -z "$missing" ] && [ -z "$extra" ] && echo "$name: options match:" $tool_opts
done
if [ $# -ne 0 ]; then
    echo "usage: check-man-options.sh TOOL PAGE [TOOL PAGE ...]"
    exit 2
fi
exit $status

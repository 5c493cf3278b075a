#!/bin/sh
# The string API test (ctest golden/string-api): compiles string_api.dl twice
# (prefix s with the default string arena, prefix t with --string-bytes 16)
# and string_split.dl (prefix p), builds them with string_api_test.c using
# -Wall -Wextra -Werror, and runs it.
#   run_string_api.sh DLCC WORKDIR
set -eu
DLCC=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-$(command -v clang || command -v cc)}
mkdir -p "$WORK"
"$DLCC" "$HERE/string_api.dl" -o "$WORK/s.c" --name s
"$DLCC" "$HERE/string_api.dl" -o "$WORK/t.c" --name t --string-bytes 16
"$DLCC" "$HERE/string_split.dl" -o "$WORK/p.c" --name p
for f in s t p; do
    "$CC" -std=c11 -O1 -Wall -Wextra -Werror -c "$WORK/$f.c" -o "$WORK/$f.o"
done
"$CC" -std=c11 -O1 -Wall -Wextra -Werror -I"$WORK" "$HERE/string_api_test.c" "$WORK/s.o" "$WORK/t.o" \
    "$WORK/p.o" -lm -o "$WORK/string_api_test"
"$WORK/string_api_test"

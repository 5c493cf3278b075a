#!/bin/sh
# The sequence/optional API test (ctest golden/sequence-api): compiles
# sequence_api.dl, builds it with sequence_api_test.c using -Wall -Wextra
# -Werror, and runs it; then checks that the printed IR reads back to the
# same text.
#   run_sequence_api.sh DLCC WORKDIR
set -eu
DLCC=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-$(command -v clang || command -v cc)}
mkdir -p "$WORK"
"$DLCC" "$HERE/sequence_api.dl" -o "$WORK/seqapi.c" --name seqapi
"$CC" -std=c11 -O1 -Wall -Wextra -Werror -c "$WORK/seqapi.c" -o "$WORK/seqapi.o"
"$CC" -std=c11 -O1 -Wall -Wextra -Werror -I"$WORK" "$HERE/sequence_api_test.c" "$WORK/seqapi.o" -lm \
    -o "$WORK/sequence_api_test"
"$WORK/sequence_api_test"
"$DLCC" "$HERE/sequence_api.dl" --emit=ir -o "$WORK/a.dl"
"$DLCC" "$WORK/a.dl" --emit=ir -o "$WORK/b.dl"
cmp "$WORK/a.dl" "$WORK/b.dl"
grep -q '^  input x = sequence f32 (`x\[0\]`, `x\[1\]`)$' "$WORK/a.dl"
grep -q '^  output n = optional_sequence f32 none$' "$WORK/a.dl"
echo "sequence-api: IR round trip ok"

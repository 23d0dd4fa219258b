#!/bin/sh
# Regenerates the seed corpus in tests/fuzz/corpus/ from real encoded packets
# and messages (make_corpus.cpp). Needs a build with -Dfuzz=true:
#   tests/fuzz/make_corpus.sh build-asan-ubsan
# Regression inputs (corpus/*/regress_*) are kept; only seeds are rewritten.
set -eu
build=${1:?usage: make_corpus.sh BUILD_DIR}
src=$(cd "$(dirname "$0")" && pwd)
ninja -C "$build" tests/fuzz/make_corpus
"$build/tests/fuzz/make_corpus" "$src/corpus"

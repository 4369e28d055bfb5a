#!/bin/sh
# Build the libFuzzer targets in tests/fuzz with clang and run each one for a
# while; exit 1 if any of them finds a crash (tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS]
#
# SECONDS per target: the argument, else $FUZZ_SECONDS, else 60.
# Environment: CLANG (default clang, else clang-14), BUILD (default build:
# everything goes to $BUILD/fuzz). The SGX vectors in tests/vectors (*.sig,
# *.sigstruct.bin, *.sgxs) are extra seeds.
#
# The repository's corpus is never written to: each run fuzzes a fresh copy
# in $BUILD/fuzz/corpus/TARGET. Crashing inputs are saved under
# $BUILD/fuzz/artifacts/TARGET/, the full output in $BUILD/fuzz/TARGET.log.
# Installs nothing: the Debian packages are clang and libclang-rt-dev
# (on Debian 12, clang-14 and libclang-rt-14-dev).
# Exit status: 0 no crash, 1 a target crashed, 2 cannot build or bad usage.
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-${FUZZ_SECONDS:-60}}
out=${BUILD:-build}/fuzz
vectors=$root/tests/vectors
targets="manifest sigstruct la"

die() {
	echo "fuzz.sh: $*" >&2
	exit 2
}

case $seconds in
'' | *[!0-9]*) die "SECONDS must be a whole number of seconds, not '$seconds' (usage: scripts/fuzz.sh [SECONDS])" ;;
esac
[ "$seconds" -gt 0 ] || die "SECONDS must be at least 1"

# ---- the compiler and the fuzzer runtime -------------------------------------

if [ -n "${CLANG:-}" ]; then
	command -v "$CLANG" >/dev/null 2>&1 || die "CLANG=$CLANG: no such compiler"
else
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then
			CLANG=$c
			break
		fi
	done
	[ -n "${CLANG:-}" ] ||
		die "clang not found. Install the Debian packages clang and libclang-rt-dev (Debian 12: clang-14 libclang-rt-14-dev), or set CLANG."
fi

mkdir -p "$out"
flags="-g -O1 -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer"
flags="$flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$out/probe.c"
# shellcheck disable=SC2086
if ! "$CLANG" $flags -o "$out/probe" "$out/probe.c" >"$out/probe.log" 2>&1; then
	cat "$out/probe.log" >&2
	die "$CLANG cannot link a program with -fsanitize=fuzzer,address,undefined (output above): the libFuzzer and sanitizer runtimes (libclang_rt.fuzzer, .asan, .ubsan_standalone) are missing, or $CLANG is not clang. Install the Debian package libclang-rt-dev (Debian 12: libclang-rt-14-dev, the one matching clang-14)."
fi

# Readable stack traces need llvm-symbolizer (Debian package llvm); without it
# they are addresses only.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
	for s in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
		if command -v "$s" >/dev/null 2>&1; then
			ASAN_SYMBOLIZER_PATH=$(command -v "$s")
			export ASAN_SYMBOLIZER_PATH
			break
		fi
	done
	[ -n "${ASAN_SYMBOLIZER_PATH:-}" ] ||
		echo "fuzz.sh: note: llvm-symbolizer not found (Debian package llvm): stack traces will be addresses only"
fi
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

# ---- build -------------------------------------------------------------------------

echo "fuzz.sh: building with $("$CLANG" --version | head -n 1) into $out"
for t in $targets; do
	case $t in
	manifest) srcs="common/manifest.c common/path.c common/bundle.c common/sgx.c" ;;
	sigstruct) srcs="common/sgx.c" ;;
	la) srcs="common/cmac.c common/sgxkeys.c runtime/attest/la.c -lbearssl" ;;
	esac
	# shellcheck disable=SC2086
	"$CLANG" $flags -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" $srcs || die "building fuzz_$t failed"
done

# ---- seeds -------------------------------------------------------------------------

# Extra seeds: the public SGX vectors, copied into the build directory so
# that the fuzzer never writes into the repository.
rm -rf "$out/seeds"
mkdir -p "$out/seeds/manifest" "$out/seeds/sigstruct" "$out/seeds/la"
for f in "$vectors"/*.sig "$vectors"/*.sigstruct.bin "$vectors"/*.sgxs; do
	if [ -f "$f" ]; then cp "$f" "$out/seeds/sigstruct/"; fi
done

# ---- run ---------------------------------------------------------------------------

failed=""
summary=""
for t in $targets; do
	work="$out/corpus/$t"
	artifacts="$out/artifacts/$t"
	log="$out/$t.log"
	rm -rf "$work" "$artifacts"
	mkdir -p "$work" "$artifacts"
	cp tests/fuzz/corpus/"$t"/* "$work/"

	echo "fuzz.sh: fuzz_$t for ${seconds}s (log: $log)"
	# New inputs go to the first directory only: the scratch copy.
	if "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-dict="tests/fuzz/$t.dict" -artifact_prefix="$artifacts/" \
		"$work" "$out/seeds/$t" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	corpus=$(find "$work" -type f | wc -l | tr -d ' ')
	if [ "$rc" -eq 0 ]; then
		summary="$summary
  fuzz_$t: no crash, ${execs:-?} executions in ${seconds}s, corpus $corpus inputs"
	else
		failed="$failed $t"
		crash=$(find "$artifacts" -type f | head -n 1)
		summary="$summary
  fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; input: ${crash:-none saved}"
		echo "fuzz.sh: fuzz_$t failed; the end of its log:" >&2
		tail -n 60 "$log" >&2
		[ -z "$crash" ] || echo "fuzz.sh: reproduce with: $out/fuzz_$t $crash" >&2
	fi
done

echo "fuzz.sh: results:$summary"
if [ -n "$failed" ]; then
	echo "fuzz.sh: crash found in:$failed" >&2
	exit 1
fi

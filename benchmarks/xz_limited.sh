#!/bin/sh
# xz -9 on 1 MiB of random data, its compression memory limited to $1 MiB: a real program, run
# through a shell, whose choice depends on its memory limit. With -vv xz prints its filter chain
# ("--lzma2=dict=64MiB,...") and, when -9 does not fit the limit, the dictionary it takes instead
# ("Adjusted LZMA2 dictionary size from 64 MiB to 63 MiB to not exceed the memory usage limit").
# memsweep reads the dictionary with the pattern  (?:dict=|MiB to )(\d+) ?MiB  (the last match).
#
#   solver: {command: "benchmarks/xz_limited.sh {memory_mb}"}
set -eu
head -c 1048576 /dev/urandom | xz -9 -vv --memlimit-compress="${1:?usage: xz_limited.sh LIMIT_MIB}MiB" >/dev/null

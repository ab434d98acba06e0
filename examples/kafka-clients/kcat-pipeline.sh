#!/usr/bin/env bash
# A shell pipeline with kcat against KAFKA_BROKERS (e.g. a `tributary serve`): write keyed lines,
# read them back and count per key.
set -euo pipefail
BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}"
printf 'alice:login\nbob:login\nalice:click\nalice:logout\nbob:logout\n' | kcat -b "$BROKERS" -P -t kcat-events -K:
kcat -b "$BROKERS" -C -t kcat-events -o beginning -e -q -f '%k\n' | sort | uniq -c | awk '{ print $2 "=" $1 }'

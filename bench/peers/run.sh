#!/usr/bin/env bash
# Run every peer on LoCoMo and LongMemEval from the peers virtualenv; reports land in RESULTS.
# Usage: bench/peers/run.sh LOCOMO_JSON LONGMEMEVAL_JSON RESULTS [LME_LIMIT]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
py="${PEERS_PYTHON:-/work/peers-venv/bin/python}"
locomo="$1"; lme="$2"; results="$3"; lme_limit="${4:-30}"
mkdir -p "$results"
for peer in mem0 mcp_memory_service; do
  "$py" "$here/${peer}_peer.py" "$locomo" --format locomo --json "$results/locomo-${peer}.json"
  "$py" "$here/${peer}_peer.py" "$lme" --format longmemeval --limit "$lme_limit" --json "$results/longmemeval-${peer}.json"
done

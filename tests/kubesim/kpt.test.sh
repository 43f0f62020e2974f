#!/bin/bash
# kpt live against kubesim (HTTPS + token); skipped when kpt is missing or KPT=skip.
if [ "${KPT:-}" = skip ] || ! command -v kpt >/dev/null; then echo "kpt skipped"; exit 0; fi
exec bash "$(dirname "$0")/conformance/kpt.sh"

#!/bin/bash
# The contract §11 workflow with kubectl 1.28 against kubesim (HTTPS + token).
exec bash "$(dirname "$0")/conformance/workflow.sh" /usr/lib/google-cloud-sdk/bin/kubectl.1.28

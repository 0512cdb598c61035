#!/usr/bin/env bash
# Runs a command inside the e2e node's network namespace (where the API server, NodePorts
# and pod IPs are reachable), with KUBECONFIG pointing at the cluster admin kubeconfig.
# Example: bash e2e/cluster/ns-exec.sh curl -s http://10.250.0.1:31000/healthz
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ -e $NETNS_PATH ]] || { echo "ns-exec.sh: network namespace $NETNS missing: run 'npm run cluster:up' first" >&2; exit 1; }
export KUBECONFIG="$ADMIN_KUBECONFIG"
# Only the network namespace is entered (not `ip netns exec`, which would also give the
# command a private mount namespace).
exec nsenter --net="$NETNS_PATH" -- "$@"

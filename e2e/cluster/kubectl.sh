#!/usr/bin/env bash
# kubectl against the e2e cluster: bash e2e/cluster/kubectl.sh get pods -A
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec bash "$CLUSTER_DIR/ns-exec.sh" "$BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"

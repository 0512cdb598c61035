#!/usr/bin/env bash
# The registry stand-ins: OCI archives named exactly as the images the VM would pull, for the roles to
# preload (containerd_preload_images, app_image_base_images). Built without Docker or a registry:
#   k8s.tar     registry.k8s.io/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:$K8S_VERSION,
#               registry.k8s.io/etcd:<kubeadm's pin>, ghcr.io/flannel-io/flannel:$FLANNEL_VERSION,
#               ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGIN_TAG
#               (one shared Debian bookworm minbase + iptables/conntrack layer, then one layer per binary)
#   pause.tar coredns.tar mysql.tar   from e2e/images/build.sh, renamed to registry.k8s.io/pause:3.10,
#               registry.k8s.io/coredns/coredns:<kubeadm's pin>, docker.io/library/mysql:8.4 (MariaDB stand-in)
#   python.tar  docker.io/library/python:3.12-slim (python-mysql/Dockerfile's FROM): Debian bookworm minbase
#               with Debian's python3 (3.11) + pip, pip allowed to install system-wide as in the real image
# Also kube-flannel.yml: the manifest of flannel $FLANNEL_VERSION from its Go module (Documentation/).
# Idempotent: a stamp of the inputs skips the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

consts="$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/cmd/kubeadm/app/constants/constants.go"
[[ -f "$consts" ]] || vm_die "$consts missing: run e2e/cluster/build.sh"
ETCD_TAG=$(sed -n 's/^\s*DefaultEtcdVersion = "\(.*\)"/\1/p' "$consts")
COREDNS_TAG=$(sed -n 's/^\s*CoreDNSVersion = "\(.*\)"/\1/p' "$consts")
flannel_src="$GOMODCACHE/github.com/flannel-io/flannel@$FLANNEL_VERSION/Documentation/kube-flannel.yml"
[[ -f "$flannel_src" ]] || vm_die "$flannel_src missing: run test/vm/build-bins.sh"
declare -A K8S_IMAGES=( # tag -> "image name|built binary|its path in the image"
  [kube-apiserver]="registry.k8s.io/kube-apiserver:$K8S_VERSION|$K8S_BIN/kube-apiserver|/usr/local/bin/kube-apiserver"
  [kube-controller-manager]="registry.k8s.io/kube-controller-manager:$K8S_VERSION|$K8S_BIN/kube-controller-manager|/usr/local/bin/kube-controller-manager"
  [kube-scheduler]="registry.k8s.io/kube-scheduler:$K8S_VERSION|$K8S_BIN/kube-scheduler|/usr/local/bin/kube-scheduler"
  [kube-proxy]="registry.k8s.io/kube-proxy:$K8S_VERSION|$K8S_BIN/kube-proxy|/usr/local/bin/kube-proxy"
  [etcd]="registry.k8s.io/etcd:$ETCD_TAG|$K8S_BIN/etcd|/usr/local/bin/etcd"
  [flannel]="ghcr.io/flannel-io/flannel:$FLANNEL_VERSION|$VM_BIN/flanneld/flanneld|/opt/bin/flanneld"
  [flannel-cni-plugin]="ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGIN_TAG|$VM_BIN/flannel-cni/flannel|/flannel"
)
want=$({ cat "${BASH_SOURCE[0]}" "$flannel_src" /etc/ssl/certs/ca-certificates.crt; for t in "${!K8S_IMAGES[@]}"; do IFS='|' read -r _ src _ <<<"${K8S_IMAGES[$t]}"; cat "$src"; done; } | sha256sum | cut -d' ' -f1)

mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror="${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"
rootfs() { # rootfs DIR PACKAGES [HOOK...]: Debian minbase, no docs
  local dir="$1" pkgs="$2"; shift 2
  local hooks=() h; for h in "$@"; do hooks+=(--customize-hook="$h"); done
  mmdebstrap --mode=root --variant=minbase --arch=amd64 --include="$pkgs" \
    --aptopt='APT::Install-Recommends "false"' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/apt/* "$1"/var/log/*.log' \
    "${hooks[@]}" "$DEBIAN_SUITE" "$dir" "deb $mirror $DEBIAN_SUITE main" "deb $mirror $DEBIAN_SUITE-updates main" \
    "deb ${mirror%/debian}/debian-security $DEBIAN_SUITE-security main"
}
base_image() { # base_image LAYOUT ROOTFS: LAYOUT:base = one layer holding ROOTFS
  umoci init --layout "$1" && umoci new --image "$1:base"
  umoci unpack --image "$1:base" "$work/bundle" && rm -rf "$work/bundle/rootfs" && mv "$2" "$work/bundle/rootfs"
  umoci repack --image "$1:base" --history.created_by "test/vm/build-images.sh base" "$work/bundle"
  rm -rf "$work/bundle"
}
# Names: io.containerd.image.name for `ctr images import`, the full ref.name for `buildah pull oci-archive:`.
name_images() { # name_images LAYOUT OUT.tar TAG=REF...: annotate, drop other tags, archive
  local layout="$1" out="$2" map='{}' kv; shift 2
  for kv in "$@"; do map=$(jq --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$map"); done
  jq --argjson m "$map" '.manifests |= (map(select($m[.annotations["org.opencontainers.image.ref.name"]]))
    | map(.annotations["io.containerd.image.name"] = $m[.annotations["org.opencontainers.image.ref.name"]]
          | .annotations["org.opencontainers.image.ref.name"] = .annotations["io.containerd.image.name"]))' \
    "$layout/index.json" >"$layout/index.new" && mv "$layout/index.new" "$layout/index.json"
  umoci gc --layout "$layout"
  tar -C "$layout" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf "$out" .
}
rename_archive() { # rename_archive IN.tar OUT.tar REF: one-image archive from e2e/images, renamed
  local d="$work/rename"; rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xf "$1"
  jq --arg ref "$3" '.manifests |= map(.annotations["io.containerd.image.name"] = $ref)' "$d/index.json" >"$d/index.new"
  mv "$d/index.new" "$d/index.json"
  tar -C "$d" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf "$2" .
}

e2e_images="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/images"
bash "$REPO_ROOT/e2e/images/build.sh" --no-import pause coredns mariadb
want="$want $(cat "$e2e_images"/{pause,coredns,mariadb}/stamp | sha256sum | cut -d' ' -f1)"
if [[ -f "$VM_IMAGES/.stamp" && "$(cat "$VM_IMAGES/.stamp")" == "$want" ]]; then vm_say "images up to date ($VM_IMAGES)"; exit 0; fi
for t in mmdebstrap umoci jq; do command -v $t >/dev/null ||
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends mmdebstrap umoci jq >/dev/null; done
start=$SECONDS
log="$VM_LOGS/images.log"
vm_say "building the registry stand-in images (cold ~3-5 min; log $log)"
mkdir -p "$VM_IMAGES" "$VM_LOGS"
work=$(mktemp -d "$VM_CACHE/images.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
build() {
  set -euxo pipefail
  # Control plane, kube-proxy, etcd, flannel: one base layer (iptables/nft for kube-proxy and flanneld's
  # masquerade rules, cp for flannel's install containers), one layer per binary.
  rootfs "$work/k8s-rootfs" iptables,nftables,conntrack
  base_image "$work/k8s" "$work/k8s-rootfs"
  refs=()
  for tag in "${!K8S_IMAGES[@]}"; do
    IFS='|' read -r ref src dst <<<"${K8S_IMAGES[$tag]}"
    # The binary's layer as a plain tar (no unpack/repack of the base for each image).
    install -D -m 0755 "$src" "$work/l-$tag$dst"
    tar -C "$work/l-$tag" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
      -cf "$work/l-$tag.tar" "$(cut -d/ -f2 <<<"$dst")"
    umoci tag --image "$work/k8s:base" "$tag"
    umoci raw add-layer --image "$work/k8s:$tag" --history.created_by "test/vm/build-images.sh $tag" "$work/l-$tag.tar"
    umoci config --image "$work/k8s:$tag" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    rm -rf "$work/l-$tag" "$work/l-$tag.tar"
    refs+=("$tag=$ref")
  done
  name_images "$work/k8s" "$VM_IMAGES/k8s.tar.new" "${refs[@]}"
  # python:3.12-slim stand-in: Debian's python3 + pip; pip may install into the system (the real image's
  # python is not Debian-managed), `pip` on PATH, same ENV as the real image.
  # The host's CA bundle: Debian's pip trusts the system bundle, and this machine reaches PyPI through a
  # TLS-intercepting proxy whose CA only the host's bundle carries.
  rootfs "$work/py-rootfs" python3,python3-pip,ca-certificates \
    'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
    'cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"'
  base_image "$work/py" "$work/py-rootfs"
  umoci config --image "$work/py:base" --config.env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env LANG=C.UTF-8 --config.cmd python3
  name_images "$work/py" "$VM_IMAGES/python.tar.new" "base=docker.io/library/python:3.12-slim"
  rename_archive "$e2e_images/pause/image.tar" "$VM_IMAGES/pause.tar.new" "registry.k8s.io/pause:3.10"
  rename_archive "$e2e_images/coredns/image.tar" "$VM_IMAGES/coredns.tar.new" "registry.k8s.io/coredns/coredns:$COREDNS_TAG"
  rename_archive "$e2e_images/mariadb/image.tar" "$VM_IMAGES/mysql.tar.new" "docker.io/library/mysql:8.4"
  for f in "$VM_IMAGES"/*.tar.new; do mv "$f" "${f%.new}"; done
  install -m 0644 "$flannel_src" "$VM_IMAGES/kube-flannel.yml"
}
# In the background, not under `||`: bash ignores set -e in a function called as a condition.
build >"$log" 2>&1 &
wait $! || { tail -n 30 "$log" >&2; vm_die "image build failed (log: $log)"; }
chmod -R a+rX "$VM_IMAGES"
echo "$want" >"$VM_IMAGES/.stamp"
vm_say "images built in $((SECONDS - start))s: $(cd "$VM_IMAGES" && ls -- *.tar | tr '\n' ' ')"

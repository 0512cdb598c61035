#!/usr/bin/env bash
# The pkgs.k8s.io stand-in: kubelet, kubeadm, kubectl, cri-tools and kubernetes-cni .debs packaged with
# dpkg-deb from the upstream builds (e2e/cluster/build.sh + build-bins.sh), with the package names,
# versions (1.33.x-1.1), file layout, systemd units and dependencies of pkgs.k8s.io, in a flat apt
# repository signed by a local key (Release.key), as `deb [signed-by=...] URL /` expects.
# Output: $VM_APT. Idempotent: a stamp of the binaries and this script skips the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

for b in kubelet kubectl; do [[ -x "$K8S_BIN/$b" ]] || vm_die "$K8S_BIN/$b missing: run test/vm/build-bins.sh"; done
[[ -x "$VM_BIN/kubeadm" ]] || vm_die "$VM_BIN/kubeadm missing: run test/vm/build-bins.sh"
for t in apt-ftparchive gpg dpkg-deb; do
  command -v $t >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends apt-utils gnupg dpkg-dev >/dev/null
done
want=$(cat "$K8S_BIN/kubelet" "$K8S_BIN/kubectl" "$VM_BIN/kubeadm" "$VM_BIN/crictl" "$VM_BIN"/cni/* \
  "${BASH_SOURCE[0]}" "$VM_DIR"/deb/* | sha256sum | cut -d' ' -f1)
if [[ -f "$VM_APT/InRelease" && "$(cat "$VM_APT/.stamp" 2>/dev/null)" == "$want" ]]; then
  vm_say "apt repository up to date ($VM_APT)"; exit 0
fi
k8s_ver="${K8S_VERSION#v}-$DEB_REVISION"
work=$(mktemp -d "$VM_CACHE/debs.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$VM_APT" && mkdir -p "$VM_APT"

deb() { # deb NAME VERSION DEPENDS DESCRIPTION (files already staged in $work/NAME)
  local name="$1" version="$2" depends="$3" desc="$4" root="$work/$1"
  mkdir -p "$root/DEBIAN"
  {
    echo "Package: $name"; echo "Version: $version"; echo "Architecture: amd64"
    echo "Maintainer: hot-reload test:vm <test-vm@localhost>"; echo "Section: admin"; echo "Priority: optional"
    [[ -z "$depends" ]] || echo "Depends: $depends"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    echo "Homepage: https://kubernetes.io"; echo "Description: $desc"
  } >"$root/DEBIAN/control"
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  # gzip, not xz: xz of the ~100 MB binaries costs minutes on 2 busy cores.
  dpkg-deb --root-owner-group -Zgzip --build "$root" "$VM_APT/${name}_${version}_amd64.deb" >/dev/null
}
stage() { install -D -m "$1" "$2" "$work/$3"; } # stage MODE SRC PKG/PATH

stage 0755 "$K8S_BIN/kubelet" kubelet/usr/bin/kubelet
stage 0644 "$VM_DIR/deb/kubelet.service" kubelet/usr/lib/systemd/system/kubelet.service
deb kubelet "$k8s_ver" "iptables (>= 1.4.21), iproute2, mount, util-linux, ethtool, ebtables, socat, conntrack, kubernetes-cni (>= 1.2.0)" \
  "Node agent for Kubernetes clusters"
stage 0755 "$K8S_BIN/kubectl" kubectl/usr/bin/kubectl
deb kubectl "$k8s_ver" "" "Command-line utility for interacting with a Kubernetes cluster"
stage 0755 "$VM_BIN/kubeadm" kubeadm/usr/bin/kubeadm
stage 0644 "$VM_DIR/deb/10-kubeadm.conf" kubeadm/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf
deb kubeadm "$k8s_ver" "kubelet (>= 1.33.0), kubectl (>= 1.33.0), kubernetes-cni (>= 1.2.0)" \
  "Command-line utility for administering a Kubernetes cluster"
stage 0755 "$VM_BIN/crictl" cri-tools/usr/bin/crictl
deb cri-tools "${CRI_TOOLS_VERSION#v}-$DEB_REVISION" "" "Command-line utility for interacting with a container runtime"
for p in "$VM_BIN"/cni/*; do stage 0755 "$p" "kubernetes-cni/opt/cni/bin/$(basename "$p")"; done
deb kubernetes-cni "${CNI_PLUGINS_VERSION#v}-$DEB_REVISION" "" "Binaries required to provision kubernetes container networking"

# Signing key: made once, kept in the cache (apt needs a signed Release; the role fetches Release.key).
gnupg="$VM_CACHE/gnupg"
if [[ ! -s "$gnupg/pubring.kbx" ]]; then
  mkdir -p -m 0700 "$gnupg"
  gpg --homedir "$gnupg" --batch --passphrase '' --quick-gen-key "hot-reload test:vm apt <test-vm@localhost>" ed25519 sign never 2>/dev/null
fi
(
  cd "$VM_APT"
  apt-ftparchive packages . >Packages
  gzip -9n <Packages >Packages.gz
  apt-ftparchive -o APT::FTPArchive::Release::Origin=hot-reload-test-vm -o APT::FTPArchive::Release::Label=pkgs.k8s.io-stand-in \
    release . >Release
  gpg --homedir "$gnupg" --batch --yes --armor --export >Release.key
  gpg --homedir "$gnupg" --batch --yes --clearsign -o InRelease Release
  gpg --homedir "$gnupg" --batch --yes --armor --detach-sign -o Release.gpg Release
)
chmod -R a+rX "$VM_APT"
echo "$want" >"$VM_APT/.stamp"
vm_say "apt repository built: $(cd "$VM_APT" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')"

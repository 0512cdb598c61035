"""Check the rendered kubeadm configuration of roles/control_plane.

Usage: check_kubeadm_config.py RENDERED.yaml roles/kubernetes_node/defaults/main.yml
Asserts the documents kubeadm 1.33 expects and the values the rest of the setup
relies on (node name/IP, Kubernetes version = the pinned packages, Flannel's pod
network, systemd cgroups). Prints a one-line summary.
"""
import sys

import yaml

docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")) if d}
pins = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
errors = []


def expect(what, got, want):
    if got != want:
        errors.append(f"{what}: got {got!r}, want {want!r}")


expect("documents", sorted(docs), ["ClusterConfiguration", "InitConfiguration", "KubeletConfiguration"])
init, cluster, kubelet = (docs.get(k, {}) for k in ("InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"))
expect("InitConfiguration.apiVersion", init.get("apiVersion"), "kubeadm.k8s.io/v1beta4")
expect("ClusterConfiguration.apiVersion", cluster.get("apiVersion"), "kubeadm.k8s.io/v1beta4")
expect("advertiseAddress", init.get("localAPIEndpoint", {}).get("advertiseAddress"), "192.168.56.10")
expect("nodeRegistration.name", init.get("nodeRegistration", {}).get("name"), "kube")
expect("kubelet node-ip", init.get("nodeRegistration", {}).get("kubeletExtraArgs"), [{"name": "node-ip", "value": "192.168.56.10"}])
expect("kubernetesVersion", cluster.get("kubernetesVersion"), "v" + pins["kubernetes_node_version"])
if not pins["kubernetes_node_version"].startswith(pins["kubernetes_node_minor"] + "."):
    errors.append(f"kubernetes_node_version {pins['kubernetes_node_version']} is not in channel {pins['kubernetes_node_minor']}")
expect("podSubnet (Flannel's default network)", cluster.get("networking", {}).get("podSubnet"), "10.244.0.0/16")
expect("kubelet cgroupDriver", kubelet.get("cgroupDriver"), "systemd")
if "kube" not in cluster.get("apiServer", {}).get("certSANs", []):
    errors.append("apiServer.certSANs lacks 'kube' (kubectl from the host via https://kube:6443)")
if errors:
    print("; ".join(errors))
    sys.exit(1)
print(f"{cluster['kubernetesVersion']}, node kube at 192.168.56.10, pods {cluster['networking']['podSubnet']}, systemd cgroups")

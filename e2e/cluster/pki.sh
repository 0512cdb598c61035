# shellcheck shell=bash
# Certificates, keys and kubeconfigs for the e2e cluster, made with openssl (sourced by up.sh).
# Everything is generated once into $PKI and reused while $STATE exists.

# new_cert NAME CN ORG USAGE [SANS]   USAGE: server|client|both; SANS: "DNS:a,IP:b"
new_cert() {
  local name=$1 cn=$2 org=$3 usage=$4 sans=${5:-} ext eku
  [[ -s "$PKI/$name.crt" && -s "$PKI/$name.key" ]] && return 0
  case $usage in
    server) eku=serverAuth ;; client) eku=clientAuth ;; both) eku=serverAuth,clientAuth ;;
  esac
  ext="$PKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } > "$ext"
  local subj="/CN=$cn"
  [[ -n $org ]] && subj="/O=$org$subj"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

# new_kubeconfig NAME CERTNAME: a kubeconfig at $STATE/NAME.kubeconfig using client cert CERTNAME.
new_kubeconfig() {
  local name=$1 cert=$2 out="$STATE/$1.kubeconfig"
  [[ -s $out ]] && return 0
  cat > "$out" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: hot-reload-e2e
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 < "$PKI/$cert.key")
contexts:
- name: $name@hot-reload-e2e
  context: {cluster: hot-reload-e2e, user: $name}
current-context: $name@hot-reload-e2e
KCFG
  chmod 600 "$out"
}

make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [[ ! -s "$PKI/ca.crt" ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=hot-reload-e2e-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$PKI/ca.crt"
  fi
  new_cert apiserver kube-apiserver "" server \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$APISERVER_SERVICE_IP"
  new_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters client
  new_cert admin kubernetes-admin system:masters client
  new_cert controller-manager system:kube-controller-manager "" client
  new_cert scheduler system:kube-scheduler "" client
  new_cert kube-proxy system:kube-proxy "" client
  new_cert kubelet-client "system:node:$NODE_NAME" system:nodes client
  new_cert kubelet "$NODE_NAME" "" server "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  # Service-account token signing key pair.
  if [[ ! -s "$PKI/sa.key" ]]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/sa.key" 2>/dev/null
    openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  chmod 600 "$PKI"/*.key
  new_kubeconfig admin admin
  new_kubeconfig controller-manager controller-manager
  new_kubeconfig scheduler scheduler
  new_kubeconfig kube-proxy kube-proxy
  new_kubeconfig kubelet kubelet-client
}

#!/usr/bin/env bash
# Builds (once, cached) the test control plane: kube-apiserver, kube-controller-manager, etcd, kubectl, helm.
#
#   test/controlplane/provision.sh           # prints the directory holding the binaries
#
# Where binaries come from, first match wins:
#   1. $KUBEBUILDER_ASSETS (controller-runtime's envtest convention) if it holds kube-apiserver and etcd
#   2. the cache dir ${KTE_CACHE:-~/.cache/azure-apim-operator/testenv}/k8s-<version>/bin
#   3. a build with Go through the module proxy (wrapper-module technique), written into that cache dir
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.33.13}"
HELM_VERSION="${HELM_VERSION:-3.18.6}"
CACHE_ROOT="${KTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azure-apim-operator/testenv}"
BIN="$CACHE_ROOT/k8s-$K8S_VERSION/bin"
WANT=(kube-apiserver kube-controller-manager etcd kubectl helm)

log() { printf '[provision] %s\n' "$*" >&2; }

have_all() {
  local dir="$1" b
  for b in "$@"; do [[ "$b" == "$dir" ]] && continue; [[ -x "$dir/$b" ]] || return 1; done
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]] && have_all "$KUBEBUILDER_ASSETS" kube-apiserver etcd; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

exit_if_cached() {
  if have_all "$BIN" "${WANT[@]}"; then
    log "binaries cached in $BIN"
    echo "$BIN"
    exit 0
  fi
}
exit_if_cached

command -v go >/dev/null || { log "no Go toolchain: a real kube-apiserver needs Go and the Go module proxy"; exit 1; }

# One build at a time per cache (parallel test runs on the same machine wait for the first one).
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null; then
  exec 9>"$CACHE_ROOT/.provision.lock"
  if ! flock -n 9; then
    log "another provisioning run holds $CACHE_ROOT/.provision.lock: waiting for it"
    flock 9
  fi
  exit_if_cached
fi
started=$SECONDS

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
# The checksum database is not reachable from every build machine; the module proxy is.
export GONOSUMDB="${GONOSUMDB:-*}" GONOSUMCHECK=1 GOSUMDB="${GOSUMDB:-off}"
minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
src="$CACHE_ROOT/k8s-$K8S_VERSION/src"
mkdir -p "$src" "$BIN"
cd "$src"

if [[ ! -f go.sum ]]; then
  log "preparing wrapper module for k8s.io/kubernetes v$K8S_VERSION"
  kmod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | grep '"GoMod"' | cut -d'"' -f4)
  [[ -f "$kmod" ]] || { log "could not download k8s.io/kubernetes@v$K8S_VERSION's go.mod"; exit 1; }
  {
    echo "module local/kube-testenv"; echo
    awk '$1=="go"{print; exit}' "$kmod"
    awk '$1=="godebug"{print; exit}' "$kmod"
  } > go.mod
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$kmod" | sort -u); do
    go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}"
  done
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy
fi

v="v$K8S_VERSION"
ldf="-s -w"
for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldf+=" -X $x.gitVersion=$v -X $x.gitMajor=1 -X $x.gitMinor=$minor -X $x.gitTreeState=clean"
done
for b in kube-apiserver kube-controller-manager kubectl; do
  [[ -x "$BIN/$b" ]] && continue
  log "building $b $v (cold builds take many minutes)"
  go build -trimpath -ldflags "$ldf" -o "$BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b"
  mv "$BIN/$b.tmp" "$BIN/$b"
done
if [[ ! -x "$BIN/etcd" ]]; then
  log "building etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"
fi
if [[ ! -x "$BIN/helm" ]]; then
  log "building helm v$HELM_VERSION"
  (cd / && GOFLAGS= GOBIN="$BIN/.helm" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION")
  mv "$BIN/.helm/helm" "$BIN/helm" && rmdir "$BIN/.helm"
fi
log "binaries ready in $BIN (provisioned in $((SECONDS - started))s)"
echo "$BIN"

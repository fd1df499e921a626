#!/usr/bin/env bash
# The AsyncAPI contract (issue 15): `webhook-bridge --asyncapi` on the shipped configs must give
# documents that validate against the AsyncAPI 3.0.0 schema (pinned npm validator, installed
# once into tests/asyncapi/node_modules, offline afterwards), whose references resolve, and
# whose Mono payload schemas accept every documented Mono body on each topic it is routed to
# (the routing table of tests/integration/test_e2e.py) and refuse a body of another type.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${BRIDGE_BIN:?BRIDGE_BIN: the webhook-bridge binary}

# shellcheck source=docker/install-missing.sh
. "$top/docker/install-missing.sh"
command -v npm >/dev/null || install_missing nodejs npm
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci" 2>/dev/null; then
    echo "==> npm ci in tests/asyncapi"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
        cp package-lock.json node_modules/.package-lock.json.ci)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MONO_WEBHOOK_SECRET=asyncapi-test-secret-1 FLUTTERWAVE_SECRET_HASH=asyncapi-test-secret-2 \
    GITHUB_WEBHOOK_SECRET=asyncapi-test-secret-3 PAYSTACK_SECRET_KEY=asyncapi-test-secret-4 \
    SHOPIFY_CLIENT_SECRET=asyncapi-test-secret-5 SLACK_SIGNING_SECRET=asyncapi-test-secret-6 \
    STRIPE_WEBHOOK_SECRET=asyncapi-test-secret-7 \
    STANDARD_WEBHOOKS_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

"$bin" --asyncapi --config "$top/config/bridge.yaml" >"$work/bridge.json"
docs=()
for cfg in "$top"/config/providers/*.yaml; do
    # a provider file is a drop-in source: a config directory beside config/base.yaml
    name=$(basename "$cfg" .yaml)
    mkdir "$work/$name.d"
    cp "$top/config/base.yaml" "$work/$name.d/00-base.yaml"
    cp "$cfg" "$work/$name.d/"
    out="$work/$name.json"
    "$bin" --asyncapi --config "$work/$name.d" >"$out"
    docs+=("$out")
done
# the fixtures' topics, as the end-to-end test expects them
python3 - "$top/tests/integration/test_e2e.py" >"$work/routes.json" <<'PY'
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXPECTED_TOPICS":
        print(json.dumps(ast.literal_eval(node.value)))
PY
node "$here/validate.mjs" --fixtures "$top/tests/fixtures/mono" --routes "$work/routes.json" \
    "$work/bridge.json"
node "$here/validate.mjs" "${docs[@]}"

# a config error is reported at its line, exit status 2
printf 'kafka: {brokers: embedded}\nsources: {}\n' >"$work/bad.yaml"
if "$bin" --asyncapi --config "$work/bad.yaml" >/dev/null 2>"$work/err"; then
    echo "--asyncapi accepted an invalid config"; exit 1
fi
grep -q "bad.yaml:2:10: sources: at least one source is required" "$work/err" ||
    { echo "unexpected error: $(cat "$work/err")"; exit 1; }
echo "asyncapi: ok"

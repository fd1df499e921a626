// Checks of rendered Kubernetes manifests for tests/deploy/check.sh. Offline: the schemas are
// the ones bundled in the pinned kubernetes-models packages (package.json).
//
//   node manifests.mjs validate FILE...        every object validates against its JSON schema;
//                                               an object of a kind without a schema fails
//   node manifests.mjs policy RENDERED OUTDIR  the Deployment keeps the promises of issue 5
//                                               (probes, security, drain timing, config mount)
//                                               and each ConfigMap file is written to OUTDIR for
//                                               --check-config, with the Secret example's keys
//                                               as OUTDIR/env
//   node manifests.mjs rulespec RULE OUT       writes the rule groups of a PrometheusRule as a
//                                               plain Prometheus rules file (for promtool)
//   node manifests.mjs queries FILE...         prints the metric names the PromQL expressions of
//                                               a Grafana dashboard or a PrometheusRule use
//   node manifests.mjs topics ROUTED RENDERED  every topic in ROUTED (one a line) has a
//                                               KafkaTopic in RENDERED
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments, stringify } from "yaml";

const problems = [];
const fail = (msg) => problems.push(msg);

function load(file) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const objs = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const o = d.toJS();
    if (o !== null && o !== undefined) objs.push(o);
  }
  return objs;
}
const id = (o) => `${o.kind}/${o.metadata?.name}`;

// apiVersion + kind -> module of the pinned model packages.
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "kafka.strimzi.io" || group === "core.strimzi.io")
    return `@kubernetes-models/strimzi-kafka-operator/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`;
}

async function validate(files) {
  let n = 0;
  for (const file of files) {
    for (const o of load(file)) {
      if (!o.apiVersion || !o.kind) {
        fail(`${file}: object without apiVersion/kind`);
        continue;
      }
      let Model;
      try {
        Model = (await import(modelPath(o.apiVersion, o.kind)))[o.kind];
      } catch {
        fail(`${file}: ${id(o)}: no schema for ${o.apiVersion} ${o.kind} (unknown kind or version)`);
        continue;
      }
      try {
        new Model(o).validate();
        ++n;
      } catch (e) {
        fail(`${file}: ${id(o)}: ${e.message}`);
      }
    }
  }
  console.log(`${n} objects valid`);
}

const ms = (cfgText, key, dflt) => {
  const m = cfgText.match(new RegExp(`^${key}:\\s*(\\d+)`, "m"));
  return m ? Number(m[1]) : dflt;
};

function policy(file, outdir) {
  const objs = load(file);
  const deps = objs.filter((o) => o.kind === "Deployment");
  if (deps.length !== 1) fail(`${file}: expected one Deployment, found ${deps.length}`);
  const cms = objs.filter((o) => o.kind === "ConfigMap");
  if (cms.length === 0) fail(`${file}: no ConfigMap (the bridge config)`);
  const byName = Object.fromEntries(cms.map((c) => [c.metadata.name, c]));
  let n = 0;
  for (const c of cms)
    for (const [key, text] of Object.entries(c.data ?? {}))
      writeFileSync(`${outdir}/${c.metadata.name}--${key}`, text), ++n;
  const secretEnv = objs
    .filter((o) => o.kind === "Secret")
    .flatMap((s) => Object.keys({ ...(s.stringData ?? {}), ...(s.data ?? {}) }));
  writeFileSync(`${outdir}/env`, secretEnv.map((k) => `${k}=placeholder-${k.toLowerCase()}\n`).join(""));

  for (const d of deps) {
    const spec = d.spec.template.spec;
    const where = `${file}: ${id(d)}`;
    const c = spec.containers.find((x) => x.name === "webhook-bridge");
    if (!c) {
      fail(`${where}: no container webhook-bridge`);
      continue;
    }
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (ports.webhook !== 8080 || ports.admin !== 9090)
      fail(`${where}: ports must be webhook 8080 and admin 9090, got ${JSON.stringify(ports)}`);
    const probe = (p, path) =>
      p?.httpGet?.path === path && (p.httpGet.port === "admin" || p.httpGet.port === 9090);
    if (!probe(c.readinessProbe, "/readyz")) fail(`${where}: readinessProbe must GET /readyz on the admin port`);
    if (!probe(c.livenessProbe, "/healthz")) fail(`${where}: livenessProbe must GET /healthz on the admin port`);
    const psc = spec.securityContext ?? {}, sc = c.securityContext ?? {};
    if (!(psc.runAsNonRoot || sc.runAsNonRoot)) fail(`${where}: runAsNonRoot must be true`);
    if ((sc.runAsUser ?? psc.runAsUser) !== 65532) fail(`${where}: runAsUser must be 65532 (the image's user)`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${where}: readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(`${where}: capabilities must drop ALL`);
    if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== "RuntimeDefault")
      fail(`${where}: seccompProfile must be RuntimeDefault`);
    for (const k of ["requests", "limits"])
      if (!c.resources?.[k]?.cpu || !c.resources?.[k]?.memory) fail(`${where}: resources.${k} cpu and memory required`);
    const ann = d.spec.template.metadata?.annotations ?? {};
    if (ann["prometheus.io/scrape"] !== "true" || ann["prometheus.io/port"] !== String(ports.admin))
      fail(`${where}: prometheus.io/scrape "true" and prometheus.io/port the admin port required`);

    // The config: a ConfigMap mounted as a directory (subPath mounts never see updates).
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    const cfgPath = argv[argv.indexOf("--config") + 1];
    if (!argv.includes("--config") || !cfgPath) {
      fail(`${where}: no --config argument`);
      continue;
    }
    const mount = (c.volumeMounts ?? []).find((m) => cfgPath.startsWith(m.mountPath.replace(/\/?$/, "/")));
    if (!mount) {
      fail(`${where}: --config ${cfgPath} is on no volume mount`);
      continue;
    }
    if (mount.subPath || mount.subPathExpr) fail(`${where}: config mount uses subPath: ConfigMap updates would never reach the bridge`);
    const vol = (spec.volumes ?? []).find((v) => v.name === mount.name);
    const cm = vol?.configMap && byName[vol.configMap.name];
    const key = cfgPath.slice(mount.mountPath.replace(/\/?$/, "/").length);
    const text = cm?.data?.[key];
    if (text === undefined) {
      fail(`${where}: --config ${cfgPath}: volume ${mount.name} has no ConfigMap key ${key}`);
      continue;
    }
    // Shutdown timing: the grace period runs from the start of preStop.
    const pre = c.lifecycle?.preStop?.exec?.command ?? [];
    const preStopS = pre.length && /sleep$/.test(pre[0]) ? Number(pre[1]) : c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    const drainS = ms(text, "drain_delay_ms", 5000) / 1000, shutS = ms(text, "shutdown_timeout_ms", 20000) / 1000;
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (!(preStopS > 0)) fail(`${where}: a preStop sleep is required (endpoint removal must reach every proxy)`);
    if (grace < preStopS + drainS + shutS + 5)
      fail(`${where}: terminationGracePeriodSeconds ${grace} < preStop ${preStopS} s + drain_delay ${drainS} s + shutdown_timeout ${shutS} s + 5 s margin`);
    // Services and policies must point at the ports the container has.
    for (const s of objs.filter((o) => o.kind === "Service"))
      for (const p of s.spec.ports)
        if (!(p.targetPort in ports) && !Object.values(ports).includes(p.targetPort))
          fail(`${file}: ${id(s)}: targetPort ${p.targetPort} is no container port`);
    for (const np of objs.filter((o) => o.kind === "NetworkPolicy"))
      for (const r of np.spec.ingress ?? [])
        for (const p of r.ports ?? [])
          if (!Object.values(ports).includes(p.port) && !(p.port in ports))
            fail(`${file}: ${id(np)}: ingress port ${p.port} is no container port`);
    for (const h of objs.filter((o) => o.kind === "HorizontalPodAutoscaler"))
      if (h.spec.scaleTargetRef.name !== d.metadata.name) fail(`${file}: ${id(h)}: scales ${h.spec.scaleTargetRef.name}, not ${d.metadata.name}`);
  }
  // Selectors (Service, PDB, NetworkPolicy) must select the Deployment's pods.
  const podLabels = deps[0]?.spec.template.metadata?.labels ?? {};
  const selects = (sel) => sel && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  for (const o of objs) {
    const sel =
      o.kind === "Service" ? o.spec.selector :
      o.kind === "PodDisruptionBudget" ? o.spec.selector?.matchLabels :
      o.kind === "NetworkPolicy" ? o.spec.podSelector?.matchLabels : undefined;
    if (sel !== undefined && !selects(sel)) fail(`${file}: ${id(o)}: selector ${JSON.stringify(sel)} selects no bridge pod`);
  }
  console.log(`${deps.length} Deployment checked, ${n} config file(s) extracted`);
}

function topics(routedFile, rendered) {
  const routed = readFileSync(routedFile, "utf8").split("\n").filter(Boolean);
  if (routed.length === 0) fail(`${routedFile}: no routed topics (did --check-config's output change?)`);
  const have = new Set(
    load(rendered)
      .filter((o) => o.kind === "KafkaTopic")
      .map((o) => o.spec?.topicName ?? o.metadata.name),
  );
  for (const t of routed) if (!have.has(t)) fail(`topic ${t} is routed by the config but has no KafkaTopic in ${rendered}`);
  console.log(`${routed.length} routed topics, ${have.size} KafkaTopics`);
}

function rulespec(file, out) {
  const [rule] = load(file);
  if (rule?.kind !== "PrometheusRule") throw new Error(`${file}: not a PrometheusRule`);
  writeFileSync(out, stringify(rule.spec));
}

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool",
  "and", "or", "unless", "offset"]);
function queries(files) {
  const exprs = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) k === "expr" && typeof x === "string" ? exprs.push(x) : walk(x);
  };
  for (const f of files) {
    if (f.endsWith(".json")) walk(JSON.parse(readFileSync(f, "utf8")));
    else load(f).forEach(walk);
  }
  if (exprs.length === 0) fail(`no PromQL expression found in ${files.join(" ")}`);
  const names = new Set();
  for (let e of exprs) {
    // Drop strings, label matchers, ranges and grouping clauses: what is left names metrics,
    // functions (followed by "("), keywords, numbers and Grafana variables.
    e = e.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, "");
    e = e.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
    for (const m of e.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
      const w = m[0], next = e.slice(m.index + w.length).trimStart()[0];
      if (next === "(" || PROMQL_WORDS.has(w) || e[m.index - 1] === "$") continue;
      names.add(w);
    }
  }
  console.log([...names].sort().join("\n"));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "validate") await validate(args);
  else if (cmd === "policy") policy(args[0], args[1]);
  else if (cmd === "topics") topics(args[0], args[1]);
  else if (cmd === "rulespec") rulespec(args[0], args[1]);
  else if (cmd === "queries") queries(args);
  else fail(`usage: manifests.mjs validate|policy|topics ...`);
} catch (e) {
  fail(e.message);
}
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);

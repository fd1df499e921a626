// Checks of rendered Kubernetes manifests for tests/deploy/check.sh. Offline: the schemas are
// the ones bundled in the pinned kubernetes-models packages (package.json).
//
//   node manifests.mjs validate FILE...        every object validates against its JSON schema;
//                                               an object of a kind without a schema fails
//   node manifests.mjs policy RENDERED OUTDIR  the Deployment keeps the promises of issue 5
//                                               (probes, security, drain timing, config mount)
//                                               and its config's needs (issue 14: every ${VAR}
//                                               it reads is in the pod's environment, every
//                                               kafka.librdkafka file and secret_files entry
//                                               is on a Secret volume, the NetworkPolicy lets
//                                               it reach the brokers' ports); each ConfigMap
//                                               file is written to OUTDIR for --check-config,
//                                               with the environment (the envFrom Secret
//                                               example's keys, the container's env, NAME of
//                                               each secret_files ${NAME:-path}) as OUTDIR/env
//                                               and those files in OUTDIR/secret-files
//   node manifests.mjs rulespec RULE OUT       writes the rule groups of a PrometheusRule as a
//                                               plain Prometheus rules file (for promtool)
//   node manifests.mjs queries FILE...         prints the metric names the PromQL expressions of
//                                               a Grafana dashboard or a PrometheusRule use
//   node manifests.mjs topics LIST RENDERED    every topic in LIST (`webhook-bridge --list-topics`
//                                               output) has a KafkaTopic in RENDERED with its
//                                               partitions and replication
//   node manifests.mjs acls LIST CONFIG RENDERED...  every KafkaUser in RENDERED has the ACLs
//                                               its role needs for every topic in LIST (CONFIG's
//                                               --list-topics): the bridge's users Write and
//                                               Describe (Create with kafka.create_topics) and
//                                               IdempotentWrite; a *-replay user Read on the
//                                               dead-letter topics, Write on the others, never
//                                               Write on a dead-letter topic
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parse, parseAllDocuments, stringify } from "yaml";

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
  // what the pod's environment holds: the keys of the Secret examples it takes as envFrom and
  // the container's own env (a literal value as it is, one from a Secret or ConfigMap as a
  // placeholder); configNeeds adds the secret files it writes for --check-config
  const bridges = deps.flatMap((d) => d.spec.template.spec.containers.filter((c) => c.name === "webhook-bridge"));
  const fromSecrets = new Set(bridges.flatMap((c) => c.envFrom ?? []).map((e) => e.secretRef?.name));
  const secretEnv = objs
    .filter((o) => o.kind === "Secret" && fromSecrets.has(o.metadata.name))
    .flatMap(secretKeys);
  const envLines = [
    ...secretEnv.map((k) => `${k}=placeholder-${k.toLowerCase()}`),
    ...bridges.flatMap((c) => c.env ?? []).map((e) => `${e.name}=${e.value ?? `placeholder-${e.name.toLowerCase()}`}`),
  ];

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
    configNeeds(where, text, c, spec, objs, outdir, envLines);
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
  writeFileSync(`${outdir}/env`, envLines.map((l) => l + "\n").join(""));
  console.log(`${deps.length} Deployment checked, ${n} config file(s) extracted`);
}

// ${VAR:-default} -> default, ${VAR} -> env[VAR] (undefined when the pod does not set it).
const expand = (v, env = {}) =>
  String(v).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name, dflt) => env[name] ?? dflt ?? "");
const envVars = (text) =>
  [...text.replace(/^\s*#.*$/gm, "").matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)].map((m) => ({
    name: m[1],
    hasDefault: m[2] !== undefined,
  }));

// The keys a Secret object holds.
const secretKeys = (s) => Object.keys({ ...(s.stringData ?? {}), ...(s.data ?? {}) });

// The Secret volume of container c that holds the file at `path`: { name, key } (the Secret and
// its key), or undefined after a failure naming `what`.
function secretFileOf(where, what, path, c, spec) {
  const refuse = (why) => void fail(`${where}: ${what} ${path}${why}`);
  const m = (c.volumeMounts ?? []).find((vm) => path === vm.mountPath || path.startsWith(vm.mountPath.replace(/\/?$/, "/")));
  const vol = m && (spec.volumes ?? []).find((v) => v.name === m.name);
  if (!vol) return refuse(" is on no volume mount");
  if (!vol.secret && !vol.projected) return refuse(`: volume ${vol.name} is not a Secret`);
  if (m.subPath || m.subPathExpr) return refuse(": mounted with subPath, which never sees a Secret update");
  const rel = path.slice(m.mountPath.replace(/\/?$/, "/").length);
  const item = vol.secret?.items?.find((i) => i.path === rel);
  if (vol.secret?.items && !item) return refuse(`: Secret ${vol.secret.secretName} mounts no such item`);
  return { name: vol.secret?.secretName, key: item?.key ?? rel };
}

// What the config in the ConfigMap needs from the pod around it. A source's secret_files must
// be on a Secret volume (with the key, where the render has the Secret), each written
// ${NAME:-path}: the config check gets a file of its own at NAME (outdir/secret-files/NAME,
// added to envLines).
function configNeeds(where, text, c, spec, objs, outdir, envLines) {
  const literalEnv = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  const envNames = new Set((c.env ?? []).map((e) => e.name));
  const hasEnvFrom = (c.envFrom ?? []).length > 0;
  for (const v of envVars(text))
    if (!v.hasDefault && !envNames.has(v.name) && !hasEnvFrom)
      fail(`${where}: the config reads \${${v.name}} but the container's environment does not set it`);
  let cfg;
  try {
    cfg = parse(text);
  } catch (e) {
    fail(`${where}: the config is no YAML: ${e.message}`);
    return;
  }
  // Files a librdkafka property names: on a read-only volume from a Secret (a CA, a key).
  const props = cfg?.kafka?.librdkafka ?? {};
  for (const [k, raw] of Object.entries(props)) {
    if (!/\.location$/.test(k) && k !== "sasl.kerberos.keytab") continue;
    const path = expand(raw, literalEnv);
    if (path === "probe" || path.startsWith("/etc/ssl/")) continue; // the image's CA bundle
    secretFileOf(where, `kafka.librdkafka.${k}`, path, c, spec);
  }
  for (const [name, src] of Object.entries(cfg?.sources ?? {}))
    for (const raw of src?.verify?.secret_files ?? []) {
      const what = `sources.${name}.verify.secret_files`;
      const path = expand(raw, literalEnv);
      const from = secretFileOf(where, what, path, c, spec);
      const secret = from && objs.find((o) => o.kind === "Secret" && o.metadata.name === from.name);
      if (secret && !secretKeys(secret).includes(from.key))
        fail(`${where}: ${what} ${path}: Secret ${from.name} has no key ${from.key}`);
      const v = /^\$\{([A-Za-z_][A-Za-z0-9_]*):-[^}]*\}$/.exec(String(raw));
      if (!v) {
        fail(`${where}: ${what} ${raw}: write it \${NAME_FILE:-${raw}} so that the config check can give it a file`);
        continue;
      }
      mkdirSync(`${outdir}/secret-files`, { recursive: true });
      const file = `${outdir}/secret-files/${v[1]}`;
      writeFileSync(file, `placeholder-${(from?.key ?? v[1]).toLowerCase()}\n`);
      envLines.push(`${v[1]}=${file}`);
    }
  // The brokers must be reachable: an egress rule with their port, and a destination that can
  // be theirs. A Service name (svc.ns, svc.ns.svc[.cluster.local]) is in namespace ns: a rule
  // to that namespace or an ipBlock; any other host is outside the cluster: an ipBlock.
  const brokers = expand(cfg?.kafka?.brokers ?? "", literalEnv);
  if (brokers === "" || brokers === "embedded") return;
  const podLabels = objs.find((o) => o.kind === "Deployment")?.spec.template.metadata?.labels ?? {};
  const policies = objs.filter(
    (np) =>
      np.kind === "NetworkPolicy" &&
      (np.spec.policyTypes ?? []).includes("Egress") &&
      Object.entries(np.spec.podSelector?.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v),
  );
  for (const b of brokers.split(",")) {
    const [host, portText] = b.trim().split(/:(?=\d+$)/);
    const port = Number(portText);
    const labels = host.split(".");
    const ns = labels.length === 2 || labels[2] === "svc" ? labels[1] : undefined;
    const reaches = (peer) =>
      peer.ipBlock !== undefined ||
      (ns !== undefined && peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === ns);
    for (const np of policies) {
      const ok = (np.spec.egress ?? []).some(
        (r) => (!r.ports || r.ports.some((p) => p.port === port)) && (!r.to || r.to.some(reaches)),
      );
      if (!ok)
        fail(`${where}: ${id(np)} allows no egress to ${host}:${port} of kafka.brokers ` +
             `(${ns ? `namespace ${ns}` : "outside the cluster: an ipBlock"}, port ${port})`);
    }
  }
}

const readList = (file) =>
  readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

function topics(listFile, rendered) {
  const routed = readList(listFile);
  if (routed.length === 0) fail(`${listFile}: no routed topics (did --list-topics's output change?)`);
  const have = new Map(
    load(rendered)
      .filter((o) => o.kind === "KafkaTopic")
      .map((o) => [o.spec?.topicName ?? o.metadata.name, o]),
  );
  for (const t of routed) {
    const kt = have.get(t.topic);
    if (!kt) fail(`topic ${t.topic} is routed by the config but has no KafkaTopic in ${rendered}`);
    else if (kt.spec.partitions !== t.partitions || kt.spec.replicas !== t.replication)
      fail(`KafkaTopic ${kt.metadata.name}: ${kt.spec.partitions} partitions, ${kt.spec.replicas} replicas; ` +
           `the config says ${t.partitions} and ${t.replication} (kafka.topic_partitions, kafka.topic_replication)`);
  }
  console.log(`${routed.length} routed topics, ${have.size} KafkaTopics`);
}

// Does ACL a match a resource of `type` named `name`?
const covers = (a, type, name) =>
  a.resource?.type === type &&
  (type === "cluster" ||
    a.resource.name === "*" ||
    ((a.resource.patternType ?? "literal") === "literal" ? a.resource.name === name : name.startsWith(a.resource.name)));
const allowed = (acls, type, name, op) =>
  acls.some((a) => (a.type ?? "allow") === "allow" && covers(a, type, name) && (a.operations ?? [a.operation]).some((o) => o === op || o === "All")) &&
  !acls.some((a) => a.type === "deny" && covers(a, type, name) && (a.operations ?? [a.operation]).some((o) => o === op || o === "All"));

function acls(listFile, configFile, rendered) {
  const routed = readList(listFile);
  const createTopics = parse(readFileSync(configFile, "utf8"))?.kafka?.create_topics === true;
  const users = rendered.flatMap(load).filter((o) => o.kind === "KafkaUser");
  if (users.length === 0) fail(`no KafkaUser in ${rendered.join(" ")}`);
  for (const u of users) {
    const where = `KafkaUser ${u.metadata.name}`;
    const list = u.spec?.authorization?.acls ?? [];
    if (u.spec?.authorization?.type !== "simple") fail(`${where}: authorization must be simple (ACLs)`);
    const need = (op, t, why) => allowed(list, "topic", t, op) || fail(`${where}: no ${op} on topic ${t} (${why})`);
    if (u.metadata.name.endsWith("-replay")) {
      for (const t of routed) {
        if (t.dead_letter) {
          need("Read", t.topic, "replay reads the dead-letter topic");
          if (allowed(list, "topic", t.topic, "Write"))
            fail(`${where}: Write on dead-letter topic ${t.topic}: only the bridge may write it (replay trusts it)`);
        } else {
          need("Write", t.topic, "replay publishes to the routed topics");
        }
      }
      continue;
    }
    for (const t of routed) {
      need("Write", t.topic, `routed by ${configFile}`);
      need("Describe", t.topic, "metadata of the topic");
      if (createTopics) need("Create", t.topic, "kafka.create_topics is on");
    }
    if (!allowed(list, "cluster", "kafka-cluster", "IdempotentWrite"))
      fail(`${where}: no IdempotentWrite on the cluster (the idempotent producer's InitProducerId)`);
  }
  console.log(`${users.length} KafkaUsers checked against ${routed.length} topics`);
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
  else if (cmd === "acls") acls(args[0], args[1], args.slice(2));
  else if (cmd === "rulespec") rulespec(args[0], args[1]);
  else if (cmd === "queries") queries(args);
  else fail(`usage: manifests.mjs validate|policy|topics|acls ...`);
} catch (e) {
  fail(e.message);
}
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);

// Offline checks of rendered Kubernetes manifests (deploy/k8s), no cluster needed:
//   1. every object validates against the Kubernetes API schema (kubernetes-models);
//   2. every volumeMount names a volume of its pod, every probe a port of its container,
//      every Service selects some pod template, every HPA and PDB targets one;
//   3. every container's command line is accepted by the binary it runs: the binary
//      (found by name in --bin-dir) is run with the container's arguments, $(VAR)
//      references expanded as the kubelet would, and --check-flags, and must exit 0.
// Usage: node check.mjs RENDERED.yaml --bin-dir DIR
// Prints one line per problem and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { parseAllDocuments } from "yaml";

const argv = process.argv.slice(2);
const file = argv[0];
const binDirAt = argv.indexOf("--bin-dir");
const binDir = binDirAt >= 0 ? argv[binDirAt + 1] : null;
if (!file || !binDir) {
  console.error("usage: node check.mjs RENDERED.yaml --bin-dir DIR");
  process.exit(2);
}

const problems = [];
const objects = [];
for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
  if (doc.errors.length > 0) problems.push(`YAML: ${doc.errors[0].message}`);
  const object = doc.toJS();
  if (object) objects.push(object);
}
if (objects.length === 0) problems.push(`${file}: no objects`);

const nameOf = (o) => `${o.kind}/${o.metadata?.name}`;

// 1. The API schema of each object's apiVersion and kind.
for (const object of objects) {
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : [null, object.apiVersion];
  const path = `kubernetes-models/${group ? group + "/" : ""}${version}/${object.kind}`;
  let model;
  try {
    model = (await import(path))[object.kind];
  } catch {
    problems.push(`${nameOf(object)}: no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  if (object.kind === "Secret") {
    // kustomize 5 wraps base64 at 76 columns; the API server's decoder (Go's
    // encoding/base64) skips line breaks, the schema's "byte" format does not.
    for (const key of Object.keys(object.data ?? {})) {
      object.data[key] = String(object.data[key]).replace(/[\r\n]/g, "");
    }
  }
  try {
    new model(object).validate();
  } catch (error) {
    const details = (error.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    problems.push(`${nameOf(object)}: ${details.join("; ") || error.message}`);
  }
}

// The pod template of a workload, or null.
const podOf = (o) => (["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind)
  ? o.spec?.template : null);
const workloads = objects.filter(podOf);
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// 2. References inside the rendered set.
for (const workload of workloads) {
  const pod = podOf(workload);
  const volumes = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  for (const claim of workload.spec.volumeClaimTemplates ?? []) volumes.add(claim.metadata.name);
  for (const container of pod.spec.containers) {
    const where = `${nameOf(workload)} container ${container.name}`;
    for (const mount of container.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) problems.push(`${where}: mounts unknown volume ${mount.name}`);
    }
    const ports = new Set((container.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
      const port = container[probe]?.httpGet?.port;
      if (port !== undefined && !ports.has(port)) {
        problems.push(`${where}: ${probe} uses port ${port}, which the container does not name`);
      }
    }
  }
  if (!matches(workload.spec.selector?.matchLabels, pod.metadata?.labels)) {
    problems.push(`${nameOf(workload)}: its selector does not select its own pod template`);
  }
}
for (const service of objects.filter((o) => o.kind === "Service")) {
  if (!workloads.some((w) => matches(service.spec.selector, podOf(w).metadata?.labels))) {
    problems.push(`${nameOf(service)}: selects no pod template`);
  }
}
for (const budget of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
  if (!workloads.some((w) => matches(budget.spec.selector?.matchLabels, podOf(w).metadata?.labels))) {
    problems.push(`${nameOf(budget)}: selects no pod template`);
  }
}
for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
  const target = hpa.spec.scaleTargetRef;
  if (!workloads.some((w) => w.kind === target.kind && w.metadata.name === target.name)) {
    problems.push(`${nameOf(hpa)}: scales ${target.kind}/${target.name}, which is not here`);
  }
}
const named = new Set(objects.map((o) => `${o.kind}/${o.metadata?.name}`));
for (const workload of workloads) {
  for (const volume of podOf(workload).spec.volumes ?? []) {
    const wanted = volume.configMap ? `ConfigMap/${volume.configMap.name}`
      : volume.secret ? `Secret/${volume.secret.secretName}`
      : volume.persistentVolumeClaim ? `PersistentVolumeClaim/${volume.persistentVolumeClaim.claimName}`
      : null;
    if (wanted && !named.has(wanted)) {
      problems.push(`${nameOf(workload)}: volume ${volume.name} needs ${wanted}, not rendered`);
    }
  }
}

// 3. Each container's command line, parsed by its own binary.
let commands = 0;
for (const workload of workloads) {
  for (const container of podOf(workload).spec.containers) {
    const where = `${nameOf(workload)} container ${container.name}`;
    const line = [...(container.command ?? []), ...(container.args ?? [])];
    if (line.length === 0) {
      problems.push(`${where}: no command (the image's entrypoint is not checked)`);
      continue;
    }
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? `${e.name.toLowerCase()}-0`]));
    const expand = (arg) => arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
      (whole, name) => (name in env ? env[name] : whole));
    const binary = join(binDir, basename(line[0]));
    const run = spawnSync(binary, [...line.slice(1).map(expand), "--check-flags"], {
      encoding: "utf8",
      timeout: 10000,
    });
    commands++;
    if (run.error || run.status !== 0) {
      const said = (run.stderr || run.stdout || String(run.error)).trim().split("\n")[0];
      problems.push(`${where}: ${basename(line[0])} refuses its command line: ${said}`);
    }
  }
}

for (const problem of problems) console.log(problem);
console.log(`${objects.length} objects checked against the API schema, ${commands} command lines ` +
  `against their binaries: ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);

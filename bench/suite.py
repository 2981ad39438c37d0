#!/usr/bin/python3
"""The body of bench/suite.sh (which builds what is missing and calls this with Debian's
python3): runs every benchmark of sortline in one run on one machine and writes
BENCHMARKS.md and benchmarks.html. Standard library only. See docs/benchmarks.md.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

GBENCH = ["s10", "sort", "label", "codec", "flow", "dock", "store", "transport"]
SECTIONS = ["gbench", "e2e", "dock", "peers"]
REFERENCE_TRACKING = "EA473124829CN"
REFERENCE_SYMBOLS = [
    "CODE-128:" + REFERENCE_TRACKING,
    "QR-Code:S10:" + REFERENCE_TRACKING + "|SC:710-05-12|DC:610502",
]


def run(cmd, timeout, cwd=None, env=None):
    """(exit code, stdout, stderr); exit code None when the command timed out or could
    not start, with the reason in stderr."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True,
                           text=True, errors="replace")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or "", "timed out after %d s" % timeout
    except OSError as e:
        return None, "", str(e)


def last_line(text):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


# ---- the machine ------------------------------------------------------------------------

def load():
    fields = read("/proc/loadavg").split()
    return " ".join(fields[:3]) if fields else "unknown"


def machine(root, work):
    cpu = "unknown"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    m = re.search(r"MemTotal:\s+(\d+) kB", read("/proc/meminfo"))
    if m:
        mem = "%.1f GiB" % (int(m.group(1)) / 1024 / 1024)
    code, out, _ = run(["findmnt", "-n", "-o", "FSTYPE,SOURCE,TARGET", "-T", work], 10)
    fs = " ".join(out.split()) if code == 0 and out.strip() else "unknown"
    code, out, _ = run(["git", "-C", root, "rev-parse", "--short", "HEAD"], 10)
    commit = out.strip() if code == 0 else "unknown"
    code, out, _ = run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"], 10)
    if code == 0 and out.strip():
        commit += " (with uncommitted changes)"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "work_dir": work,
        "filesystem": fs,
        "kernel": os.uname().release,
        "commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---- Google Benchmark ---------------------------------------------------------------------

def gbench(build, out_dir, work, quick):
    results = []
    for name in GBENCH:
        binary = os.path.join(build, "bench", name + "_bench")
        entry = {"binary": name + "_bench", "status": "ran", "reason": "", "benchmarks": []}
        results.append(entry)
        if not os.access(binary, os.X_OK):
            entry.update(status="missing", reason="%s was not built" % binary)
            continue
        json_path = os.path.join(out_dir, "json", name + "_bench.json")
        cmd = [binary, "--benchmark_out=" + json_path, "--benchmark_out_format=json"]
        if quick:
            cmd.append("--benchmark_min_time=0.01")
        cwd = os.path.join(work, "gbench-" + name)
        os.makedirs(cwd, exist_ok=True)
        code, _, err = run(cmd, 900 if quick else 3600, cwd=cwd)
        entry["json"] = os.path.relpath(json_path, out_dir)
        try:
            with open(json_path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            entry.update(status="failed", reason="exit %s, no JSON (%s): %s" % (code, e, last_line(err)))
            continue
        if code != 0:
            entry.update(status="failed", reason="exit %s: %s" % (code, last_line(err)))
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate":
                continue
            extra = {k: v for k, v in b.items() if k not in (
                "name", "family_index", "per_family_instance_index", "run_name", "run_type",
                "repetitions", "repetition_index", "threads", "iterations", "real_time",
                "cpu_time", "time_unit", "items_per_second", "bytes_per_second", "label",
                "error_occurred", "error_message") and isinstance(v, (int, float))}
            entry["benchmarks"].append({
                "name": b.get("name", "?"),
                "cpu_time": b.get("cpu_time"),
                "real_time": b.get("real_time"),
                "unit": b.get("time_unit", "ns"),
                "items_per_second": b.get("items_per_second"),
                "counters": extra,
                "error": b.get("error_message") if b.get("error_occurred") else "",
            })
        entry["context"] = {k: data.get("context", {}).get(k) for k in ("num_cpus", "mhz_per_cpu", "library_build_type")}
    return results


# ---- end to end ---------------------------------------------------------------------------

E2E_LINE = re.compile(r"^(?P<config>[^:]+):\s+(?P<rate>\d+) orders/s \((?P<seconds>[\d.]+) s\)")


def e2e(root, build, out_dir, work, quick):
    orders = 1000 if quick else 20000
    script = os.path.join(root, "bench", "pipeline_e2e.sh")
    result = {"orders": orders, "status": "ran", "reason": "", "rows": [], "context": [], "raw": ""}
    wd = os.path.join(work, "e2e")
    json_path = os.path.join(out_dir, "json", "pipeline_e2e.json")
    # The script's --json FILE (one object per configuration) when it has it; its printed
    # lines otherwise.
    has_json = "--json" in read(script)
    cmd = ["bash", script] + (["--json", json_path] if has_json else []) + [build, str(orders), wd]
    code, out, err = run(cmd, 1800)
    result["raw"] = out
    if code != 0:
        result.update(status="failed", reason="exit %s: %s" % (code, last_line(err) or last_line(out)))
    if has_json and os.path.exists(json_path):
        try:
            with open(json_path) as f:
                text = f.read().strip()
            objects = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
            for o in objects:
                rate = o.get("orders_per_s", o.get("orders_per_second"))
                if rate is None:
                    # Not a run: e.g. the file system's floor the script measures first.
                    result["context"].append(o)
                    continue
                config = str(o.get("config", o.get("name", "?")))
                if o.get("labels"):
                    config += " (%s labels)" % o["labels"]
                result["rows"].append({
                    "config": config,
                    "orders": o.get("orders", orders),
                    "orders_per_s": rate,
                    "seconds": o.get("seconds", o.get("elapsed_seconds")),
                    "extra": {k: v for k, v in o.items() if k not in (
                        "config", "name", "labels", "orders", "orders_per_s", "orders_per_second",
                        "seconds", "elapsed_seconds", "durable", "fs", "load")},
                })
        except (OSError, ValueError) as e:
            result["reason"] += " (its JSON could not be read: %s)" % e
    if not result["rows"]:
        for line in out.splitlines():
            m = E2E_LINE.match(line.strip())
            if m:
                result["rows"].append({"config": m.group("config").strip(), "orders": orders,
                                       "orders_per_s": float(m.group("rate")),
                                       "seconds": float(m.group("seconds")), "extra": {}})
    if not result["rows"] and result["status"] == "ran":
        result.update(status="failed", reason="no figures in its output: " + last_line(out))
    shutil.rmtree(wd, ignore_errors=True)
    return result


# ---- dock surge ---------------------------------------------------------------------------

SURGE_LINE = re.compile(
    r"^(?P<protocol>\w+)\s+rate\s+(?P<rate>\d+)/s\s+answered (?P<answered>\d+) unanswered (?P<unanswered>\d+)"
    r".*?p50 (?P<p50>[\d.]+)\s+p99 (?P<p99>[\d.]+)\s+p99\.9 (?P<p999>[\d.]+)(?:\s+max (?P<max>[\d.]+))?")


def dock(root, build, quick):
    seconds = 1 if quick else 5
    result = {"seconds": seconds, "status": "ran", "reason": "", "rows": [], "raw": ""}
    code, out, err = run(["bash", os.path.join(root, "bench", "dock_surge.sh"), build, str(seconds)], 1800)
    result["raw"] = out
    for line in out.splitlines():
        m = SURGE_LINE.match(line.strip())
        if m:
            row = {k: m.group(k) for k in ("protocol", "rate", "answered", "unanswered", "p50", "p99", "p999", "max")}
            row["line"] = line.strip()
            result["rows"].append(row)
    if code != 0:
        result.update(status="failed", reason="exit %s: %s" % (code, last_line(err) or last_line(out)))
    elif not result["rows"]:
        result.update(status="failed", reason="no figures in its output: " + last_line(out))
    return result


# ---- peers --------------------------------------------------------------------------------

def node_peer(root, build):
    """The command of the Node peer, after `npm ci` into BUILD/bench/peers-node; or the
    reason it cannot run."""
    node = os.environ.get("SORTLINE_SUITE_NODE") or shutil.which("node")
    npm = shutil.which("npm")
    if not node or not os.access(node, os.X_OK):
        return None, "node not found%s (bash deploy/setup-debian12.sh installs Debian's nodejs)" % (
            " at " + node if node else ""), ""
    if not npm:
        return None, "npm not found (bash deploy/setup-debian12.sh installs Debian's npm)", ""
    src = os.path.join(root, "bench", "peers", "node")
    dst = os.path.join(build, "bench", "peers-node")
    os.makedirs(dst, exist_ok=True)
    lock_changed = read(os.path.join(src, "package-lock.json")) != read(os.path.join(dst, "package-lock.json"))
    for f in ("package.json", "package-lock.json", "label.js"):
        shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))
    if lock_changed or not os.path.isdir(os.path.join(dst, "node_modules", "pdfkit")):
        code, out, err = run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], 600, cwd=dst)
        if code != 0:
            return None, "npm ci failed in %s: %s" % (dst, last_line(err) or last_line(out)), ""
    _, version, _ = run([node, "--version"], 10)
    versions = ["node " + version.strip()]
    for package in ("pdfkit", "bwip-js"):
        try:
            with open(os.path.join(dst, "node_modules", package, "package.json")) as f:
                versions.append("%s %s" % (package, json.load(f)["version"]))
        except (OSError, ValueError, KeyError):
            pass
    return [node, os.path.join(dst, "label.js")], "", ", ".join(versions)


def debian_version(package):
    code, out, _ = run(["dpkg-query", "-W", "-f=${Version}", package], 10)
    return "%s %s" % (package, out.strip()) if code == 0 and out.strip() else ""


def peers(root, build, out_dir, quick):
    seconds = 0.3 if quick else 3.0
    pdf_dir = os.path.join(out_dir, "peers")
    os.makedirs(pdf_dir, exist_ok=True)
    results = []
    node_cmd, node_reason, node_versions = node_peer(root, build)
    code, rl_version, rl_err = run(["/usr/bin/python3", "-c", "import reportlab; print(reportlab.Version)"], 30)
    candidates = [
        ("sortline", "sortline (C++: pipeline/label, libharu + zint)",
         [os.path.join(build, "bench", "peer_sortline_label")], "", debian_version("libhpdf-dev")),
        ("naive", "naive libharu + zint (C++, one libharu call per module)",
         [os.path.join(build, "bench", "peer_naive_label")], "",
         ", ".join(v for v in (debian_version("libhpdf-dev"), debian_version("libzint-dev")) if v)),
        ("reportlab", "ReportLab (Python, Debian python3-reportlab)",
         ["/usr/bin/python3", os.path.join(root, "bench", "peers", "reportlab_label.py")],
         "" if code == 0 else "python3-reportlab is not installed (%s)" % last_line(rl_err),
         "reportlab " + rl_version.strip() if code == 0 else ""),
        ("pdfkit", "Node pdfkit + bwip-js (npm)", node_cmd, node_reason, node_versions),
    ]
    for key, title, cmd, reason, versions in candidates:
        entry = {"peer": key, "title": title, "status": "ran", "reason": reason, "versions": versions,
                 "labels_per_s": None, "pdf_bytes": None, "decoded": ""}
        results.append(entry)
        if reason:
            entry["status"] = "missing"
            continue
        if cmd[0] != "/usr/bin/python3" and not os.access(cmd[0], os.X_OK) and key != "pdfkit":
            entry.update(status="missing", reason="%s was not built" % cmd[0])
            continue
        pdf = os.path.join(pdf_dir, key + ".pdf")
        code, out, err = run(cmd + ["--seconds", str(seconds), "--out", pdf], 300)
        try:
            figures = json.loads(last_line(out))
            entry["labels_per_s"] = float(figures["labels_per_s"])
            entry["pdf_bytes"] = float(figures["pdf_bytes"])
        except (ValueError, KeyError, TypeError):
            entry.update(status="failed", reason="exit %s: %s" % (code, last_line(err) or last_line(out)))
            continue
        entry["decoded"] = check_label(pdf)
    return results


def check_label(pdf):
    """'yes' when zbarimg reads both reference symbols off a 300 dpi rendering of the
    peer's label; otherwise what was wrong."""
    if not shutil.which("pdftoppm") or not shutil.which("zbarimg"):
        return "not checked (poppler-utils or zbar-tools missing)"
    prefix = pdf[:-4]
    code, _, err = run(["pdftoppm", "-r", "300", "-png", "-singlefile", pdf, prefix], 120)
    if code != 0:
        return "no: pdftoppm failed: " + last_line(err)
    _, out, _ = run(["zbarimg", "-q", prefix + ".png"], 120)
    found = set(l.strip() for l in out.splitlines())
    missing = [s for s in REFERENCE_SYMBOLS if s not in found]
    os.remove(prefix + ".png")
    return "yes" if not missing else "no: not read back: " + "; ".join(missing)


# ---- the outputs --------------------------------------------------------------------------

def fmt(v, digits=0):
    if v is None:
        return ""
    if isinstance(v, float) and digits == 0 and abs(v) < 100:
        return "%.3g" % v
    return "{:,.{}f}".format(v, digits)


def ratios(results):
    rows = []
    peers_by = {p["peer"]: p for p in results.get("peers", [])}
    ours = peers_by.get("sortline", {}).get("labels_per_s")
    ours_bytes = peers_by.get("sortline", {}).get("pdf_bytes")
    for p in results.get("peers", []):
        if p["peer"] == "sortline":
            continue
        if ours and p.get("labels_per_s"):
            rows.append(("labels/s, sortline ÷ " + p["title"], ours / p["labels_per_s"]))
        if ours_bytes and p.get("pdf_bytes"):
            rows.append(("PDF bytes per label, " + p["title"] + " ÷ sortline", p["pdf_bytes"] / ours_bytes))
    e = results.get("e2e", {}).get("rows", [])
    if len(e) >= 2 and e[0].get("orders_per_s"):
        for row in e[1:]:
            if row.get("orders_per_s"):
                rows.append(("orders/s, %s ÷ %s" % (row["config"], e[0]["config"]),
                             row["orders_per_s"] / e[0]["orders_per_s"]))
    return rows


def describe(value):
    """A JSON value in a table cell: numbers grouped, objects as "key value, ..."."""
    if isinstance(value, dict):
        return ", ".join("%s %s" % (k, describe(v)) for k, v in value.items())
    if isinstance(value, float) or isinstance(value, int):
        return fmt(value)
    return str(value)


def table(header, rows):
    out = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    for r in rows:
        out += "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |\n"
    return out


def gbench_rows(entry):
    rows = []
    for b in entry["benchmarks"]:
        counters = ", ".join("%s %s" % (k, fmt(v, 2 if abs(v) < 100 else 0)) for k, v in sorted(b["counters"].items()))
        rows.append([b["name"], "%s %s" % (fmt(b["cpu_time"], 1 if (b["cpu_time"] or 0) < 1000 else 0), b["unit"]),
                     fmt(b["items_per_second"]), counters or "", b["error"] or ""])
    return rows


def peer_row(p):
    status = p["status"] if not p["reason"] else "%s: %s" % (p["status"], p["reason"])
    return [p["title"], fmt(p["labels_per_s"]), fmt(p["pdf_bytes"]), p["decoded"], status, p["versions"]]


def write_markdown(results, path):
    m = results["machine"]
    md = "# sortline benchmarks\n\n"
    md += ("Every figure below comes from one run of `bench/suite.sh%s` on one machine, "
           "started %s at commit %s. Ratios compare figures of this run only.\n\n"
           % (" --quick" if results["quick"] else "", m["date"], m["commit"]))
    md += "## Machine\n\n" + table(["what", "value"], [
        ["CPU", m["cpu"]], ["cores", m["cores"]], ["memory", m["memory"]],
        ["work directory", m["work_dir"]], ["its filesystem", m["filesystem"]],
        ["kernel", m["kernel"]], ["load before (1, 5, 15 min)", results["load_before"]],
        ["load after (1, 5, 15 min)", results["load_after"]],
        ["mode", "quick (few iterations, small counts)" if results["quick"] else "full"]])
    if "gbench" in results:
        md += "\n## Google Benchmark\n\nEach binary's JSON is kept under `json/`. Times are CPU time per iteration.\n"
        for entry in results["gbench"]:
            md += "\n### %s\n\n" % entry["binary"]
            if entry["status"] != "ran":
                md += "**%s**: %s\n" % (entry["status"], entry["reason"])
            if entry["benchmarks"]:
                md += table(["benchmark", "time", "items/s", "counters", "error"], gbench_rows(entry))
    if "e2e" in results:
        e = results["e2e"]
        md += "\n## End to end\n\n`bench/pipeline_e2e.sh` with %s orders, work directory on %s.\n\n" % (
            fmt(e["orders"]), m["filesystem"])
        if e["status"] != "ran":
            md += "**%s**: %s\n\n" % (e["status"], e["reason"])
        if e["rows"]:
            md += table(["configuration", "orders", "orders/s", "seconds", "more"],
                        [[r["config"], fmt(r["orders"]), fmt(r["orders_per_s"]), fmt(r["seconds"], 2),
                          "; ".join("%s: %s" % (k, describe(v)) for k, v in r["extra"].items())]
                         for r in e["rows"]])
        for c in e["context"]:
            md += "\n%s: %s\n" % (c.get("config", "context"), describe({k: v for k, v in c.items() if k != "config"}))
    if "dock" in results:
        d = results["dock"]
        md += "\n## Dock surge\n\n`bench/dock_surge.sh` for %d s per rate: scan-time decision latency while records are fed at full speed.\n\n" % d["seconds"]
        if d["status"] != "ran":
            md += "**%s**: %s\n\n" % (d["status"], d["reason"])
        if d["rows"]:
            md += table(["protocol", "rate/s", "answered", "unanswered", "p50 µs", "p99 µs", "p99.9 µs", "max µs"],
                        [[r["protocol"], r["rate"], r["answered"], r["unanswered"], r["p50"], r["p99"], r["p999"], r["max"] or ""]
                         for r in d["rows"]])
    if "peers" in results:
        md += ("\n## Peers: the reference label\n\nThe same 100 × 150 mm label (bench/peers/), one PDF per "
               "label in memory, labels per CPU second of one thread. \"decodes\": zbarimg reads both "
               "symbols off a 300 dpi rendering of the peer's PDF.\n\n")
        md += table(["peer", "labels/s", "PDF bytes", "decodes", "status", "versions"],
                    [peer_row(p) for p in results["peers"]])
    r = ratios(results)
    md += "\n## Ratios within this run\n\n"
    md += table(["comparison", "ratio"], [[name, "%.2f×" % v] for name, v in r]) if r else "No ratio: the figures they need are missing above.\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(md)


def chart_id(s):
    return re.sub(r"[^a-z0-9-]+", "-", s.lower()).strip("-") or "chart"


def write_page(results, path):
    """BENCHMARKS.md's tables and their charts, as a sortline.v1.ReportPage (JSON)."""
    m = results["machine"]
    sections = [{"id": "machine", "title": "Machine", "paragraphs": [
        "One run of bench/suite.sh%s, started %s at commit %s. Ratios compare figures of this run only."
        % (" --quick" if results["quick"] else "", m["date"], m["commit"])],
        "figures": [{"id": "cpu", "label": "CPU", "value": m["cpu"]},
                    {"id": "cores", "label": "cores", "value": m["cores"]},
                    {"id": "memory", "label": "memory", "value": m["memory"]},
                    {"id": "filesystem", "label": "work dir filesystem", "value": m["filesystem"].split(" ")[0], "detail": m["work_dir"]},
                    {"id": "load-before", "label": "load before", "value": results["load_before"]},
                    {"id": "load-after", "label": "load after", "value": results["load_after"]}]}]
    if "peers" in results:
        ran = [p for p in results["peers"] if p["labels_per_s"]]
        sections.append({"id": "peers", "title": "Peers: the reference label", "charts": [{
            "id": "peers", "kind": "CHART_KIND_RANKED_BARS", "title": "Labels per CPU second, one thread",
            "caption": "The same reference label from each peer (logarithmic scale).", "log_y": True,
            "y_label": "labels/s", "categories": [p["title"] for p in ran],
            "series": [{"name": "labels/s", "y": [p["labels_per_s"] for p in ran]}]}],
            "tables": [{"header": ["peer", "labels/s", "PDF bytes", "decodes", "status", "versions"],
                        "rows": [{"cells": peer_row(p)} for p in results["peers"]]}]})
    if "e2e" in results and results["e2e"]["rows"]:
        rows = results["e2e"]["rows"]
        sections.append({"id": "e2e", "title": "End to end", "paragraphs": [results["e2e"]["reason"]] if results["e2e"]["reason"] else [],
                         "charts": [{"id": "e2e", "kind": "CHART_KIND_BARS", "title": "Orders per second",
                                     "caption": "%s orders through the whole pipeline." % fmt(results["e2e"]["orders"]),
                                     "y_label": "orders/s", "categories": [r["config"] for r in rows],
                                     "series": [{"name": "orders/s", "y": [r["orders_per_s"] or 0 for r in rows]}]}],
                         "tables": [{"header": ["configuration", "orders/s", "seconds"],
                                     "rows": [{"cells": [r["config"], fmt(r["orders_per_s"]), fmt(r["seconds"], 2)]} for r in rows]}]})
    if "dock" in results and results["dock"]["rows"]:
        rows = results["dock"]["rows"]
        sections.append({"id": "dock", "title": "Dock surge", "charts": [{
            "id": "dock-latency", "kind": "CHART_KIND_BARS", "title": "Scan-time decision latency",
            "caption": "Per protocol and request rate, while records are fed at full speed (logarithmic scale).",
            "y_label": "microseconds", "log_y": True, "categories": ["%s %s/s" % (r["protocol"], r["rate"]) for r in rows],
            "series": [{"name": q, "y": [float(r[k]) for r in rows]} for q, k in (("p50", "p50"), ("p99", "p99"), ("p99.9", "p999"))],
            "lines": [{"label": "target p99.9 < 1 ms", "value": 1000}]}],
            "tables": [{"header": ["protocol", "rate/s", "answered", "unanswered", "p50 µs", "p99 µs", "p99.9 µs"],
                        "rows": [{"cells": [r["protocol"], r["rate"], r["answered"], r["unanswered"], r["p50"], r["p99"], r["p999"]]} for r in rows]}]})
    if "gbench" in results:
        section = {"id": "gbench", "title": "Google Benchmark", "charts": [], "tables": [], "paragraphs": []}
        for entry in results["gbench"]:
            if entry["status"] != "ran":
                section["paragraphs"].append("%s: %s: %s" % (entry["binary"], entry["status"], entry["reason"]))
            with_items = [b for b in entry["benchmarks"] if b["items_per_second"]]
            if with_items:
                section["charts"].append({
                    "id": "gbench-" + chart_id(entry["binary"]), "kind": "CHART_KIND_RANKED_BARS",
                    "title": entry["binary"] + ": items per second", "log_y": True, "y_label": "items/s",
                    "categories": [b["name"] for b in with_items],
                    "series": [{"name": "items/s", "y": [b["items_per_second"] for b in with_items]}]})
            if entry["benchmarks"]:
                section["tables"].append({"caption": entry["binary"], "header": ["benchmark", "time", "items/s", "counters", "error"],
                                          "rows": [{"cells": r} for r in gbench_rows(entry)]})
        sections.append(section)
    r = ratios(results)
    sections.append({"id": "ratios", "title": "Ratios within this run", "tables": [{
        "header": ["comparison", "ratio"], "rows": [{"cells": [name, "%.2f×" % v]} for name, v in r]}]})
    page = {"title": "sortline benchmarks", "subtitle": "%s · %s cores · %s · %s" % (m["cpu"], m["cores"], m["memory"], m["date"]),
            "sections": sections}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(page, f, ensure_ascii=False, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--out")
    parser.add_argument("--work")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SECTIONS))
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        sys.exit("suite: unknown section(s) %s; choose from %s" % (", ".join(unknown), ", ".join(SECTIONS)))
    out_dir = os.path.abspath(args.out or os.path.join(args.build, "suite"))
    os.makedirs(os.path.join(out_dir, "json"), exist_ok=True)
    own_work = not args.work
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="sortline-suite.")
    os.makedirs(work, exist_ok=True)

    results = {"quick": args.quick, "machine": machine(args.root, work), "load_before": load()}
    print("suite: %s, %s cores, work in %s (%s); load %s" % (
        results["machine"]["cpu"], results["machine"]["cores"], work, results["machine"]["filesystem"],
        results["load_before"]), flush=True)
    steps = [("gbench", lambda: gbench(args.build, out_dir, work, args.quick)),
             ("e2e", lambda: e2e(args.root, args.build, out_dir, work, args.quick)),
             ("dock", lambda: dock(args.root, args.build, args.quick)),
             ("peers", lambda: peers(args.root, args.build, out_dir, args.quick))]
    for name, step in steps:
        if name in only:
            print("suite: %s ..." % name, flush=True)
            results[name] = step()
    results["load_after"] = load()
    if own_work:
        shutil.rmtree(work, ignore_errors=True)

    with open(os.path.join(out_dir, "suite.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    md = os.path.join(out_dir, "BENCHMARKS.md")
    write_markdown(results, md)
    page = os.path.join(out_dir, "benchmarks.page.json")
    write_page(results, page)
    html = os.path.join(out_dir, "benchmarks.html")
    code, out, err = run([os.path.join(args.build, "workers", "sortline"), "report", "--page", page, "-o", html], 300)
    if code != 0:
        print("suite: benchmarks.html not written: %s" % (last_line(err) or last_line(out)), file=sys.stderr)
    print("suite: %s\nsuite: %s" % (md, html))
    failed = [name for name in only if name != "peers" and (
        any(e["status"] == "failed" for e in results[name]) if isinstance(results[name], list)
        else results[name]["status"] == "failed")]
    failed += ["peer " + p["peer"] for p in results.get("peers", []) if p["status"] == "failed"]
    if failed or code != 0:
        print("suite: failed: %s" % ", ".join(failed or ["benchmarks.html"]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

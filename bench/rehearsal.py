#!/usr/bin/env python3
"""The festival rehearsal (issue 16): the whole centre on this box under a surge.

Started by bench/rehearsal.sh (see docs/rehearsal.md). Runs intake, workers and the dock
on the shipped plan in RUN_DIR, submits the surge's batches on their schedule, feeds
each record the dock stores to the scanner simulator (which scans its parcel a delay
later), scrapes every daemon's /metrics and samples every process from /proc each
second, then stops everything and analyses what was kept: the ledger (ledger.json), the
time series (series.json) and the report's sections (report.d/*.json), and draws the
report with `sortline report RUN_DIR`.

`rehearsal.py --analyse RUN_DIR --build BUILD` redoes the analysis of a kept run.
Python's standard library only (Debian's python3).
"""

import argparse
import csv
import glob
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
PLAN = os.path.join(SOURCE, "deploy", "plans", "xian-hub")
PERISHABLE = ("SERVICE_FRESH_PRODUCE", "SERVICE_COLD_CHAIN")
OUTCOMES = {0: "OUTCOME_UNSPECIFIED", 1: "OUTCOME_SORTED", 2: "OUTCOME_NO_RULE",
            3: "OUTCOME_REJECTED", 4: "OUTCOME_FAILED"}
# The targets.
LAG_PEAK_P99_S = 10.0
LAG_AFTER_P99_S = 1.0
LAG_AFTER_WITHIN_S = 120.0
FRESH_LAG_P99_S = 2.0
SCAN_P999_MS = 1.0
RSS_MB = 256.0


def now_ms():
    return int(time.time() * 1000)


def log(message):
    print(f"rehearsal: {message}", file=sys.stderr, flush=True)


def percentile(values, q):
    """Nearest-rank percentile of an already sorted list; NaN when empty."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


# ---- running -----------------------------------------------------------------------

class Daemon:
    def __init__(self, name, argv, run_dir):
        self.name = name
        self.log_path = os.path.join(run_dir, "logs", name + ".log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.metrics_port = None

    def wait_for(self, pattern, seconds=30):
        """The first match of `pattern` in the daemon's log, waiting for it."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            with open(self.log_path, errors="replace") as f:
                found = re.search(pattern, f.read())
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        with open(self.log_path, errors="replace") as f:
            raise RuntimeError(f"{self.name} did not log {pattern!r}:\n{f.read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def http_get(port, path, timeout=0.8):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def wait_ready(daemons, seconds=60):
    deadline = time.time() + seconds
    for d in daemons:
        while True:
            try:
                status, _ = http_get(d.metrics_port, "/readyz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"{d.name} not ready on /readyz after {seconds} s")
            time.sleep(0.2)


class Sampler(threading.Thread):
    """Every second: each daemon's /metrics appended raw to metrics/NAME.prom (after a
    `# scrape UNIX_MS` line), and each process's RSS and CPU ticks from /proc."""

    def __init__(self, run_dir, daemons, others):
        super().__init__(daemon=True)
        self.run_dir = run_dir
        self.daemons = daemons
        self.others = others  # name -> Popen, sampled from /proc only
        self.stop_event = threading.Event()
        self.failed_scrapes = 0

    def run(self):
        files = {d.name: open(os.path.join(self.run_dir, "metrics", d.name + ".prom"), "a")
                 for d in self.daemons}
        proc = open(os.path.join(self.run_dir, "proc.tsv"), "a")
        next_at = time.time()
        while not self.stop_event.is_set():
            stamp = now_ms()
            for d in self.daemons:
                try:
                    _, body = http_get(d.metrics_port, "/metrics")
                    files[d.name].write(f"# scrape {stamp}\n{body}")
                    files[d.name].flush()
                except OSError:
                    self.failed_scrapes += 1
            procs = [(d.name, d.proc.pid) for d in self.daemons]
            procs += [(name, p.pid) for name, p in self.others.items()]
            for name, pid in procs:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    ticks = int(fields[11]) + int(fields[12])  # utime + stime
                    rss_kb = 0
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmRSS:"):
                                rss_kb = int(line.split()[1])
                    proc.write(f"{stamp}\t{name}\t{pid}\t{rss_kb}\t{ticks}\n")
                except (OSError, IndexError, ValueError):
                    pass
            proc.flush()
            next_at += 1.0
            self.stop_event.wait(max(0.0, next_at - time.time()))
        for f in files.values():
            f.close()
        proc.close()


class Follower(threading.Thread):
    """Polls the dock's store for records stored since the last look and hands each to
    the scanner simulator (tracking, weight, stored time) as it arrives."""

    def __init__(self, dock_db, weights, sim_stdin):
        super().__init__(daemon=True)
        self.dock_db = dock_db
        self.weights = weights
        self.sim_stdin = sim_stdin
        self.stop_event = threading.Event()
        self.seen = 0

    def run(self):
        last = 0
        db = None
        while True:
            stopping = self.stop_event.is_set()
            try:
                if db is None:
                    db = sqlite3.connect(f"file:{self.dock_db}?mode=ro", uri=True, timeout=5)
                rows = db.execute("SELECT rowid, tracking, order_id, stored_ms FROM records "
                                  "WHERE rowid > ? ORDER BY rowid", (last,)).fetchall()
            except sqlite3.Error:
                rows = []
            lines = []
            for rowid, tracking, order_id, stored_ms in rows:
                last = rowid
                self.seen += 1
                if tracking:
                    lines.append(f"{tracking} {self.weights.get(order_id, 0)} {stored_ms}\n")
            if lines:
                self.sim_stdin.write("".join(lines))
                self.sim_stdin.flush()
            if stopping:
                break
            self.stop_event.wait(0.1)
        if db is not None:
            db.close()


def run(args):
    run_dir = os.path.abspath(args.run_dir)
    for sub in ("logs", "metrics", "batches", "manifests", "labels", "report.d"):
        os.makedirs(os.path.join(run_dir, sub), exist_ok=True)
    bin_dir = os.path.join(args.build, "workers")
    sortline = os.path.join(bin_dir, "sortline")
    orders_path = os.path.join(run_dir, "orders.jsonl")
    schedule_path = os.path.join(run_dir, "schedule.jsonl")
    subprocess.run([sortline, "gen", "--profile", "surge", "--minutes", str(args.minutes),
                    "--base-rate", str(args.base_rate), "--peak-factor", str(args.peak_factor),
                    "-o", orders_path, "--schedule", schedule_path], check=True,
                   stdout=subprocess.DEVNULL)
    schedule = [json.loads(line) for line in open(schedule_path)]
    weights = {}
    with open(orders_path) as f:
        lines = f.readlines()
    for line in lines:
        order = json.loads(line)
        weights[order["orderId"]] = order.get("parcel", {}).get("weightG", 0)
    batch_files = []
    for b in schedule:
        path = os.path.join(run_dir, "batches", f"{b['batch']:05d}.jsonl")
        with open(path, "w") as f:
            f.writelines(lines[b["first_order"]:b["first_order"] + b["orders"]])
        batch_files.append(path)
    order_count = len(lines)
    del lines  # the batch files hold them now; keep the driver small during the run
    log(f"{order_count} orders in {len(schedule)} batches over {args.minutes} min in {run_dir}")

    daemons = []
    try:
        dock = Daemon("dock", [os.path.join(bin_dir, "sortline-dock"),
                               "--records", "tcp://127.0.0.1:0", "--conveyor", "tcp://127.0.0.1:0",
                               "--events", "", "--telegram-port", "0", "--metrics-port", "0",
                               "--db", os.path.join(run_dir, "dock.db"), "--plan", PLAN,
                               "--manifests", os.path.join(run_dir, "manifests")], run_dir)
        daemons.append(dock)
        intake = Daemon("intake", [os.path.join(bin_dir, "sortline-intake"),
                                   "--submit", "tcp://127.0.0.1:0", "--work", "tcp://127.0.0.1:0",
                                   "--journal", os.path.join(run_dir, "intake.db"),
                                   "--metrics-port", "0"], run_dir)
        daemons.append(intake)
        found = dock.wait_for(r"records on (tcp://[0-9.:]+), conveyor on (tcp://[0-9.:]+)")
        records_ep, conveyor_ep = found.group(1), found.group(2)
        telegram_port = dock.wait_for(r"telegrams on port ([0-9]+)").group(1)
        dock.metrics_port = int(dock.wait_for(r"metrics on port ([0-9]+)").group(1))
        found = intake.wait_for(r"submit on (tcp://[0-9.:]+), work on (tcp://[0-9.:]+)")
        submit_ep, work_ep = found.group(1), found.group(2)
        intake.metrics_port = int(intake.wait_for(r"metrics on port ([0-9]+)").group(1))
        for n in range(1, args.workers + 1):
            worker = Daemon(f"worker{n}", [os.path.join(bin_dir, "sortline-worker"),
                                           "--intake", work_ep, "--dock", records_ep,
                                           "--labels", os.path.join(run_dir, "labels"),
                                           "--plan", PLAN, "--name", f"w{n}",
                                           "--metrics-port", "0"], run_dir)
            daemons.append(worker)
            worker.metrics_port = int(worker.wait_for(r"metrics on port ([0-9]+)").group(1))
        wait_ready(daemons)

        sim_log = open(os.path.join(run_dir, "logs", "scanner.log"), "w")
        sim = subprocess.Popen(
            [os.path.join(args.build, "bench", "scanner_sim"), "--follow", "--plan", PLAN,
             "--conveyor", conveyor_ep, "--telegram-port", telegram_port,
             "--scan-delay-ms", str(args.scan_delay_ms), "--bag-change-ms", str(args.bag_change_ms),
             "--bag-capacity", str(args.bag_capacity), "--recirculate-ms", str(args.recirculate_ms), "--day-seconds", str(args.minutes * 60),
             "--no-read-every", str(args.no_read_every), "--manual-every", str(args.manual_every),
             "--scan-log", os.path.join(run_dir, "scans.tsv")],
            stdin=subprocess.PIPE, stdout=sim_log, stderr=subprocess.STDOUT, text=True)
        sampler = Sampler(run_dir, daemons, {"scanner": sim})
        follower = Follower(os.path.join(run_dir, "dock.db"), weights, sim.stdin)
        start = now_ms()
        meta = {"start_ms": start, "minutes": args.minutes, "base_rate": args.base_rate,
                "peak_factor": args.peak_factor, "workers": args.workers,
                "scan_delay_ms": args.scan_delay_ms, "bag_change_ms": args.bag_change_ms,
                "bag_capacity": args.bag_capacity, "recirculate_ms": args.recirculate_ms,
                "orders": order_count,
                "load_before": open("/proc/loadavg").read().split()[:3], "cores": os.cpu_count()}
        sampler.start()
        follower.start()

        submits = []
        with open(os.path.join(run_dir, "submits.tsv"), "w") as submitted:
            for b, path in zip(schedule, batch_files):
                due = start + b["offset_ms"]
                while now_ms() < due:
                    time.sleep(min(0.05, (due - now_ms()) / 1000))
                if b["orders"] == 0:
                    continue
                at = now_ms()
                p = subprocess.Popen([sortline, "submit", path, "--intake", submit_ep,
                                      "--summary", path.replace(".jsonl", ".summary.json")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                submits.append(p)
                submitted.write(f"{b['batch']}\t{at}\n")
                submitted.flush()
        log("every batch submitted; waiting for the last records")
        deadline = time.time() + args.drain_seconds
        for p in submits:
            try:
                p.wait(max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                log("a submitter did not finish in --drain-seconds; the ledger will say what is "
                    "missing")
        while follower.seen < order_count and time.time() < deadline:
            time.sleep(0.2)
        follower.stop_event.set()
        follower.join()
        sim.stdin.close()
        sim.wait(timeout=max(30, args.scan_delay_ms / 1000 + args.bag_change_ms / 1000 + 30))
        sim_log.close()
        # The trucks closed at the end: wait for their manifests to be written.
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                _, body = http_get(dock.metrics_port, "/metrics")
                if re.search(r"^sortline_dock_manifests_waiting 0", body, re.M) and \
                        re.search(r"^sortline_dock_event_backlog 0", body, re.M):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        time.sleep(2)  # two more scrapes after the end
        sampler.stop_event.set()
        sampler.join()
        meta["end_ms"] = now_ms()
        meta["load_after"] = open("/proc/loadavg").read().split()[:3]
        meta["failed_scrapes"] = sampler.failed_scrapes
        meta["scanner_exit"] = sim.returncode
        with open(os.path.join(run_dir, "rehearsal.meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
    finally:
        for d in reversed(daemons):
            d.stop()
    return analyse(run_dir, args.build)


# ---- analysis ----------------------------------------------------------------------

def read_prom(path):
    """[(unix_ms, {series: value})] of a file of scrapes; series as 'name{labels}'."""
    scrapes = []
    current = None
    for line in open(path, errors="replace"):
        if line.startswith("# scrape "):
            current = {}
            scrapes.append((int(line.split()[2]), current))
        elif line and not line.startswith("#") and current is not None:
            key, _, value = line.rstrip("\n").rpartition(" ")
            try:
                current[key] = float(value)
            except ValueError:
                pass
    return scrapes


def prom_sum(sample, name, **labels):
    """Sum of the values of metric `name` whose labels include `labels`."""
    total = 0.0
    found = False
    for key, value in sample.items():
        if key != name and not key.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in key for k, v in labels.items()):
            total += value
            found = True
    return total if found else float("nan")


def chute_kinds(plan):
    kinds = {}
    rows = [line for line in open(os.path.join(plan, "chutes.csv")) if not line.startswith("#")]
    for row in csv.DictReader(rows):
        kinds[row["chute"]] = row["kind"]
    return kinds


def nan_to_text(values):
    """protobuf's JSON mapping spells a missing point (a gap) "NaN"."""
    return ["NaN" if isinstance(v, float) and math.isnan(v) else v for v in values]


def series(name, xs, ys, style=None, secondary=False):
    s = {"name": name, "x": list(xs), "y": nan_to_text(ys)}
    if style:
        s["style"] = style
    if secondary:
        s["secondary_axis"] = True
    return s


def analyse(run_dir, build):
    meta = json.load(open(os.path.join(run_dir, "rehearsal.meta.json")))
    start = meta["start_ms"]
    length_s = int(math.ceil((meta["end_ms"] - start) / 1000))
    seconds = list(range(length_s + 1))
    schedule = [json.loads(line) for line in open(os.path.join(run_dir, "schedule.jsonl"))]
    profile_x = [b["offset_ms"] / 1000 for b in schedule]
    profile_y = [b["factor"] for b in schedule]
    plateau = [b["offset_ms"] / 1000 for b in schedule if b["phase"] == "plateau"]
    # The peak ends when the plateau does (the decline starts there).
    peak_end = max(plateau, default=-1) + 1

    orders = {}
    with open(os.path.join(run_dir, "orders.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            orders[o["orderId"]] = o.get("service", "SERVICE_UNSPECIFIED")
    order_ids = list(orders)
    line_of = {o: i + 1 for i, o in enumerate(order_ids)}
    submitted_at = {}
    for line in open(os.path.join(run_dir, "submits.tsv")):
        batch, at = line.split()
        submitted_at[int(batch)] = int(at)
    batch_submit_of_order = {}
    for b in schedule:
        for i in range(b["first_order"], b["first_order"] + b["orders"]):
            batch_submit_of_order[order_ids[i]] = submitted_at.get(b["batch"])

    # Intake's refusals, as each submitter reported them.
    failed_orders = {}
    for path in glob.glob(os.path.join(run_dir, "batches", "*.summary.json")):
        summary = json.load(open(path))
        for failure in summary.get("failures", []):
            failed_orders[failure.get("orderId", "")] = failure.get("reason", "")

    db = sqlite3.connect(f"file:{os.path.join(run_dir, 'dock.db')}?mode=ro", uri=True)
    records = {}
    for order_id, tracking, chute, outcome, stored_ms in db.execute(
            "SELECT order_id, tracking, chute, outcome, stored_ms FROM records"):
        records[order_id] = (tracking, chute, outcome, stored_ms)
    quarantined = db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
    db.close()

    kinds = chute_kinds(PLAN)
    scans = {}
    fills, bags, closes, overflow_scans, recirculated_at = [], [], [], [], []
    scan_lat = {}
    for line in open(os.path.join(run_dir, "scans.tsv")):
        f = line.rstrip("\n").split("\t")
        t = (int(f[1]) - start) // 1000
        if f[0] == "scan":
            scans.setdefault(f[5], []).append((f[8], f[7], f[6]))  # kind, chute, outcome
            scan_lat.setdefault(t, []).append(float(f[2]) / 1000.0)  # ms
            if kinds.get(f[7]) == "overflow":
                overflow_scans.append(t)
            if f[8] == "recirculated":
                recirculated_at.append(t)
        elif f[0] == "full":
            fills.append(t)
        elif f[0] == "bag":
            bags.append(t)
        elif f[0] == "close":
            closes.append(t)

    loaded = {}
    manifests = sorted(glob.glob(os.path.join(run_dir, "manifests", "*.csv")))
    truck_closed_at = []
    for path in manifests:
        truck_closed_at.append((os.stat(path).st_mtime * 1000 - start) // 1000)
        with open(path) as f:
            for row in csv.DictReader(f):
                loaded.setdefault(row["tracking_number"], []).append(row["manifest_id"])

    # ---- the ledger
    ledger = {"orders": len(orders), "records": 0, "scanned": 0, "loaded": 0,
              "explained": {"no-read": 0, "manual": 0, "rejected": 0, "refused at intake": 0},
              "lost": 0, "doubled": 0, "recirculations": 0, "quarantined": quarantined, "stray": 0,
              "trucks": len(manifests), "lost_examples": [], "doubled_examples": []}
    trackings = set()
    for order_id in orders:
        record = records.get(order_id)
        if record is None:
            if order_id in failed_orders:
                ledger["explained"]["refused at intake"] += 1
            else:
                ledger["lost"] += 1
                ledger["lost_examples"].append(f"{order_id}: no dock record")
            continue
        ledger["records"] += 1
        tracking, chute, outcome, _ = record
        trackings.add(tracking)
        # A parcel no chute took rides the loop and is scanned again: only its scans that
        # sent it somewhere count.
        seen = [scan for scan in scans.get(tracking, []) if scan[0] != "recirculated"]
        ledger["recirculations"] += len(scans.get(tracking, [])) - len(seen)
        on = loaded.get(tracking, [])
        if len(seen) > 1 or len(on) > 1:
            ledger["doubled"] += 1
            ledger["doubled_examples"].append(f"{order_id} {tracking}: scanned {len(seen)}, "
                                              f"on {on}")
            continue
        if not seen:
            ledger["lost"] += 1
            ledger["lost_examples"].append(f"{order_id} {tracking}: never scanned")
            continue
        ledger["scanned"] += 1
        kind, scan_chute, _ = seen[0]
        if on:
            ledger["loaded"] += 1
        elif kind == "no-read":
            ledger["explained"]["no-read"] += 1
        elif kind == "wrong-weight" or kinds.get(scan_chute) == "manual":
            ledger["explained"]["manual"] += 1
        elif OUTCOMES.get(outcome) in ("OUTCOME_REJECTED", "OUTCOME_NO_RULE") or \
                kinds.get(scan_chute) in ("reject", "no-rule"):
            ledger["explained"]["rejected"] += 1
        else:
            ledger["lost"] += 1
            ledger["lost_examples"].append(f"{order_id} {tracking}: sorted to {scan_chute}, "
                                           "on no manifest")
    ledger["stray"] = len([t for t in loaded if t not in trackings])
    ledger["records_not_ordered"] = len([o for o in records if o not in orders])
    ledger["lost_examples"] = ledger["lost_examples"][:20]
    ledger["doubled_examples"] = ledger["doubled_examples"][:20]
    ledger["ok"] = (ledger["lost"] == 0 and ledger["doubled"] == 0 and ledger["stray"] == 0 and
                    ledger["records_not_ordered"] == 0 and ledger["quarantined"] == 0)

    # ---- time series, per second of the run
    lag_all, lag_fresh = {}, {}
    for order_id, (_, _, _, stored_ms) in records.items():
        at = batch_submit_of_order.get(order_id)
        if at is None:
            continue
        t = (stored_ms - start) // 1000
        lag = max(0, stored_ms - at) / 1000.0
        lag_all.setdefault(t, []).append(lag)
        if orders.get(order_id) in PERISHABLE:
            lag_fresh.setdefault(t, []).append(lag)
    for d in (lag_all, lag_fresh, scan_lat):
        for v in d.values():
            v.sort()

    def per_second(d, q):
        return [percentile(d.get(t, []), q) for t in seconds]

    lag_p50, lag_p99 = per_second(lag_all, 0.5), per_second(lag_all, 0.99)
    fresh_p99 = per_second(lag_fresh, 0.99)
    scan_p50, scan_p99 = per_second(scan_lat, 0.5), per_second(scan_lat, 0.99)
    scan_p999 = per_second(scan_lat, 0.999)
    records_per_s = [len(lag_all.get(t, [])) for t in seconds]
    scans_per_s = [len(scan_lat.get(t, [])) for t in seconds]

    metrics = {}
    for path in glob.glob(os.path.join(run_dir, "metrics", "*.prom")):
        metrics[os.path.basename(path)[:-5]] = read_prom(path)

    def metric_series(daemon, name, **labels):
        xs, ys = [], []
        for stamp, sample in metrics.get(daemon, []):
            xs.append(round((stamp - start) / 1000.0, 1))
            ys.append(prom_sum(sample, name, **labels))
        return xs, ys

    bx, pending_fresh = metric_series("intake", "sortline_intake_backlog_orders",
                                      **{"class": "perishable", "state": "pending"})
    _, pending_ordinary = metric_series("intake", "sortline_intake_backlog_orders",
                                        **{"class": "ordinary", "state": "pending"})
    _, leased = metric_series("intake", "sortline_intake_backlog_orders", state="leased")
    _, accepted = metric_series("intake", "sortline_intake_orders_accepted_total")
    dx, record_batches_pending = metric_series("dock", "sortline_dock_record_batches_pending")
    _, event_backlog = metric_series("dock", "sortline_dock_event_backlog")
    _, manifests_total = metric_series("dock", "sortline_dock_manifests_total")
    _, dock_stored = metric_series("dock", "sortline_dock_records_stored_total")
    # Orders journaled by intake and not yet stored at the dock: the whole pipeline's queue.
    in_pipeline = []
    stored_at = [(stamp, prom_sum(s, "sortline_dock_records_stored_total"))
                 for stamp, s in metrics.get("dock", [])]
    for (stamp, sample) in metrics.get("intake", []):
        done = [v for st, v in stored_at if st <= stamp + 500]
        in_pipeline.append(prom_sum(sample, "sortline_intake_orders_accepted_total") -
                           (done[-1] if done else 0))

    # Worker stage times: mean seconds per work batch over each second, per stage, over
    # every worker's batches of that second (a worker may get none: intake leases to
    # whoever has credit); and each worker's batches per second.
    workers = sorted(name for name in metrics if name.startswith("worker"))
    stage_series, batch_series = [], []
    for stage in ("labels", "dock", "batch"):
        sums, counts = {}, {}
        for name in workers:
            previous = None
            for stamp, sample in metrics[name]:
                t = round((stamp - start) / 1000.0)
                s_now = prom_sum(sample, "sortline_worker_stage_seconds_sum", stage=stage)
                c_now = prom_sum(sample, "sortline_worker_stage_seconds_count", stage=stage)
                if previous is not None and not math.isnan(c_now):
                    sums[t] = sums.get(t, 0.0) + s_now - previous[0]
                    counts[t] = counts.get(t, 0.0) + c_now - previous[1]
                previous = (s_now, c_now)
        xs = sorted(counts)
        stage_series.append(series(stage, xs, [sums[t] / counts[t] if counts[t] > 0 else
                                               float("nan") for t in xs]))
    for name in workers:
        xs, ys = [], []
        previous = None
        for stamp, sample in metrics[name]:
            c_now = prom_sum(sample, "sortline_worker_batches_total")
            if previous is not None:
                xs.append(round((stamp - start) / 1000.0, 1))
                ys.append(c_now - previous)
            previous = c_now
        batch_series.append(series(name, xs, ys))

    # RSS and CPU per process.
    proc = {}
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    for line in open(os.path.join(run_dir, "proc.tsv")):
        stamp, name, _, rss_kb, ticks = line.split("\t")
        proc.setdefault(name, []).append((int(stamp), int(rss_kb), int(ticks)))
    rss_series, cpu_series, peak_rss = [], [], {}
    for name, samples in sorted(proc.items()):
        xs = [round((s - start) / 1000.0, 1) for s, _, _ in samples]
        rss_series.append(series(name, xs, [r / 1024.0 for _, r, _ in samples]))
        peak_rss[name] = max(r for _, r, _ in samples) / 1024.0
        cx, cy = [], []
        for (s0, _, t0), (s1, _, t1) in zip(samples, samples[1:]):
            if s1 > s0:
                cx.append(round((s1 - start) / 1000.0, 1))
                cy.append(100.0 * (t1 - t0) / ticks_per_s / ((s1 - s0) / 1000.0))
        cpu_series.append(series(name, cx, cy))

    def cumulative(events):
        counts = [0] * (length_s + 1)
        for t in events:
            if 0 <= t <= length_s:
                counts[int(t)] += 1
        total, out = 0, []
        for c in counts:
            total += c
            out.append(total)
        return out

    # ---- targets
    def finite(values):
        return [v for v in values if not (isinstance(v, float) and math.isnan(v))]

    peak_lag = max(finite([lag_p99[int(t)] for t in plateau if int(t) <= length_s]), default=0)
    after_from = peak_end + LAG_AFTER_WITHIN_S
    after = finite([lag_p99[t] for t in seconds if t >= after_from])
    fresh_worst = max(finite(fresh_p99), default=float("nan"))
    scan_worst = max(finite(scan_p999), default=float("nan"))
    scan_over = len([v for v in finite(scan_p999) if v >= SCAN_P999_MS])
    overall = sorted(v for vs in scan_lat.values() for v in vs)
    targets = [
        {"target": f"order to dock-record lag p99 < {LAG_PEAK_P99_S:g} s at the peak",
         "measured": f"worst second of the plateau: {peak_lag:.2f} s",
         "met": peak_lag < LAG_PEAK_P99_S},
        {"target": f"lag p99 < {LAG_AFTER_P99_S:g} s from {LAG_AFTER_WITHIN_S:g} s after the "
                   "peak",
         "measured": (f"worst second from {after_from:.0f} s: {max(after):.2f} s" if after else
                      "the run ended before then (not measured)"),
         "met": (max(after) < LAG_AFTER_P99_S) if after else None},
        {"target": f"fresh produce and cold chain lag p99 < {FRESH_LAG_P99_S:g} s throughout",
         "measured": f"worst second: {fresh_worst:.2f} s",
         "met": fresh_worst < FRESH_LAG_P99_S},
        {"target": f"scan latency p99.9 < {SCAN_P999_MS:g} ms throughout",
         "measured": f"worst second: {scan_worst:.2f} ms; {scan_over} of {len(finite(scan_p999))} "
                     f"seconds over; whole run p99.9 {percentile(overall, 0.999):.3f} ms",
         "met": scan_over == 0},
        {"target": f"RSS <= {RSS_MB:g} MB per process",
         "measured": ", ".join(f"{n} {v:.0f} MB" for n, v in sorted(peak_rss.items())),
         "met": all(v <= RSS_MB for v in peak_rss.values())},
        {"target": "zero lost, zero doubled",
         "measured": f"lost {ledger['lost']}, doubled {ledger['doubled']}, stray {ledger['stray']}, "
                     f"quarantined {ledger['quarantined']}",
         "met": ledger["ok"]},
    ]

    # Where the time went when a lag target was missed: the queues at the worst second.
    where = ""
    worst_t = max(seconds, key=lambda t: -1 if math.isnan(lag_p99[t]) else lag_p99[t])
    if not all(t["met"] is not False for t in targets[:3]):
        def at(xs, ys, t):
            vals = [y for x, y in zip(xs, ys) if abs(x - t) <= 1 and not math.isnan(y)]
            return max(vals) if vals else float("nan")
        queues = {
            "waiting at intake for a worker (pending)": at(bx, [a + b for a, b in
                                                                zip(pending_fresh, pending_ordinary)],
                                                           worst_t),
            "leased to workers (rendering, writing, awaiting the dock)": at(bx, leased, worst_t),
            "record batches waiting at the dock": at(dx, record_batches_pending, worst_t),
        }
        biggest = max(queues, key=lambda k: -1 if math.isnan(queues[k]) else queues[k])
        where = (f"Where the time went: at the worst second ({worst_t} s, lag p99 "
                 f"{lag_p99[worst_t]:.2f} s) the queues were: " +
                 "; ".join(f"{k}: {v:.0f}" for k, v in queues.items()) +
                 f". The largest was {biggest}.")

    figures = {"meta": meta, "ledger": ledger, "targets": targets, "where": where,
               "peak_rss_mb": peak_rss, "lag_p99_peak_s": peak_lag,
               "fresh_lag_p99_worst_s": fresh_worst, "scan_p999_worst_ms": scan_worst,
               "scan_p999_run_ms": percentile(overall, 0.999),
               "scan_p99_run_ms": percentile(overall, 0.99),
               "scan_p50_run_ms": percentile(overall, 0.5),
               "chutes_full": len(fills), "bag_changes": len(bags),
               "overflow_scans": len(overflow_scans), "recirculated": len(recirculated_at), "trucks_closed": len(manifests)}
    with open(os.path.join(run_dir, "ledger.json"), "w") as f:
        json.dump(ledger, f, indent=1)
    with open(os.path.join(run_dir, "rehearsal.json"), "w") as f:
        json.dump(figures, f, indent=1)

    # ---- the report's sections
    profile = series("surge profile (× baseline)", profile_x, profile_y, "SERIES_STYLE_STEPS",
                     secondary=True)

    def chart(cid, title, y_label, data, lines=(), log_y=False):
        c = {"id": cid, "kind": "CHART_KIND_LINES", "title": title, "x_label": "seconds",
             "y_label": y_label, "y2_label": "× baseline", "series": data + [profile]}
        if lines:
            c["lines"] = [{"label": label, "value": value} for label, value in lines]
        if log_y:
            c["log_y"] = True
        return c

    sections = []
    yes = {True: "met", False: "NOT MET", None: "not measured"}
    sections.append({
        "id": "rh-rehearsal", "title": "Festival rehearsal",
        "paragraphs": [
            f"{meta['orders']:,} orders over {meta['minutes']:g} minutes: baseline "
            f"{meta['base_rate']:g} orders/s, ×{meta['peak_factor']:g} at the peak; intake, "
            f"{meta['workers']} workers and the dock on the shipped Xi'an plan; each parcel "
            f"scanned {meta['scan_delay_ms']} ms after its record reached the dock, every other "
            "one over telegrams. Load average before "
            f"{' '.join(meta['load_before'])}, after {' '.join(meta['load_after'])} on "
            f"{meta['cores']} cores.",
            f"Ledger: {ledger['orders']:,} orders, {ledger['records']:,} dock records, "
            f"{ledger['scanned']:,} scanned, {ledger['loaded']:,} loaded on "
            f"{ledger['trucks']} trucks listed in manifests; explained: " +
            ", ".join(f"{k} {v}" for k, v in ledger["explained"].items()) +
            f"; lost {ledger['lost']}, doubled {ledger['doubled']}"
            f" ({'intact' if ledger['ok'] else 'BROKEN'}).",
        ] + ([where] if where else []),
        "figures": [
            {"id": "rh-fig-orders", "label": "orders", "value": f"{ledger['orders']:,}",
             "detail": f"{meta['minutes']:g} min, ×{meta['peak_factor']:g} peak"},
            {"id": "rh-fig-lost", "label": "lost / doubled",
             "value": f"{ledger['lost']} / {ledger['doubled']}",
             "detail": "ledger " + ("intact" if ledger["ok"] else "BROKEN")},
            {"id": "rh-fig-lag", "label": "lag p99 at the peak", "value": f"{peak_lag:.2f} s",
             "detail": f"target < {LAG_PEAK_P99_S:g} s"},
            {"id": "rh-fig-scan", "label": "scan p99.9 (whole run)",
             "value": f"{percentile(overall, 0.999):.2f} ms",
             "detail": f"target < {SCAN_P999_MS:g} ms"},
            {"id": "rh-fig-rss", "label": "largest RSS",
             "value": f"{max(peak_rss.values(), default=0):.0f} MB",
             "detail": f"target <= {RSS_MB:g} MB"}],
        "tables": [{"header": ["target", "measured", "result"],
                    "rows": [{"cells": [t["target"], t["measured"], yes[t["met"]]]}
                             for t in targets]}],
    })
    sections.append({"id": "rh-lag", "title": "Order to dock-record lag",
                     "paragraphs": ["From the batch's submission to the record's commit at the "
                                    "dock, per second of the commit."],
                     "charts": [chart("rh-lag-p", "Lag p50 and p99", "seconds",
                                      [series("p50", seconds, lag_p50),
                                       series("p99", seconds, lag_p99),
                                       series("fresh produce + cold chain p99", seconds,
                                              fresh_p99)],
                                      [(f"peak target p99 < {LAG_PEAK_P99_S:g} s", LAG_PEAK_P99_S),
                                       (f"fresh target < {FRESH_LAG_P99_S:g} s", FRESH_LAG_P99_S),
                                       (f"after target < {LAG_AFTER_P99_S:g} s",
                                        LAG_AFTER_P99_S)])]})
    sections.append({"id": "rh-scan", "title": "Scan latency",
                     "paragraphs": ["Request to answer at the scanner simulator (ZeroMQ and "
                                    "telegrams), per second."],
                     "charts": [chart("rh-scan-p", "Scan latency p50, p99, p99.9", "milliseconds",
                                      [series("p50", seconds, scan_p50),
                                       series("p99", seconds, scan_p99),
                                       series("p99.9", seconds, scan_p999)],
                                      [(f"target p99.9 < {SCAN_P999_MS:g} ms", SCAN_P999_MS)],
                                      log_y=True)]})
    sections.append({"id": "rh-flow", "title": "Throughput and backlog",
                     "paragraphs": ["Backlog at intake by service class (pending: journaled, "
                                    "waiting for a worker), leased to workers, and every order "
                                    "journaled but not yet stored at the dock."],
                     "charts": [
                         chart("rh-rates", "Records stored and parcels scanned per second",
                               "per second", [series("records stored", seconds, records_per_s),
                                              series("parcels scanned", seconds, scans_per_s)]),
                         chart("rh-backlog", "Backlog by service class", "orders",
                               [series("pending, fresh produce + cold chain", bx, pending_fresh),
                                series("pending, ordinary", bx, pending_ordinary),
                                series("leased to workers", bx, leased),
                                series("journaled, not yet at the dock", bx, in_pipeline)]),
                         chart("rh-stages", "Worker stage time per work batch (mean)",
                               "seconds", stage_series),
                         chart("rh-worker-batches", "Work batches per worker", "per second",
                               batch_series),
                         chart("rh-dock-queues", "Dock queues", "count",
                               [series("record batches pending", dx, record_batches_pending),
                                series("events waiting to be stored", dx, event_backlog)])]})
    sections.append({"id": "rh-processes", "title": "Processes",
                     "charts": [chart("rh-rss", "Resident memory", "MB", rss_series,
                                      [(f"target <= {RSS_MB:g} MB", RSS_MB)]),
                                chart("rh-cpu", "CPU", "% of one core", cpu_series)]})
    sections.append({"id": "rh-dock-floor", "title": "Chutes and trucks",
                     "paragraphs": [f"{len(fills)} chutes reported full, {len(bags)} bag "
                                    f"changes, {len(overflow_scans)} parcels to overflow chutes, "
                                    f"{len(recirculated_at)} recirculated, "
                                    f"{len(manifests)} trucks closed with their manifests."],
                     "charts": [chart("rh-chutes", "Chute fills and overflow (cumulative)", "count",
                                      [series("chutes full", seconds, cumulative(fills)),
                                       series("bag changes", seconds, cumulative(bags)),
                                       series("parcels to overflow chutes", seconds,
                                              cumulative(overflow_scans)),
                                       series("parcels recirculated (every chute full)", seconds,
                                              cumulative(recirculated_at))]),
                                chart("rh-trucks", "Trucks closed (cumulative)", "trucks",
                                      [series("manifests written", seconds,
                                              cumulative(truck_closed_at)),
                                       series("dock: manifests (metric)", dx, manifests_total)])]})
    for i, s in enumerate(sections):
        with open(os.path.join(run_dir, "report.d", f"{i:02d}-{s['id']}.json"), "w") as f:
            json.dump(s, f, ensure_ascii=False)

    # The run summary the report command reads: every batch's submitter summed up.
    summary = {"source": os.path.join(run_dir, "orders.jsonl"), "lines": len(orders),
               "accepted": len(orders) - len(failed_orders), "ok": len(records),
               "failed": len(orders) - len(records),
               "failures": sorted(({"line": line_of[o], "orderId": o, "reason": r}
                                for o, r in failed_orders.items() if o in line_of),
                               key=lambda f: f["line"]),
               "elapsed_seconds": (meta["end_ms"] - start) / 1000.0,
               "orders_per_second": len(records) / max(1.0, (meta["end_ms"] - start) / 1000.0),
               "dock_db_path": os.path.join(run_dir, "dock.db"),
               "records_by_outcome": {}, "records_by_chute": {}, "timeline": []}
    for _, chute, outcome, _ in records.values():
        name = OUTCOMES.get(outcome, str(outcome))
        summary["records_by_outcome"][name] = summary["records_by_outcome"].get(name, 0) + 1
        summary["records_by_chute"][chute] = summary["records_by_chute"].get(chute, 0) + 1
    stored_by_second = cumulative([(r[3] - start) // 1000 for r in records.values()])
    sizes = {b["batch"]: b["orders"] for b in schedule}
    read = [0] * (length_s + 1)
    for batch, at in submitted_at.items():
        t = (at - start) // 1000
        if 0 <= t <= length_s:
            read[t] += sizes[batch]
    total = 0
    for t in seconds:
        total += read[t]
        summary["timeline"].append({"seconds": t, "read": total, "accepted": total,
                                    "finished": stored_by_second[t]})
    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, ensure_ascii=False)

    # The run report (summary.json + report.d), and the rehearsal's sections alone on a
    # page of their own (the one to look at first).
    page = {"title": "sortline festival rehearsal",
            "subtitle": f"{meta['orders']:,} orders over {meta['minutes']:g} minutes, "
                        f"×{meta['peak_factor']:g} at the peak", "sections": sections}
    with open(os.path.join(run_dir, "rehearsal.page.json"), "w") as f:
        json.dump(page, f, ensure_ascii=False)
    sortline = os.path.join(build, "workers", "sortline")
    for argv in ([sortline, "report", run_dir],
                 [sortline, "report", "--page", os.path.join(run_dir, "rehearsal.page.json"),
                  "-o", os.path.join(run_dir, "rehearsal.html")]):
        report = subprocess.run(argv, capture_output=True, text=True)
        if report.returncode != 0:
            log(f"{' '.join(argv[1:3])} failed: {report.stderr.strip()}")
            return 2
    print(f"rehearsal: {meta['orders']} orders in {meta['minutes']} min; ledger "
          f"{'intact' if ledger['ok'] else 'BROKEN'}: {ledger['loaded']} loaded, explained "
          f"{ledger['explained']}, lost {ledger['lost']}, doubled {ledger['doubled']}")
    for t in targets:
        print(f"  {yes[t['met']]:>12}  {t['target']}: {t['measured']}")
    if where:
        print("  " + where)
    print(f"report: {os.path.join(run_dir, 'report.html')} (the rehearsal alone: "
          f"{os.path.join(run_dir, 'rehearsal.html')})")
    return 0 if ledger["ok"] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/dev")
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--base-rate", type=float, default=25)
    parser.add_argument("--peak-factor", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scan-delay-ms", type=int, default=3000)
    parser.add_argument("--bag-change-ms", type=int, default=5000)
    parser.add_argument("--bag-capacity", type=int, default=0)
    parser.add_argument("--recirculate-ms", type=int, default=20000)
    parser.add_argument("--no-read-every", type=int, default=500)
    parser.add_argument("--manual-every", type=int, default=700)
    parser.add_argument("--drain-seconds", type=float, default=120)
    parser.add_argument("--analyse", metavar="RUN_DIR", default=None)
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if args.analyse:
        return analyse(os.path.abspath(args.analyse), args.build)
    if args.run_dir is None:
        import tempfile
        args.run_dir = tempfile.mkdtemp(prefix="sortline-rehearsal.",
                                        dir=os.environ.get("TMPDIR", "/tmp"))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

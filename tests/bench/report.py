#!/usr/bin/env python3
"""Helpers of tests/bench/run.sh.

    report.py wrk FILE            one wrk --latency output -> "rps p50_ms p99_ms non2xx errors requests"
    report.py table RUNS.tsv [IDLE.tsv]
                                  medians per (server, conns), the ratios against issue 6's
                                  targets and the idle-connection RSS figures, as a markdown table

RUNS.tsv columns (tab-separated, with a header line): server conns rep rps p50_ms p99_ms non2xx
errors requests ok cpu_pct hwm_kb records mock_pct wrk_pct other_pct.
IDLE.tsv columns: server conns rss_kb.
"""
import re
import statistics
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def parse_wrk(path):
    with open(path) as f:
        out = f.read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    reqs = re.search(r"(\d+) requests in", out)
    return [
        f"{float(rps.group(1)):.0f}" if rps else "0",
        f"{to_ms(p50.group(1)):.2f}" if p50 else "nan",
        f"{to_ms(p99.group(1)):.2f}" if p99 else "nan",
        non2xx.group(1) if non2xx else "0",
        str(sum(int(x) for x in errs.groups())) if errs else "0",
        reqs.group(1) if reqs else "0",
    ]


def med(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def fmt_mb(kb):
    return f"{kb / 1024:.1f} MB" if kb == kb else "-"


# Issue 6 targets
DURABLE_VS_CEILING = 0.4
DURABLE_VS_PEER = 1.3
ENQUEUE_VS_CEILING = 0.6
P99_MS = {64: 10.0, 256: 20.0}
RSS_LOAD_MB = 32
RSS_IDLE10K_MB = 64


def table(runs_path, idle_path=None):
    with open(runs_path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    groups = {}
    order = []
    for r in rows:
        key = (r["server"], int(r["conns"]))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(r)

    def col(key, name):
        return [float(r[name]) if r[name] not in ("", "-") else float("nan") for r in groups[key]]

    summary = {}
    lines = []
    lines.append("| server | conns | runs | req/s (median) | p50 ms | p99 ms | non-2xx+errors (sum) | "
                 "CPU % | peak RSS | 2xx answered vs records in Kafka (sum) | Kafka CPU % | wrk CPU % | other CPU % |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for key in sorted(order, key=lambda k: (k[1], order.index(k))):
        rps = med(col(key, "rps"))
        p50 = med(col(key, "p50_ms"))
        p99 = med(col(key, "p99_ms"))
        bad = int(sum(col(key, "non2xx")) + sum(col(key, "errors")))
        cpu = med(col(key, "cpu_pct"))
        hwm = max(col(key, "hwm_kb"))
        oks = col(key, "ok")
        recs = col(key, "records")
        if all(v == v for v in recs):
            kafka = f"{int(sum(oks))} vs {int(sum(recs))}" + (
                " ok" if all(rc >= ok for ok, rc in zip(oks, recs)) else " MISSING")
            lost = not all(rc >= ok for ok, rc in zip(oks, recs))
        else:
            kafka, lost = "n/a", False
        summary[key] = dict(rps=rps, p99=p99, bad=bad, hwm=hwm, lost=lost)
        lines.append(f"| {key[0]} | {key[1]} | {len(groups[key])} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {bad} | "
                     f"{cpu:.0f} | {fmt_mb(hwm)} | {kafka} | {med(col(key, 'mock_pct')):.0f} | "
                     f"{med(col(key, 'wrk_pct')):.0f} | {med(col(key, 'other_pct')):.0f} |")

    lines.append("")
    lines.append("Ratios (medians), against issue 6's targets:")
    lines.append("")
    lines.append("| conns | ceiling (best) | best peer | durable/ceiling (>= 0.4) | durable/best peer (>= 1.3) | "
                 "durable p99 | enqueue/ceiling (>= 0.6) | durable 2xx all in Kafka, no non-2xx |")
    lines.append("|---:|---|---|---:|---:|---:|---:|---|")
    for conns in sorted({k[1] for k in summary}):
        at = {k[0]: v for k, v in summary.items() if k[1] == conns}
        ceil = max(((s, v) for s, v in at.items() if s.startswith("ceiling")),
                   key=lambda sv: sv[1]["rps"], default=None)
        peer = max(((s, v) for s, v in at.items() if s.startswith("node")),
                   key=lambda sv: sv[1]["rps"], default=None)
        dur = at.get("bridge-durable")
        enq = at.get("bridge-enqueue")

        def ratio(a, b, target):
            if a is None or b is None or not b[1]["rps"]:
                return "-"
            r = a["rps"] / b[1]["rps"]
            return f"{r:.2f} {'PASS' if r >= target else 'FAIL'}"

        p99 = "-"
        if dur is not None:
            lim = P99_MS.get(conns)
            p99 = f"{dur['p99']:.1f} ms" + ("" if lim is None else (" PASS" if dur["p99"] <= lim else " FAIL"))
        integrity = "-"
        if dur is not None:
            integrity = "PASS" if dur["bad"] == 0 and not dur["lost"] else \
                f"FAIL ({dur['bad']} non-2xx/errors{', records missing' if dur['lost'] else ''})"
        lines.append(f"| {conns} | {ceil[0] + ' ' + format(ceil[1]['rps'], '.0f') if ceil else '-'} | "
                     f"{peer[0] + ' ' + format(peer[1]['rps'], '.0f') if peer else '-'} | "
                     f"{ratio(dur, ceil, DURABLE_VS_CEILING)} | {ratio(dur, peer, DURABLE_VS_PEER)} | {p99} | "
                     f"{ratio(enq, ceil, ENQUEUE_VS_CEILING)} | {integrity} |")

    dur256 = summary.get(("bridge-durable", 256))
    if dur256 is not None:
        mb = dur256["hwm"] / 1024
        lines.append("")
        lines.append(f"Bridge (durable) peak RSS through the 64- and 256-connection loads: {mb:.1f} MB "
                     f"(target <= {RSS_LOAD_MB} MB: {'PASS' if mb <= RSS_LOAD_MB else 'FAIL'})")
    if idle_path:
        lines.append("")
        lines.append("Idle keep-alive connections (each made one POST, then idles), current RSS (VmRSS):")
        lines.append("")
        lines.append("| server | idle connections | RSS |")
        lines.append("|---|---:|---:|")
        with open(idle_path) as f:
            f.readline()
            for line in f:
                if not line.strip():
                    continue
                server, conns, rss = line.rstrip("\n").split("\t")[:3]
                verdict = ""
                if int(conns) >= 10000:
                    verdict = " PASS" if int(rss) / 1024 <= RSS_IDLE10K_MB else " FAIL"
                    verdict += f" (target <= {RSS_IDLE10K_MB} MB at 10,000)"
                lines.append(f"| {server} | {int(conns):,} | {int(rss) / 1024:.1f} MB{verdict} |")
    print("\n".join(lines))


def main(argv):
    if len(argv) >= 3 and argv[1] == "wrk":
        print("\t".join(parse_wrk(argv[2])))
        return 0
    if len(argv) >= 3 and argv[1] == "table":
        table(argv[2], argv[3] if len(argv) > 3 else None)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

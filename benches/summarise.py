"""Turns the JSON reports of benches/scenario.sh into the Markdown tables of BENCHMARKS.md."""
import json
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])


def report(name):
    return json.loads((out / f"{name}.json").read_text())


def figure(rep, name):
    return next(f for f in rep["figures"] if f["name"] == name)


def errors(rep):
    e = rep["errors"]
    total = e["connect"] + e["timeout"] + e["io"] + e["eof"] + e["framing"] + sum(e["status"].values())
    return str(total)


s0, static, nginx = report("s0_c64"), report("s0_static_c64"), report("nginx_static_c64")
print("## /bench/s0, 64 connections\n")
print("| server | req/s | ttfb p50 / p99 ms | total p50 / p99 ms | errors |")
print("|---|---:|---:|---:|---:|")
for label, rep in [("braid /bench/s0 (rendered per request)", s0),
                   ("braid /bench/s0-static (same bytes, precomputed)", static),
                   ("nginx, same bytes as a static file", nginx)]:
    t, tot = figure(rep, "ttfb"), figure(rep, "total")
    print(f"| {label} | {rep['req_per_s']:,.0f} | {t['p50_ms']:.2f} / {t['p99_ms']:.2f} "
          f"| {tot['p50_ms']:.2f} / {tot['p99_ms']:.2f} | {errors(rep)} |")
print(f"\ns0 / nginx = {s0['req_per_s'] / nginx['req_per_s']:.0%} (goal ≥ 50%); "
      f"s0 / precomputed = {s0['req_per_s'] / static['req_per_s']:.0%} (goal ≥ 80%)\n")

print("## /bench/s1 (ideal total: 150 ms)\n")
print("| connections | req/s | ttfb p50 / p99 | section 1 p50 / p99 | section 2 p50 / p99 "
      "| section 3 p50 / p99 | total p50 / p99 | streamed | errors |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in [1, 64, 256, 1024]:
    rep = report(f"s1_c{c}")
    cells = []
    for name in ["ttfb", "<h2>Section 1", "<h2>Section 2", "<h2>Section 3", "total"]:
        f = figure(rep, name)
        cells.append(f"{f['p50_ms']:.2f} / {f['p99_ms']:.2f}")
    print(f"| {c} | {rep['req_per_s']:,.0f} | " + " | ".join(cells)
          + f" | {rep['multi_read']}/{rep['responses']} | {errors(rep)} |")

memory = json.loads((out / "memory.json").read_text())
held = report("s0_while_held")
per_stream = (memory["held_kb"] - memory["before_hold_kb"]) * 1024 / max(memory["held_streams"], 1)
print("\n## Held streams\n")
print(f"- streams held open: {memory['held_streams']:,}")
print(f"- RSS idle {memory['idle_kb'] / 1024:.1f} MB, before holding {memory['before_hold_kb'] / 1024:.1f} MB, "
      f"while holding {memory['held_kb'] / 1024:.1f} MB, peak {memory['peak_kb'] / 1024:.1f} MB")
print(f"- memory per held stream: {per_stream / 1024:.1f} KB (goal < 10 KB)")
t = figure(held, "ttfb")
print(f"- /bench/s0 meanwhile at 64 connections: {held['req_per_s']:,.0f} req/s, "
      f"ttfb p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms (goal p99 < 5 ms)")

print("\n## h2load, for comparison\n")
for name in ["h2load_s0_c64", "h2load_s1_c256"]:
    text = (out / f"{name}.txt").read_text()
    lines = [l for l in text.splitlines()
             if re.match(r"^(finished in|requests:|time for request:|time to 1st byte:)", l.strip())]
    print(f"`{name}`:\n```\n" + "\n".join(l.strip() for l in lines) + "\n```")

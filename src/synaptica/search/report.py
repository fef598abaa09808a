"""The search report: a table of trials, best validation accuracy first, from records or a results file.

    rank  trial  accuracy    cost  epoch  seconds  eta     lmbda
       1      3    0.8125  0.5521      1      4.1  0.3     0.5
       2      0    0.7950  0.6012      1      4.0  0.03    0.5
       -      4    failed       -      -      0.9  100     0.5

    trial 4 failed: diverged: non-finite cost at epoch 0, batch 10 ...

``accuracy`` is the trial's best validation accuracy, ``cost`` the validation cost and ``epoch`` the
epoch at which it was reached. Failed trials come last, with their reasons under the table.
"""

from __future__ import annotations

import json


def sort_records(records: list[dict]) -> list[dict]:
    """Finished trials by validation accuracy, best first (ties by trial number), then failed ones."""
    ok = [r for r in records if r["status"] == "ok"]
    failed = [r for r in records if r["status"] != "ok"]
    ok.sort(key=lambda r: (-r["validation_accuracy"], r["trial"]))
    failed.sort(key=lambda r: r["trial"])
    return ok + failed


def format_table(records: list[dict]) -> str:
    """The report for ``records`` (as read from a results file): a summary line, the table and the
    reasons for failed trials."""
    if not records:
        return "No trials recorded yet."
    rows = sort_records(records)
    names = list(dict.fromkeys(name for record in rows for name in record["params"]))
    header = ["rank", "trial", "accuracy", "cost", "epoch", "seconds", *names]
    table = [header]
    for rank, record in enumerate(rows, start=1):
        ok = record["status"] == "ok"
        table.append([
            str(rank) if ok else "-", str(record["trial"]),
            f"{record['validation_accuracy']:.4f}" if ok else record["status"],
            _number(record.get("validation_cost")) if ok else "-",
            str(record.get("best_epoch")) if ok else "-",
            f"{record['seconds']:.1f}" if record.get("seconds") is not None else "-",
            *(format_value(record["params"][name]) if name in record["params"] else "" for name in names),
        ])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    numeric = 6  # the first six columns are numbers: right-aligned; parameters read better left-aligned
    lines = ["  ".join(cell.rjust(w) if i < numeric else cell.ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths))).rstrip() for row in table]
    failed = [r for r in rows if r["status"] != "ok"]
    return "\n".join([_summary(rows, failed), "", *lines,
                      *([""] if failed else []),
                      *(f"trial {r['trial']} {r['status']}: {r.get('reason')}" for r in failed)])


def _summary(rows: list[dict], failed: list[dict]) -> str:
    line = f"{len(rows)} trial{'s' if len(rows) != 1 else ''}: {len(rows) - len(failed)} finished, {len(failed)} failed."
    if len(failed) < len(rows):
        best = rows[0]
        setting = ", ".join(f"{name} = {format_value(value)}" for name, value in best["params"].items())
        line += f" Best: trial {best['trial']}, validation accuracy {best['validation_accuracy']:.4f} with {setting}."
    return line


def _number(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_value(value) -> str:
    """A parameter value as a cell: numbers to 4 significant digits, lists as compact JSON."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)

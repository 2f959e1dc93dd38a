"""What the `make bench` scripts share: the text table they print and bench/results/latest.json, where each
script keeps its figures under its own key and leaves the others' alone."""

import json
import pathlib
import sys


def render_table(header: list, rows: list, left_align_first: bool = False) -> str:
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]

    def line(values: list) -> str:
        cells = [value.rjust(width) for value, width in zip(values, widths)]
        if left_align_first:
            cells[0] = values[0].ljust(widths[0])
        return "  ".join(cells)

    return "\n".join([line(header), line(["-" * width for width in widths])] + [line(row) for row in rows])


def merge_results(path: pathlib.Path, key: str, figures: dict) -> None:
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError as error:
            print(f"{path} is not JSON ({error}); writing a new file", file=sys.stderr, flush=True)
    data[key] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)

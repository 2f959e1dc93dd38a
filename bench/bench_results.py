"""What the `make bench` scripts share: the text table they print and bench/results/latest.json, where each
script keeps its figures under its own key and leaves the others' alone."""

import json
import pathlib
import signal
import subprocess
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


class BenchProcess:
    """A server the benchmark started (`self.process`, a Popen; `self.log_path`, where its output goes)."""

    process = None
    log_path: pathlib.Path = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

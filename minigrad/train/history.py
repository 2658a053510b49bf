"""The record of a run: one row of numbers per epoch, saved as JSON and CSV, and plotted.

Rows look like {"epoch": 3, "lr": 0.01, "train_loss": ..., "train_acc": ...,
"val_loss": ..., "val_acc": ..., "val_top5": ..., "time": seconds}.
"""

import csv
import json
import os

from minigrad.train.checkpoint import atomic_write

__all__ = ["History"]


class History:
    """A list of per-epoch rows with save/load and plotting."""

    def __init__(self, rows=None):
        self.rows = [dict(row) for row in rows or []]

    def append(self, row):
        self.rows.append(dict(row))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, key):
        """history["val_loss"] -> the column as a list (None where a row lacks it)."""
        if isinstance(key, str):
            return [row.get(key) for row in self.rows]
        return self.rows[key]

    def columns(self):
        names = []
        for row in self.rows:
            names += [k for k in row if k not in names]
        return names

    def save(self, directory):
        """Write history.json and history.csv into `directory`; return their paths."""
        json_path = os.path.join(directory, "history.json")
        csv_path = os.path.join(directory, "history.csv")
        text = json.dumps(self.rows, indent=1)
        atomic_write(json_path, lambda handle: handle.write(text.encode()))

        def write_csv(handle):
            import io

            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=self.columns())
            writer.writeheader()
            writer.writerows(self.rows)
            handle.write(buffer.getvalue().encode())

        atomic_write(csv_path, write_csv)
        return json_path, csv_path

    @classmethod
    def load(cls, path):
        with open(path) as handle:
            return cls(json.load(handle))

    def plot(self, directory):
        """Save loss.png, accuracy.png and lr.png; return their paths.

        Draws on matplotlib Figures directly, without pyplot, so no window opens and
        the caller's backend is left alone (headless machines included).
        """
        from minigrad._figure import InlineFigure

        paths = []
        for filename, (label, keys) in _PANELS.items():
            fig = InlineFigure(figsize=(5, 3.5))
            self._draw(fig.add_subplot(), label, keys)
            fig.tight_layout()
            path = os.path.join(directory, filename)
            fig.savefig(path, dpi=100)
            paths.append(path)
        return paths

    def figure(self):
        """The three plots side by side in one Figure (displayed inline in a notebook)."""
        from minigrad._figure import InlineFigure

        fig = InlineFigure(figsize=(13, 3.5), layout="constrained")
        for ax, (label, keys) in zip(fig.subplots(1, len(_PANELS)), _PANELS.values()):
            self._draw(ax, label, keys)
        return fig

    def _draw(self, ax, label, keys):
        epochs = self["epoch"]
        drawn = 0
        for key in keys:
            values = self[key]
            if any(v is not None for v in values):
                ax.plot(epochs, values, marker="o", markersize=3, label=key)
                drawn += 1
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if label == "learning rate" and all(v and v > 0 for v in self["lr"]):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend()


_PANELS = {"loss.png": ("loss", ["train_loss", "val_loss"]),
           "accuracy.png": ("accuracy", ["train_acc", "val_acc", "val_top5"]),
           "lr.png": ("learning rate", ["lr"])}

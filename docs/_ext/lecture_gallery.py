"""How sphinx-gallery runs the lecture scripts, and how it picks up their figures.

A lecture draws on matplotlib Figures without pyplot and saves them with
`_common.save(fig, out, name)`, so sphinx-gallery's matplotlib scraper (which asks
pyplot for its open figures) sees none. Instead each script runs as a lecturer
runs it, `NAME.py --out DIR` in its fast mode (`lecture_argv`), and
`scrape_lecture_figures` collects the PNG files that appeared in DIR, in the order
they were written, as the gallery's images.
"""

import ast
import re
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst


def lecture_out_dir(gallery_conf, src_file):
    """docs/_build/lecture_output/NAME: where one lecture writes its figures and JSON."""
    return Path(gallery_conf["src_dir"]) / "_build" / "lecture_output" / Path(src_file).stem


def lecture_argv(gallery_conf, script_vars):
    """The command line a gallery run gets: `--out DIR` (fast mode, the default seed).

    sphinx-gallery runs the script body with `__doc__ = ""` (it shows the docstring
    as the page's text instead); the lectures pass `__doc__` to argparse as the
    description, so the real docstring is put back first."""
    src_file = script_vars["src_file"]
    out = lecture_out_dir(gallery_conf, src_file)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    docstring = ast.get_docstring(ast.parse(Path(src_file).read_text(encoding="utf-8")))
    script_vars["example_globals"]["__doc__"] = docstring or Path(src_file).stem
    script_vars["lecture_figures_seen"] = set()
    return ["--out", str(out)]


def scrape_lecture_figures(block, block_vars, gallery_conf):
    """reST showing the PNGs the block wrote to the lecture's --out DIR (new ones only)."""
    out = lecture_out_dir(gallery_conf, block_vars["src_file"])
    seen = block_vars.setdefault("lecture_figures_seen", set())
    written = sorted((p for p in out.glob("*.png") if p.name not in seen),
                     key=lambda p: (p.stat().st_mtime_ns, p.name))
    image_paths = []
    for png, image_path in zip(written, block_vars["image_path_iterator"]):
        shutil.copyfile(png, image_path)
        seen.add(png.name)
        image_paths.append(image_path)
    return figure_rst(image_paths, gallery_conf["src_dir"])


# The generated notebooks: the script's code runs in a Jupyter kernel, whose own
# command line argparse must not read, and the figures are shown from the files.
FIRST_NOTEBOOK_CELL = """\
# Run this notebook from minigrad's lectures/ folder: it imports lectures/_common.py.
# A kernel's own arguments are not the lecture's: run it in its fast mode, as
# `python NAME.py --out lecture_output` would (add "--full" for lecture sizes).
import sys
import time

sys.argv = [sys.argv[0], "--out", "lecture_output"]
lecture_started = time.time()"""

LAST_NOTEBOOK_CELL = """\
# The figures this run saved, shown inline.
from pathlib import Path

from IPython.display import Image, display

for png in sorted(Path("lecture_output").glob("*.png"), key=lambda p: p.stat().st_mtime):
    if png.stat().st_mtime >= lecture_started:
        display(Image(filename=str(png)))"""


class LectureNumberOrder:
    """Gallery order: the lecture number in each script's first line ("Lecture 7: ...")."""

    def __init__(self, src_dir):
        self.src_dir = Path(src_dir)

    def __call__(self, filename):
        first_line = (self.src_dir / filename).read_text(encoding="utf-8").split("\n", 1)[0]
        words = first_line.strip('"').split(":", 1)[0].split()
        number = int(words[1]) if len(words) == 2 and words[1].isdigit() else 10**6
        return number, filename

    def __repr__(self):
        return f"<{type(self).__name__}>"


# ------------------------------------------------------- the docstring as the page's text
# A lecture's docstring is plain text written for a terminal: a first line, then
# paragraphs and indented blocks of formulas and tables. The page shows the first
# line as its title, the paragraphs as text (|x|, * and word_ escaped, so reST does
# not read them as markup) and every indented block verbatim, as the terminal does.
_ENUMERATOR = re.compile(r"^(\d+[.)]|[-*+]) ")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=\W|$)")


def _escape(line):
    line = line.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
    return _TRAILING_UNDERSCORE.sub(r"\1\\_", line)


def docstring_as_rst(lines):
    """reST for a plain-text docstring (a list of lines): title, text, literal blocks."""
    title = lines[0].strip()
    out = [_escape(title), "=" * len(_escape(title)), ""]
    previous = ""  # the last line written, before any blank lines
    in_block = False
    for line in lines[1:]:
        indented = line[:1] in (" ", "\t")
        if not line.strip():
            out.append("")
            continue
        if indented and (in_block or (out[-1] == "" and not _ENUMERATOR.match(previous))):
            if not in_block:  # "text ::" shows as "text", and the block as it is
                last_text = max(i for i, text in enumerate(out) if text) if previous else None
                if last_text is None or out[last_text].startswith("="):
                    out[-1:] = ["::", ""]
                else:
                    out[last_text] += " ::"
            in_block = True
            out.append(line)
        else:
            if not indented and previous[:1] == " " and out[-1] != "" \
                    and not _ENUMERATOR.match(line):
                out.append("")  # a paragraph right after a list item's last line
            in_block = in_block and indented
            out.append(line if indented else _escape(line))
        previous = line
    return out


def lecture_page_text(text, docname):
    """Rewrite the intro of one generated lecture page (source-read)."""
    marker = f".. _sphx_glr_{docname.replace('/', '_')}.py:"
    lines = text.split("\n")
    if marker not in lines:
        return text
    start = lines.index(marker) + 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(".. GENERATED FROM"))
    intro = lines[start:end]
    while intro and not intro[-1].strip():
        intro.pop()
    return "\n".join(lines[:start] + docstring_as_rst(intro) + ["", ""] + lines[end:])


def _on_source_read(app, docname, source):
    gallery_dir = app.config.sphinx_gallery_conf["gallery_dirs"]
    if docname.startswith(f"{gallery_dir}/") and docname != f"{gallery_dir}/index":
        source[0] = lecture_page_text(source[0], docname)


def setup(app):
    app.connect("source-read", _on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

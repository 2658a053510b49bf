"""minigrad's docstrings are plain text that reads in a terminal; this shows them as such.

STYLE.md asks for "plain text math that reads in a terminal": `|x|`, `w_i`,
`x * y`, indented formulas and hanging indents. Read as reST, those are
substitutions, references, emphasis and block quotes. Before napoleon turns the
Google sections (Args:, Returns:) into fields, this hook (autodoc-process-docstring)
escapes the markup characters in running text, turns `code` into ``code``, and
shows every indented block, and every paragraph with a hanging indent, verbatim
as a literal block. Docstrings that already use reST (`::`, `.. `, `>>>`) keep it.
"""

import re

SECTION = re.compile(r"^(Args|Arguments|Parameters|Keyword Args|Returns?|Raises|Yields?|"
                     r"Attributes|Examples?|Notes?|References?|Warnings?|See Also):\s*$")
_SINGLE_BACKTICKS = re.compile(r"(?<![`\\])`([^`\n]+)`(?!`)(\w?)")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=[^\w]|$)")


def _literal(match):
    """`code` -> ``code``; `Subset`s -> ``Subset``\\ s (reST needs a break after ``)."""
    code, letter = match.group(1).replace("\\", ""), match.group(2)
    return f"``{code}``" + (f"\\ {letter}" if letter else "")


def escape_text(line):
    """One line of running text with |, *, trailing _ and `code` made literal."""
    line = line.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
    line = _TRAILING_UNDERSCORE.sub(r"\1\\_", line)
    line = _SINGLE_BACKTICKS.sub(_literal, line)
    return re.sub(r"(?<!`)`(?!`)", r"\\`", line)  # an unpaired backtick


def _blocks(lines):
    """Runs of non-blank lines; a section header ("Args:") always starts a new run."""
    block = []
    for line in lines:
        if block and (not line.strip() or SECTION.match(line)):
            yield block
            block = []
        if line.strip():
            block.append(line)
    if block:
        yield block


def _is_rest(block):
    return any(line.rstrip().endswith("::") or line.lstrip().startswith((".. ", ">>>"))
               for line in block)


def plain_to_rest(lines):
    """The docstring's lines (dedented) -> reST lines that show the same text."""
    out, in_section = [], False
    for block in _blocks(lines):
        indented = [line[:1] in (" ", "\t") for line in block]
        header = SECTION.match(block[0]) is not None
        if not indented[0] and not header:
            in_section = False
        if _is_rest(block):
            out += block
        elif header or (in_section and indented[0]):
            # napoleon reads these; a line back at the margin ends the section
            out += block[:1] if header else [escape_text(block[0])]
            out += [escape_text(line) for line in block[1:]]
            in_section = True
        elif any(indented):  # a formula block, or a paragraph with a hanging indent
            out += ["::", ""] + ["    " + line for line in block]
        else:
            out += [escape_text(line) for line in block]
        out.append("")
    return out


def _process(app, what, name, obj, options, lines):
    if name.startswith("minigrad"):
        lines[:] = plain_to_rest(list(lines))


def setup(app):
    app.connect("autodoc-process-docstring", _process, priority=400)  # before napoleon
    return {"parallel_read_safe": True, "parallel_write_safe": True}

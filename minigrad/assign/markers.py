"""nbgrader's markers, read line by line.

    ### BEGIN SOLUTION  ...  ### END SOLUTION          in modules and notebook cells
    ### BEGIN HIDDEN TESTS  ...  ### END HIDDEN TESTS  in test files and notebook cells

A solution block becomes, at the indentation of its BEGIN line,

    # YOUR CODE HERE
    raise NotImplementedError("Task 2.3: <task title>")

and a hidden-test block disappears. Every marker must stand alone on its line,
blocks may not nest, and each BEGIN needs its END at the same indentation; anything
else stops the build with the file and the line.
"""

import re

from minigrad.assign.spec import AssignmentError

__all__ = ["MarkerError", "Block", "find_blocks", "strip_solutions", "strip_hidden",
           "remove_markers"]

_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN TESTS)"
                     r"\s*$")
_LOOSE_MARKER = re.compile(r"###\s*(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS)", re.IGNORECASE)


class MarkerError(AssignmentError):
    """A marker that is unbalanced, nested, misplaced or not allowed in that file."""


class Block:
    """One marked block: lines[begin] and lines[end] are its markers (0-based)."""

    def __init__(self, kind, begin, end, indent):
        self.kind, self.begin, self.end, self.indent = kind, begin, end, indent

    def body(self, lines):
        return lines[self.begin + 1:self.end]


def find_blocks(text, where, allowed):
    """The marked blocks of `text`, checked. `where` names the file in errors.

    allowed: the kinds this file may hold, a subset of {"SOLUTION", "HIDDEN TESTS"}.
    """
    lines = text.split("\n")
    blocks, open_block = [], None
    for number, line in enumerate(lines):
        match = _MARKER.match(line)
        if match is None:
            if _LOOSE_MARKER.search(line):
                raise MarkerError(f"{where}:{number + 1}: a marker must stand alone on its "
                                  f"line, exactly '### BEGIN SOLUTION' (or END, or HIDDEN "
                                  f"TESTS); found {line.strip()!r}")
            continue
        kind, edge, indent = match["kind"], match["edge"], match["indent"]
        if kind not in allowed:
            raise MarkerError(f"{where}:{number + 1}: '### {edge} {kind}' is not allowed in "
                              f"this file (allowed here: {', '.join(sorted(allowed))})")
        if edge == "BEGIN":
            if open_block is not None:
                raise MarkerError(f"{where}:{number + 1}: '### BEGIN {kind}' inside the "
                                  f"{open_block[0]} block opened at line {open_block[1] + 1}; "
                                  f"blocks cannot nest")
            open_block = (kind, number, indent)
            continue
        if open_block is None:
            raise MarkerError(f"{where}:{number + 1}: '### END {kind}' without a BEGIN")
        if open_block[0] != kind:
            raise MarkerError(f"{where}:{number + 1}: '### END {kind}' closes the "
                              f"{open_block[0]} block opened at line {open_block[1] + 1}")
        if indent != open_block[2]:
            raise MarkerError(f"{where}:{number + 1}: '### END {kind}' is indented differently "
                              f"from its BEGIN at line {open_block[1] + 1}")
        blocks.append(Block(kind, open_block[1], number, open_block[2]))
        open_block = None
    if open_block is not None:
        raise MarkerError(f"{where}:{open_block[1] + 1}: '### BEGIN {open_block[0]}' is never "
                          f"closed")
    return blocks


def _rewrite(text, blocks, replace):
    lines = text.split("\n")
    out, position = [], 0
    for block in blocks:
        out.extend(lines[position:block.begin])
        out.extend(replace(block, lines))
        position = block.end + 1
    out.extend(lines[position:])
    return "\n".join(out)


def strip_solutions(text, blocks, task_of):
    """Replace every SOLUTION block by the stub; task_of(block) -> (task_id, title)."""
    def stub(block, lines):
        if block.kind != "SOLUTION":
            return block.body(lines)
        task_id, title = task_of(block)
        message = f"Task {task_id}: {title}".replace('"', "'")
        return [f"{block.indent}# YOUR CODE HERE",
                f'{block.indent}raise NotImplementedError("{message}")']
    return _rewrite(text, [b for b in blocks if b.kind == "SOLUTION"], stub)


def strip_hidden(text, blocks):
    """Drop every HIDDEN TESTS block, markers and body."""
    return _rewrite(text, [b for b in blocks if b.kind == "HIDDEN TESTS"], lambda b, ls: [])


def remove_markers(text, blocks):
    """Keep every body, drop the marker lines: the reference (or autograder) version."""
    return _rewrite(text, blocks, lambda block, lines: block.body(lines))

"""The nesting depth of a JSON document, measured on its bytes before any parser recurses into it.

msgspec parses recursively and stops at Python's recursion limit, so how deep a document it accepts
depends on how deep the caller's stack already is, and past it raises RecursionError. Measuring first
makes the limit (`contracts.limits.MAX_JSON_DEPTH`) the same for every caller, and every later hop
(enricher, ClickHouse JSON functions) sees at most that depth.

Only bytes outside strings count. The scan runs at C speed (bytes.replace/translate and one regex):
strings are cut out, then each pass removes every innermost `[]`, so a document is deeper than N when
brackets remain after N passes.
"""

from __future__ import annotations

import re

# Escapes that could hide a quote: `\\` first, so that `\\"` keeps its closing quote.
_ESCAPED_BACKSLASH = b"\\\\"
_ESCAPED_QUOTE = b'\\"'
# Keep quotes and brackets, with `{}` folded into `[]`: the depth does not depend on which kind.
_FOLD = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
_STRING = re.compile(rb'"[^"]*"')


def exceeds_depth(payload: bytes, max_depth: int) -> bool:
    """True when arrays/objects in `payload` nest deeper than `max_depth` (a scalar has depth 0).

    Malformed input is measured as it stands: consecutive unclosed brackets count as nested (a
    recursive parser would descend into each), and what is left is for the parser to report.
    """
    # Each step runs only when it can change something: scanning is what this costs on the hot path.
    if b"\\" in payload:
        if _ESCAPED_BACKSLASH in payload:
            payload = payload.replace(_ESCAPED_BACKSLASH, b"")
        if _ESCAPED_QUOTE in payload:
            payload = payload.replace(_ESCAPED_QUOTE, b"")
    structure = payload.translate(_FOLD, _NOT_STRUCTURE)
    if structure.count(b"[") <= max_depth:
        return False
    brackets = _STRING.sub(b"", structure).replace(b'"', b"")
    for passes in range(max_depth):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            # No pair left, so what remains is `]...][...[`: unclosed brackets, each nested in the
            # one before it, around content at most `passes` deep.
            return passes + brackets.count(b"[") > max_depth
        brackets = shorter
    return bool(brackets)

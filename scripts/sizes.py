#!/usr/bin/env python3
"""Reports main-source Java classes over a line limit and methods over a line limit.

Usage: scripts/sizes.py [--class-lines N] [--method-lines N] [DIR...]
(default: every */src/main/java below the repository, 600 and 80). Counts physical lines of a file
(top-level class) and of a method or constructor from its declaration to its closing brace.
Exits 1 when anything is over the limits, so it can run in CI.
"""
import argparse
import pathlib
import re
import sys

CONTROL = {"if", "for", "while", "switch", "catch", "synchronized", "try", "else", "do", "return", "new", "throw"}
DECL = re.compile(r"([A-Za-z_$][\w$]*)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:throws\s+[\w$.,\s<>]+)?$", re.S)


def strip(text):
    """The source with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def methods(path):
    src = strip(path.read_text(encoding="utf-8", errors="replace"))
    stack = []  # (kind, name, start line)
    start_of_stmt = 0
    line = 1
    for i, c in enumerate(src):
        if c == "\n":
            line += 1
        elif c == "{":
            head = src[start_of_stmt:i].strip()
            head = re.sub(r"@[\w.]+(\([^)]*\))?", "", head).strip()
            m = DECL.search(head)
            kind = "block"
            name = None
            if m and "->" not in head and "=" not in head.split("(")[0]:
                first = re.split(r"[\s(]", head, 1)[0]
                typedecl = re.search(r"\b(record|class|interface|enum)\s+" + re.escape(m.group(1)) + r"\b", head)
                if m.group(1) not in CONTROL and first not in CONTROL and "new " not in head and not typedecl:
                    kind, name = "method", m.group(1)
            stack.append((kind, name, line - head.count("\n")))
            start_of_stmt = i + 1
        elif c == "}":
            if stack:
                kind, name, start = stack.pop()
                if kind == "method":
                    yield name, start, line
            start_of_stmt = i + 1
        elif c == ";":
            start_of_stmt = i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--class-lines", type=int, default=600)
    ap.add_argument("--method-lines", type=int, default=80)
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    dirs = [pathlib.Path(d) for d in a.dirs] or sorted(root.glob("*/src/main/java"))
    over = 0
    files = 0
    longest_class = (0, "")
    longest_method = (0, "")
    for d in dirs:
        for f in sorted(d.rglob("*.java")):
            files += 1
            rel = f.relative_to(root) if f.is_absolute() and root in f.parents else f
            n = f.read_text(encoding="utf-8", errors="replace").count("\n")
            longest_class = max(longest_class, (n, str(rel)))
            if n > a.class_lines:
                over += 1
                print(f"class  {n:5d} lines  {rel}")
            for name, start, end in methods(f):
                length = end - start + 1
                longest_method = max(longest_method, (length, f"{rel}:{start} {name}"))
                if length > a.method_lines:
                    over += 1
                    print(f"method {length:5d} lines  {rel}:{start} {name}")
    print(f"{files} files; longest class {longest_class[0]} lines ({longest_class[1]}); longest method "
          f"{longest_method[0]} lines ({longest_method[1]}); {over} over the limits "
          f"({a.class_lines}/{a.method_lines})")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

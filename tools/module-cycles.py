#!/usr/bin/env python3
"""Finds modules of a crate that use each other (outside `#[cfg(test)]` code). Module A uses module B
when A names an item that B defines: through `use crate::…`, `use super::…`, a re-export of the crate
root (`use crate::Name`, resolved to where `Name` is defined), or a path such as `child::item`. A parent
declaring a child (`mod child;`) or re-exporting its items (`pub use child::Item;`) is not a use. Prints every pair that uses each other; exit 1 if any.

    python3 tools/module-cycles.py        # every crate under crates/ and tools/
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITEM = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+|const\s+|unsafe\s+)*"
                  r"(?:struct|enum|fn|trait|const|static|type|union|macro_rules!)\s+(\w+)", re.M)
USE = re.compile(r"\buse\s+((?:crate|super|self)(?:::\w+)*)(?:::\{([^;]*)\}|::(\w+|\*))?\s*;", re.S)


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    return tuple(parts[:-1] if parts[-1] in ("mod", "lib", "main") else parts)


def outside_tests(text: str) -> str:
    """The code before `#[cfg(test)]`, without comments."""
    cut = text.find("#[cfg(test)]")
    text = text if cut < 0 else text[:cut]
    return re.sub(r"//[^\n]*", "", text)


def resolve(path: list, module: tuple) -> list:
    """`crate::a::b`, `super::b`, `self::b` as an absolute path of names."""
    out = []
    for i, p in enumerate(path):
        if p == "crate" and i == 0:
            out = []
        elif p == "self" and i == 0:
            out = list(module)
        elif p == "super":
            out = (out if i else list(module))[:-1]
        else:
            out.append(p)
    return out


class Crate:
    def __init__(self, src: Path):
        self.files = {module_of(src, f): outside_tests(f.read_text()) for f in src.rglob("*.rs")}
        self.defines = {m: set(ITEM.findall(t)) for m, t in self.files.items()}
        self.reexports = {}  # (module, name) -> defining module, for `pub use` in any module
        for m, t in self.files.items():
            for u in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([\w:]+?)(?:::\{([^;]*)\}|::(\w+))\s*;", t, re.S):
                base = resolve(u.group(1).split("::"), m) if u.group(1).split("::")[0] in ("crate", "super", "self") \
                    else list(m) + u.group(1).split("::")
                for name in (u.group(2).split(",") if u.group(2) else [u.group(3)]):
                    name = name.strip().split(" as ")[0].split("::")[-1]
                    if name:
                        self.reexports[(m, name)] = self.owner(base, name)

    def owner(self, path: list, name: str):
        """The module that defines what `path::name` names, following re-exports."""
        full = path + ([name] if name and name != "*" else [])
        for n in range(len(full), -1, -1):
            mod = tuple(full[:n])
            if mod not in self.files:
                continue
            rest = full[n:]
            if rest and rest[0] not in self.defines[mod] and (mod, rest[0]) in self.reexports:
                return self.reexports[(mod, rest[0])]
            return mod
        return None

    def uses(self, m: tuple) -> set:
        text, out = self.files[m], set()
        for u in USE.finditer(text):
            if re.search(r"\bpub(?:\([^)]*\))?\s+$", text[max(0, u.start() - 16):u.start()]):
                continue  # a re-export is the module's face, not something it depends on
            base = resolve(u.group(1).split("::"), m)
            names = u.group(2).split(",") if u.group(2) else [u.group(3) or ""]
            for name in names:
                name = name.strip().split(" as ")[0]
                parts = [p for p in name.split("::") if p and p != "self"]
                target = self.owner(base + parts[:-1], parts[-1] if parts else "")
                if target is not None:
                    out.add(target)
        children = {c[-1] for c in self.files if len(c) == len(m) + 1 and c[: len(m)] == m}
        facade = re.sub(r"\bpub(?:\([^)]*\))?\s+use\s[^;]*;", "", text)
        for child in children:
            if re.search(rf"(?<![\w:]){child}::\w", facade):
                out.add(m + (child,))
        # Names a module re-exports from elsewhere and also uses itself.
        for (owner_mod, name), defining in self.reexports.items():
            if owner_mod == m and defining not in (None, m) and re.search(rf"\b{name}\b", facade):
                out.add(defining)
        out.discard(m)
        return out


def main() -> int:
    bad = 0
    for cargo in sorted(ROOT.glob("crates/*/Cargo.toml")) + sorted(ROOT.glob("tools/*/Cargo.toml")):
        crate = Crate(cargo.parent / "src")
        graph = {m: crate.uses(m) for m in crate.files}
        for a in sorted(graph):
            for b in sorted(graph[a]):
                if a < b and a in graph.get(b, ()):
                    print(f"{cargo.parent.relative_to(ROOT)}: {'::'.join(a) or 'crate'} <-> {'::'.join(b) or 'crate'}")
                    bad += 1
    print(f"{bad} pairs of modules that use each other")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

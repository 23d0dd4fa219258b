#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerate tests/abi/abi_probe.c from the installed libpsm2 headers.

Run by hand only (the build never runs it):
    python3 tests/abi/gen_abi_probe.py [/usr/include] > tests/abi/abi_probe.c

The reference headers are read, not copied: the script lists every macro,
enum constant, typedef, struct/union member and function they declare, and
writes a C program that
  * redeclares every function prototype and plain typedef exactly as the
    reference spells it (C11 rejects a redeclaration with another type),
  * asserts at compile time that every struct member has the reference type,
  * prints sizeof/alignof/offsetof of every aggregate and member, the value
    of every enum constant and the value, size and signedness of every
    integer macro.
Built once against our include/ and once against the system headers, the
two outputs must be identical (see compare_abi.sh).
"""
import re
import subprocess
import sys

HEADERS = ["psm2.h", "psm2_mq.h", "psm2_am.h"]

# Helpers of the generated probe; the probe compiles as C (gnu11) and as
# C++ (c++20) so that both languages are shown to see one layout.
PRELUDE = r"""#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifdef __cplusplus
#include <type_traits>
#define ABI_SAME_TYPE(agg, path, type) static_assert( \
    std::is_same<decltype(((agg *)0)->path), type>::value, \
    #agg "." #path " is not " #type)
#define ABI_ALIGNOF(t) alignof(t)
static inline const char *abi_int_type(int) { return "int"; }
static inline const char *abi_int_type(unsigned) { return "unsigned"; }
static inline const char *abi_int_type(long) { return "long"; }
static inline const char *abi_int_type(unsigned long) { return "unsigned long"; }
static inline const char *abi_int_type(long long) { return "long long"; }
static inline const char *abi_int_type(unsigned long long) { return "unsigned long long"; }
#define ABI_INT_TYPE(x) abi_int_type(x)
#else
#define ABI_SAME_TYPE(agg, path, type) _Static_assert( \
    __builtin_types_compatible_p(__typeof__(((agg *)0)->path), type), \
    #agg "." #path " is not " #type)
#define ABI_ALIGNOF(t) _Alignof(t)
#define ABI_INT_TYPE(x) _Generic((x), int: "int", unsigned: "unsigned", \
    long: "long", unsigned long: "unsigned long", long long: "long long", \
    unsigned long long: "unsigned long long", default: "other")
#endif
#define ABI_SIZE(t) printf("sizeof %s %zu align %zu\n", #t, sizeof(t), \
    (size_t)ABI_ALIGNOF(t))
#define ABI_MEMBER(agg, path) \
    printf("member %s.%s offset %zu size %zu align %zu\n", #agg, #path, \
           offsetof(agg, path), sizeof(((agg *)0)->path), \
           (size_t)__alignof__(((agg *)0)->path))
#define ABI_ENUM(c) printf("enum %s %lld\n", #c, (long long)(c))
#define ABI_INT_MACRO(m) printf("macro %s %#llx type %s\n", #m, \
    (unsigned long long)(m), ABI_INT_TYPE(m))
#define ABI_PTR_MACRO(m) printf("macro %s pointer %#llx\n", #m, \
    (unsigned long long)(uintptr_t)(m))
#define ABI_FUNCTION(f) printf("function %s\n", #f); (void)&f
"""


def strip_comments(path):
    """Header text without comments, keeping directives (gcc does the work)."""
    out = subprocess.run(["gcc", "-fpreprocessed", "-dD", "-E", "-P", path],
                         check=True, capture_output=True, text=True).stdout
    return out


def split_directives(text):
    """Return (#define list, C text outside directives and __cplusplus blocks)."""
    defines, code, skip = [], [], 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            if s.startswith("#ifdef __cplusplus"):
                skip += 1
            elif s.startswith("#endif") and skip:
                skip -= 1
            m = re.match(r"#\s*define\s+(\w+)(\(.*?\))?\s*(.*)$", s)
            if m and not m.group(2):
                defines.append((m.group(1), m.group(3).strip()))
            continue
        if not skip:
            code.append(line)
    return defines, "\n".join(code)


def split_top(text, sep=";"):
    """Split at sep where no brace/paren/bracket is open."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    tail = "".join(cur).strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


ATTR = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)")


def body_of(stmt):
    """(text before '{', body, text after matching '}')."""
    i = stmt.index("{")
    depth = 0
    for j in range(i, len(stmt)):
        if stmt[j] == "{":
            depth += 1
        elif stmt[j] == "}":
            depth -= 1
            if depth == 0:
                return stmt[:i], stmt[i + 1:j], stmt[j + 1:]
    raise ValueError("unbalanced braces: " + stmt)


def parse_members(body, prefix, members, enums):
    """Collect (access path, type text) of every member, flattening anonymous
    aggregates the way C11 does."""
    for decl in split_top(body):
        decl = norm(decl)
        if "{" in decl:
            head, inner, declarator = body_of(decl)
            declarator = norm(ATTR.sub("", declarator))
            if head.split()[-1] == "enum" or head.startswith("enum"):
                enums.extend(parse_enum(inner))
            if declarator:
                parse_members(inner, prefix + declarator + ".", members, enums)
            else:
                parse_members(inner, prefix, members, enums)
            continue
        plain = norm(ATTR.sub("", decl))
        m = re.match(r"^(.*?)(\w+)\s*(\[[^\]]*\])?$", plain)
        if not m:
            raise ValueError("member not understood: " + decl)
        type_text = norm(m.group(1) + (m.group(3) or ""))
        members.append((prefix + m.group(2), type_text))


def parse_enum(body):
    return [norm(item).split("=")[0].strip() for item in split_top(body, ",")]


def main():
    incdir = sys.argv[1] if len(sys.argv) > 1 else "/usr/include"
    defines, aggregates, enum_consts, enum_tags = [], [], [], []
    typedefs, redecls, functions = [], [], []
    for h in HEADERS:
        d, code = split_directives(strip_comments(f"{incdir}/{h}"))
        defines.extend(d)
        for stmt in split_top(code):
            stmt = norm(stmt)
            if stmt.startswith('extern "C"'):
                continue
            is_typedef = stmt.startswith("typedef ")
            rest = stmt[len("typedef "):] if is_typedef else stmt
            if "{" in rest:
                head, inner, declarator = body_of(rest)
                kind_tag = head.split()
                kind = kind_tag[0]
                tag = kind_tag[1] if len(kind_tag) > 1 else None
                name = f"{kind} {tag}" if tag else declarator.strip()
                if kind == "enum":
                    enum_consts.extend(parse_enum(inner))
                    if tag:
                        enum_tags.append(name)
                else:
                    members, inner_enums = [], []
                    parse_members(inner, "", members, inner_enums)
                    enum_consts.extend(inner_enums)
                    aggregates.append((name, members))
                if is_typedef and declarator.strip():
                    tname = declarator.strip()
                    typedefs.append(tname)
                    if tag:
                        redecls.append(f"typedef {kind} {tag} {tname};")
                continue
            if is_typedef:
                m = re.search(r"\(\s*\*\s*(\w+)\s*\)", rest) or \
                    re.search(r"(\w+)\s*(\[[^\]]*\])?$", rest)
                typedefs.append(m.group(1))
                redecls.append(stmt + ";")
                continue
            if "(" in stmt:
                fname = re.search(r"(\w+)\s*\(", stmt).group(1)
                functions.append(fname)
                redecls.append(stmt + ";")
                continue
            raise ValueError("top-level statement not understood: " + stmt)

    w = sys.stdout.write
    w("/* GENERATED by tests/abi/gen_abi_probe.py from the libpsm2 11.2 headers;\n"
      "   do not edit. Prints the binary interface of psm2.h, psm2_mq.h and\n"
      "   psm2_am.h, one fact a line; the declarations below fail to compile\n"
      "   if the headers in use declare anything with another type. */\n")
    for h in HEADERS:
        w(f"#include <{h}>\n")
    w(PRELUDE)
    w("\n/* Redeclarations as the reference headers spell them. In C++ the\n"
      "   C linkage turns an overload into a conflict. */\n")
    w("#ifdef __cplusplus\nextern \"C\" {\n#endif\n")
    for r in redecls:
        w(r + "\n")
    w("#ifdef __cplusplus\n}\n#endif\n")
    w("\n/* Every member has the reference type. */\n")
    for name, members in aggregates:
        for path, type_text in members:
            w(f"ABI_SAME_TYPE({name}, {path}, {type_text});\n")
    w("\nint main(void)\n{\n")
    for name, members in aggregates:
        w(f"\tABI_SIZE({name});\n")
        for path, _ in members:
            w(f"\tABI_MEMBER({name}, {path});\n")
    for t in enum_tags:
        w(f"\tABI_SIZE({t});\n")
    for t in typedefs:
        w(f"\tABI_SIZE({t});\n")
    for c in enum_consts:
        w(f"\tABI_ENUM({c});\n")
    for name, value in defines:
        if value == "":
            w(f"#ifdef {name}\n\tprintf(\"macro {name} defined\\n\");\n#endif\n")
        elif re.match(r"^\(\(\w+\)\s*\(?(-?\d+|NULL)\)?\)$", value):
            w(f"\tABI_PTR_MACRO({name});\n")
        else:
            w(f"\tABI_INT_MACRO({name});\n")
    for f in functions:
        w(f"\tABI_FUNCTION({f});\n")
    w(f"\tprintf(\"counts aggregates {len(aggregates)} typedefs {len(typedefs)} "
      f"enum-constants {len(enum_consts)} macros {len(defines)} "
      f"functions {len(functions)}\\n\");\n")
    w("\treturn 0;\n}\n")


if __name__ == "__main__":
    main()

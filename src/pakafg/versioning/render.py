"""A diff for people: text (terminal), Markdown (CI job summaries, changelog entries)."""

from __future__ import annotations

from .diff import Diff, _json

LIST_LIMIT = 50  # IDs listed per table and kind (JSON lists all)


def _key_text(key: tuple) -> str:
    return " / ".join("∅" if v is None else str(_json(v)) for v in key)


def _value_text(value) -> str:
    if value is None:
        return "null"
    if not isinstance(value, str):
        return str(_json(value))
    return repr(value) if len(value) <= 80 else repr(value[:77] + "...")


def _change_text(old, new) -> tuple[str, str]:
    """Both values for display; long texts are cut around the first difference so it stays visible."""
    if not (isinstance(old, str) and isinstance(new, str)) or max(len(old), len(new)) <= 80:
        return _value_text(old), _value_text(new)
    start = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    cut = max(0, start - 30)

    def window(text: str) -> str:
        piece = text[cut:cut + 70]
        return repr(("..." if cut else "") + piece + ("..." if cut + 70 < len(text) else ""))

    return window(old), window(new)


def render_text(d: Diff) -> str:
    lines = [f"{d.base_label} -> {d.head_label}"]
    if d.empty:
        lines.append("no changes")
    if d.schema:
        lines.append("schema changes:")
        lines += [f"  {c.where()}: {c.detail}  [{c.bump}]" for c in d.schema]
    changed_tables = [t for t in d.tables if not t.empty]
    if changed_tables:
        lines.append("records (+ added, - removed, ~ changed):")
    for t in changed_tables:
        lines.append(f"  {t.table}: +{len(t.added)} -{len(t.removed)} ~{len(t.changed)}")
        for sign, keys in (("+", t.added), ("-", t.removed)):
            lines += [f"    {sign} {_key_text(k)}" for k in keys[:LIST_LIMIT]]
            if len(keys) > LIST_LIMIT:
                lines.append(f"    … and {len(keys) - LIST_LIMIT} more")
        for key, changes in t.changed[:LIST_LIMIT]:
            lines.append(f"    ~ {_key_text(key)}")
            lines += [f"        {f}: {' -> '.join(_change_text(o, n))}" for f, (o, n) in changes.items()]
        if len(t.changed) > LIST_LIMIT:
            lines.append(f"    … and {len(t.changed) - LIST_LIMIT} more")
    lines.append(f"required bump: {d.required_bump}")
    lines.append(verdict(d))
    return "\n".join(lines) + "\n"


def verdict(d: Diff) -> str:
    """What the changes mean for the next release (contributors never edit the version: `pakafg release` does)."""
    if d.required_bump == "none":
        return "no release needed for these changes"
    if d.next_version:
        return f"the next release will be {d.next_version} ({d.required_bump} bump after {d.latest_release}; `pakafg release` sets it)"
    return f"these changes need a {d.required_bump} release"


def md_code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Diff, heading: str | None = "##", with_verdict: bool = True) -> str:
    """The diff as Markdown (CI job summaries; changelog entries)."""
    out = []
    if heading:
        out.append(f"{heading} Data diff: {d.base_label} → {d.head_label}\n")
    h3 = (heading or "##") + "#"
    if d.empty:
        out.append("No changes to the data or the schemas.\n")
    if d.schema:
        out.append(f"{h3} Schema changes\n")
        out += [f"- {md_code(c.where())}: {c.detail} ({c.bump})" for c in d.schema]
        out.append("")
    changed_tables = [t for t in d.tables if not t.empty]
    if changed_tables:
        out.append(f"{h3} Records\n")
        out.append("| table | added | removed | changed |\n|---|---:|---:|---:|")
        out += [f"| {t.table} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} |" for t in changed_tables]
        out.append("")
        for t in changed_tables:
            for label, keys in (("added", t.added), ("removed", t.removed)):
                if keys:
                    shown = ", ".join(md_code(_key_text(k)) for k in keys[:LIST_LIMIT])
                    more = f" and {len(keys) - LIST_LIMIT} more" if len(keys) > LIST_LIMIT else ""
                    out.append(f"- **{t.table}** {label}: {shown}{more}")
            for key, changes in t.changed[:LIST_LIMIT]:
                fields = "; ".join(f"{f}: {_md_cell(' → '.join(_change_text(o, n)))}" for f, (o, n) in changes.items())
                out.append(f"- **{t.table}** changed {md_code(_key_text(key))}: {fields}")
            if len(t.changed) > LIST_LIMIT:
                out.append(f"- **{t.table}**: … and {len(t.changed) - LIST_LIMIT} more changed")
        out.append("")
    if with_verdict:
        out.append(f"Required bump: **{d.required_bump}**: {verdict(d)}.\n")
    return "\n".join(out)



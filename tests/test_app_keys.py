"""Session keys of the app, read from its code: a choice `session.localized` keeps under a
key must not share it with a widget's own key (a camera picker's choice stored under the
camera input's key once made Predict fail on `getvalue`)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "app").glob("*.py")),
         *sorted((ROOT / "app_pages").glob("*.py"))]  # fmt: skip


def _key(node: ast.Call) -> tuple[str, ...] | None:
    """The `key=` of a call as its parts: literal text, and None for each {field}."""
    for kw in node.keywords:
        if kw.arg == "key":
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return (kw.value.value,)
            if isinstance(kw.value, ast.JoinedStr):
                return tuple(v.value if isinstance(v, ast.Constant) else None
                             for v in kw.value.values)  # fmt: skip
    return None


def _calls():
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and (key := _key(node)) is not None:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                yield name, key, f"{path.relative_to(ROOT)}:{node.lineno}"


def _clash(a: tuple, b: tuple) -> bool:
    """Whether two keys can be the same string (a field can be anything)."""

    def pattern(parts):
        return re.compile("".join(".+" if p is None else re.escape(p) for p in parts))

    def sample(parts):
        return "".join("x" if p is None else p for p in parts)

    return bool(pattern(a).fullmatch(sample(b)) or pattern(b).fullmatch(sample(a)))


def test_a_localized_choice_never_shares_a_widget_key():
    calls = list(_calls())
    choices = [(k, where) for name, k, where in calls if name == "localized"]
    widgets = [(k, where) for name, k, where in calls if name != "localized"]
    assert len(choices) >= 10 and len(widgets) >= 10  # the reading itself works
    clashes = [(c, w) for c in choices for w in widgets if _clash(c[0], w[0])]
    assert not clashes, clashes

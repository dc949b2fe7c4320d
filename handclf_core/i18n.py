"""The app's languages: English and Traditional Chinese (zh-TW), from gettext catalogues.

Every string the app shows is looked up by a key ("dataset.title") in the `.po` catalogues
under `handclf_core/locales/<lang>/LC_MESSAGES/`, one file per part of the app (app.po,
dataset.po, ...), all of the same gettext domain. Babel reads them and compiles them into
one gettext catalogue per language when first used, so a `.po` edit shows on the next start
without a build step. Keys are literal strings in calls to `t("key")` (or `N_("key")` where a
key is named before it is translated), so `tests/test_i18n.py` can extract them with Babel
and fail on a key missing from either language or a catalogue entry nothing uses. Class
names are the one computed key: `class.<task>.<id name>`, for every class in config.CLASSES.

Values go in with `str.format` fields: t("train.epoch", epoch=3, epochs=10) with the
catalogue text "Epoch {epoch} of {epochs}". The CLI stays English and does not use this.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from handclf_core.vocab import CLASSES, Term, model_key

LANGUAGES = {"en": "English", "zh_TW": "繁體中文"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).parent / "locales"


def N_(key: str) -> str:  # noqa: N802 (gettext's name for "mark for translation later")
    """Mark `key` as a catalogue key without translating it (for tables of keys)."""
    return key


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po"))


def read_catalogue(lang: str) -> dict[str, str | tuple[str, ...]]:
    """{key: text} of every `.po` file of `lang`; a key with plural forms (`msgid_plural`
    "<key>.plural") maps to the tuple of its forms, as the language has them (English two,
    Chinese one). ValueError on a key defined twice."""
    from babel.messages.pofile import read_po

    merged: dict[str, str | tuple[str, ...]] = {}
    where: dict[str, str] = {}
    for po in catalogue_files(lang):
        with po.open("rb") as f:
            for message in read_po(f, locale=lang):
                if not message.id:
                    continue  # the header
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                if key in merged:
                    raise ValueError(f"{po}: key {key!r} is also in {where[key]}")
                string = message.string
                merged[key] = tuple(string) if isinstance(string, list | tuple) else string
                where[key] = po.name
    return merged


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext catalogue of `lang`, compiled in memory from its `.po` files; English
    answers for any key zh-TW lacks, and the key itself answers when English lacks it too."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale=lang, domain="handcam")
    for key, text in read_catalogue(lang).items():
        if isinstance(text, tuple):  # plural forms
            if all(text):
                catalog.add((key, f"{key}.plural"), text)
        elif text:
            catalog.add(key, text)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    if lang != DEFAULT_LANGUAGE:
        compiled.add_fallback(translations(DEFAULT_LANGUAGE))
    return compiled


def translate(lang: str, key: str, **values) -> str:
    """The text of `key` in `lang`, with `values` filled into its `{fields}`."""
    text = translations(lang).gettext(key)
    return text.format(**values) if values else text


def translate_count(lang: str, key: str, count: int, **values) -> str:
    """The form of plural key `key` for `count` in `lang` ("1 run", "3 runs"; "3 筆"), with
    `count` and `values` filled in."""
    return translations(lang).ngettext(key, f"{key}.plural", count).format(count=count, **values)


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)` for one language: what charts and pages call."""
    return lambda key, **values: translate(lang, key, **values)


def name(term: Term, lang: str = "en", **values) -> str:
    """How a vocabulary term is shown in `lang`, `values` filled into its {fields}:
    name(Split.TEST, "zh_TW") == "測試集"; name(DeviceKind.CPU, count=2) == "CPU (2 cores)"."""
    return translate(lang, term.key, **values)


def duration(seconds: float, lang: str = "en") -> str:
    """A time as a reader of `lang` says it: "42 s", "4 min 54 s", "1 h 05 min" (hours once
    past one, never "65:58 (min:s)")."""
    s = max(0, int(round(seconds)))
    if s >= 3600:  # to the minute
        h, m = divmod(int(round(s / 60)), 60)
        return translate(lang, N_("work.hours"), h=h, m=m)
    m = s // 60
    if m:
        return translate(lang, N_("work.minutes"), m=m, s=s % 60)
    return translate(lang, N_("work.seconds"), s=s)


def model_name(model: str, lang: str = "en") -> str:
    """A registered model as shown everywhere ("Mnist-style CNN" for `mnist`); a name the
    catalogue does not know stays as it is."""
    key = model_key(model)
    text = translate(lang, key)
    return model if text == key else text


def class_key(task: str, name: str) -> str:
    return f"class.{task}.{name}"


def class_keys() -> list[str]:
    """The computed keys: one per class of every task."""
    return [class_key(task, name) for task, names in CLASSES.items() for name in names]


def class_name(lang: str, task: str, name: str) -> str:
    """A class as a reader of `lang` names it, with the dataset's id name kept beside a
    translation: "cookie" in English, "餅乾 cookie" in zh-TW."""
    text = translate(lang, class_key(task, name))
    return name if text in (name, class_key(task, name)) else f"{text} {name}"


def language_from_locale(locale: str | None) -> str:
    """The app language for a browser locale ("zh-TW", "zh-Hant-HK", "en-US", None):
    Traditional Chinese for zh-TW, zh-HK, zh-MO and zh-Hant; English otherwise."""
    parts = (locale or "").replace("_", "-").lower().split("-")
    if parts[0] == "zh" and ({"tw", "hk", "mo", "hant"} & set(parts[1:])):
        return "zh_TW"
    return DEFAULT_LANGUAGE

"""English and Traditional Chinese: the catalogues match the code, and every page in zh-TW
shows no English lesson text (the dataset's id names, model names and units excepted)."""

import ast
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from streamlit.testing.v1 import AppTest

from handclf_core import i18n, vocab
from handclf_core.data.layout import CAMERAS
from handclf_core.models import list_models
from handclf_core.vocab import CLASSES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
UI_FILES = [
    ROOT / "streamlit_app.py",
    *sorted((ROOT / "app").glob("*.py")),
    *sorted((ROOT / "app_pages").glob("*.py")),
    *sorted((ROOT / "handclf_core").rglob("*.py")),
]
# t("key", **values), tn("key", count, **values) and N_("key"): the key comes first.
KEYWORDS = {"t": None, "tn": None, "N_": None}
FIELDS = re.compile(r"\{([A-Za-z_]+)[^{}]*\}")


def _used_keys() -> dict[str, str]:
    """{key: "file:line"} of every catalogue key in the code, extracted by Babel."""
    used = {}
    for path in UI_FILES:
        for line, key, _, _ in extract_from_file("python", path, keywords=KEYWORDS):
            used.setdefault(key, f"{path.relative_to(ROOT)}:{line}")
    for key in i18n.class_keys():
        used.setdefault(key, "handclf_core/vocab.py CLASSES")
    for key in vocab.catalogue_keys():
        used.setdefault(key, "handclf_core/vocab.py")
    for model in list_models():
        used.setdefault(vocab.model_key(model), "handclf_core/models.py registry")
    return used


def test_every_key_is_a_literal_string():
    """A computed key (t(f"...")) would escape the extraction the coverage tests rely on.
    N_ takes literals only; t takes a literal, or a variable holding an N_-marked key."""
    bad = []
    for path in UI_FILES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in KEYWORDS:
                continue
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            variable = isinstance(first, ast.Name | ast.Subscript | ast.Attribute)
            if not (literal or (name == "t" and variable)):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"catalogue keys must be literal strings: {bad}"


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_key_used_has_a_translation(lang):
    catalogue = i18n.read_catalogue(lang)
    missing = {k: where for k, where in _used_keys().items() if not catalogue.get(k)}
    assert not missing, f"keys without a {lang} translation: {missing}"


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_no_catalogue_key_is_unused(lang):
    unused = set(i18n.read_catalogue(lang)) - set(_used_keys())
    assert not unused, f"{lang} catalogue keys nothing uses: {sorted(unused)}"


def test_translations_keep_the_fields_and_markdown_blocks():
    en, zh = i18n.read_catalogue("en"), i18n.read_catalogue("zh_TW")
    for key, text in en.items():
        forms = text if isinstance(text, tuple) else (text,)  # plural keys: every form
        for form in forms + (zh[key] if isinstance(zh[key], tuple) else (zh[key],)):
            assert set(FIELDS.findall(form)) == set(FIELDS.findall(forms[0])), key
        theirs = zh[key] if isinstance(zh[key], str) else zh[key][0]
        assert forms[0].count("## ") == theirs.count("## "), key  # same sections


def test_plural_forms_come_from_the_catalogue():
    assert i18n.translate_count("en", "compare.runs", 1) == "1 run"
    assert i18n.translate_count("en", "compare.runs", 3) == "3 runs"
    assert i18n.translate_count("zh_TW", "compare.runs", 3) == "3 筆訓練紀錄"


def test_translate_fills_values_and_falls_back_to_english(monkeypatch):
    assert i18n.translate("zh_TW", "work.stage_count", stage="解碼", done=1234, total=5000) == (
        "解碼：1,234／5,000"
    )
    assert i18n.translate("en", "work.stage_count", stage="decoding", done=1, total=2) == (
        "decoding: 1 of 2"
    )
    assert i18n.translate("en", "no.such.key") == "no.such.key"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.translations("fr")


def test_class_names_keep_the_id_name():
    assert i18n.class_name("en", "obj", "cookie") == "cookie"
    assert i18n.class_name("zh_TW", "obj", "cookie") == "餅乾 cookie"
    assert i18n.class_name("zh_TW", "ges", "tripod") == "三指抓握 tripod"


@pytest.mark.parametrize(
    "locale, lang",
    [
        ("zh-TW", "zh_TW"),
        ("zh-Hant-HK", "zh_TW"),
        ("zh_TW", "zh_TW"),
        ("zh-CN", "en"),
        ("en-US", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_language_from_browser_locale(locale, lang):
    assert i18n.language_from_locale(locale) == lang


# --- Every page in zh-TW ---

# Latin-letter words a zh-TW page may show: the dataset's and models' id names, file and
# library names, units, and the bilingual language switch. Anything else is English left.
ALLOWED = {
    *(w for names in CLASSES.values() for n in names for w in re.split(r"[-\s]", n)),
    *CLASSES,
    *CAMERAS,
    *(w for m in list_models() for w in m.split("_")),
    *"""HandCam AlexNet MNIST CIFAR Keras TensorFlow JAX Streamlit ECCV Chan RGB PNG JPEG
    CPU GPU NVIDIA AMD EPYC Adam Adadelta SGD ReLU softmax img zip frames labels
    Lhand Rhand head Language English cnn conv dense uint float json keras npy cache runs
    sklearn scikit learn F1 AP PR Vega Altair kB MB GB TB bfloat AVX BF lr PCA SNE HTML
    Markdown PDF""".split(),
}
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
SKIP_FIELDS = {
    "id",
    "form_id",
    "key",
    "icon",
    "spec",
    "data",
    "datasets",
    "url_path",
    "type",
    "theme",
    "page",
    "page_script_hash",
    "uuid",  # a styled table's id (pandas Styler's "T_ddb92")
    "deferred_file_id",  # a download button's file, made when it is clicked
    "selection_mode",  # a chart's selection parameter names (`CELL`)
}


def _proto_strings(message, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.name in SKIP_FIELDS:
            continue
        if field.name == "columns" and isinstance(value, str):  # a table's column settings
            for header, config in json.loads(value or "{}").items():
                out += [header, *(config.get(k) for k in ("label", "help") if config.get(k))]
            continue
        repeated = not isinstance(value, str | bytes) and hasattr(value, "__len__")
        values = value if repeated and not hasattr(value, "ListFields") else [value]
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif hasattr(v, "ListFields"):
                _proto_strings(v, out)


def _chart_titles(spec, out: list[str]) -> None:
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == "title" and isinstance(v, str | list):
                out.extend([v] if isinstance(v, str) else [x for x in v if isinstance(x, str)])
            else:
                _chart_titles(v, out)
    elif isinstance(spec, list):
        for v in spec:
            _chart_titles(v, out)


def page_texts(at: AppTest) -> list[str]:
    """Every string the page shows: element and widget texts, and chart titles."""
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            _proto_strings(proto, out)
            if getattr(node, "type", "") == "vega_lite_chart":
                _chart_titles(json.loads(proto.spec), out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def english_left(texts: list[str]) -> list[str]:
    """Texts with a Latin word outside ALLOWED (code spans, paths and ids ignored)."""
    left = []
    for text in texts:
        if text.lstrip().startswith("<style>"):
            continue  # the page's CSS (app.session.style), not words
        bare = re.sub(r"`[^`]*`", " ", text)  # code: ids, commands
        bare = re.sub(r"\S*[/_.\\]\S*", " ", bare)  # paths, file names, snake_case ids
        bare = re.sub(r"#[0-9a-f]+", " ", bare)  # a run's short hash
        words = [w for w in WORD.findall(bare) if w not in ALLOWED and w.lower() not in ALLOWED]
        if words:
            left.append(f"{words} in {text[:120]!r}")
    return left


def open_page(data, page: str | None = None, lang: str = "en", **state) -> AppTest:
    """The app on the dataset `data` in `lang`, with `state` in its session, switched to
    `page` (None: Home), with no exception shown."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_spec"] = str(data)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def zh_page(sample_root, page: str | None) -> AppTest:
    return open_page(sample_root, page, "zh_TW")


def test_home_in_zh_tw_has_no_english(sample_root):
    at = zh_page(sample_root, None)
    assert at.title[0].value == "HandCam 課堂：手裡拿著什麼？"
    assert not english_left(page_texts(at)), english_left(page_texts(at))


def test_the_checker_finds_english():
    assert english_left(["訓練影格", "`free` 空手", "cache/runs/x_y", "餅乾 cookie"]) == []
    assert english_left(["Training frames: 3"]) == ["['Training'] in 'Training frames: 3'"]


def test_switching_language_keeps_the_sidebar_choices(sample_root):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    at.selectbox(key="task.en").set_value("ges").run()
    assert at.title[0].value.startswith("HandCam classroom")
    at.selectbox(key="lang_switch").set_value("zh_TW").run()
    assert not at.exception
    assert at.title[0].value.startswith("HandCam 課堂")
    assert at.selectbox(key="task.zh_TW").value == "ges"  # a box per language
    assert at.text_input(key="data_spec").value == str(sample_root)
    assert at.sidebar.text_input[0].label.startswith("資料集")


PAGES = [
    "app_pages/1_Dataset.py",
    "app_pages/2_Preprocessing.py",
    "app_pages/3_Train.py",
    "app_pages/4_Compare.py",
    "app_pages/5_Predict.py",
]


@pytest.mark.parametrize("page", PAGES, ids=[Path(p).stem for p in PAGES])
def test_page_in_zh_tw_has_no_english(sample_root, tiny_run, flip_run, page):
    """Each page as it first opens, with stored runs for Compare and Predict to show."""
    at = zh_page(sample_root, page)
    texts = page_texts(at)
    assert len(texts) > 10, texts
    assert not english_left(texts), english_left(texts)


def _run_choice(at, key: str):
    """Compare's run looked at up close: a radio, a select box beyond 12 runs."""
    try:
        return at.radio(key=key)
    except KeyError:
        return at.selectbox(key=key)


def test_switching_language_keeps_a_page_choices(sample_root, sample_ds, tiny_run, flip_run):
    """The page's widgets are keyed, so new labels in another language keep their values."""
    from handclf_core.runs.folders import list_runs

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    at.switch_page("app_pages/4_Compare.py").run()
    second = _run_choice(at, "compare.run.en").options[1]
    names = [r.name for r in list_runs(sample_ds.identity, "obj")]
    _run_choice(at, "compare.run.en").set_value(names[1]).run()
    at.toggle(key="compare.report").set_value(False).run()
    at.session_state["lang"] = "zh_TW"  # what the sidebar's switch writes (AppTest runs a
    at.run()  # switched-to page without the entrypoint's sidebar; the browser test uses it)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "比較各個模型"
    assert _run_choice(at, "compare.run.zh_TW").value == names[1]
    assert _run_choice(at, "compare.run.zh_TW").options[1] != second  # relabelled in Chinese
    assert at.toggle(key="compare.report").value is False


# --- The vocabulary ---


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_term_and_model_has_a_name_in_every_language(lang):
    """A new split, stage or language needs its names in vocab.po and nothing else."""
    catalogue = i18n.read_catalogue(lang)
    for kind in vocab.TERMS:
        for member in kind:
            assert catalogue.get(member.key), f"{member.key} has no {lang} name"
            values = {
                "count": 2,
                "name": "X",
                "split": "S",
                "width": 1,
                "height": 1,
                "size": 32,
                "confidence": 0.2,
                "floor": 0.3,
            }
            assert i18n.name(member, lang, **values) != member.key
    for model in list_models():
        assert catalogue.get(vocab.model_key(model)), f"model {model} has no {lang} name"


def test_names_come_from_the_one_vocabulary():
    from handclf_core.training.progress import Step, describe

    assert i18n.name(vocab.Split.TEST, "zh_TW") == "測試集"
    assert i18n.name(vocab.DeviceKind.CPU, "en", count=2) == "CPU (2 cores)"
    assert i18n.model_name("mnist") == "Mnist-style CNN" and i18n.model_name("vgg") == "vgg"
    step = Step(vocab.Stage.SCORING, split=vocab.Split.TEST)
    assert describe(step) == "scoring the test split"
    assert describe(step, "zh_TW") == "在測試集上評分"
    assert vocab.Stage.SCORING.key == "stage.scoring"
    assert vocab.DeviceKind.GPU.key == "device_kind.gpu"
    assert vocab.Camera.RHAND.hand == vocab.Hand.RIGHT and vocab.Camera.HEAD.hand is None

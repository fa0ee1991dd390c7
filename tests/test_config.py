from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from waitbuddy import config
from waitbuddy.keys import APP_KEYS

REPO = Path(__file__).resolve().parent.parent


def problems_of(text: str | bytes) -> list[str]:
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text, "config.toml")
    return str(caught.value).splitlines()


def test_missing_file_means_defaults(tmp_path: Path):
    loaded = config.load(tmp_path / "nope.toml")
    assert loaded == config.Config()
    assert loaded.path is None
    assert loaded.ui.theme == "" and loaded.ui.layout == "auto" and dict(loaded.keymap) == {}


def test_missing_file_named_explicitly_is_an_error(tmp_path: Path):
    with pytest.raises(config.ConfigError, match="config file not found"):
        config.load(tmp_path / "nope.toml", must_exist=True)


def test_directory_and_unreadable_file(tmp_path: Path):
    with pytest.raises(config.ConfigError, match="is a directory"):
        config.load(tmp_path)


def test_empty_file_is_valid(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text("")
    assert config.load(path) == config.Config()
    assert config.load(path).path == path


def test_valid_values(tmp_path: Path):
    loaded = config.parse('[ui]\ntheme = "nord"\nlayout = "stacked"\n[keymap]\nquit = "ctrl+x, x"\nhelp = "?"\n')
    assert loaded.ui.theme == "nord" and loaded.ui.layout == "stacked"
    assert dict(loaded.keymap) == {"quit": "ctrl+x,x", "help": "?"}


def test_config_is_frozen():
    loaded = config.parse('[ui]\ntheme = "nord"\n')
    with pytest.raises(FrozenInstanceError):
        loaded.ui.theme = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.keymap["quit"] = "x"  # type: ignore[index]


def test_wrong_type_names_file_line_key_and_expectation():
    assert problems_of('# comment\n[ui]\n\ntheme = 5\n') == ["config.toml:4: [ui] theme: expected a string, got 5"]


def test_wrong_choice():
    assert problems_of('[ui]\nlayout = "wide"\n') == [
        'config.toml:2: [ui] layout: expected one of "auto", "stacked", "side-by-side", got "wide"'
    ]


def test_bool_is_not_a_string_and_arrays_are_named():
    assert problems_of("[ui]\ntheme = true\nlayout = [1]\n") == [
        "config.toml:2: [ui] theme: expected a string, got true",
        'config.toml:3: [ui] layout: expected one of "auto", "stacked", "side-by-side", got an array',
    ]


def test_check_of_each_scalar_type():
    assert config._check("yes", bool, None) == 'expected true or false, got "yes"'
    assert config._check(True, int, None) == "expected a whole number, got true"
    assert config._check(1.5, int, None) == "expected a whole number, got 1.5"
    assert config._check("1", float, None) == 'expected a number, got "1"'
    assert config._check(2, float, None) is None


def test_unknown_key_gets_a_suggestion():
    assert problems_of('[ui]\nthem = "nord"\n') == ['config.toml:2: [ui] them: unknown key; did you mean "theme"?']


def test_unknown_key_without_a_close_match():
    assert problems_of("[ui]\nzzz = 1\n") == ["config.toml:2: [ui] zzz: unknown key"]


def test_unknown_table_gets_a_suggestion():
    assert problems_of("[uii]\ntheme = 1\n") == ["config.toml:1: [uii]: unknown table; did you mean [ui]?"]


def test_top_level_key_that_belongs_in_a_table():
    assert problems_of('theme = "nord"\n') == ["config.toml:1: theme: unknown top-level key; it belongs in the [ui] table"]


def test_section_that_is_not_a_table():
    assert problems_of('ui = "nord"\nkeymap = 3\n') == [
        'config.toml:1: [ui]: expected a table, got "nord"',
        "config.toml:2: [keymap]: expected a table, got 3",
    ]


def test_keymap_errors():
    lines = problems_of(
        '[keymap]\nquitt = "x"\nhelp = 5\nzoom = "ctl+z"\narea-runs = ""\n"area-feeds" = "ctrl+"\n'
    )
    assert lines == [
        'config.toml:2: [keymap] quitt: unknown binding id; did you mean "quit"? (`waitbuddy keys` lists them)',
        'config.toml:3: [keymap] help: expected keys as a string such as "ctrl+q" or "x,f2", got 5',
        "config.toml:4: [keymap] zoom: unknown modifier 'ctl' (use ctrl, shift, alt, meta, super, hyper) in \"ctl+z\"",
        'config.toml:5: [keymap] area-runs: expected at least one key in ""',
        "config.toml:6: [keymap] area-feeds: 'ctrl+' ends in '+' (the plus key is written 'plus') in \"ctrl+\"",
    ]


def test_keymap_accepts_textual_key_names():
    loaded = config.parse('[keymap]\nhelp = "question_mark,f2"\nzoom = "ctrl+shift+z"\nquit = "escape"\n')
    assert loaded.keymap["help"] == "question_mark,f2"


def test_every_problem_is_reported_in_line_order():
    lines = problems_of('[keymap]\nbogus = "x"\n[ui]\nlayout = 1\ntheme = 2\n')
    assert [line.split(":")[1] for line in lines] == ["2", "4", "5"]


def test_toml_syntax_error_has_line_and_column():
    assert problems_of('[ui]\ntheme = "unterminated\n') == [
        "config.toml:2: invalid TOML at column 22: Illegal character '\\n'"
    ]
    assert problems_of("[ui\n")[0].startswith("config.toml:1: invalid TOML at column 4:")


def test_duplicate_key_is_a_syntax_error():
    assert "config.toml:3: invalid TOML" in problems_of('[ui]\ntheme = "a"\ntheme = "b"\n')[0]


def test_not_utf8():
    assert problems_of(b'[ui]\ntheme = "\xff"\n') == ["config.toml:2: not UTF-8 text (TOML files must be UTF-8)"]


def test_hostile_values_are_shown_safely():
    (line,) = problems_of('[ui]\nlayout = "\\u001b]52;c;aGk=\\u0007x"\n')
    assert "\x1b" not in line and "\x07" not in line


def test_load_reports_the_real_path(tmp_path: Path):
    path = tmp_path / "my.toml"
    path.write_text("[ui]\ntheme = 1\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    assert str(caught.value) == f"{path}:2: [ui] theme: expected a string, got 1"


def test_for_key_locates_a_late_problem(tmp_path: Path):
    path = tmp_path / "c.toml"
    path.write_text('[keymap]\n\n[ui]\nlayout = "auto"\ntheme = "nrod"\n')
    error = config.ConfigError.for_key(path, "ui", "theme", "unknown theme")
    assert str(error) == f"{path}:5: [ui] theme: unknown theme"


def test_example_at_repo_root_is_current_and_loads():
    example = REPO / "config.toml.example"
    assert example.read_text(encoding="utf-8") == config.render_example(), (
        "config.toml.example is stale: python -m waitbuddy config init --stdout > config.toml.example"
    )
    assert config.load(example) == config.Config()


def test_example_documents_every_key_and_binding():
    text = config.render_example()
    for name, cls in config._SECTIONS.items():
        assert f"[{name}]" in text
        for field in cls.__dataclass_fields__:
            assert f"\n{field} = " in text or f"[[{name}.{field}]]" in text or f"\n[{name}.{field}]\n" in text
    for spec in APP_KEYS:
        assert f"# {spec.id} = " in text


def test_example_keymap_lines_are_valid_when_uncommented():
    text = config.render_example().replace("# quit = ", "quit = ").replace("# zoom = ", "zoom = ")
    loaded = config.parse(text)
    assert loaded.keymap["quit"] == "q" and loaded.keymap["zoom"] == "z"



USER_FORMAT = r"""
[[runs.formats]]
name = "mine"
pattern = 'it (?P<done>\d+)/(?P<total>\d+) .*loss (?P<loss>[\d.]+)'
samples = ["it 120/5000 took 0.31s loss 2.3041"]
"""


def test_user_formats_load():
    (user_format,) = config.parse(USER_FORMAT).runs.formats
    assert user_format.name == "mine" and user_format.samples == ("it 120/5000 took 0.31s loss 2.3041",)
    assert user_format.pattern == r"it (?P<done>\d+)/(?P<total>\d+) .*loss (?P<loss>[\d.]+)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("loss 2.3041", "loss x"), 'pattern: does not match sample 1: "it 120/5000 took 0.31s loss x"'),
        (("(?P<done>", "(?P<done"), "pattern: not a valid regular expression"),
        (('name = "mine"\n', ""), "name: expected a name (a string), got None"),
        (("samples", "sample"), 'unknown key; did you mean "samples"?'),
        (('["it 120/5000 took 0.31s loss 2.3041"]', "[]"), "samples: expected a list of sample log lines"),
        ((r"(?P<done>\d+)/(?P<total>\d+) .*loss (?P<loss>[\d.]+)", "it"), "pattern: needs named groups"),
        ((r"(?P<loss>[\d.]+)", r"(?P<loss>\w+)"), None),
    ],
)
def test_user_format_errors_name_the_format_and_line(change, message):
    text = USER_FORMAT.replace(*change)
    if message is None:
        config.parse(text)  # \w+ still matches the number in the sample: valid
        return
    (line,) = problems_of(text)
    assert line.startswith("config.toml:2: [[runs.formats]]") and message in line, line


def test_user_format_group_must_be_numeric():
    text = USER_FORMAT.replace(r"(?P<loss>[\d.]+)", r"(?P<loss>\w+)").replace("loss 2.3041", "loss abc")
    (line,) = problems_of(text)
    assert "group 'loss' matched \"abc\" in sample 1, expected a number" in line


def test_nested_tables_and_lists():
    loaded = config.parse('[alerts]\nmilestones = [50, 90]\ncommand = ["/bin/alert", "--loud"]\n'
                          '[alerts.ntfy]\ntopic = "wb-secret"\n[alerts.webhook]\nstyle = "discord"\n')
    assert loaded.alerts.milestones == (50, 90) and loaded.alerts.command == ("/bin/alert", "--loud")
    assert loaded.alerts.ntfy.topic == "wb-secret" and loaded.alerts.ntfy.server == "https://ntfy.sh"
    assert loaded.alerts.webhook.style == "discord"


def test_alerts_errors_read_like_the_issue_asks():
    assert problems_of('[alerts]\nbell = "yes"\n') == ['config.toml:2: [alerts] bell: expected true or false, got "yes"']
    assert problems_of("[alerts]\nmilestones = [50, true]\ncommand = \"notify\"\n[alerts.ntfy]\ntopik = 1\n") == [
        "config.toml:2: [alerts] milestones: expected a list of whole numbers, got an array",
        'config.toml:3: [alerts] command: expected a list of strings, got "notify"',
        'config.toml:5: [alerts.ntfy] topik: unknown key; did you mean "topic"?',
    ]
    assert problems_of('[alerts]\nntfy = "x"\n') == ['config.toml:2: [alerts] ntfy: expected a table, got "x"']

"""The config engine is generic (issue 12): a new array of tables, at the top level or inside a
section, is one dataclass and one field; building, errors with lines, suggestions and the
example all come from the declaration, with no edit to config.py."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pytest

from waitbuddy import config

FEEDS_EXAMPLE = """\
# Feeds to follow (none by default).
# [[feeds]]
# url = "https://arxiv.org/rss/cs.LG"
# name = "arXiv cs.LG"
# tags = ["papers"]
# refresh_minutes = 60
"""


@dataclass(frozen=True)
class Feed:
    url: str = field(metadata={"doc": "The feed's address.", "url": True})
    name: str = field(default="", metadata={"doc": "Shown instead of the feed's title.", "label": True})
    tags: tuple[str, ...] = field(default=(), metadata={"doc": "Tags.", "item": str})
    refresh_minutes: int = field(default=60, metadata={"doc": "Minutes between refreshes.",
                                                       "minimum": 5, "maximum": 1440})

    def validate(self) -> list[tuple[str, str]]:
        return [("tags", "a feed tagged muted is never shown")] if "muted" in self.tags else []


@dataclass(frozen=True)
class Shelf:
    size: int = field(default=3, metadata={"doc": "Items on the shelf.", "minimum": 1, "maximum": 9})
    feeds: tuple[Feed, ...] = field(default=(), metadata={"doc": "", "table_array": Feed,
                                                          "example": FEEDS_EXAMPLE.replace("[[feeds]]", "[[shelf.feeds]]")})


@dataclass(frozen=True)
class Root:
    shelf: Shelf = field(default_factory=Shelf)
    feeds: tuple[Feed, ...] = field(default=(), metadata={"doc": "", "table_array": Feed, "example": FEEDS_EXAMPLE})


def problems_of(text: str) -> list[str]:
    with pytest.raises(config.ConfigError) as caught:
        config.parse(text, "feeds.toml", root=Root)
    return str(caught.value).splitlines()


def test_a_top_level_array_of_tables_is_built():
    root = config.parse('[[feeds]]\nurl = "https://a.org/rss"\ntags = ["ml", "papers"]\n\n'
                        '[[feeds]]\nurl = "https://b.org/atom"\nname = "B"\nrefresh_minutes = 15\n', root=Root)
    assert root.feeds == (Feed("https://a.org/rss", tags=("ml", "papers")), Feed("https://b.org/atom", "B", (), 15))
    assert root.shelf == Shelf() and config.parse("", root=Root) == Root()


def test_an_array_inside_a_section_is_built_the_same_way():
    root = config.parse('[shelf]\nsize = 2\n[[shelf.feeds]]\nurl = "https://a.org/rss"\n', root=Root)
    assert root.shelf == Shelf(size=2, feeds=(Feed("https://a.org/rss"),)) and root.feeds == ()


def test_errors_name_the_entry_and_its_line():
    text = ('[[feeds]]\nurl = "https://a.org/rss"\n\n'
            '[[feeds]]\nname = "B"\nurl = "ftp://b.org"\nrefresh_minutes = 1\n\n'
            '[[feeds]]\nurl = "https://c.org"\ntags = "ml"\nrefrsh_minutes = 5\n\n'
            '[[feeds]]\nname = "no url"\n\n'
            '[shelf]\nsize = 10\n[[shelf.feeds]]\nurl = "https://d.org"\ntags = ["muted"]\n')
    assert problems_of(text) == [
        'feeds.toml:4: [[feeds]] "B" url: expected an http:// or https:// URL with a host, got "ftp://b.org"',
        'feeds.toml:4: [[feeds]] "B" refresh_minutes: expected a value from 5 to 1440, got 1',
        'feeds.toml:9: [[feeds]] #3 tags: expected a list of strings, got "ml"',
        'feeds.toml:9: [[feeds]] #3 refrsh_minutes: unknown key; did you mean "refresh_minutes"?',
        'feeds.toml:14: [[feeds]] "no url" url: expected a string, got None',
        "feeds.toml:18: [shelf] size: expected a value from 1 to 9, got 10",
        'feeds.toml:19: [[shelf.feeds]] #1 tags: a feed tagged muted is never shown',  # the type's validate()
    ]


def test_a_misspelt_required_key_is_reported_once_with_its_suggestion():
    assert problems_of('[[feeds]]\nulr = "https://a.org"\n') == [
        'feeds.toml:1: [[feeds]] #1 ulr: unknown key; did you mean "url"?']


def test_top_level_shapes_and_suggestions():
    assert problems_of("feeds = 3\n") == ["feeds.toml:1: [[feeds]]: expected [[feeds]] tables, got 3"]
    assert problems_of('[[feed]]\nurl = "https://a.org"\n') == [
        "feeds.toml:1: [[feed]]: unknown table; did you mean [[feeds]]?"]
    assert problems_of("[shelff]\nsize = 2\n") == ["feeds.toml:1: [shelff]: unknown table; did you mean [shelf]?"]
    assert problems_of("size = 2\n") == ["feeds.toml:1: size: unknown top-level key; it belongs in the [shelf] table"]


def test_the_example_documents_the_root_and_loads_when_uncommented():
    text = config.render_example(Root)
    assert "\n[shelf]\n# Items on the shelf.\n# From 1 to 9.\nsize = 3\n" in text
    assert "# [[shelf.feeds]]\n" in text and "\n# [[feeds]]\n" in text
    assert config.parse(text, root=Root) == Root()
    uncommented = text.replace("# [[", "[[")
    for spec in fields(Feed):
        assert f"\n# {spec.name} = " in text
        uncommented = uncommented.replace(f"# {spec.name} = ", f"{spec.name} = ")
    feed = Feed("https://arxiv.org/rss/cs.LG", "arXiv cs.LG", ("papers",), 60)
    assert config.parse(uncommented, root=Root) == Root(shelf=Shelf(feeds=(feed,)), feeds=(feed,))


def test_an_array_without_an_example_is_refused_when_rendering():
    @dataclass(frozen=True)
    class Bare:
        feeds: tuple[Feed, ...] = field(default=(), metadata={"doc": "", "table_array": Feed})

    with pytest.raises(TypeError, match="needs an example"):
        config.render_example(Bare)


def test_every_array_example_in_the_real_config_loads_when_uncommented():
    text = config.render_example()
    for spec in fields(config.UserFormat):
        assert f"\n# {spec.name} = " in text
    uncommented = text.replace("# [[runs.formats]]", "[[runs.formats]]").replace("# [[feeds]]", "[[feeds]]")
    uncommented = uncommented.replace("# [[checklists]]", "[[checklists]]").replace("# items = [", "items = [")
    uncommented = uncommented.replace("#   { title", "  { title").replace("# ]\n", "]\n")
    for name in ("name", "pattern", "samples", "url", "tags", "refresh_minutes"):
        uncommented = uncommented.replace(f"# {name} = ", f"{name} = ")
    loaded = config.parse(uncommented)
    (user_format,) = loaded.runs.formats
    assert user_format.name == "my-trainer"
    (feed,) = loaded.feeds
    assert (feed.url, feed.name, feed.tags) == ("arxiv:cs.LG", "arXiv cs.LG", ("papers",))
    (checklist,) = loaded.checklists
    assert (checklist.name, [item.every for item in checklist.items]) == ("Research", ["weekly", "every 3 days"])

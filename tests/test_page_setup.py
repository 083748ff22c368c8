"""The setup step of a user's page: its parts checked once, each bad one a clear error."""

import json

import pytest

from playgate.errors import UsageError
from playgate.page_setup import (
    PageSetup,
    check_setup_function,
    check_storage_state,
    load_setup_function,
    parse_header,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc", ("Authorization", "Bearer abc")),
        ("X-Team:avatars", ("X-Team", "avatars")),
        ("Cookie: a=1; b=2", ("Cookie", "a=1; b=2")),  # values keep their own separators
        ("  X-Empty:  ", ("X-Empty", "")),
    ],
)
def test_headers_are_name_colon_value(text, expected):
    assert parse_header(text) == expected


@pytest.mark.parametrize("text", ["no colon", ": value", "Bad Name: x", ""])
def test_a_header_without_a_name_says_how_to_write_one(text):
    with pytest.raises(UsageError, match="give 'Name: value'"):
        parse_header(text)


def test_a_storage_state_is_read_and_checked(tmp_path):
    good = tmp_path / "state.json"
    good.write_text(json.dumps({"cookies": [], "origins": []}))
    assert check_storage_state(str(good)) == str(good)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"cookies": "none"}))
    with pytest.raises(UsageError, match="is not a Playwright storage state"):
        check_storage_state(str(wrong))
    with pytest.raises(UsageError, match="cannot read it"):
        check_storage_state(str(tmp_path / "missing.json"))


def test_an_async_setup_function_is_refused_with_the_sync_form():
    async def sign_in(page):
        pass

    with pytest.raises(UsageError, match=r"is async: .* def setup\(page\)"):
        check_setup_function(sign_in, "sign_in")
    with pytest.raises(UsageError, match="is not a function"):
        check_setup_function(42, "42")


def test_a_setup_function_is_imported_from_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "my_login.py").write_text("def sign_in(page):\n    page.clicked = True\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    function = load_setup_function("my_login:sign_in")

    class Page:
        clicked = False

    page = Page()
    function(page)
    assert page.clicked


def test_what_the_context_starts_with():
    setup = PageSetup(storage_state="state.json", headers=(("X-A", "1"), ("X-B", "2")))
    assert setup.context_options() == {"storage_state": "state.json", "extra_http_headers": {"X-A": "1", "X-B": "2"}}
    assert PageSetup().context_options() == {} and not PageSetup()

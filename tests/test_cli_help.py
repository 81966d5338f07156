"""`sigah --help` lists every command with one line each, on an 80-column terminal."""

import re

import pytest

from sigah.tools.cli import main


@pytest.mark.parametrize("argv", [["--help"], ["book", "--help"]])
def test_every_command_has_a_one_line_help(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    choices = re.search(r"\{([a-z,]+)\}", text).group(1).split(",")
    lines = text.splitlines()
    for name in choices:
        [row] = [i for i, line in enumerate(lines) if re.match(rf"\s{{4}}{name}\s", line)]
        description = lines[row][len(f"    {name}"):].strip()
        assert description, f"`sigah {' '.join(argv[:-1])} {name}` has no help line"
        follower = lines[row + 1] if row + 1 < len(lines) else ""
        assert not re.match(r"\s{20,}\S", follower), (
            f"the help of `{name}` wraps onto a second line: {description!r} / {follower.strip()!r}"
        )

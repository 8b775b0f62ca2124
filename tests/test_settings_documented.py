"""Every setting is documented in the README (a setting nobody can find does not exist)."""

from api.settings import Settings
from tests.paths import ROOT


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`HEALTHKG_{name.upper()}`" not in readme]
    assert missing == []


def test_readme_opens_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = readme[readme.index("## Set-up"):]
    assert setup.index("make run") < setup.index("make test") < setup.index("##", 3)

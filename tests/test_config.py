from pathlib import Path

import pytest

from apparatus.config import load_config


def test_defaults(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("title: T\nlanguage: en\n")
    config, diags = load_config(tmp_path)
    assert diags == [] and config is not None
    assert (config.title, config.language, config.output) == ("T", "en", "_site")
    assert config.output_dir == tmp_path / "_site"


@pytest.mark.parametrize("output", ["content", "annotations/x", "templates", ".", "..", "../elsewhere", "/tmp/x"])
def test_output_may_never_be_a_source_folder_or_outside(tmp_path: Path, output: str) -> None:
    (tmp_path / "site.yaml").write_text(f"title: T\nlanguage: en\noutput: '{output}'\n")
    config, diags = load_config(tmp_path)
    assert config is None
    assert diags[0].message == f"output folder '{output}' is not allowed"


def test_missing_site_yaml(tmp_path: Path) -> None:
    config, diags = load_config(tmp_path)
    assert config is None and diags[0].message == "no site.yaml in the collection folder"

"""`crmdesk import` and `crmdesk export` in-process, on a real store file: summaries, JSON, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import vobject

from crmdesk.cli import main
from crmdesk.store.engine import open_store

GOOD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nN:Brandt;Ines;;;\r\nFN:Ines Brandt\r\nORG:Brandt GmbH\r\n"
    "EMAIL;TYPE=WORK:ines@brandt-mb.de\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Okafor;Chidi;;;\r\nFN:Chidi Okafor\r\nTEL;TYPE=CELL:+44 7700 900123\r\n"
    "END:VCARD\r\n"
)
BAD = "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:nobody@example.org\r\nEND:VCARD\r\n"


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "crmdesk.sqlite3"
    open_store(path).close()
    return path


@pytest.fixture
def run(data_dir: Path, capsys: pytest.CaptureFixture[str], empty_store: Path) -> Any:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_store, data_dir / "crmdesk.sqlite3")

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_import_dry_run_then_import_then_again(run: Any, tmp_path: Path) -> None:
    f = tmp_path / "two.vcf"
    f.write_text(GOOD, encoding="utf-8", newline="")
    code, out, _ = run("import", str(f), "--dry-run")
    assert code == 0 and out.startswith("Preview: 2 would be created, 0 would be updated, 0 unchanged, 0 rejected")
    assert "1 company would be created" in out
    code, out, _ = run("people", "list", "--json")
    assert json.loads(out) == [], "a dry run writes nothing"
    code, out, _ = run("import", str(f))
    assert code == 0 and out.startswith("Imported: 2 created")
    code, out, _ = run("import", str(f), "--json")
    report = json.loads(out)
    assert code == 0 and (report["created"], report["unchanged"]) == (0, 2)
    assert [c["outcome"] for c in report["cards"]] == ["unchanged", "unchanged"]
    code, out, _ = run("people", "list", "--search", "brandt", "--json")
    (ines,) = json.loads(out)
    assert ines["cards"][0]["company_name"] == "Brandt GmbH"


def test_a_rejected_card_is_listed_and_exits_1_while_the_rest_goes_in(run: Any, tmp_path: Path) -> None:
    f = tmp_path / "mixed.vcf"
    f.write_text(GOOD + BAD, encoding="utf-8", newline="")
    code, out, _ = run("import", str(f))
    assert code == 1
    assert "2 created" in out and "1 rejected" in out
    assert "rejected  mixed.vcf, card 3 (line 15):" in out
    code, out, _ = run("people", "list", "--json")
    assert len(json.loads(out)) == 2


def test_import_of_a_missing_file_is_a_user_error(run: Any, tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "nope.vcf"))
    assert code == 1 and "No such file" in err and "nope.vcf" in err


def test_export_by_search_version_and_split(run: Any, tmp_path: Path) -> None:
    f = tmp_path / "two.vcf"
    f.write_text(GOOD, encoding="utf-8", newline="")
    run("import", str(f))
    out_file = tmp_path / "brandt.vcf"
    code, out, _ = run("export", "--search", "brandt", "--version", "4.0", "-o", str(out_file))
    assert code == 0 and out.strip() == f"1 person exported to {out_file}"
    card = vobject.readOne(out_file.read_text(encoding="utf-8"))
    assert card.version.value == "4.0" and card.fn.value == "Ines Brandt"
    folder = tmp_path / "split"
    code, out, _ = run("export", "--split", "-o", str(folder))
    assert code == 0 and sorted(p.name for p in folder.iterdir()) == ["Chidi Okafor.vcf", "Ines Brandt.vcf"]
    csv_file = tmp_path / "all.csv"
    code, out, _ = run("export", "--format", "outlook-csv", "-o", str(csv_file))
    assert code == 0 and "2 people exported" in out
    assert "Ines" in csv_file.read_text(encoding="utf-8-sig")


def test_export_of_an_unknown_id_is_a_user_error(run: Any, tmp_path: Path) -> None:
    code, _, err = run("export", "--id", "no-such-id", "-o", str(tmp_path / "x.vcf"))
    assert code == 1 and "no-such-id" in err
    assert not (tmp_path / "x.vcf").exists()

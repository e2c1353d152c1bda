"""``kassa tariffs`` and ``kassa products``: create, list, show, and import rates from CSV."""

from __future__ import annotations

from pathlib import Path

from kassa.db.models import Product, Rate, Tariff
from tests.cli.conftest import Kassa

HEADER = "prefix,price,per,first_interval,next_interval,connect_fee,free_units,effective_from"


def _create_tariff(kassa: Kassa, name: str = "Voice retail", service: str = "voice") -> str:
    unit = "second" if service == "voice" else "byte"
    result = kassa.ok(
        "tariffs",
        "create",
        "--name",
        name,
        "--currency",
        "USD",
        "--service",
        service,
        "--unit",
        unit,
    )
    assert "Created tariff" in result.output
    return result.output.split("Created tariff ")[1].split(".")[0]


def test_create_list_and_show(kassa: Kassa) -> None:
    tariff = _create_tariff(kassa)
    assert "Voice retail" in kassa.ok("tariffs", "list").output
    assert "No tariffs match." in kassa.ok("tariffs", "list", "--service", "data").output
    shown = kassa.ok("tariffs", "show", tariff).output
    assert "Voice retail" in shown and "No rates match." in shown


def test_refused_input_names_the_option(kassa: Kassa) -> None:
    _create_tariff(kassa)
    taken = kassa(
        "tariffs",
        "create",
        "--name",
        "VOICE RETAIL",
        "--currency",
        "USD",
        "--service",
        "voice",
        "--unit",
        "second",
    )
    assert taken.exit_code == 1
    assert "tariff_name_taken" in taken.output
    bad = kassa(
        "tariffs",
        "create",
        "--name",
        "Fax",
        "--currency",
        "XYZ",
        "--service",
        "fax",
        "--unit",
        "second",
    )
    assert bad.exit_code == 1
    assert "currency (--currency)" in bad.output and "service (--service)" in bad.output
    assert (
        kassa(
            "tariffs",
            "create",
            "--name",
            "x",
            "--currency",
            "USD",
            "--service",
            "voice",
            "--unit",
            "minute",
        ).exit_code
        == 2
    )
    assert kassa.count(Tariff) == 1
    assert "tariff_not_found" in kassa("tariffs", "show", "999").output


def test_import_prints_the_count(kassa: Kassa, tmp_path: Path) -> None:
    tariff = _create_tariff(kassa)
    file = tmp_path / "rates.csv"
    file.write_text(
        f"{HEADER},description\n4420,0.012,60,60,6,0,0,,London\n44,0.02,60,60,6,0,0,,UK\n"
    )
    result = kassa.ok("tariffs", "import", str(file), "--tariff", tariff)
    assert "Imported 2 rates into tariff" in result.output
    shown = kassa.ok("tariffs", "show", tariff, "--prefix", "442").output
    assert "London" in shown and "UK" not in shown
    again = kassa.ok("tariffs", "import", "-", "--tariff", tariff, input=file.read_text())
    assert "Imported 2 rates" in again.output
    assert kassa.count(Rate) == 2


def test_a_bad_file_prints_every_bad_line_and_imports_nothing(kassa: Kassa, tmp_path: Path) -> None:
    tariff = _create_tariff(kassa)
    file = tmp_path / "rates.csv"
    file.write_text(
        f"{HEADER}\n4420,0.012,60,60,6,0,0,\n4421,abc,60,60,6,0,0,\n+1,0.1,0,1,1,0,0,\n"
    )
    result = kassa("tariffs", "import", str(file), "--tariff", tariff)
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "line 3, column price:" in result.output
    assert "line 4, column prefix:" in result.output
    assert "line 4, column per:" in result.output
    assert kassa.count(Rate) == 0
    missing = kassa("tariffs", "import", str(tmp_path / "none.csv"), "--tariff", tariff)
    assert missing.exit_code == 1 and "cannot read" in missing.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    refused = kassa("tariffs", "import", str(empty), "--tariff", tariff)
    assert refused.exit_code == 1 and "header" in refused.output
    assert "tariff_not_found" in kassa("tariffs", "import", str(file), "--tariff", "999").output


def test_products(kassa: Kassa) -> None:
    voice = _create_tariff(kassa)
    data = _create_tariff(kassa, "Data", "data")
    created = kassa.ok(
        "products",
        "create",
        "--name",
        "Mobile",
        "--currency",
        "USD",
        "--rate",
        f"voice={voice}",
        "--rate",
        f"data={data}",
    )
    assert "Created product" in created.output
    listed = kassa.ok("products", "list").output
    assert "Mobile" in listed and "voice: Voice retail" in listed
    wrong = kassa(
        "products", "create", "--name", "Other", "--currency", "USD", "--rate", f"data={voice}"
    )
    assert wrong.exit_code == 1
    assert "rating[0].tariff_id (--rate)" in wrong.output
    assert (
        kassa("products", "create", "--name", "X", "--currency", "USD", "--rate", "voice").exit_code
        == 2
    )
    assert kassa.count(Product) == 1


def test_help_says_what_each_command_does(kassa: Kassa) -> None:
    assert "import" in kassa.ok("tariffs", "--help").output
    assert "first_interval" in kassa.ok("tariffs", "import", "--help").output
    assert "service=tariff_id" in kassa.ok("products", "create", "--help").output

"""Rule book loading: the real payer_rules files, lookups, and file:line errors for bad data."""

import hashlib
import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from coverage.domain.eligibility import Network
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleBookError, RuleLookupError
from coverage.rules.files import MAX_FILE_BYTES
from tests.rule_files import PAYER, read_book, refused

RULES = Path(__file__).resolve().parents[2] / "payer_rules"
OWN = ["poverty_guidelines", "sliding_scale", "fee_schedules"]


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return read_book(RULES)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A private copy of this package's rule files, named payer_rules/ like the real one."""
    target = tmp_path / "payer_rules"
    for folder in OWN:
        shutil.copytree(RULES / folder, target / folder)
    return target


def load_error(rules: Path, relative: str, text: str) -> str:
    (rules / relative).parent.mkdir(parents=True, exist_ok=True)
    (rules / relative).write_text(text, encoding="utf-8")
    with pytest.raises(RuleBookError) as caught:
        read_book(rules)
    return str(caught.value)


def test_real_files_load_with_provenance(book: RuleBook) -> None:
    refs = {ref.path.as_posix(): ref for ref in book.files}
    policy = refs["sliding_scale/policy.yaml"]
    assert (policy.kind, policy.version) == ("sliding_scale_policy", "1")
    assert policy.sha256 == hashlib.sha256((RULES / policy.path).read_bytes()).hexdigest()
    assert {g.year for g in book.guidelines} == {2024, 2025, 2026}
    assert book.sliding_scale_policy.installment_months == [3, 6, 12]
    assert book.sliding_scale_policy.minimum_monthly_payment == D("50.00")
    assert [c.name for c in book.sliding_scale_policy.classes] == ["A", "B", "C", "D", "E", "F"]


def _allowed(book: RuleBook, payer_id: str, network: Network, on: date) -> tuple[D, str]:
    found = book.payer_rate(payer_id, network, on)
    return found.rate.per_day, found.status


def test_allowed_amounts_and_their_status(book: RuleBook) -> None:
    on = date(2026, 3, 2)
    assert _allowed(book, "sandbox-commercial", Network.IN, on) == (D("350.00"), "verified")
    assert _allowed(book, "sandbox-commercial", Network.OUT, on) == (D("280.00"), "verified")
    assert _allowed(book, "sandbox-medicaid", Network.IN, on) == (D("210.00"), "verified")
    # The CMS figure is verified for CY 2024 only; later dates reuse it as draft.
    assert _allowed(book, "sandbox-medicare", Network.IN, date(2024, 6, 3)) == (
        D("259.13"),
        "verified",
    )
    assert _allowed(book, "sandbox-medicare", Network.IN, on) == (D("259.13"), "draft")
    assert book.self_pay_per_day(on) == D("400.00")


def test_past_the_end_of_its_data_a_look_up_carries_the_last_value_and_says_so(
    book: RuleBook,
) -> None:
    with pytest.raises(RuleLookupError, match="no allowed amount for sandbox-unknown"):
        book.payer_rate("sandbox-unknown", Network.IN, date(2026, 3, 2))
    assert (
        book.payer_rate("sandbox-commercial", Network.IN, date(2026, 12, 31)).carried_from is None
    )
    carried = book.payer_rate("sandbox-commercial", Network.IN, date(2027, 1, 4))
    assert (carried.rate.per_day, carried.carried_from) == (D("350.00"), date(2026, 12, 31))
    # The facility's own price is open-ended: it holds until a later schedule replaces it.
    assert book.self_pay_per_day(date(2027, 1, 4)) == D("400.00")
    part_b = book.part_b(2027)
    assert (part_b.year, part_b.terms.deductible, part_b.carried(2027)) == (
        2026,
        D("283.00"),
        True,
    )
    with pytest.raises(RuleLookupError, match="no self-pay rate on 2023-12-31"):
        book.self_pay_per_day(date(2023, 12, 31))
    guideline = book.guideline(state="VA", on=date(2027, 2, 1))
    assert (guideline.guideline.year, guideline.carried_from) == (2026, date(2027, 1, 31))
    assert book.drafts_used(on=date(2027, 2, 1), state="VA") == [
        "payer_rules/poverty_guidelines/2026.yaml: the 2026 poverty guidelines ended 2027-01-31; "
        "carried forward until newer data is added (not verified)"
    ]


def test_drafts_used(book: RuleBook) -> None:
    assert book.drafts_used(on=date(2026, 3, 2), state="VA") == []
    assert book.drafts_used(on=date(2027, 1, 31), state="VA") == []  # in effect until replaced
    assert book.drafts_used(on=date(2024, 3, 1), state="VA") == [
        "payer_rules/poverty_guidelines/2024.yaml: effective date of the 2024 poverty guidelines "
        "is draft"
    ]


def test_unknown_kinds_are_kept_for_other_loaders(rules: Path) -> None:
    (rules / "criteria").mkdir()
    (rules / "criteria" / "acme.yaml").write_text("kind: future_kind\nversion: '1'\nname: Acme\n")
    book = read_book(rules)
    assert book.other_files == {
        "future_kind": [
            (
                Path("criteria/acme.yaml"),
                {"kind": "future_kind", "version": "1", "name": "Acme"},
            )
        ]
    }


def test_payer_files_are_validated_with_file_and_line(rules: Path) -> None:
    (rules / "payers").mkdir(exist_ok=True)
    text = PAYER.format(id="acme", network="in_netwrk", extra="")
    assert load_error(rules, "payers/acme.yaml", text) == (
        "payer_rules/payers/acme.yaml:6:1: network_status: Input should be 'in_network' or 'out_of_network'"
    )


def test_yaml_alias_is_rejected_with_file_and_line(rules: Path) -> None:
    text = "kind: payer\nversion: '1'\nbase: &b [1, 2]\ncopy: *b\n"
    assert load_error(rules, "payers/bomb.yaml", text) == (
        "payer_rules/payers/bomb.yaml:4:7: YAML aliases (*name) are not allowed in rule files"
    )


def test_unknown_key_is_rejected_with_file_and_line(rules: Path) -> None:
    path = rules / "fee_schedules" / "sandbox-2026.yaml"
    text = path.read_text().replace(
        '    - network: out_of_network\n      per_day: "280.00"\n',
        '    - network: out_of_network\n      per_day: "280.00"\n      per_dya: "1.00"\n',
    )
    lines = text.splitlines()
    expected_line = lines.index('      per_dya: "1.00"') + 1
    message = load_error(rules, "fee_schedules/sandbox-2026.yaml", text)
    assert message == (
        f"payer_rules/fee_schedules/sandbox-2026.yaml:{expected_line}:7: "
        "payers.sandbox-commercial.1.per_dya: Extra inputs are not permitted (did you mean "
        "'per_day'?)"
    )


def test_nested_value_error_points_at_its_line(rules: Path) -> None:
    path = rules / "sliding_scale" / "policy.yaml"
    text = path.read_text().replace('discount: "0.60"', 'discount: "1.60"')
    expected_line = text.splitlines().index('    discount: "1.60"') + 1
    message = load_error(rules, "sliding_scale/policy.yaml", text)
    assert message.startswith(f"payer_rules/sliding_scale/policy.yaml:{expected_line}:5: ")
    assert "classes.2.discount: Input should be less than or equal to 1" in message


def test_policy_gap_is_rejected(rules: Path) -> None:
    path = rules / "sliding_scale" / "policy.yaml"
    text = path.read_text().replace('above_percent: "125"', 'above_percent: "126"')
    message = load_error(rules, "sliding_scale/policy.yaml", text)
    assert "classes: Value error, class C: must start where class B ends" in message


def test_float_amounts_are_rejected(rules: Path) -> None:
    path = rules / "fee_schedules" / "sandbox-2026.yaml"
    text = path.read_text().replace('self_pay_per_day: "400.00"', "self_pay_per_day: 400.10")
    expected_line = text.splitlines().index("self_pay_per_day: 400.10") + 1
    assert load_error(rules, "fee_schedules/sandbox-2026.yaml", text) == (
        f"payer_rules/fee_schedules/sandbox-2026.yaml:{expected_line}:19: "
        "write 400.10 as a quoted string so it stays an exact decimal"
    )


def test_duplicate_keys_are_rejected(rules: Path) -> None:
    text = "kind: payer\nversion: '1'\nname: A\nname: B\n"
    assert load_error(rules, "payers/dup.yaml", text) == (
        "payer_rules/payers/dup.yaml:4:1: duplicate key 'name'"
    )


def test_oversized_and_kindless_files_are_rejected(rules: Path) -> None:
    big = "kind: payer\n# " + "x" * MAX_FILE_BYTES + "\n"
    assert load_error(rules, "payers/big.yaml", big) == (
        f"payer_rules/payers/big.yaml: {len(big.encode()):,} bytes, over the 1 MB limit for a "
        "rule file; split it or remove it"
    )
    (rules / "payers" / "big.yaml").unlink()
    assert load_error(rules, "payers/nokind.yaml", "name: A\n") == (
        "payer_rules/payers/nokind.yaml:1:1: missing or non-text top-level key 'kind'"
    )


def test_nominal_charge_checked_against_the_self_pay_rate(rules: Path) -> None:
    path = rules / "fee_schedules" / "sandbox-2026.yaml"
    path.write_text(
        path.read_text().replace('self_pay_per_day: "400.00"', 'self_pay_per_day: "100.00"')
    )
    (nominal,) = [e for e in refused(rules) if "nominal charge" in e]
    assert nominal.startswith("payer_rules/sliding_scale/policy.yaml:")
    assert "nominal charge $25.00 per day must be less than class B's $20.00" in nominal
    assert nominal.endswith("(self-pay rate of payer_rules/fee_schedules/sandbox-2026.yaml)")


def test_duplicate_guideline_year_is_rejected(rules: Path) -> None:
    text = (rules / "poverty_guidelines" / "2026.yaml").read_text()
    message = load_error(rules, "poverty_guidelines/2026-copy.yaml", text)
    assert "year 2026 also in payer_rules/poverty_guidelines/2026-copy.yaml" in message


def test_a_missing_rules_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleBookError) as refused:
        read_book(tmp_path / "nowhere")
    assert str(refused.value) == (f"{tmp_path / 'nowhere'}/: no such directory")

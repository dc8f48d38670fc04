"""The tree billing reads a payer's reply as: X12 by envelopes and HL loops with a plain label per
segment, JSON by keys and values."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

from coverage.core.payer_replies import PayerCallRow, ReplyNode, json_tree, view
from coverage.x12.reply_tree import Node, read_reply

LFH = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "x12"
    / "lfh-subscriber-health-benefit-check.271"
)


def outline(nodes: list[Node] | list[ReplyNode], depth: int = 0) -> list[str]:
    lines = []
    for n in nodes:
        lines.append("  " * depth + n.label)
        lines += outline(n.children, depth + 1)
    return lines


def test_the_lfh_271_as_a_tree_of_loops_with_each_eb_under_its_subscriber() -> None:
    reply = read_reply(LFH.read_text())
    assert outline(reply.tree) == [
        "Interchange",
        "  ISA — interchange from 000000005 to 12345, control 000000907, test",
        "  Functional group",
        "    GS — functional group HB (eligibility replies), control 1",
        "    Transaction set",
        "      ST — transaction set 271, control 4321",
        "      BHT — start of the reply, reference 10001234",
        "      Loop 2000A — information source (the payer)",
        "        HL — level 1: information source (the payer)",
        "        Loop 2100A — information source name",
        "          NM1 — payer: ABC COMPANY (PI 841610001)",
        "        Loop 2000B — information receiver (the provider)",
        "          HL — level 2: information receiver (the provider), under level 1",
        "          Loop 2100B — information receiver name",
        "            NM1 — provider: BONE AND JOIN CLINIC (SV 2000035)",
        "          Loop 2000C — subscriber",
        "            HL — level 3: subscriber, under level 2",
        "            TRN — trace number 93175-012547",
        "            Loop 2100C — subscriber name",
        "              NM1 — insured (subscriber): SMITH, JOHN (MI 123456789)",
        "              N3 — street address",
        "              N4 — city, state and ZIP code",
        "              DMG — birth date 1963-05-19, male",
        "              DTP — plan begin date: 2006-01-01",
        "              EB — benefit: active coverage, service type 30, plan GOLD 123 PLAN",
        "              EB — benefit: benefit code L",
        "                LS — start of the related entities",
        "                  NM1 — primary care provider: JONES, MARCUS (SV 0202034)",
        "                  LE — end of the related entities",
        "              EB — benefit: active coverage, service types 1, 33, 35, 47, 86, 88, 98, "
        "AL, MH, UC",
        "              EB — benefit: co-payment $10.00 per visit, in network, service types 1, 33, "
        "35, 47, 86, 88, 98, AL, MH, UC, plan GOLD 123 PLAN",
        "              EB — benefit: co-payment $30.00 per visit, out of network, service types 1, "
        "33, 35, 47, 86, 88, 98, AL, MH, UC, plan GOLD 123 PLAN",
        "      SE — end of the transaction set (22 segments)",
        "    GE — end of the functional group",
        "  IEA — end of the interchange",
    ]
    assert reply.lines[8] == "HL*3*2*22*0~"
    assert len(reply.lines) == 26


def test_co_insurance_deductible_and_a_dependent_loop() -> None:
    isa = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260115*1030*^*00501*000000101*0*P*:~"
    text = (
        isa + "GS*HB*PAYER*CLINIC*20260115*1030*1*X*005010X279A1~ST*271*0001*005010X279A1~"
        "HL*3**22*1~NM1*IL*1*DOE*JOHN****MI*W1~HL*4*3*23*0~NM1*03*1*DOE*JANE~"
        "EB*A*IND*MH***23**.2****Y~EB*C*FAM*MH***29*1500.5*****N~HSD*VS*30***22~"
    )
    assert outline(read_reply(text).tree)[6:] == [
        "      Loop 2000C — subscriber",
        "        HL — level 3: subscriber",
        "        Loop 2100C — subscriber name",
        "          NM1 — insured (subscriber): DOE, JOHN (MI W1)",
        "        Loop 2000D — dependent",
        "          HL — level 4: dependent, under level 3",
        "          Loop 2100D — dependent name",
        "            NM1 — dependent: DOE, JANE",
        "            EB — benefit: co-insurance 20%, calendar year, in network, individual, "
        "service type MH",
        "            EB — benefit: deductible $1,500.50, remaining, out of network, family, "
        "service type MH",
        "              HSD — how often: 30 visits per service year",
    ]


def test_json_as_keys_and_values_as_sent() -> None:
    tree = json_tree(
        {"subscriber": {"memberId": "W1", "age": 36}, "errors": [{"code": "75"}], "ok": None}
    )
    assert outline(tree) == [
        "subscriber (2 keys)",
        "  memberId: W1",
        "  age: 36",
        "errors (1 item)",
        "  item 1 (1 key)",
        "    code: 75",
        "ok: null",
    ]


def test_a_json_reply_reads_as_indented_text_with_its_numbers_as_sent() -> None:
    row = PayerCallRow(
        id=uuid.uuid4(),
        attempt=1,
        payer_id="p",
        payer_name="P",
        at=datetime(2026, 3, 2, tzinfo=UTC),
        outcome="ok",
        outcome_text="The payer answered",
        error="",
        elapsed_ms=1,
        raw_sha256=None,
        reply_kept=True,
    )
    payload = (
        '{"copay": 25.10, "big": 12345678901234567890.5, "ok": true, "list": [1, {}], "e": []}'
    )
    shown = view(payload, "application/json", row)
    assert shown.lines == [
        "{",
        '  "copay": 25.10,',
        '  "big": 12345678901234567890.5,',
        '  "ok": true,',
        '  "list": [',
        "    1,",
        "    {}",
        "  ],",
        '  "e": []',
        "}",
    ]
    assert outline(shown.tree)[:2] == ["copay: 25.10", "big: 12345678901234567890.5"]

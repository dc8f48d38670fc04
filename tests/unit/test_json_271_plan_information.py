"""The clearinghouse JSON shape carries the group and plan numbers (`planInformation`) and the
related entities' contacts: read from JSON they fill the same fields as from X12."""

from datetime import date
from pathlib import Path

from coverage.x12.iop_benefit import IopContext, interpret_responses, read_eligibility
from coverage.x12.json_271 import read_json_271, write_json_271
from coverage.x12.reader_271 import read_271

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/x12/synthetic/iop-weekly-visit-cap.271"
CONTEXT = IopContext(service_date=date(2026, 3, 2))


def test_group_plan_number_and_contacts_survive_the_json_rendering() -> None:
    raw = FIXTURE.read_text()
    [response] = read_271(raw).responses
    body = write_json_271(response, trading_partner_service_id="99999")
    assert body["planInformation"] == {"groupNumber": "GRP0401", "planNumber": "PLN0401"}

    over_json = interpret_responses(read_json_271(body), raw="{}", context=CONTEXT)
    over_x12 = read_eligibility(raw, CONTEXT)
    assert (over_json.group_number, over_json.plan_number) == ("GRP0401", "PLN0401")
    assert over_json.disclaimers == over_x12.disclaimers
    [entity] = over_json.related_entities
    # The JSON has no PER contact name; the numbers and the phone's extension are the same.
    assert [(c.kind, c.value, c.extension) for c in entity.contacts] == [
        (c.kind, c.value, c.extension) for c in over_x12.related_entities[0].contacts
    ]
    assert entity.phone == "8005550140 ext. 12"

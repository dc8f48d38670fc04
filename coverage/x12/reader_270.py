"""Reads 005010X279A1 270 inquiries back into Inquiry270 (the sandbox payer's side of the wire)."""

from dataclasses import replace
from datetime import date

from coverage.x12 import values
from coverage.x12.envelope import Interchange, read_interchange
from coverage.x12.writer_270 import Inquiry270, Person270

_PAD = [""] * 12


def read_270(text: str) -> tuple[Interchange, list[Inquiry270]]:
    """Every 270 transaction set of an interchange. Raises only X12ParseError."""
    interchange = read_interchange(text)
    tokens = interchange.tokens
    rep = tokens.delimiters.repetition
    inquiries = []
    for ts in interchange.transaction_sets:
        if ts.code != "270":
            shown = repr(ts.code) if ts.code in ("271", "276", "837") else "value"
            raise tokens.error(f"ST01 {shown} is not a 270 inquiry", ts.start)
        fields: dict[str, object] = {"service_types": ()}
        level = ""
        people: dict[str, Person270] = {}
        dates: tuple[date | None, date | None] = (None, None)
        for index in range(ts.start + 1, ts.end):
            e = tokens.segments[index]
            e = e + _PAD[len(e) :] if len(e) < 12 else e
            sid = e[0]
            try:
                if sid == "BHT":
                    fields["reference"] = e[3]
                elif sid == "HL":
                    level = e[3]
                elif sid == "NM1" and level == "20":
                    fields.update(payer_name=e[3], payer_id_qualifier=e[8], payer_id=e[9])
                elif sid == "NM1" and level == "21":
                    fields.update(
                        provider_entity=e[1],
                        provider_entity_type=e[2],
                        provider_name=e[3],
                        provider_first_name=e[4],
                        provider_id_qualifier=e[8],
                        provider_id=e[9],
                    )
                elif sid == "NM1" and level in ("22", "23"):
                    people[level] = Person270(
                        last_name=e[3],
                        first_name=e[4],
                        middle_name=e[5],
                        suffix=e[7],
                        member_id=e[9],
                    )
                elif sid == "DMG" and level in people:
                    born = values.d8(e[2], "DMG02") if e[2] else None
                    people[level] = replace(people[level], birth_date=born, gender=e[3])
                elif sid == "TRN":
                    fields.update(trace_number=e[2], trace_originator=e[3])
                elif sid == "INS" and level == "23":
                    fields["dependent_relationship"] = e[2]
                elif sid == "DTP" and e[1] == "291":
                    dates = values.date_period(e[2], e[3], "DTP03")
                elif sid == "EQ":
                    codes = tuple(e[1].split(rep)) if rep else (e[1],)
                    fields["service_types"] += tuple(c for c in codes if c)  # type: ignore[operator]
            except ValueError as exc:
                raise tokens.error(str(exc), index) from None
        where = ts.start
        if "22" not in people:
            raise tokens.error("the 270 names no subscriber (NM1 in HL 22)", where)
        if dates[0] is None:
            raise tokens.error("the 270 has no DTP 291 date of service", where)
        if not fields["service_types"]:
            raise tokens.error("the 270 has no EQ service type", where)
        missing = [
            k for k in ("reference", "payer_id", "provider_id", "trace_number") if not fields.get(k)
        ]
        if missing:
            raise tokens.error(f"the 270 lacks {', '.join(missing)}", where)
        try:
            inquiries.append(
                Inquiry270(
                    subscriber=people["22"],
                    dependent=people.get("23"),
                    service_date=dates[0],
                    service_end=dates[1] if dates[1] != dates[0] else None,
                    **fields,  # type: ignore[arg-type]
                )
            )
        except TypeError:
            raise tokens.error("the 270 lacks a required element", where) from None
    return interchange, inquiries

"""10,000 random mutations of the X12 samples: the reader and the interpretation raise nothing
but X12ParseError, and every error is located. Derandomized, so a failure reproduces."""

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.x12.errors import X12ParseError
from coverage.x12.iop_benefit import IopContext, payer_error, read_eligibility

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
TEXTS = sorted(
    p.read_bytes().decode("ascii")
    for p in SAMPLES.rglob("*")
    if p.is_file() and not p.name.startswith(("LICENSE", "SOURCES", "README"))
)
CONTEXT = IopContext(service_date=date(2026, 3, 2), substance_use=False)
NOISE = "*~:^|>!\r\n 0123456789.-ABCDEHILMNPRSTUVWXYZ\x00\x1c\u00e9"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A sample with 1-4 edits. Positions come from a seeded Random so they spread over the whole
    text (Hypothesis' own integers favour the boundaries, which would mostly break the ISA)."""
    rnd = draw(st.randoms(use_true_random=False))
    text = rnd.choice(TEXTS)
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(max(len(text), 1))
        op = rnd.randrange(9)
        if op == 0:  # delete a run of characters
            text = text[:at] + text[at + rnd.randint(1, 40) :]
        elif op == 1:  # insert noise, separators included
            text = text[:at] + "".join(rnd.choices(NOISE, k=rnd.randint(1, 12))) + text[at:]
        elif op in (2, 3):  # overwrite one character
            text = text[:at] + rnd.choice(NOISE) + text[at + 1 :]
        elif op == 4:  # truncate
            text = text[:at]
        else:  # segment-level edits: drop, duplicate, swap, oversize an element
            segs = text.split("~")
            i, j = rnd.randrange(len(segs)), rnd.randrange(len(segs))
            if op == 5:
                del segs[i]
            elif op == 6:
                segs.insert(j, segs[i])
            elif op == 7:
                segs[i], segs[j] = segs[j], segs[i]
            else:
                segs[i] += "*" + "9" * rnd.choice([19, 200, 5000])
            text = "~".join(segs)
    return text


@settings(
    max_examples=10_000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_samples_raise_only_located_parse_errors(text: str) -> None:
    try:
        response = read_eligibility(text, CONTEXT)
    except X12ParseError as error:
        assert str(error).startswith("X12 ")
        if error.segment_number is not None:
            assert error.segment_number >= 1 and error.offset is not None and error.offset >= 0
        return
    payer_error(response)  # classifying the answer must not fail either

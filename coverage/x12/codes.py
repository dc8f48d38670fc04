"""X12 code tables the interpretation needs (ASC X12 005010X279A1 code lists as restated in
the pyx12 X279A1 map and the Stedi/Change eligibility JSON schema).

Only codes the service acts on are mapped; every other code is kept as sent on the typed
segment and becomes OTHER in the normalized response.
"""

from dataclasses import dataclass

from coverage.domain import eligibility
from coverage.domain.eligibility import (
    MENTAL_HEALTH_SERVICE_TYPES,
    SUBSTANCE_USE_SERVICE_TYPES,
    BenefitKind,
    ContactKind,
    CoverageLevel,
    InsuranceType,
    LimitPer,
    LimitUnit,
    Network,
    OtherPayerRole,
    PeriodKind,
    TimePeriod,
)

ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})  # EB01 active coverage variants
INACTIVE_CODES = frozenset({"6", "7", "8"})

BENEFIT_KIND = {
    "1": BenefitKind.ACTIVE,
    "2": BenefitKind.ACTIVE,
    "3": BenefitKind.ACTIVE,
    "4": BenefitKind.ACTIVE,
    "5": BenefitKind.ACTIVE,
    "6": BenefitKind.INACTIVE,
    "7": BenefitKind.INACTIVE,
    "8": BenefitKind.INACTIVE,
    "A": BenefitKind.COINSURANCE,
    "B": BenefitKind.COPAY,
    "C": BenefitKind.DEDUCTIBLE,
    "F": BenefitKind.LIMITATIONS,
    "G": BenefitKind.OUT_OF_POCKET,
    "I": BenefitKind.NON_COVERED,
    "U": BenefitKind.CONTACT,
}

COVERAGE_LEVEL = {
    "IND": CoverageLevel.INDIVIDUAL,
    "FAM": CoverageLevel.FAMILY,
    "ESP": CoverageLevel.EMPLOYEE_AND_SPOUSE,
    "ECH": CoverageLevel.EMPLOYEE_AND_CHILDREN,
    "CHD": CoverageLevel.CHILDREN_ONLY,
    "DEP": CoverageLevel.DEPENDENTS_ONLY,
    "EMP": CoverageLevel.EMPLOYEE_ONLY,
    "SPC": CoverageLevel.SPOUSE_AND_CHILDREN,
}
# Levels whose accumulators are shared by more than one person.
FAMILY_LEVELS = frozenset({"FAM", "ESP", "ECH", "SPC", "CHD", "DEP"})

TIME_PERIOD = {
    "7": TimePeriod.DAY,
    "22": TimePeriod.SERVICE_YEAR,
    "23": TimePeriod.CALENDAR_YEAR,
    "24": TimePeriod.YEAR_TO_DATE,
    "25": TimePeriod.CONTRACT,
    "26": TimePeriod.EPISODE,
    "27": TimePeriod.VISIT,
    "29": TimePeriod.REMAINING,
    "32": TimePeriod.LIFETIME,
    "33": TimePeriod.LIFETIME_REMAINING,
}
REMAINING_PERIODS = frozenset({"29", "33"})
PER_SESSION_PERIODS = frozenset({"7", "27"})  # a copay per day or per visit: one IOP day

QUANTITY_UNIT = {
    "VS": "visits",
    "DY": "days",
    "HS": "hours",
    "MN": "months",
    "YY": "years",
    "P6": "services",
    "D3": "coinsurance days",
    "LA": "lifetime reserve days",
    "LE": "lifetime reserve days (estimated)",
    "99": "quantity used",
}
DELIVERY_PERIOD = {  # HSD05
    "6": "hour",
    "7": "day",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "27": "visit",
    "34": "month",
    "35": "week",
}
DAY_LIMIT_UNITS = frozenset({"VS", "DY"})  # an IOP day is billed as one visit

NETWORK = {"Y": Network.IN, "N": Network.OUT}  # W = either network, U or empty = not stated

INSURANCE_TYPE = {
    "MA": InsuranceType.MEDICARE,
    "MB": InsuranceType.MEDICARE,
    "MP": InsuranceType.MEDICARE,
    "QM": InsuranceType.MEDICARE,
    "HN": InsuranceType.MEDICARE_ADVANTAGE,
    "MC": InsuranceType.MEDICAID,
    "C1": InsuranceType.COMMERCIAL,
    "CO": InsuranceType.COMMERCIAL,
    "EP": InsuranceType.COMMERCIAL,
    "GP": InsuranceType.COMMERCIAL,
    "HM": InsuranceType.COMMERCIAL,
    "IN": InsuranceType.COMMERCIAL,
    "IP": InsuranceType.COMMERCIAL,
    "PR": InsuranceType.COMMERCIAL,
    "PS": InsuranceType.COMMERCIAL,
    "POS": InsuranceType.COMMERCIAL,  # a common misspelling of PS
}
QMB_INSURANCE_TYPE = "QM"

# Service types under which payers report IOP, most specific first (Stedi blog "6 tips for
# behavioral health eligibility checks", Nov 5 2025).
IOP_SERVICE_TYPES_MH = ("CH", "CF", "A8", "BB", "MH", "30")
# An inquiry about any of these is about a substance-use program.
SUD_SERVICE_TYPES = SUBSTANCE_USE_SERVICE_TYPES
IOP_SERVICE_TYPES_SUD = ("CJ", "AI", "AK", "AJ", "CH", "A8", "MH", "30")
# The substance-use benefit of a payer asked about both benefits: its own lines only.
IOP_SERVICE_TYPES_SUD_ONLY = ("CJ", "AI", "AK", "AJ", "30")
BEHAVIORAL_SERVICE_TYPES = MENTAL_HEALTH_SERVICE_TYPES | SUBSTANCE_USE_SERVICE_TYPES
# An inquiry about any of these is about a mental-health program.
MH_SERVICE_TYPES = MENTAL_HEALTH_SERVICE_TYPES

# 2120 NM101 roles for EB*R other payers.
OTHER_PAYER_ROLE = {
    "PRP": OtherPayerRole.PRIMARY,
    "SEP": OtherPayerRole.SECONDARY,
    "TTP": OtherPayerRole.TERTIARY,
}
# NM101 codes a medical payer uses to name a behavioral-health administrator under EB*1.
ADMINISTRATOR_ENTITIES = frozenset({"PR", "2B", "X3", "Y2", "VN"})

# Places of service a facility IOP is delivered in (III01 ZZ); POS 19 and 57 are left out
# (unverified). Office (11) and telehealth (02, 10) lines carry office-visit terms, never the
# facility IOP benefit.
IOP_PLACES_OF_SERVICE = frozenset({"22", "52", "53"})
OFFICE_PLACES_OF_SERVICE = frozenset({"11"})
# X12 has no element for it: payers say in a MSG on the copay line that the copay is not subject
# to the deductible. Upper-cased phrases, read only on the chosen IOP copay line.
COPAY_OUTSIDE_DEDUCTIBLE = (
    "DEDUCTIBLE DOES NOT APPLY",
    "DEDUCTIBLE NOT APPLY",
    "NOT SUBJECT TO DEDUCTIBLE",
    "NOT SUBJECT TO THE DEDUCTIBLE",
    "DEDUCTIBLE WAIVED",
    "NO DEDUCTIBLE",
)
TELEHEALTH_PLACES_OF_SERVICE = frozenset({"02", "10"})


@dataclass(frozen=True, slots=True)
class Reject:
    retryable: bool
    hint: str


RETRY_HINT = "The payer could not answer now; the payer call is retried automatically."
# AAA03 reject reasons: retryable or not, and what staff should do (codes: pyx12 X279A1 map;
# handling: Stedi "Common eligibility failure modes", Jul 25 2025).
REJECT_REASONS: dict[str, Reject] = {
    "04": Reject(
        True, "Too many inquiries were sent to this payer; the payer call is retried more slowly."
    ),
    "15": Reject(
        False,
        "The payer needs more data: add the member ID, birth date and full name as on the card.",
    ),
    "33": Reject(
        False,
        "The payer rejected one inquiry line; it is re-asked with the general service type 30.",
    ),
    "35": Reject(
        False, "Our provider is out of network for this plan; review out-of-network benefits."
    ),
    "41": Reject(
        False, "Our facility is not authorized to query this payer: check payer enrollment."
    ),
    "42": Reject(True, RETRY_HINT),
    "43": Reject(
        False,
        "The payer does not accept our provider identifier: check the NPI and its enrollment.",
    ),
    "44": Reject(False, "Use the organization name exactly as registered with the NPI."),
    "45": Reject(False, "The payer needs the provider specialty (taxonomy)."),
    "47": Reject(False, "The payer needs the provider's state."),
    "48": Reject(False, "The payer needs the referring provider's NPI."),
    "49": Reject(
        False, "The plan needs a primary care physician or referral; staff must follow up."
    ),
    "50": Reject(
        False, "Our provider may not send eligibility inquiries to this payer: check enrollment."
    ),
    "51": Reject(False, "The payer does not know our NPI: enroll it or use the billing NPI."),
    "52": Reject(False, "Our provider was not enrolled with the plan on the service date."),
    "53": Reject(
        False,
        "The payer does not answer for this service type from our provider type; the general answer is used.",
    ),
    "54": Reject(
        False, "The payer refused the procedure code qualifier; ask by service type only."
    ),
    "55": Reject(False, "The payer refused the procedure code; ask by service type only."),
    "56": Reject(False, "The service date is not acceptable: use a single date or a valid range."),
    "57": Reject(False, "The service date is missing or invalid."),
    "58": Reject(False, "Check the birth date against the insurance card."),
    "60": Reject(False, "The birth date is after the service date: check both for typos."),
    "61": Reject(
        False, "The payer reports a date of death before the service date; staff must review."
    ),
    "62": Reject(False, "Ask for a date within the last 12 months up to the end of this month."),
    "63": Reject(
        False, "The service date is in the future: check today's date, re-check nearer admission."
    ),
    "64": Reject(
        False,
        "The dependent's ID is invalid; if the patient has their own member ID, send them as subscriber.",
    ),
    "65": Reject(False, "Enter the patient's name exactly as on the card."),
    "66": Reject(False, "Fix or leave out the patient's sex."),
    "67": Reject(
        False, "The payer did not find the patient: check name, birth date and relationship."
    ),
    "68": Reject(False, "The payer has this ID twice: add the birth date and name."),
    "71": Reject(
        False, "The birth date does not match the payer's record: confirm it with the patient."
    ),
    "72": Reject(
        False, "Check the member ID against the insurance card, including any prefix or suffix."
    ),
    "73": Reject(
        False, "Enter the subscriber's name exactly as on the card, suffix in its own field."
    ),
    "74": Reject(False, "Fix or leave out the subscriber's sex."),
    "75": Reject(
        False,
        "The payer did not find this member. Check the member ID, name and birth date against the "
        "insurance card, and that this is the right payer, then re-run the verification.",
    ),
    "76": Reject(False, "The payer has this member ID twice: add the birth date and name."),
    "77": Reject(
        False,
        "The subscriber was found but not the patient: check the dependent's name, birth date and relationship.",
    ),
    "78": Reject(
        False, "The subscriber is not in this plan or group: ask the patient for the current card."
    ),
    "79": Reject(
        False, "Wrong payer ID, or the payer offers no electronic eligibility: verify by phone."
    ),
    "80": Reject(True, RETRY_HINT),
    "97": Reject(False, "The payer needs the provider's address."),
    "T4": Reject(False, "The payer name or ID in our payer file is wrong: fix the payer file."),
}
DEFAULT_REJECT = Reject(
    False, "The payer rejected the inquiry; review the request and the payer's message."
)
# Line-level (2110) reasons: the benefit for that line is missing, the rest of the answer stands.
AUTH_REASONS = frozenset({"AE", "E8", "MA"})
# AAA04 follow-ups that forbid an automatic resubmission, whatever the reason code.
NO_RESUBMIT = frozenset({"N", "S", "W", "X", "Y"})

# -- what the payer said beyond the IOP terms (005010X279A1 code lists as restated in the pyx12
# X279A1 map and LinuxForHealth/x12 0.57.0 `v5010/segments.py`) --------------------------------

# 2100C/D REF qualifiers for the group, in order of preference; 18 is the plan number.
GROUP_REFERENCES = ("6P", "1L", "IG")
PLAN_REFERENCE = "18"
DISCLAIMER_CODE = "P"  # EB01 P: benefit disclaimer

PERIOD_KIND = {  # 2110C/D DTP01
    "291": PeriodKind.PLAN,
    "292": PeriodKind.BENEFIT,
    "346": PeriodKind.PLAN_BEGIN,
    "347": PeriodKind.PLAN_END,
    "348": PeriodKind.BENEFIT_BEGIN,
    "349": PeriodKind.BENEFIT_END,
    "356": PeriodKind.ELIGIBILITY_BEGIN,
    "357": PeriodKind.ELIGIBILITY_END,
    "307": PeriodKind.ELIGIBILITY,
    "304": PeriodKind.LATEST_VISIT,
    "435": PeriodKind.ADMISSION,
}

LIMIT_UNIT = {  # HSD01 quantity qualifier
    "VS": LimitUnit.VISITS,
    "DY": LimitUnit.DAYS,
    "HS": LimitUnit.HOURS,
    "FL": LimitUnit.UNITS,
    "MN": LimitUnit.MONTHS,
}
LIMIT_PER = {  # HSD05 time period qualifier (the EB06 list)
    "6": LimitPer.HOUR,
    "7": LimitPer.DAY,
    "21": LimitPer.YEARS,
    "22": LimitPer.SERVICE_YEAR,
    "23": LimitPer.CALENDAR_YEAR,
    "27": LimitPer.VISIT,
    "34": LimitPer.MONTH,
    "35": LimitPer.WEEK,
}
LIMIT_BASIS = {  # HSD03 unit or basis for measurement, used when HSD05 is empty
    "DA": LimitPer.DAY,
    "WK": LimitPer.WEEK,
    "MO": LimitPer.MONTH,
    "YR": LimitPer.YEARS,
}

CONTACT_KIND = {  # PER03/05/07 communication number qualifiers; EX is a phone's extension
    "TE": ContactKind.PHONE,
    "FX": ContactKind.FAX,
    "EM": ContactKind.EMAIL,
    "UR": ContactKind.URL,
}
PHONE_EXTENSION = "EX"

# 2120C/D NM101 entity identifier codes, in plain words.
ENTITY_ROLE = {
    "13": "contracted service provider",
    "1I": "preferred provider organization",
    "1P": "provider",
    "2B": "third-party administrator",
    "36": "employer",
    "73": "other physician",
    "FA": "facility",
    "GP": "gateway provider",
    "GW": "group",
    "I3": "independent physicians association",
    "IL": "insured or subscriber",
    "LR": "legal representative",
    "OC": "origin carrier",
    "P3": "primary care provider",
    "P4": "prior insurance carrier",
    "P5": "plan sponsor",
    "PR": "payer",
    "PRP": "primary payer",
    "SEP": "secondary payer",
    "TTP": "tertiary payer",
    "VER": "party performing verification",
    "VN": "vendor",
    "VY": "organization completing configuration change",
    "X3": "utilization management organization",
    "Y2": "managed care organization",
}
CARVE_OUT_ROLE = eligibility.CARVE_OUT_ROLE

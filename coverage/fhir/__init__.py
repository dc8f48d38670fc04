"""FHIR R4: reader (a payer's CoverageEligibilityResponse into the typed 271 model, so one
interpretation serves every transport) and writer (a verification as a
CoverageEligibilityResponse for EHRs). Pure: no I/O."""

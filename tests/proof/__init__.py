"""The proof suite: tests that measure what the README's Reliability table states, on the run's
database (SQLite and PostgreSQL in CI), each recording its figure with tests.figures.record so the
end of every run prints them. One file per claim:

  test_api_fuzz.py            every /api operation fuzzed, answers as the OpenAPI document says
  test_role_matrix.py         every route x every role (access.py is the table)
  test_method_not_allowed.py  405 with the whole Allow header
  test_bad_inputs.py          hostile values through every door: no server error
  test_hostile_271.py         hostile payer replies: an answer or a payer error
  test_phi_channels.py        PHI canaries through a served API: no hit anywhere

Races belong here too, next to what they prove: a body-size limit under concurrent uploads
(test_body_size.py) and the sign-in lockout under concurrent wrong passwords (test_lockout_race.py).
"""

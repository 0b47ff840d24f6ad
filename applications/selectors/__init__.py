"""Every non-trivial read of the cases (HackSoft selectors), already scoped to the caller, one
module per audience: `applicant` (an applicant company), `operator` (an operator's work items),
`agency` (a permit agency, a department pushing shared data), `staff` (the staff site), and
`common` for the few reads they share. A module imports from `common` only, never from another
audience."""

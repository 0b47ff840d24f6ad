"""Admin for the cases: read-only views scoped by object permission, and transitions.

A superuser sees every case. Any other staff user sees only the rows their organisation holds a
guardian object permission on (global model permissions do not widen a case list), so operator
and agency staff can use the admin without global permissions. Cases are never edited as
rows: every change of state is a button that calls the service, so the buttons shown are
exactly the transitions the service allows, and its errors map to 409 / 403 / 400.
"""

from . import (  # noqa: F401
    documents,
    joint_works,
    permits,
    projects,
    records,
    service_applications,
)

"""How often someone may submit a demand: no CAPTCHA, a rate limit instead, counted like the
API's (workgroups.api.throttles: one atomic increment per submission in the shared cache).
The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["demand_submit"]`."""

from workgroups.api.throttles import FixedWindowRateThrottle


class DemandSubmitThrottle(FixedWindowRateThrottle):
    """Submissions per signed-in person, or per client address without an account."""

    scope = "demand_submit"

    def get_ident_of(self, request) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"addr:{self.get_ident(request)}"


def submission_allowed(request) -> tuple[bool, int]:
    """Count this submission; whether it is within the rate, and the seconds to wait if not."""
    throttle = DemandSubmitThrottle()
    allowed = throttle.allow_request(request, None)
    return allowed, 0 if allowed else int(throttle.wait() + 0.999)

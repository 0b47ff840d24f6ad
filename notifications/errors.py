from .constants import AttemptOutcome


class DeliveryError(Exception):
    """A channel could not deliver a message this time (it will be retried).

    `outcome` (an AttemptOutcome) and `status_code` (when the receiver answered) go into the
    attempt history.
    """

    def __init__(
        self,
        message: str,
        *,
        outcome: str = AttemptOutcome.CONNECTION_ERROR,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status_code = status_code

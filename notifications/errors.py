class DeliveryError(Exception):
    """A channel could not deliver a message this time (it will be retried)."""

"""A task for tests/portal/test_request_id.py: records the request id it runs under in Redis
(under the key it is given) and logs one line."""

import logging

import redis
from celery import shared_task
from django.conf import settings

from core import request_id

logger = logging.getLogger(__name__)


@shared_task(name="tests.portal.echo_request_id", ignore_result=True)
def echo_request_id(key: str) -> None:
    logger.info("echo task ran")
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.rpush(key, request_id.current() or "")
        client.expire(key, 300)
    finally:
        client.close()

"""What the task broker holds, read for admins and health checks: whether it answers, and the messages waiting per queue."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

QUEUES = ("gpu", "default")  # the lab's runs, then everything else (config/settings.py routes them)
CONNECT_TIMEOUT_S = 3


def _connection():
    # The project's Celery app (config/celery.py, made current when Django loads config), read
    # without importing config: the app stays below the project's settings.
    from celery import current_app

    return current_app.connection_for_read(connect_timeout=CONNECT_TIMEOUT_S)


def broker_answers() -> bool:
    """Whether the broker accepts a connection (one try)."""
    try:
        with _connection() as conn:
            conn.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
        return True
    except Exception as exc:  # every transport raises its own kinds
        log.warning("broker unavailable: %r", exc)
        return False


def queue_depths(queues=QUEUES) -> dict[str, int] | None:
    """Messages waiting in each queue (not those a worker holds), or None when the broker does not answer.

    Read with a passive queue declaration, which the transports answer from what they hold: Redis
    the lengths of the queue's lists, the embedded filesystem broker the message files in its folder,
    RabbitMQ the queue's message count. A queue the broker does not know (Redis forgets an empty
    one) has none waiting.
    """
    try:
        with _connection() as conn:
            conn.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_S)
            depths = {}
            for name in queues:
                channel = conn.channel()  # a fresh one each time: RabbitMQ closes a channel that asked for an unknown queue
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except conn.channel_errors:
                    depths[name] = 0
                finally:
                    try:
                        channel.close()
                    except Exception:  # already closed by the broker
                        pass
            return depths
    except Exception as exc:
        log.warning("broker unavailable for queue depths: %r", exc)
        return None

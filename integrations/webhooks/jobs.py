"""The partner-delivery work `hotline worker` repeats (registered in `hotline/worker.py`)."""

from __future__ import annotations

from hotline.core.jobs import WorkerContext
from integrations.webhooks import service as webhook_service
from integrations.webhooks.delivery import DeliveryJob

__all__ = ["DeliveryJob", "endpoint_health"]


def endpoint_health(context: WorkerContext) -> int:
    """Disable endpoints that have failed for days; forget rotated secrets whose grace period is over."""
    with context.session_factory() as session:
        disabled = webhook_service.disable_failing_endpoints(session=session, settings=context.settings)
        expired = webhook_service.expire_rotated_secrets(session=session)
        session.commit()
    return disabled + expired

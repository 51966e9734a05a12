import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task
def incident_alert_sweep() -> int:
    """Beat, every 15 s: route each new traffic incident to the team on duty in its zone (once)."""
    count = 0
    for incident_id in services.pending_incident_ids():
        try:
            if services.incident_alert(incident_id) is not None:
                count += 1
        except Exception:  # one bad row must not starve the others; it is retried on the next sweep
            logger.exception("traffic alert for incident %s failed", incident_id)
    return count

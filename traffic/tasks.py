from celery import shared_task

from . import services


@shared_task
def incident_alert_sweep() -> int:
    """Beat, every 15 s: route each new traffic incident to the team on duty in its zone (once)."""
    count = 0
    for incident_id in services.pending_incident_ids():
        if services.incident_alert(incident_id) is not None:
            count += 1
    return count

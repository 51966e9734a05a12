"""Traffic: patrol zones, mixed teams and their shifts, roadside assets, patrols, accidents."""

from .accidents import Accident, IncidentAlert
from .assets import Asset
from .patrols import JointPatrol, Patrol, PatrolViolation
from .teams import Member, Shift, ShiftAssignment, Team
from .zones import PatrolZone

__all__ = [
    "Accident",
    "Asset",
    "IncidentAlert",
    "JointPatrol",
    "Member",
    "Patrol",
    "PatrolViolation",
    "PatrolZone",
    "Shift",
    "ShiftAssignment",
    "Team",
]

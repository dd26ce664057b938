"""The English words for statuses, impacts and indicators, as the API shows them."""

from __future__ import annotations

from generator.model import COMPLETED, IN_PROGRESS, UPCOMING

# The pages say these in the site's language, from the theme's catalogues
# (themes/default/messages/); the English one says the same (tests/test_i18n.py).

COMPONENT_STATUS_LABELS = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
# Statuspage's own descriptions of its overall indicator, word for word.
INDICATOR_LABELS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}
IMPACT_LABELS = {"none": "Notice", "minor": "Minor", "major": "Major", "critical": "Critical"}
MAINTENANCE_STATE_LABELS = {
    UPCOMING: "Scheduled",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
}

from django.contrib import admin

from qianwan.masking import MaskedAdminMixin

from .models import (
    DiversionCategory,
    DiversionItem,
    EscalationChain,
    EscalationStep,
    Incident,
    IncidentEvent,
    SlaClock,
    SlaPolicy,
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Editable reference data: a change applies to incidents received afterwards only."""

    list_display = [
        "__str__",
        "dispatch_seconds",
        "video_supervision_seconds",
        "leader_notified_seconds",
        "arrival_seconds",
        "warn_before_seconds",
        "escalate_after_seconds",
        "updated_at",
    ]


class EventInline(admin.TabularInline):
    model = IncidentEvent
    fk_name = "incident"
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "note", "target", "actor", "supersedes", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class ClockInline(admin.TabularInline):
    model = SlaClock
    extra = 0
    can_delete = False
    readonly_fields = [
        "stage",
        "limit_seconds",
        "deadline",
        "done_at",
        "met",
        "not_needed",
        "warned_at",
        "breached_at",
        "escalated_at",
        "warn_skipped_at",
        "warn_skip_reason",
        "next_fire_at",
        "task_id",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(MaskedAdminMixin, admin.ModelAdmin):
    masked_fields = {"caller_phone": "phone"}
    """Read-only: incidents change only through the service (timeline rules, clocks, audit)."""

    list_display = ["number", "station", "category", "status", "received_at"]
    list_filter = ["status", "category", "station"]
    search_fields = ["number", "address"]
    date_hierarchy = "received_at"
    inlines = [ClockInline, EventInline]

    readonly_fields = [f.name for f in Incident._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a record of a call is kept; deleting it would also leave the KPI rollup stale


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(EscalationChain)
class EscalationChainAdmin(admin.ModelAdmin):
    """Kept in the escalation page (/incidents/escalation/); here for the back office."""

    list_display = ["__str__", "updated_at"]
    inlines = [EscalationStepInline]


class DiversionItemInline(admin.TabularInline):
    model = DiversionItem
    extra = 1
    fields = ["name", "keywords", "incident_category", "position", "is_active"]


@admin.register(DiversionCategory)
class DiversionCategoryAdmin(admin.ModelAdmin):
    """The 110 ↔ 12345 diversion catalogue (also editable at /incidents/diversion/)."""

    list_display = ["name", "direction", "position", "is_active"]
    list_filter = ["direction", "is_active"]
    inlines = [DiversionItemInline]


@admin.register(DiversionItem)
class DiversionItemAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "keywords", "incident_category", "is_active", "updated_at"]
    list_filter = ["category__direction", "category", "is_active"]
    search_fields = ["name", "keywords"]
